"""JSON nested deeper than Python can parse: an error reply or a policy close, never a crashed handler (1011)."""

from __future__ import annotations

import json
import unittest
from typing import Any

from wsnb import WebSocket
from wsnb import _json as peer_json
from wsnb.patterns import Robust
from wsnb.servers import serve

from ..support import TIMEOUT
from .servers_support import with_timeouts

DEEP = "[" * 100_000  # 100 kB: far deeper than Python's recursion limit
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000

# Every lab server that parses JSON from its clients, with the options that make it do so.
PARSERS: dict[str, dict[str, Any]] = {
    "chat": {},
    "close-lab": {},
    "game": {},
    "quality": {},
    "ticker": {},
    "flaky": {"ack": True},
    "big": {"max_size": 256 * 1024},
    "silent": {},
    "request": {},
    "auth": {},
}


class LoadsTests(unittest.TestCase):
    def test_too_deep_is_a_value_error(self) -> None:
        """The shared parser reports nesting too deep as the ValueError of any malformed JSON."""
        for text in (DEEP, DEEP_OBJECT):
            with self.assertRaisesRegex(ValueError, "nested too deeply"):
                peer_json.loads(text)
        with self.assertRaises(RecursionError):
            json.loads(DEEP)  # what the servers and patterns used to let through
        self.assertEqual(peer_json.loads('{"ok": [1, 2]}'), {"ok": [1, 2]})


@with_timeouts
class ServerTests(unittest.IsolatedAsyncioTestCase):
    async def test_no_handler_crashes(self) -> None:
        """Each server answers deep JSON as bad input, keeps the connection usable or closes it with a policy code."""
        for name, options in PARSERS.items():
            with self.subTest(server=name):
                async with serve(name, **options) as server:
                    with self.assertNoLogs("wsnb.servers", "ERROR"):
                        ws = WebSocket(server.url)
                        await ws.wait_for("open", timeout=TIMEOUT)
                        events = ws.record("message", "close")
                        ws.send(DEEP)
                        ws.send(DEEP_OBJECT)
                        ws.close(1000)
                        await ws.wait_for("close", timeout=TIMEOUT)
                    closes = [event for event in events if event.type == "close"]
                    self.assertEqual(len(closes), 1)
                    self.assertNotEqual(closes[0].code, 1011, f"{name} crashed: {closes[0]}")
                    self.assertIn(closes[0].code, (1000, 1007, 1008, 1009))
                    # The server still serves the next client.
                    again = WebSocket(server.url)
                    await again.wait_for("open", timeout=TIMEOUT)
                    again.close()
                    await again.wait_for("close", timeout=TIMEOUT)


@with_timeouts
class PatternTests(unittest.IsolatedAsyncioTestCase):
    async def test_robust_reports_a_messageerror(self) -> None:
        """A Robust socket with json=True reports deep JSON as a messageerror event, not a logged exception."""
        async with serve("echo") as server:
            robust = Robust(server.url, json=True)
            errors = robust.record("messageerror")
            await robust.wait_for("open", timeout=TIMEOUT)
            with self.assertNoLogs("wsnb", "ERROR"):
                robust.socket.send(DEEP)  # echoed back as text
                await errors.wait(1, timeout=TIMEOUT)
            self.assertIn("nested too deeply", str(errors[0].error))
            robust.close()
            await robust.wait_for("close", timeout=TIMEOUT)


if __name__ == "__main__":
    unittest.main()
