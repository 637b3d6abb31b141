"""The stream lab (wsnb/servers/stream.py)."""

from __future__ import annotations

import unittest

from websockets.asyncio.client import connect

from wsnb.servers import serve
from wsnb.servers.stream import frame



class StreamTests(unittest.IsolatedAsyncioTestCase):
    async def test_text_burst(self) -> None:
        """'stream N SIZE' pushes N text messages of SIZE bytes, in order, then a summary."""
        async with serve("stream") as server, connect(server.url) as ws:
            await ws.send("stream 25 3")
            messages = [await ws.recv() for _ in range(26)]
        self.assertEqual(messages[:25], [str(k % 10) * 3 for k in range(25)])
        self.assertEqual(messages[25], "streamed 25")
        self.assertEqual(server.lab.streamed, 25)

    async def test_binary_burst(self) -> None:
        """'stream N SIZE binary' pushes binary messages, including sizes that need long headers."""
        async with serve("stream") as server, connect(server.url, max_size=None) as ws:
            await ws.send("stream 2 70000 binary")
            first, second, summary = [await ws.recv() for _ in range(3)]
        self.assertEqual((first, second), (b"0" * 70000, b"1" * 70000))
        self.assertEqual(summary, "streamed 2")

    async def test_echo_and_errors(self) -> None:
        """Other messages are echoed; a malformed or too large command gets an error text."""
        async with serve("stream") as server, connect(server.url) as ws:
            for message, reply in [
                ("hello", "hello"),
                (b"\x00", b"\x00"),
                ("stream x 3", "error: send 'stream N SIZE' or 'stream N SIZE binary' with N, SIZE >= 0"),
                ("stream 2 3 text", "error: send 'stream N SIZE' or 'stream N SIZE binary' with N, SIZE >= 0"),
                ("stream 100000000 1000", "error: 100000000 x 1000 B is more than the 64 MiB a command may queue"),
            ]:
                await ws.send(message)
                self.assertEqual(await ws.recv(), reply)

    def test_frame_lengths(self) -> None:
        """Frames use the 7-bit, 16-bit and 64-bit length forms."""
        self.assertEqual(frame(b"ab", False)[:2], b"\x81\x02")
        self.assertEqual(frame(b"a" * 200, True)[:4], b"\x82\x7e\x00\xc8")
        self.assertEqual(frame(b"a" * 70000, True)[:2], b"\x82\x7f")
