"""Tests of wsnb.patterns.backpressure, with the slow-reader lab server."""

from __future__ import annotations

import asyncio
from array import array
import json
import unittest

from wsnb import Blob, InvalidStateError, SocketClosed
from wsnb.patterns import Backpressure
from wsnb.servers import aspawn, serve

from .patterns_support import TIMEOUT, bounded, closed, with_timeouts

CHUNK = b"\x00" * 64 * 1024


@with_timeouts
class BackpressureTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.server = await serve("slow-reader", pause_seconds=None)
        self.addAsyncCleanup(bounded(self.server.close))

    async def stats(self, socket: Backpressure) -> dict:
        reply = asyncio.ensure_future(socket.wait_for("message", timeout=TIMEOUT))
        socket.send("stats")
        return json.loads((await reply).data)

    async def test_refuses_past_high_water(self):
        """send() accepts while bufferedAmount plus the message fits under high_water, then refuses."""
        socket = Backpressure(self.server.url, high_water=4 * len(CHUNK))
        await socket.wait_for("open", timeout=TIMEOUT)
        # bufferedAmount grows inside send(), so this is decided before any byte leaves.
        self.assertEqual([socket.send(CHUNK) for _ in range(6)], [True] * 4 + [False] * 2)
        self.assertEqual(socket.bufferedAmount, 4 * len(CHUNK))
        self.assertEqual((socket.sent, socket.refused), (4, 2))
        await socket.drain(timeout=TIMEOUT)
        self.assertEqual(await self.stats(socket), {"messages": 4, "bytes": 4 * len(CHUNK)})
        await closed(socket)

    async def test_waits_for_room(self):
        """While the server does not read, the buffer stays full: drain() and send_when_ready() wait."""
        socket = Backpressure(self.server.url, high_water=4 * 2**20, low_water=2**20)
        await socket.wait_for("open", timeout=TIMEOUT)
        socket.send("pause")
        await self.server.lab.wait_paused()
        # 12 MiB straight into the wrapped socket: more than the kernel's
        # buffers (at most 4 MiB here) can take while the server does not read.
        for _ in range(192):
            socket.socket.send(CHUNK)
        self.assertFalse(socket.send(CHUNK))
        with self.assertRaisesRegex(TimeoutError, "still"):
            await socket.drain(timeout=0.05)
        self.assertGreater(socket.bufferedAmount, socket.high_water)
        waiting = asyncio.ensure_future(socket.send_when_ready(CHUNK, timeout=TIMEOUT))
        done, _ = await asyncio.wait([waiting], timeout=0.02)
        self.assertEqual(done, set())  # still no room
        self.server.lab.resume()
        await waiting
        await socket.drain(timeout=TIMEOUT)
        self.assertLessEqual(socket.bufferedAmount, socket.low_water)
        self.assertEqual(await self.stats(socket), {"messages": 193, "bytes": 193 * len(CHUNK)})
        await closed(socket)

    async def test_large_message_on_an_empty_buffer(self):
        """A message larger than high_water alone is allowed when nothing is buffered."""
        socket = Backpressure(self.server.url, high_water=1000, low_water=0)
        await socket.wait_for("open", timeout=TIMEOUT)
        self.assertTrue(socket.send(b"x" * 5000))
        self.assertFalse(socket.send(b"y"))  # 5000 buffered: no room
        await socket.send_when_ready(Blob([b"z" * 10]), timeout=TIMEOUT)
        await socket.drain(timeout=TIMEOUT)
        self.assertEqual(await self.stats(socket), {"messages": 2, "bytes": 5010})
        await closed(socket)

    async def test_send_when_ready_does_not_spin(self):
        """A message bigger than high_water - low_water waits until it fits, without busy-waiting."""
        sleeps = []

        async def sleep(seconds):
            sleeps.append(seconds)
            await asyncio.sleep(seconds)

        socket = Backpressure(self.server.url, high_water=100_000, low_water=90_000, poll_interval=0.001, sleep=sleep)
        await socket.wait_for("open", timeout=TIMEOUT)
        socket.send(b"a" * 50_000)
        await socket.send_when_ready(b"b" * 80_000, timeout=TIMEOUT)
        self.assertEqual(socket.sent, 2)
        self.assertTrue(all(s == 0.001 for s in sleeps))
        await closed(socket)

    async def test_any_buffer(self):
        """Any buffer counts by its size in bytes, as WebSocket.send() takes it (array.array: 8 bytes a double)."""
        socket = Backpressure(self.server.url, high_water=40)
        await socket.wait_for("open", timeout=TIMEOUT)
        self.assertTrue(socket.send(array("d", [1.0] * 4)))  # 32 bytes
        self.assertFalse(socket.send(array("d", [2.0, 3.0])))  # 32 + 16 would pass 40
        await socket.drain(timeout=TIMEOUT)
        self.assertEqual(await self.stats(socket), {"messages": 1, "bytes": 32})
        await closed(socket)

    async def test_states(self):
        """send() raises while CONNECTING and once closing: a closed socket would drop the data silently."""
        socket = Backpressure(self.server.url)
        with self.assertRaises(InvalidStateError):
            socket.send("early")
        await socket.wait_for("open", timeout=TIMEOUT)
        socket.close()
        with self.assertRaisesRegex(InvalidStateError, "silently discard"):
            socket.send("late")
        with self.assertRaises(TypeError):
            socket.send(42)
        await socket.wait_for("close", timeout=TIMEOUT)
        self.assertIn("high_water=1048576", repr(socket))

    async def test_drain_fails_when_the_connection_dies(self):
        """The server dies with data still buffered: drain() raises SocketClosed instead of waiting forever."""
        process = await aspawn("slow-reader", pause_seconds=None)
        self.addAsyncCleanup(bounded(process.aclose))
        socket = Backpressure(process.url, high_water=20 * 2**20, low_water=2**20)
        await socket.wait_for("open", timeout=TIMEOUT)
        socket.send("pause")
        for _ in range(160):  # 10 MiB: more than the kernel buffers while the server is paused
            socket.send(CHUNK)
        draining = asyncio.ensure_future(socket.drain(timeout=TIMEOUT))
        done, _ = await asyncio.wait([draining], timeout=0.05)
        self.assertEqual(done, set())
        process.kill()
        with self.assertRaises(SocketClosed):
            await draining
        self.assertGreater(socket.bufferedAmount, socket.low_water)  # that data is lost

    def test_bad_arguments(self):
        """low_water may not exceed high_water."""
        with self.assertRaises(ValueError):
            Backpressure(factory=lambda: None, high_water=10, low_water=20)
        with self.assertRaises(ValueError):
            Backpressure(factory=lambda: None, poll_interval=-1)
