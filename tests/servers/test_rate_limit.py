"""Tests of wsnb.servers.rate_limit."""

from __future__ import annotations

import unittest

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK

from wsnb import WebSocket
from wsnb.servers import RateLimitLab, serve

from .servers_support import TIMEOUT, with_timeouts


@with_timeouts
class RateLimitTests(unittest.IsolatedAsyncioTestCase):
    async def test_within_the_limit(self):
        """Up to max_messages in the window are echoed."""
        async with serve("rate-limit", max_messages=5, per=60) as server:
            self.assertIsInstance(server.lab, RateLimitLab)
            async with connect(server.url) as ws:
                for i in range(5):
                    await ws.send(str(i))
                self.assertEqual([await ws.recv() for _ in range(5)], [str(i) for i in range(5)])
            self.assertEqual((server.lab.messages, server.lab.limited), (5, 0))

    async def test_over_the_limit(self):
        """One more closes with 1008 and the limit as reason; the extra message is not echoed."""
        async with serve("rate-limit", max_messages=3, per=60) as server:
            async with connect(server.url) as ws:
                for i in range(4):
                    await ws.send(str(i))
                self.assertEqual([await ws.recv() for _ in range(3)], ["0", "1", "2"])
                with self.assertRaises((ConnectionClosedOK, ConnectionClosedError)) as raised:
                    await ws.recv()
            self.assertEqual(raised.exception.rcvd.code, 1008)
            self.assertEqual(raised.exception.rcvd.reason, "rate limit: more than 3 messages in 60.0 s")
            self.assertEqual(server.lab.limited, 1)

    async def test_flood_closes_at_once(self):
        """A client that sends far more than the queue holds gets the closing handshake, not a 10 s time-out.

        The server keeps reading (and dropping) the flood while it closes;
        if it stopped, websockets' full incoming queue would hide the
        client's Close frame until close_timeout (10 s). 5 s is far more
        than the handshake needs and less than that time-out.
        """
        async with serve("rate-limit", max_messages=3, per=60) as server:
            ws = WebSocket(server.url)
            await ws.wait_for("open", timeout=TIMEOUT)
            for i in range(200):
                ws.send(f"flood {i}")
            closed = await ws.wait_for("close", timeout=5.0)
            self.assertEqual((closed.code, closed.wasClean), (1008, True))
            self.assertEqual(server.lab.messages, 3)

    async def test_private_code(self):
        """code=4003 closes with 4003."""
        async with serve("rate-limit", max_messages=1, code=4003) as server:
            async with connect(server.url) as ws:
                await ws.send("a")
                await ws.send("b")
                self.assertEqual(await ws.recv(), "a")
                with self.assertRaises((ConnectionClosedOK, ConnectionClosedError)) as raised:
                    await ws.recv()
            self.assertEqual(raised.exception.rcvd.code, 4003)

    def test_bad_options(self):
        """The limit, window and code are checked."""
        for options in ({"max_messages": 0}, {"per": 0}, {"per": "1"}, {"code": 1000}, {"code": 5000}):
            with self.subTest(**options), self.assertRaises(ValueError):
                serve("rate-limit", **options)
