"""Tests of wsnb.servers.quality."""

from __future__ import annotations

import json
import unittest

from websockets.asyncio.client import connect

from wsnb.servers import QUALITY_FRAME, QUALITY_LEVELS, QualityLab, serve

from .servers_support import with_timeouts


async def frames(ws, count):
    received = []
    while len(received) < count:
        message = await ws.recv()
        if isinstance(message, bytes):
            received.append(message)
    return received


async def command(ws, **message):
    await ws.send(json.dumps(message))
    while True:
        reply = await ws.recv()
        if isinstance(reply, str):
            return json.loads(reply)


@with_timeouts
class QualityTests(unittest.IsolatedAsyncioTestCase):
    async def test_levels(self):
        """Frames start at the initial level; a quality command switches the level and frame size."""
        async with serve("quality", base_rate=1000, tick=0.01) as server:
            lab = server.lab
            self.assertIsInstance(lab, QualityLab)
            self.assertEqual([lab.rate(q) for q in QUALITY_LEVELS], [1000, 4000, 16000])
            async with connect(server.url) as ws:
                low = await frames(ws, 3)
                self.assertEqual({QUALITY_FRAME.unpack_from(f)[1] for f in low}, {0})
                numbers = [QUALITY_FRAME.unpack_from(f)[0] for f in low]
                self.assertEqual(numbers, list(range(numbers[0], numbers[0] + 3)))
                self.assertEqual(await command(ws, type="quality", quality="high"), {"type": "quality", "quality": "high"})
                high = [f for f in await frames(ws, 10) if QUALITY_FRAME.unpack_from(f)[1] == 2]
                self.assertTrue(high)
                self.assertGreater(max(map(len, high)), max(map(len, low)))
            self.assertEqual(lab.requests, ["high"])

    async def test_slow_link_skips_frames(self):
        """With a bandwidth below the level's rate, frames are skipped."""
        async with serve("quality", base_rate=1000, tick=0.01, quality="high", bandwidth=2000) as server:
            async with connect(server.url) as ws:
                await frames(ws, 5)
                self.assertEqual(await command(ws, type="bandwidth", bytes_per_second=None), {"type": "bandwidth", "bytes_per_second": None})
            self.assertGreater(server.lab.skipped, 0)

    async def test_errors(self):
        """Bad commands are answered with an error."""
        async with serve("quality") as server:
            async with connect(server.url) as ws:
                for message in ({"type": "quality", "quality": "ultra"}, {"type": "bandwidth", "bytes_per_second": 0}, {"type": "x"}):
                    self.assertEqual((await command(ws, **message))["type"], "error")
                await ws.send("nope")
                while isinstance(reply := await ws.recv(), bytes):
                    pass
                self.assertIn("JSON", reply)

    def test_bad_options(self):
        """Options are checked."""
        for options in ({"base_rate": 1}, {"tick": 0}, {"quality": "ultra"}, {"bandwidth": -5}):
            with self.subTest(**options), self.assertRaises(ValueError):
                serve("quality", **options)
