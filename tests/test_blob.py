"""Blob (wsnb/blob.py)."""

from __future__ import annotations

import unittest

from wsnb import Blob


class BlobTests(unittest.IsolatedAsyncioTestCase):
    async def test_parts(self) -> None:
        """Parts of every kind are joined; str is UTF-8."""
        blob = Blob(["é", b"\x00", bytearray(b"\x01"), memoryview(b"\x02\x03")[1:], Blob([b"z"])], type="Text/Plain")
        self.assertEqual(bytes(blob), b"\xc3\xa9\x00\x01\x03z")
        self.assertEqual(blob.size, 6)
        self.assertEqual(len(blob), 6)
        self.assertEqual(blob.type, "text/plain")
        self.assertEqual(await blob.arrayBuffer(), b"\xc3\xa9\x00\x01\x03z")
        self.assertEqual(await blob.bytes(), bytes(blob))

    async def test_text(self) -> None:
        """text() decodes UTF-8 and replaces invalid bytes with U+FFFD."""
        self.assertEqual(await Blob([b"caf\xc3\xa9"]).text(), "café")
        self.assertEqual(await Blob([b"\xff"]).text(), "\ufffd")

    def test_lone_surrogate(self) -> None:
        """A lone surrogate in a str part becomes U+FFFD, as WebIDL's USVString."""
        self.assertEqual(bytes(Blob(["a\ud800"])), b"a\xef\xbf\xbd")

    def test_type_outside_ascii(self) -> None:
        """A type with characters outside U+0020-U+007E becomes ''."""
        self.assertEqual(Blob([], type="text/é").type, "")

    def test_slice(self) -> None:
        """slice() follows the File API's index rules."""
        blob = Blob([b"0123456789"])
        self.assertEqual(bytes(blob.slice(2, 5)), b"234")
        self.assertEqual(bytes(blob.slice(-3)), b"789")
        self.assertEqual(bytes(blob.slice(5, 2)), b"")
        self.assertEqual(blob.slice(0, 1, "a/b").type, "a/b")

    def test_errors(self) -> None:
        """Bad parts are a TypeError that names the problem."""
        with self.assertRaisesRegex(TypeError, "sequence of parts"):
            Blob(b"abc")  # type: ignore[arg-type]
        with self.assertRaisesRegex(TypeError, "int"):
            Blob([1])

    def test_repr_and_equality(self) -> None:
        """The repr is stable and equality compares bytes and type."""
        self.assertEqual(repr(Blob([b"ab"], type="x/y")), "Blob(size=2, type='x/y')")
        self.assertEqual(Blob([b"a"]), Blob([b"a"]))
        self.assertNotEqual(Blob([b"a"]), Blob([b"a"], type="x/y"))
