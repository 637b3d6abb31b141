"""Tests of wsnb.servers.echo."""

from __future__ import annotations

import unittest

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError

from wsnb.servers import EchoLab, serve

from .servers_support import bounded, with_timeouts


@with_timeouts
class EchoTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.server = await serve("echo")
        self.addAsyncCleanup(bounded(self.server.close))

    async def test_lab(self):
        """serve("echo") runs an EchoLab."""
        self.assertIsInstance(self.server.lab, EchoLab)
        self.assertEqual(self.server.name, "echo")

    async def test_text_stays_text(self):
        """A Text message comes back as the same text."""
        async with connect(self.server.url) as ws:
            await ws.send("héllo")
            self.assertEqual(await ws.recv(), "héllo")

    async def test_binary_stays_binary(self):
        """A Binary message comes back as the same bytes, even valid UTF-8."""
        async with connect(self.server.url) as ws:
            await ws.send(b"hello")
            self.assertEqual(await ws.recv(), b"hello")
            await ws.send(b"\x00\xff")
            self.assertEqual(await ws.recv(), b"\x00\xff")

    async def test_empty_messages(self):
        """Empty text and empty binary messages keep their type."""
        async with connect(self.server.url) as ws:
            await ws.send("")
            self.assertEqual(await ws.recv(), "")
            await ws.send(b"")
            self.assertEqual(await ws.recv(), b"")

    async def test_order_and_counters(self):
        """Messages come back in order; the lab counts connections and messages."""
        async with connect(self.server.url) as ws1, connect(self.server.url) as ws2:
            for i in range(5):
                await ws1.send(f"one {i}")
            await ws2.send(b"two")
            self.assertEqual(
                [await ws1.recv() for _ in range(5)], [f"one {i}" for i in range(5)]
            )
            self.assertEqual(await ws2.recv(), b"two")
        self.assertEqual(self.server.lab.connections, 2)
        self.assertEqual(self.server.lab.messages, 6)

    async def test_message_too_big(self):
        """A message over 1 MiB closes the connection with 1009."""
        async with connect(self.server.url, max_size=None) as ws:
            await ws.send(b"\x00" * (2**20 + 1))
            with self.assertRaises(ConnectionClosedError) as raised:
                await ws.recv()
        self.assertEqual(raised.exception.rcvd.code, 1009)
        # The server goes on serving.
        async with connect(self.server.url) as ws:
            await ws.send("still here")
            self.assertEqual(await ws.recv(), "still here")

    def test_no_options(self):
        """The echo lab has no options."""
        with self.assertRaises(TypeError):
            serve("echo", size=1)
