"""The constructor's URL and subprotocol rules (wsnb/url.py).

Cases follow web-platform-tests websockets/Create-*.any.js and the URL
Standard's serialisation.
"""

from __future__ import annotations

import unittest

from wsnb import DOMSyntaxError
from wsnb.url import parse_protocols, parse_url


class ParseURLTests(unittest.TestCase):
    def test_serialisation(self) -> None:
        """URLs come out as a browser serialises them."""
        cases = {
            "ws://example.com": "ws://example.com/",
            "ws://example.com:80/": "ws://example.com/",
            "wss://example.com:443/chat": "wss://example.com/chat",
            "ws://example.com:443/": "ws://example.com:443/",
            "WS://EXAMPLE.com/Path": "ws://example.com/Path",
            "ws://0x7f.1:8080/a/../b": "ws://127.0.0.1:8080/b",
            "ws://h/a b?q=ü": "ws://h/a%20b?q=%C3%BC",
            "ws://[::1]:9000": "ws://[::1]:9000/",
            "ws://h/?": "ws://h/?",
        }
        for given, expected in cases.items():
            with self.subTest(given=given):
                self.assertEqual(parse_url(given).href, expected)

    def test_http_becomes_ws(self) -> None:
        """http and https are changed to ws and wss, default ports dropped."""
        self.assertEqual(parse_url("http://example.com:80/x").href, "ws://example.com/x")
        self.assertEqual(parse_url("https://example.com:443/x").href, "wss://example.com/x")
        self.assertEqual(parse_url("https://example.com:80/").href, "wss://example.com:80/")
        self.assertTrue(parse_url("https://example.com/").secure)
        self.assertFalse(parse_url("http://example.com/").secure)

    def test_origin(self) -> None:
        """The origin is scheme, host and non-default port."""
        self.assertEqual(parse_url("ws://127.0.0.1:8765/x?y").origin, "ws://127.0.0.1:8765")
        self.assertEqual(parse_url("wss://example.com:443/").origin, "wss://example.com")

    def test_relative_needs_base(self) -> None:
        """A relative URL is rejected without base_url and resolved with it."""
        with self.assertRaisesRegex(DOMSyntaxError, "relative URL; pass base_url"):
            parse_url("/chat")
        self.assertEqual(parse_url("/chat", "http://example.com:8000/x/y").href, "ws://example.com:8000/chat")
        self.assertEqual(parse_url("chat", "https://example.com/room/").href, "wss://example.com/room/chat")

    def test_other_schemes_rejected(self) -> None:
        """Schemes other than ws, wss, http and https raise DOMSyntaxError."""
        for url in ["ftp://example.com/", "file:///tmp/x", "mailto:a@b.c", "data:text/plain,x", "javascript:alert(1)"]:
            with self.subTest(url=url), self.assertRaisesRegex(DOMSyntaxError, "scheme must be ws, wss, http or https"):
                parse_url(url)

    def test_fragment_rejected(self) -> None:
        """A fragment, even an empty one, raises DOMSyntaxError."""
        for url in ["ws://example.com/#frag", "ws://example.com/#", "http://example.com/x#y"]:
            with self.subTest(url=url), self.assertRaisesRegex(DOMSyntaxError, "fragment"):
                parse_url(url)

    def test_unparsable_rejected(self) -> None:
        """A URL that does not parse raises DOMSyntaxError naming it."""
        for url in ["ws://[::1", "ws://exa mple.com/", "ws://h:99999/", ""]:
            with self.subTest(url=url), self.assertRaises(DOMSyntaxError):
                parse_url(url)

    def test_types(self) -> None:
        """A non-str URL or base is a TypeError."""
        with self.assertRaises(TypeError):
            parse_url(b"ws://h/")  # type: ignore[arg-type]
        with self.assertRaises(TypeError):
            parse_url("/x", base_url=42)  # type: ignore[arg-type]

    def test_exception_names(self) -> None:
        """DOMSyntaxError is a ValueError whose DOM name is SyntaxError."""
        with self.assertRaises(ValueError) as caught:
            parse_url("ftp://x/")
        self.assertEqual(caught.exception.name, "SyntaxError")  # type: ignore[attr-defined]


class ParseProtocolsTests(unittest.TestCase):
    def test_forms(self) -> None:
        """None, one str, or a sequence of str are accepted."""
        self.assertEqual(parse_protocols(None), [])
        self.assertEqual(parse_protocols("chat"), ["chat"])
        self.assertEqual(parse_protocols(["chat", "v2.json"]), ["chat", "v2.json"])
        self.assertEqual(parse_protocols(("a", "b")), ["a", "b"])
        self.assertEqual(parse_protocols([]), [])

    def test_invalid_tokens(self) -> None:
        """Names that are not HTTP tokens raise DOMSyntaxError (WPT Create-invalid-protocol)."""
        for bad in ["", "a b", "a,b", "é", '"q"', "a\tb", "x\x7f", "a/b", "{x}"]:
            with self.subTest(bad=bad), self.assertRaisesRegex(DOMSyntaxError, "not a valid subprotocol"):
                parse_protocols([bad])

    def test_duplicates(self) -> None:
        """An exact duplicate raises DOMSyntaxError; names differing in case do not."""
        with self.assertRaisesRegex(DOMSyntaxError, "more than once"):
            parse_protocols(["chat", "chat"])
        self.assertEqual(parse_protocols(["chat", "Chat"]), ["chat", "Chat"])

    def test_types(self) -> None:
        """Non-str names, and anything but a str or a sequence, raise TypeError."""
        for bad in [42, [1], b"chat", ["chat", None], iter(["chat"])]:
            with self.subTest(bad=bad), self.assertRaises(TypeError):
                parse_protocols(bad)  # type: ignore[arg-type]

    def test_no_set_or_dict(self) -> None:
        """A set or a dict has no order to express preference: TypeError says so."""
        for bad in [{"chat"}, frozenset({"chat"}), {"chat": 1}]:
            with self.subTest(bad=bad), self.assertRaises(TypeError) as caught:
                parse_protocols(bad)  # type: ignore[arg-type]
            self.assertIn("order", str(caught.exception))
