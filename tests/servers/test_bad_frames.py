"""Tests of wsnb.servers.bad_frames."""

from __future__ import annotations

import unittest

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from wsnb.servers import BadFramesLab, serve
from wsnb.servers.bad_frames import pattern

from .servers_support import bounded, with_timeouts


@with_timeouts
class BadFramesTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.server = await serve("bad-frames")
        self.addAsyncCleanup(bounded(self.server.close))

    async def client_close_code(self, query="", command=None, **options):
        """Connect (and send ``command``); return the code the client closed with."""
        async with connect(self.server.url + query, **options) as ws:
            if command is not None:
                await ws.send(command)
            with self.assertRaises(ConnectionClosedError) as raised:
                await ws.recv()
        self.assertIsNone(raised.exception.rcvd)  # the server never closed
        return raised.exception.sent.code

    async def test_lab(self):
        """serve("bad-frames") runs a BadFramesLab sending 2 MiB when oversized."""
        self.assertIsInstance(self.server.lab, BadFramesLab)
        self.assertEqual(self.server.lab.size, 2 * 2**20)

    async def test_invalid_utf8_query(self):
        """?send=invalid-utf8 sends a Text frame the client closes with 1007."""
        self.assertEqual(await self.client_close_code("?send=invalid-utf8"), 1007)
        self.assertEqual(self.server.lab.sent, ["invalid-utf8"])

    async def test_invalid_utf8_command(self):
        """The text command invalid-utf8 does the same after open."""
        self.assertEqual(await self.client_close_code(command="invalid-utf8"), 1007)

    async def test_invalid_utf8_without_compression(self):
        """Invalid UTF-8 is caught without permessage-deflate too."""
        code = await self.client_close_code("?send=invalid-utf8", compression=None)
        self.assertEqual(code, 1007)

    async def test_oversized_default(self):
        """oversized (2 MiB) exceeds the client's 1 MiB limit: it closes with 1009."""
        self.assertEqual(await self.client_close_code("?send=oversized"), 1009)
        self.assertEqual(
            await self.client_close_code(command="oversized", max_size=2**21 - 1), 1009
        )

    async def test_oversized_size(self):
        """?size=N or "oversized N" sends N deterministic bytes in one message."""
        async with connect(self.server.url + "?send=oversized&size=1000") as ws:
            self.assertEqual(await ws.recv(), pattern(1000))
            await ws.send("oversized 300")
            self.assertEqual(await ws.recv(), pattern(300))
        self.assertEqual(pattern(258)[254:], b"\xfe\xff\x00\x01")
        self.assertEqual(
            await self.client_close_code(command="oversized 100", max_size=99), 1009
        )

    async def test_size_option(self):
        """The size option sets the oversized message size."""
        async with serve("bad-frames", size=5) as server, connect(server.url) as ws:
            await ws.send("oversized")
            self.assertEqual(await ws.recv(), b"\x00\x01\x02\x03\x04")

    async def test_fragmented(self):
        """fragmented splits "é" across two frames; the client gets "café"."""
        async with connect(self.server.url + "?send=fragmented") as ws:
            self.assertEqual(await ws.recv(), "café")
            await ws.send("fragmented")
            self.assertEqual(await ws.recv(), "café")

    async def test_fragmented_invalid(self):
        """fragmented-invalid joins into invalid UTF-8: the client closes with 1007."""
        self.assertEqual(await self.client_close_code("?send=fragmented-invalid"), 1007)
        self.assertEqual(
            await self.client_close_code(command="fragmented-invalid"), 1007
        )

    async def test_command_errors(self):
        """Unknown commands get an error text listing the commands."""
        async with connect(self.server.url) as ws:
            for message, error in [
                ("hello", "unknown command 'hello'"),
                ("oversized lots", "size 'lots' is not 0-"),
                ("oversized -1", "size '-1' is not 0-"),
                (f"oversized {64 * 2**20 + 1}", "is not 0-67108864"),
                (b"invalid-utf8", "commands are text messages, not binary"),
            ]:
                with self.subTest(message=message):
                    await ws.send(message)
                    answer = await ws.recv()
                    self.assertTrue(answer.startswith("error: "), answer)
                    self.assertIn(error, answer)
                    self.assertIn('commands: "invalid-utf8", "oversized"', answer)
        self.assertEqual(self.server.lab.sent, [])

    async def test_bad_query(self):
        """An unknown ?send= or a bad ?size= is refused with HTTP 400."""
        for query in ("?send=nothing", "?send=oversized&size=big", "?size=-5"):
            with self.subTest(query=query):
                with self.assertRaises(InvalidStatus) as raised:
                    await connect(self.server.url + query)
                self.assertEqual(raised.exception.response.status_code, 400)
                self.assertIn(b"bad-frames: ", raised.exception.response.body)

    def test_bad_option(self):
        """A size option that is not an int from 0 to 64 MiB is refused."""
        for size in (-1, 64 * 2**20 + 1, 1.5, "10", True):
            with self.subTest(size=size), self.assertRaises(ValueError):
                serve("bad-frames", size=size)
