"""Tests of wsnb.widgets._format: how sizes, times, text and bytes are written."""

from __future__ import annotations

import unittest

from wsnb import ReadyState
from wsnb.widgets._format import (
    STATE_COLOURS,
    escape,
    hex_preview,
    human_bytes,
    seconds,
    text_preview,
)


class FormatTests(unittest.TestCase):
    def test_human_bytes(self) -> None:
        """Sizes get thousands separators and a unit."""
        self.assertEqual(human_bytes(0), "0 B")
        self.assertEqual(human_bytes(1234567), "1,234,567 B")

    def test_seconds(self) -> None:
        """Milliseconds become signed seconds with three decimals; unknown is '?'."""
        self.assertEqual(seconds(1234.0), "+1.234 s")
        self.assertEqual(seconds(-12.0), "-0.012 s")
        self.assertEqual(seconds(-0.0001), "+0.000 s")
        self.assertEqual(seconds(None), "?")

    def test_text_preview(self) -> None:
        """Control characters are escaped and long text is cut with an ellipsis."""
        self.assertEqual(text_preview("a\r\nb\x7f"), "a\\r\\nb\\x7f")
        self.assertEqual(text_preview("abcdef", 3), "abc…")
        self.assertEqual(text_preview("abc", 3, cut=True), "abc…")

    def test_hex_preview(self) -> None:
        """Bytes are written as hex pairs, cut after the limit."""
        self.assertEqual(hex_preview(b"Hi"), "48 69")
        self.assertEqual(hex_preview(b"Hello", 2), "48 65 …")
        self.assertEqual(hex_preview(b"", cut=True), "…")

    def test_escape(self) -> None:
        """HTML is escaped, quotes included."""
        self.assertEqual(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;")

    def test_every_state_has_a_colour(self) -> None:
        """Each readyState has a badge colour."""
        self.assertEqual(set(STATE_COLOURS), set(ReadyState))


if __name__ == "__main__":
    unittest.main()
