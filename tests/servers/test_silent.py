"""Tests of wsnb.servers.silent."""

from __future__ import annotations

import asyncio
import json
import unittest

from websockets.asyncio.client import connect

from wsnb.servers import SilentLab, serve

from .servers_support import MS, with_timeouts


@with_timeouts
class SilentTests(unittest.IsolatedAsyncioTestCase):
    async def test_answers_then_falls_silent(self):
        """With answer=2, two pings get pongs and the third gets nothing."""
        async with serve("silent", answer=2) as server:
            self.assertIsInstance(server.lab, SilentLab)
            async with connect(server.url) as ws:
                await ws.send("ping")
                self.assertEqual(await ws.recv(), "pong")
                await ws.send(json.dumps({"type": "ping", "id": 7}))
                self.assertEqual(json.loads(await ws.recv()), {"type": "pong", "id": 7})
                await ws.send("ping")
                with self.assertRaises(asyncio.TimeoutError):
                    await asyncio.wait_for(ws.recv(), 200 * MS)
            self.assertEqual((server.lab.pongs, server.lab.silenced), (2, 1))

    async def test_other_messages_are_ignored_and_silence_command(self):
        """Non-pings are never answered; "silence" stops the answers at once."""
        async with serve("silent") as server:
            async with connect(server.url) as ws:
                for message in ("hello", b"ping", '{"type": "pong"}', "{broken"):
                    await ws.send(message)
                await ws.send("ping")
                self.assertEqual(await ws.recv(), "pong")  # the first reply is the pong
                await ws.send("silence")
                await ws.send("silence")
                await ws.send("ping")
                with self.assertRaises(asyncio.TimeoutError):
                    await asyncio.wait_for(ws.recv(), 200 * MS)
            self.assertEqual(server.lab.ignored, 5)
            self.assertEqual(server.lab.silenced, 1)

    async def test_deaf_ignores_protocol_pings(self):
        """With deaf=True a silent connection stops reading: protocol pings get no pong."""
        async with serve("silent", answer=0, deaf=True) as server:
            async with connect(server.url, ping_interval=None, close_timeout=0.1) as ws:
                pong = await ws.ping()
                with self.assertRaises(asyncio.TimeoutError):
                    await asyncio.wait_for(pong, 200 * MS)
        # Closing the server made it read again, so it closed promptly.

    async def test_not_deaf_answers_protocol_pings(self):
        """Without deaf, a silent connection still answers protocol pings (its library does)."""
        async with serve("silent", answer=0) as server:
            async with connect(server.url, ping_interval=None) as ws:
                await asyncio.wait_for(await ws.ping(), 5000 * MS)

    def test_bad_options(self):
        """answer must be None or an int >= 0; deaf a bool."""
        for options in ({"answer": -1}, {"answer": "2"}, {"deaf": 1}):
            with self.subTest(**options), self.assertRaises(ValueError):
                serve("silent", **options)
