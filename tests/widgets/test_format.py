"""Tests of wsnb.widgets._format: how sizes, times, text and bytes are written."""

from __future__ import annotations

import unittest

from wsnb import ReadyState
from wsnb.widgets._format import (
    STATE_COLOURS,
    display_url,
    escape,
    hex_preview,
    human_bytes,
    seconds,
    text_preview,
)


class FormatTests(unittest.TestCase):
    def test_display_url_hides_a_loopback_port(self) -> None:
        """A loopback port (a lab server's) is written PORT; any other URL is left as it is."""
        for url, shown in [
            ("ws://127.0.0.1:43173/", "ws://127.0.0.1:PORT/"),
            ("wss://localhost:8443/chat?room=a", "wss://localhost:PORT/chat?room=a"),
            ("ws://[::1]:9000/", "ws://[::1]:PORT/"),
            ("ws://127.0.0.1/", "ws://127.0.0.1/"),
            ("wss://example.com:8443/", "wss://example.com:8443/"),
            ("ws://127.0.0.10:80/", "ws://127.0.0.10:80/"),
        ]:
            with self.subTest(url=url):
                self.assertEqual(display_url(url), shown)

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
