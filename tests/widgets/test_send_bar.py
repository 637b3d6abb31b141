"""Tests of wsnb.widgets.send_bar: sending text and hex from the bar, errors shown in it."""

from __future__ import annotations

import unittest

from wsnb import ReadyState
from wsnb.widgets import SendBar, parse_hex

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
