"""BrowserWebSocket's kernel half, without a browser (the page half is tested in tests/browser/test_browser_socket.py).

Without a front end no page ever answers: the calls stay pending and
``attached()`` says so. The page's messages are fed here as the widget
would deliver them, to check what the kernel makes of them.
"""

from __future__ import annotations

import asyncio
import unittest

from wsnb import Blob
from wsnb.browser import BrowserWebSocket
from wsnb.exceptions import (
    DOMException,
    DOMSyntaxError,
    InvalidAccessError,
    InvalidStateError,
    NoFrontEnd,
    exception_for_name,
)
from wsnb.servers import OriginPolicy, trust_page_origin, trusted_page_origins

STATE = {"readyState": 1, "bufferedAmount": 0, "protocol": "", "extensions": "", "binaryType": "blob", "url": "ws://h/"}


class KernelHalfTests(unittest.IsolatedAsyncioTestCase):
    async def test_no_front_end_says_so(self) -> None:
        """Without a page, attached() raises NoFrontEnd naming what is missing; the socket stays CONNECTING."""
        ws = BrowserWebSocket("ws://127.0.0.1:9/")
        with self.assertRaisesRegex(NoFrontEnd, "needs a front end that renders widgets"):
            await ws.attached(timeout=0.05)
        self.assertEqual(ws.readyState, BrowserWebSocket.CONNECTING)
        self.assertFalse(ws.created.done())

    async def test_no_front_end_fails_waits_and_calls(self) -> None:
        """After page_timeout without a page, a wait and a call raise NoFrontEnd instead of hanging."""
        ws = BrowserWebSocket("ws://127.0.0.1:9/", page_timeout=0.05)
        with self.assertRaisesRegex(NoFrontEnd, "no browser page answered within 0.05 s"):
            await ws.wait_for("open")
        with self.assertRaises(NoFrontEnd):
            await ws.created
        with self.assertRaises(NoFrontEnd):
            await ws.wait_for("message")  # a wait started after the time-out fails at once

    async def test_page_events_become_dom_events(self) -> None:
        """open, messages (text, arraybuffer, blob) and close arrive as the mirror's event classes, with the page's state."""
        ws = BrowserWebSocket("ws://h/")
        events = ws.record("open", "message", "close")
        states = []
        ws.onmessage = lambda event: states.append(ws.readyState.name)
        feed = ws._on_page_message
        feed(None, {"kind": "event", "type": "open", "state": STATE}, [])
        feed(None, {"kind": "event", "type": "message", "state": STATE, "text": "hi", "origin": "ws://h"}, [])
        feed(None, {"kind": "event", "type": "message", "state": STATE, "binary": "arraybuffer", "origin": "ws://h"},
             [memoryview(b"\x00\x01")])
        feed(None, {"kind": "event", "type": "message", "state": dict(STATE, readyState=2), "binary": "blob",
                    "mime": "", "origin": "ws://h"}, [memoryview(b"\xff")])
        feed(None, {"kind": "event", "type": "close", "state": dict(STATE, readyState=3), "code": 4000,
                    "reason": "bye", "wasClean": True}, [])
        self.assertEqual([event.type for event in events], ["open", "message", "message", "message", "close"])
        self.assertTrue(all(event.isTrusted for event in events))
        self.assertEqual(events.data[:2], ["hi", b"\x00\x01"])
        self.assertIsInstance(events.data[2], Blob)
        self.assertEqual(states, ["OPEN", "OPEN", "CLOSING"])
        self.assertEqual((events[4].code, events[4].reason, events[4].wasClean), (4000, "bye", True))
        self.assertEqual(ws.readyState, BrowserWebSocket.CLOSED)

    async def test_replies_settle_calls(self) -> None:
        """A reply with an error makes the call raise the DOMException of that name; an unawaited one is logged."""
        ws = BrowserWebSocket("ws://h/")
        call = ws.send("too early")
        ws._on_page_message(None, {"kind": "reply", "id": 2, "state": STATE,
                                   "error": {"name": "InvalidStateError", "message": "still CONNECTING"}}, [])
        with self.assertRaises(InvalidStateError):
            await call
        with self.assertLogs("wsnb.browser", "WARNING") as logs:
            ws.close(1001)
            ws._on_page_message(None, {"kind": "reply", "id": 3, "state": STATE,
                                       "error": {"name": "InvalidAccessError", "message": "1001"}}, [])
            await asyncio.sleep(0)  # the report waits one loop turn for an await
            await asyncio.sleep(0)
        self.assertIn("the browser threw from close(): 1001", logs.output[0])

    async def test_page_report_trusts_its_origin(self) -> None:
        """The page's origin, reported when it starts, is accepted by this process's lab servers."""
        ws = BrowserWebSocket("ws://h/")
        self.assertFalse(OriginPolicy().allows("https://hub.example.test"))
        ws._on_page_message(None, {"kind": "page", "origin": "https://hub.example.test",
                                   "href": "https://hub.example.test/lab", "userAgent": "test"}, [])
        self.assertEqual((await ws.attached(timeout=1))["origin"], "https://hub.example.test")
        self.assertIn("https://hub.example.test", trusted_page_origins())
        self.assertTrue(OriginPolicy().allows("https://hub.example.test"))
        with self.assertRaises(ValueError):
            trust_page_origin("https://hub.example.test/lab")

    async def test_bad_arguments(self) -> None:
        """Python-side type errors are raised at once, as WebIDL's conversions throw."""
        with self.assertRaises(ValueError):
            BrowserWebSocket("ws://h/", route="tunnel")
        with self.assertRaises(TypeError):
            BrowserWebSocket(b"ws://h/")  # type: ignore[arg-type]
        ws = BrowserWebSocket("ws://h/")
        with self.assertRaises(TypeError):
            ws.send(42)  # type: ignore[arg-type]
        with self.assertRaises(TypeError):
            ws.close("1000")  # type: ignore[arg-type]


class ExceptionForNameTests(unittest.TestCase):
    def test_names(self) -> None:
        """A browser's exception name gives wsnb's class of that name; an unknown name a DOMException carrying it."""
        self.assertIsInstance(exception_for_name("InvalidStateError", "m"), InvalidStateError)
        self.assertIsInstance(exception_for_name("InvalidAccessError", "m"), InvalidAccessError)
        self.assertIsInstance(exception_for_name("SyntaxError", "m"), DOMSyntaxError)
        self.assertIsInstance(exception_for_name("TypeError", "m"), TypeError)
        other = exception_for_name("SecurityError", "mixed content")
        self.assertIsInstance(other, DOMException)
        self.assertEqual((other.name, str(other)), ("SecurityError", "mixed content"))  # type: ignore[attr-defined]


if __name__ == "__main__":
    unittest.main()
