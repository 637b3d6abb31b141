"""Tests of wsnb.widgets.send_bar: sending text and hex from the bar, errors shown in it."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from wsnb import ReadyState
from wsnb.widgets import SendBar, parse_base64, parse_hex

from .test_watcher import WatcherTestCase
from .widgets_support import TIMEOUT


class ParseHexTests(unittest.TestCase):
    def test_forms(self) -> None:
        """Hex with or without spaces, commas, colons or 0x prefixes reads the same bytes."""
        for text in ("48 65 6c 6c 6f", "48656C6C6F", "0x48 0x65 0x6c 0x6c 0x6f", "48:65:6c:6c:6f", "48,65, 6c 6c\n6f"):
            self.assertEqual(parse_hex(text), b"Hello", text)
        self.assertEqual(parse_hex(""), b"")

    def test_errors(self) -> None:
        """An odd number of digits or a non-hex character is explained."""
        with self.assertRaisesRegex(ValueError, "odd number of hex digits"):
            parse_hex("abc")
        with self.assertRaisesRegex(ValueError, "'g' is not a hex digit"):
            parse_hex("0g")


class SendBarTests(WatcherTestCase):
    async def test_send_text_with_the_button(self) -> None:
        """Clicking Send sends the box as a text message."""
        ws = self.connect()
        bar = SendBar(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        replies = ws.record("message")
        bar.text.value = "hi there"
        bar.button.click()
        self.assertEqual(ws.bufferedAmount, 8)
        self.assertEqual((await replies.wait(1, timeout=TIMEOUT))[0].data, "hi there")
        self.assertEqual(bar.error, "")

    async def test_send_binary_hex(self) -> None:
        """In binary mode the box is read as hex and sent as a binary message."""
        ws = self.connect()
        ws.binaryType = "arraybuffer"
        bar = SendBar(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        replies = ws.record("message")
        bar._mode_buttons.value = "binary"
        self.assertEqual(bar.mode, "binary")
        bar.text.value = "00 ff 41"
        self.assertTrue(bar.submit())
        self.assertEqual((await replies.wait(1, timeout=TIMEOUT))[0].data, b"\x00\xffA")

    async def test_bad_hex_is_shown_and_nothing_sent(self) -> None:
        """Bad hex shows an error in the bar and sends nothing."""
        ws = self.connect()
        bar = SendBar(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        bar.mode = "binary"
        bar.text.value = "zz"
        self.assertFalse(bar.submit())
        self.assertTrue(bar.error.startswith("not hex: "))
        self.assertIn('class="wsnb-error"', bar._message.value)
        self.assertEqual(ws.bufferedAmount, 0)

    async def test_send_while_connecting_shows_invalid_state(self) -> None:
        """Send while CONNECTING shows InvalidStateError in the bar, as a console would; the socket goes on."""
        ws = self.connect()
        bar = SendBar(ws)
        bar.text.value = "too early"
        bar.button.click()
        self.assertTrue(bar.error.startswith("InvalidStateError: "), bar.error)
        self.assertIn("InvalidStateError", bar._message.value)
        await ws.wait_for("open", timeout=TIMEOUT)
        self.assertIs(ws.readyState, ReadyState.OPEN)
        self.assertTrue(bar.submit())
        self.assertEqual((bar.error, bar._message.value), ("", ""))

    async def test_repr_and_type(self) -> None:
        """The repr is stable; only a wsnb.WebSocket is accepted."""
        ws = self.connect()
        self.assertEqual(repr(SendBar(ws)), f"SendBar(url={ws.url!r})")
        with self.assertRaises(TypeError):
            SendBar("ws://127.0.0.1:1/")  # type: ignore[arg-type]


if __name__ == "__main__":
    unittest.main()


class ParseBase64Tests(unittest.TestCase):
    def test_forms(self) -> None:
        """Standard and URL-safe alphabets, with or without padding, spaces and newlines, read the same bytes."""
        for text in ("SGVsbG8=", "SGVsbG8", "SGVs\nbG8=", " SGVsbG8= "):
            self.assertEqual(parse_base64(text), b"Hello", text)
        self.assertEqual(parse_base64("_-8="), b"\xff\xef")
        self.assertEqual(parse_base64("/+8="), b"\xff\xef")
        self.assertEqual(parse_base64(""), b"")

    def test_errors(self) -> None:
        """A character outside base64, or a length no encoder makes, is explained."""
        with self.assertRaisesRegex(ValueError, "'!' is not a base64 character"):
            parse_base64("SGk!")
        with self.assertRaisesRegex(ValueError, "5 base64 characters cannot end a message"):
            parse_base64("SGVsb")


class SendBarMoreTests(WatcherTestCase):
    async def test_base64_and_file(self) -> None:
        """base64 mode sends the decoded bytes; a file is sent whole as one binary message."""
        ws = self.connect()
        ws.binaryType = "arraybuffer"
        bar = SendBar(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        replies = ws.record("message")
        bar.mode = "base64"
        bar.text.value = "AP9B"
        self.assertTrue(bar.submit())
        content = bytes(range(256)) * 10
        self.assertTrue(bar.send_file(content, "data.bin"))
        self.assertEqual(bar.sent_files, 1)
        self.assertIn("sent data.bin (2,560 B)", bar._message.value)
        received = await replies.wait(2, timeout=TIMEOUT)
        self.assertEqual([event.data for event in received], [b"\x00\xffA", content])
        bar.text.value = "A"
        self.assertFalse(bar.submit())
        self.assertIn("not base64: 1 base64 characters cannot end a message", bar.error)

    async def test_templates(self) -> None:
        """Templates are saved from the box, picked again, written to a JSON file and loaded by another bar."""
        ws = self.connect()
        bar = SendBar(ws)
        bar.text.value = '{"type": "join"}'
        bar._template_name.value = "join"
        bar._save_button.click()
        bar.save_template("hello", "48 65", mode="binary")
        self.assertEqual(bar.templates, {"join": {"mode": "text", "data": '{"type": "join"}'},
                                         "hello": {"mode": "binary", "data": "48 65"}})
        self.assertEqual([value for _, value in bar._template_list.options], ["", "hello", "join"])
        bar._template_list.value = "hello"
        self.assertEqual((bar.mode, bar.text.value, bar._template_list.value), ("binary", "48 65", ""))
        with tempfile.TemporaryDirectory() as folder:
            path = bar.save_templates(Path(folder) / "t.json")
            other = SendBar(ws, templates=path)
            self.assertEqual(other.templates, bar.templates)
            Path(folder, "bad.json").write_text('{"x": {"mode": "morse", "data": ""}}', encoding="utf-8")
            with self.assertRaisesRegex(ValueError, "template 'x': mode must be one of text, binary, base64, not 'morse'"):
                other.load_templates(Path(folder, "bad.json"))
            Path(folder, "bad.json").write_text("[1]", encoding="utf-8")
            with self.assertRaisesRegex(ValueError, "templates are a JSON object"):
                other.load_templates(Path(folder, "bad.json"))
        with self.assertRaisesRegex(KeyError, "no template named 'nope'; the templates: hello, join"):
            bar.use_template("nope")
        bar._template_name.value = "  "
        bar._save_button.click()
        self.assertEqual(bar.error, "a template needs a name that is not empty")
