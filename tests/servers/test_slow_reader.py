"""Tests of wsnb.servers.slow_reader."""

from __future__ import annotations

import asyncio
import json
import unittest

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedOK

from wsnb.servers import SlowReaderLab, serve

from .servers_support import MS, with_timeouts

CHUNK = bytes(range(256)) * 256  # 64 KiB
COUNT = 128  # 8 MiB in all: far more than the kernel buffers between client and server


async def send_all(ws, count=COUNT):
    """Send ``count`` chunks of 64 KiB, each awaited like a careful client."""
    for _ in range(count):
        await ws.send(CHUNK)


@with_timeouts
class SlowReaderTests(unittest.IsolatedAsyncioTestCase):
    async def stats(self, ws):
        await ws.send("stats")
        return json.loads(await ws.recv())

    async def test_lab(self):
        """serve("slow-reader") runs a SlowReaderLab pausing 2 s by default."""
        async with serve("slow-reader") as server:
            self.assertIsInstance(server.lab, SlowReaderLab)
            self.assertEqual(server.lab.pause_seconds, 2.0)
            self.assertFalse(server.lab.paused)

    async def test_counts_messages_and_bytes(self):
        """Data messages are counted, text in UTF-8 bytes; commands are not."""
        async with serve("slow-reader") as server:
            async with connect(server.url) as ws:
                self.assertEqual(await self.stats(ws), {"messages": 0, "bytes": 0})
                await ws.send("é")
                await ws.send(b"\x00" * 10)
                await ws.send("")
                self.assertEqual(await self.stats(ws), {"messages": 3, "bytes": 12})
            self.assertEqual(server.lab.received_messages, 3)
            self.assertEqual(server.lab.received_bytes, 12)

    async def test_pause_blocks_sends_until_resume(self):
        """While paused the server reads nothing: 8 MiB of sends cannot complete."""
        async with serve("slow-reader", pause_seconds=None) as server:
            lab = server.lab
            async with connect(server.url) as ws:
                await ws.send("pause")
                await lab.wait_paused()
                self.assertTrue(lab.paused)
                await lab.wait_paused()  # returns at once while paused
                sending = asyncio.create_task(send_all(ws))
                # The behaviour under test: the sends stay blocked.
                with self.assertRaises(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(sending), 500 * MS)
                self.assertEqual(lab.received_messages, 0)
                self.assertGreater(ws.transport.get_write_buffer_size(), 0)
                lab.resume()
                await sending
                self.assertEqual(
                    await self.stats(ws),
                    {"messages": COUNT, "bytes": COUNT * len(CHUNK)},
                )
            self.assertFalse(lab.paused)
            self.assertEqual(lab.received_bytes, 8 * 2**20)

    async def test_pause_ends_after_pause_seconds(self):
        """Without resume(), reading starts again after pause_seconds."""
        async with serve("slow-reader", pause_seconds=100 * MS) as server:
            async with connect(server.url) as ws:
                await ws.send("pause")
                await server.lab.wait_paused()
                await send_all(ws)
                self.assertEqual((await self.stats(ws))["messages"], COUNT)
            self.assertFalse(server.lab.paused)

    async def test_pause_again(self):
        """A connection can pause again after a pause ended."""
        async with (
            serve("slow-reader", pause_seconds=None) as server,
            connect(server.url) as ws,
        ):
            for count in (1, 2):
                await ws.send("pause")
                await server.lab.wait_paused()
                await ws.send(b"x")
                server.lab.resume()
                self.assertEqual(
                    await self.stats(ws), {"messages": count, "bytes": count}
                )

    async def test_resume_without_pause(self):
        """resume() when nothing is paused does nothing."""
        async with serve("slow-reader") as server:
            server.lab.resume()
            self.assertFalse(server.lab.paused)

    async def test_close_while_paused(self):
        """Closing the server resumes paused connections and closes them with 1001."""
        server = await serve("slow-reader", pause_seconds=None)
        async with connect(server.url) as ws:
            await ws.send("pause")
            await server.lab.wait_paused()
            await ws.send("unread")
            await server.close()
            with self.assertRaises(ConnectionClosedOK) as raised:
                await ws.recv()
        self.assertEqual(raised.exception.rcvd.code, 1001)
        self.assertEqual(server.lab.received_messages, 1)

    def test_bad_option(self):
        """pause_seconds must be None or a number of seconds from 0 to 3600."""
        for value in (-1, 3601, "2", True):
            with self.subTest(pause_seconds=value), self.assertRaises(ValueError):
                serve("slow-reader", pause_seconds=value)
