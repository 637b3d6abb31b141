"""Tests of wsnb.servers.big."""

from __future__ import annotations

import hashlib
import json
import unittest

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError

from wsnb.patterns import Reassembler, parse_chunk, split_message
from wsnb.servers import BigLab, big_payload, serve

from .servers_support import with_timeouts


@with_timeouts
class BigTests(unittest.IsolatedAsyncioTestCase):
    async def test_summaries(self):
        """Each message below the limit is answered with its kind, size and hash."""
        async with serve("big") as server:
            self.assertIsInstance(server.lab, BigLab)
            async with connect(server.url) as ws:
                await ws.send("héllo")
                self.assertEqual(json.loads(await ws.recv()), {
                    "type": "received", "kind": "text", "bytes": 6, "chunks": 0,
                    "sha256": hashlib.sha256("héllo".encode()).hexdigest(),
                })
                await ws.send('{"not": "a command"}')
                self.assertEqual(json.loads(await ws.recv())["kind"], "text")
                await ws.send(b"\x00" * 1000)
                self.assertEqual(json.loads(await ws.recv())["bytes"], 1000)
            self.assertEqual(server.lab.received, 3)

    async def test_too_big(self):
        """A message over max_size closes the connection with 1009."""
        async with serve("big", max_size=1000) as server:
            async with connect(server.url) as ws:
                await ws.send(b"\x00" * 1001)
                with self.assertRaises(ConnectionClosedError) as raised:
                    await ws.recv()
            self.assertEqual(raised.exception.rcvd.code, 1009)

    async def test_chunks_in_and_out(self):
        """Chunks are reassembled on the way in; large messages go out whole or as chunks."""
        async with serve("big") as server:
            async with connect(server.url, max_size=None) as ws:
                payload = big_payload(100_000)
                for chunk in split_message(payload, 16 * 1024, 3):
                    await ws.send(chunk)
                summary = json.loads(await ws.recv())
                self.assertEqual((summary["bytes"], summary["chunks"]), (100_000, 7))
                self.assertEqual(summary["sha256"], hashlib.sha256(payload).hexdigest())
                await ws.send('{"send": 70000}')
                self.assertEqual(await ws.recv(), big_payload(70_000))
                await ws.send('{"send": 70000, "text": true, "chunk_size": 30000}')
                reassembler = Reassembler()
                parts = [parse_chunk(await ws.recv()) for _ in range(3)]
                self.assertEqual([reassembler.feed(p) for p in parts][-1], big_payload(70_000, text=True))
                await ws.send(split_message(b"x", 100, 0)[0][:3] + b"\x09" + bytes(13))
                self.assertEqual(json.loads(await ws.recv())["type"], "error")
                for bad in ({"send": -1}, {"send": 1, "text": "yes"}, {"send": 1, "chunk_size": 10}):
                    await ws.send(json.dumps(bad))
                    self.assertEqual(json.loads(await ws.recv())["type"], "error")

    def test_payload(self):
        """big_payload is deterministic bytes or letters."""
        self.assertEqual(big_payload(3), b"\x00\x01\x02")
        self.assertEqual(big_payload(252)[-1], 0)
        self.assertEqual(big_payload(28, text=True), "abcdefghijklmnopqrstuvwxyzab")

    def test_bad_options(self):
        """Sizes must be ints from 1 byte to 256 MiB."""
        for options in ({"max_size": 0}, {"max_send": 2**30}, {"max_message": "big"}):
            with self.subTest(**options), self.assertRaises(ValueError):
                serve("big", **options)
