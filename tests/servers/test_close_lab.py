"""Tests of wsnb.servers.close_lab."""

from __future__ import annotations

import json
import unittest

from websockets.asyncio.client import connect
from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidStatus,
)

from wsnb.servers import CloseLab, serve
from wsnb.servers.close_lab import is_sendable, raw_close_frame

from .servers_support import bounded, with_timeouts


@with_timeouts
class CloseLabTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.server = await serve("close-lab")
        self.addAsyncCleanup(bounded(self.server.close))

    async def closed_by_query(self, query):
        """Connect with ``query`` and return how the connection closed."""
        async with connect(self.server.url + query) as ws:
            with self.assertRaises(ConnectionClosed) as raised:
                await ws.recv()
        return raised.exception

    async def closed_by_command(self, command):
        """Send ``command`` (JSON) and return how the connection closed."""
        async with connect(self.server.url) as ws:
            await ws.send(json.dumps(command))
            with self.assertRaises(ConnectionClosed) as raised:
                await ws.recv()
        return raised.exception

    async def error_for(self, message):
        """Send ``message`` and return the error text the server answers."""
        async with connect(self.server.url) as ws:
            await ws.send(message)
            answer = await ws.recv()
            # The connection stays open after an error.
            await ws.send('{"close": 1000}')
            with self.assertRaises(ConnectionClosedOK):
                await ws.recv()
        self.assertIsInstance(answer, str)
        self.assertTrue(answer.startswith("error: "), answer)
        self.assertIn('{"close": CODE, "reason": TEXT}', answer)
        return answer

    async def test_lab(self):
        """serve("close-lab") runs a CloseLab."""
        self.assertIsInstance(self.server.lab, CloseLab)

    async def test_query_code_and_reason(self):
        """?code=4000&reason=bye closes right after the handshake with 4000 bye."""
        exc = await self.closed_by_query("?code=4000&reason=bye")
        self.assertEqual((exc.rcvd.code, exc.rcvd.reason), (4000, "bye"))
        self.assertEqual(self.server.lab.closes, ["code 4000"])

    async def test_query_normal_closure(self):
        """?code=1000 closes cleanly."""
        exc = await self.closed_by_query("?code=1000")
        self.assertIsInstance(exc, ConnectionClosedOK)
        self.assertEqual((exc.rcvd.code, exc.rcvd.reason), (1000, ""))

    async def test_query_no_status(self):
        """?code=none sends a Close frame with no status: the client reads 1005."""
        exc = await self.closed_by_query("?code=none")
        self.assertIsInstance(exc, ConnectionClosedOK)
        self.assertEqual((exc.rcvd.code, exc.rcvd.reason), (1005, ""))
        self.assertEqual(self.server.lab.closes, ["no status"])

    async def test_query_drop(self):
        """?drop=1 drops the TCP connection: no Close frame reaches the client."""
        exc = await self.closed_by_query("?drop=1")
        self.assertIsInstance(exc, ConnectionClosedError)
        self.assertIsNone(exc.rcvd)
        self.assertEqual(self.server.lab.closes, ["drop"])

    async def test_query_drop_zero_is_no_drop(self):
        """?drop=0 asks for nothing: the server waits for commands."""
        async with connect(self.server.url + "?drop=0") as ws:
            await ws.send('{"close": 4001}')
            with self.assertRaises(ConnectionClosed) as raised:
                await ws.recv()
        self.assertEqual(raised.exception.rcvd.code, 4001)

    async def test_query_reserved_code(self):
        """?code=1004 sends a raw Close frame that the client refuses (1002)."""
        exc = await self.closed_by_query("?code=1004&reason=nope")
        self.assertIsInstance(exc, ConnectionClosedError)
        self.assertIsNone(exc.rcvd)
        self.assertEqual(exc.sent.code, 1002)
        self.assertEqual(self.server.lab.closes, ["raw 1004"])

    async def test_query_malformed(self):
        """A malformed query is refused with HTTP 400 and an explanation."""
        for query in (
            "?code=abc",
            "?code=70000",
            "?code=-1",
            "?reason=x",
            "?code=none&reason=x",
        ):
            with self.subTest(query=query):
                with self.assertRaises(InvalidStatus) as raised:
                    await connect(self.server.url + query)
                response = raised.exception.response
                self.assertEqual(response.status_code, 400)
                self.assertIn(b"close-lab: ", response.body)
        self.assertEqual(self.server.lab.connections, 0)

    async def test_command_code_and_reason(self):
        """{"close": 1001, "reason": ...} closes with that code and reason."""
        exc = await self.closed_by_command({"close": 1001, "reason": "going away"})
        self.assertEqual((exc.rcvd.code, exc.rcvd.reason), (1001, "going away"))

    async def test_command_every_sendable_code(self):
        """Every code a server may send reaches the client as it was asked."""
        for code in (
            1000,
            1002,
            1003,
            1007,
            1008,
            1009,
            1010,
            1011,
            1012,
            1013,
            1014,
            3000,
            4999,
        ):
            with self.subTest(code=code):
                exc = await self.closed_by_command(
                    {"close": code, "reason": f"r{code}"}
                )
                self.assertEqual((exc.rcvd.code, exc.rcvd.reason), (code, f"r{code}"))

    async def test_command_longest_reason(self):
        """A reason of 123 UTF-8 bytes fits in a Close frame."""
        reason = "é" * 61 + "x"  # 123 bytes
        exc = await self.closed_by_command({"close": 4000, "reason": reason})
        self.assertEqual(exc.rcvd.reason, reason)

    async def test_command_no_status(self):
        """{"close": null} sends a Close frame with no status: the client reads 1005."""
        exc = await self.closed_by_command({"close": None})
        self.assertIsInstance(exc, ConnectionClosedOK)
        self.assertEqual(exc.rcvd.code, 1005)

    async def test_command_drop(self):
        """{"drop": true} drops the TCP connection with no Close frame."""
        exc = await self.closed_by_command({"drop": True})
        self.assertIsInstance(exc, ConnectionClosedError)
        self.assertIsNone(exc.rcvd)

    async def test_command_reserved_codes(self):
        """Codes websockets refuses are written raw; the client fails with 1002."""
        for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535):
            with self.subTest(code=code):
                exc = await self.closed_by_command({"close": code, "reason": "raw"})
                self.assertIsInstance(exc, ConnectionClosedError)
                self.assertIsNone(exc.rcvd)
                self.assertEqual(exc.sent.code, 1002)
        self.assertEqual(self.server.lab.closes[-1], "raw 65535")

    async def test_reserved_code_after_messages(self):
        """A raw Close frame comes after the messages sent before it."""
        async with connect(self.server.url) as ws:
            await ws.send("not json")
            await ws.send('{"close": 1006}')
            self.assertTrue((await ws.recv()).startswith("error: "))
            with self.assertRaises(ConnectionClosedError) as raised:
                await ws.recv()
        self.assertEqual(raised.exception.sent.code, 1002)

    async def test_command_errors(self):
        """Malformed commands get an error text; the connection stays open."""
        cases = {
            "not json": "the message is not JSON",
            "[1000]": "the command is not a JSON object",
            '{"close": true}': "close code True is not null or 0-65535",
            '{"close": 1000.5}': "close code 1000.5 is not null or 0-65535",
            '{"close": 65536}': "close code 65536 is not null or 0-65535",
            '{"close": "1000"}': "close code '1000' is not null or 0-65535",
            '{"close": 1000, "reason": 5}': "reason 5 is not a string",
            '{"close": null, "reason": "x"}': "a reason needs a close code",
            '{"close": 1000, "why": "x"}': "unknown command ['close', 'why']",
            '{"drop": false}': '"drop" must be true',
            '{"ping": 1}': "unknown command ['ping']",
        }
        for message, error in cases.items():
            with self.subTest(message=message):
                self.assertIn(error, await self.error_for(message))
        answer = await self.error_for(json.dumps({"close": 4000, "reason": "x" * 124}))
        self.assertIn("reason is longer than 123 UTF-8 bytes", answer)
        answer = await self.error_for(b'{"close": 1000}')
        self.assertIn("commands are text messages, not binary", answer)

    def test_helpers(self):
        """is_sendable follows websockets; raw frames are unmasked Close frames."""
        self.assertTrue(is_sendable(1000))
        self.assertTrue(is_sendable(3000))
        self.assertFalse(is_sendable(1004))
        self.assertFalse(is_sendable(5000))
        self.assertEqual(raw_close_frame(None), b"\x88\x00")
        self.assertEqual(raw_close_frame(1004, "ab"), b"\x88\x04\x03\xecab")
