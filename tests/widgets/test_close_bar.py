"""Tests of wsnb.widgets.close_bar: closing from the bar, and what close() refuses, shown in the bar."""

from __future__ import annotations

import unittest

from wsnb import CloseCode, ReadyState
from wsnb.widgets import CODE_CHOICES, CloseBar, parse_code

from .test_watcher import WatcherTestCase
from .widgets_support import TIMEOUT


class ParseCodeTests(unittest.TestCase):
    def test_leading_number(self) -> None:
        """The picker's choices and typed numbers read as their leading number; empty is None."""
        self.assertEqual(parse_code("1000 Normal Closure"), 1000)
        self.assertEqual(parse_code(" 4321"), 4321)
        self.assertEqual(parse_code("-5"), -5)
        self.assertIsNone(parse_code("  "))
        with self.assertRaisesRegex(ValueError, "'abc' is not a close code"):
            parse_code("abc")

    def test_choices(self) -> None:
        """The picker offers every standard code and the 3000 and 4000-4999 ranges."""
        codes = [parse_code(choice) for choice in CODE_CHOICES]
        self.assertEqual(codes[:16], [int(code) for code in CloseCode])
        self.assertEqual(codes[16:], [3000, 4000, 4999])


class CloseBarTests(WatcherTestCase):
    async def test_code_outside_range_shows_error_and_keeps_socket_open(self) -> None:
        """A code close() refuses shows InvalidAccessError in the bar; the socket stays OPEN and still works."""
        ws = self.connect()
        bar = CloseBar(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        for code in ("1001 Going Away", "1005", "2999", "5000", "0"):
            bar.code.value = code
            bar.button.click()
            self.assertTrue(bar.error.startswith("InvalidAccessError: "), bar.error)
            self.assertIn('class="wsnb-error"', bar._message.value)
            self.assertIs(ws.readyState, ReadyState.OPEN)
        self.assertEqual([frame for frame in ws.frames if frame.opcode == "close"], [])
        replies = ws.record("message")
        ws.send("still open")
        self.assertEqual((await replies.wait(1, timeout=TIMEOUT))[0].data, "still open")

    async def test_long_reason_shows_syntax_error(self) -> None:
        """A reason over 123 UTF-8 bytes shows SyntaxError in the bar; the socket stays OPEN."""
        ws = self.connect()
        bar = CloseBar(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        bar.code.value = "4000"
        bar.reason.value = "é" * 62  # 124 bytes
        self.assertFalse(bar.submit())
        self.assertTrue(bar.error.startswith("SyntaxError: "), bar.error)
        self.assertIs(ws.readyState, ReadyState.OPEN)

    async def test_not_a_number(self) -> None:
        """Text that is not a code is explained in the bar."""
        ws = self.connect()
        bar = CloseBar(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        bar.code.value = "bye"
        self.assertIn("is not a close code", bar.hint)
        self.assertFalse(bar.submit())
        self.assertTrue(bar.error.startswith("not a number: "))
        self.assertIs(ws.readyState, ReadyState.OPEN)

    async def test_close_with_code_and_reason(self) -> None:
        """A valid code and reason close the socket; the server sees them."""
        ws = self.connect()
        bar = CloseBar(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        bar.code.value = "4000 private use"
        bar.reason.value = "done"
        bar.button.click()
        self.assertEqual(bar.error, "")
        self.assertIs(ws.readyState, ReadyState.CLOSING)
        closed = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual((closed.code, closed.reason, closed.wasClean), (4000, "done", True))

    async def test_no_code(self) -> None:
        """An empty code closes with no status: the close event reports 1005."""
        ws = self.connect()
        bar = CloseBar(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        bar.code.value = ""
        self.assertIn("1005", bar.hint)
        self.assertTrue(bar.submit())
        self.assertEqual((await ws.wait_for("close", timeout=TIMEOUT)).code, 1005)

    async def test_hint_and_error_reset(self) -> None:
        """Picking a code explains it (and whether close() takes it) and clears an old error."""
        ws = self.connect()
        bar = CloseBar(ws)
        self.assertTrue(bar.hint.startswith("1000 Normal Closure"))
        bar.code.value = "1006"
        self.assertIn("close() refuses it", bar.hint)
        bar.submit()  # while CONNECTING: still refused for the code
        self.assertTrue(bar.error.startswith("InvalidAccessError"))
        bar.code.value = "4999 private use"
        self.assertEqual(bar.error, "")
        self.assertIn("private use", bar._message.value)
        self.assertNotIn("refuses", bar.hint)
        self.assertEqual(repr(bar), f"CloseBar(url={ws.url!r})")
        with self.assertRaises(TypeError):
            CloseBar(None)  # type: ignore[arg-type]


if __name__ == "__main__":
    unittest.main()
