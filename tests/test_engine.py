"""The adapter over websockets (wsnb/_engine.py), against real servers on loopback.

What reaches past websockets' public API is tested here directly: taking
whole messages from its frame queue must give exactly what ``recv()`` gives,
in the same order, whichever way each message comes.
"""

from __future__ import annotations

import asyncio
import struct
import unittest
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.asyncio.server import serve as websockets_serve

from wsnb import WebSocket
from wsnb._engine import EngineOptions, open_connection
from wsnb.servers import serve

from .support import TIMEOUT

TEXT, BINARY, CONTINUATION = 0x1, 0x2, 0x0


def server_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """An unmasked frame as a server writes it (payloads under 126 bytes)."""
    assert len(payload) < 126
    return struct.pack("!BB", (0x80 if fin else 0) | opcode, len(payload)) + payload


# Whole messages, a fragmented one between them, and binary: in one write,
# so that they reach the client in one read and wait in its frame queue.
BURST = b"".join([
    server_frame(TEXT, b"one"),
    server_frame(TEXT, "tw".encode(), fin=False),
    server_frame(CONTINUATION, "o\u00e9".encode()),
    server_frame(BINARY, b"\x00three"),
    server_frame(TEXT, "four \u2603".encode()),
    server_frame(BINARY, b"five", fin=False),
    server_frame(CONTINUATION, b"!", fin=True),
    server_frame(TEXT, b"six"),
])
EXPECTED = ["one", "two\u00e9", b"\x00three", "four \u2603", b"five!", "six"]


class BurstServer:
    """A server that writes ``burst`` in one piece after the handshake, then waits."""

    def __init__(self, burst: bytes) -> None:
        self.burst = burst

    async def handler(self, connection: ServerConnection) -> None:
        connection.transport.write(self.burst)
        await connection.wait_closed()

    async def __aenter__(self) -> str:
        self.server = await websockets_serve(self.handler, "127.0.0.1", 0, compression=None)
        port = self.server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}/"

    async def __aexit__(self, *exc: Any) -> None:
        self.server.close()
        await self.server.wait_closed()


class QueuedFramesTests(unittest.IsolatedAsyncioTestCase):
    async def test_installed_websockets_has_the_frame_queue(self) -> None:
        """With the websockets installed, the pump takes queued messages directly."""
        async with BurstServer(b"") as url:
            conn = await open_connection(url, [], EngineOptions(compression=None))
            try:
                self.assertTrue(conn.takes_queued_frames)
            finally:
                await conn.close(1000, "")

    async def receive_burst(self, *, without_queue: bool = False) -> list[Any]:
        async with BurstServer(BURST) as url:
            conn = await open_connection(url, [], EngineOptions(compression=None))
            if without_queue:
                # As with a websockets that lacks the queue: recv() alone.
                conn._assembler, conn._queued = None, ()
            received: list[Any] = []
            done = asyncio.get_running_loop().create_future()

            def on_message(data: Any) -> None:
                received.append(data)
                if len(received) == len(EXPECTED):
                    done.set_result(None)

            pump = asyncio.ensure_future(conn.pump(on_message, lambda: True))
            await asyncio.wait_for(done, TIMEOUT)
            await conn.close(1000, "")
            await asyncio.wait_for(pump, TIMEOUT)
        return received

    async def test_burst_in_order(self) -> None:
        """Whole and fragmented, text and binary messages come as recv() gives them, in order."""
        received = await self.receive_burst()
        self.assertEqual(received, EXPECTED)
        self.assertEqual([type(data) for data in received], [type(data) for data in EXPECTED])

    async def test_burst_without_the_queue(self) -> None:
        """Without the frame queue, recv() alone gives the same messages."""
        self.assertEqual(await self.receive_burst(without_queue=True), EXPECTED)

    async def test_reading_resumes_after_a_drained_queue(self) -> None:
        """With a tiny max_queue, reading pauses and resumes: a long stream arrives whole."""
        async with serve("stream") as server:
            ws = WebSocket(server.url, compression=None, max_queue=4)
            await ws.wait_for("open", timeout=TIMEOUT)
            messages = ws.record("message")
            ws.send("stream 5000 64")
            await messages.wait(5000, timeout=TIMEOUT)
            ws.close()
            await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual([len(data) for data in messages.data[:5000]], [64] * 5000)

    async def test_invalid_utf8_after_queued_messages(self) -> None:
        """Messages before a text frame that is not UTF-8 are delivered; then the connection fails (1007)."""
        burst = server_frame(TEXT, b"fine") + server_frame(BINARY, b"also fine") + server_frame(TEXT, b"\xff\xfe")
        async with BurstServer(burst) as url:
            ws = WebSocket(url, compression=None)
            ws.binaryType = "arraybuffer"
            messages = ws.record("message")
            close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(messages.data, ["fine", b"also fine"])
        self.assertEqual((close.code, close.wasClean), (1006, False))
        self.assertEqual((ws.failure.kind, ws.failure.close_code), ("invalid-utf8", 1007))

    async def test_script_close_stops_queued_messages(self) -> None:
        """Once the script calls close(), queued messages are not dispatched."""
        async with BurstServer(BURST) as url:
            ws = WebSocket(url, compression=None)
            seen: list[Any] = []

            def on_message(event: Any) -> None:
                seen.append(event.data)
                ws.close(1000)

            ws.onmessage = on_message
            close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(seen, ["one"])
        self.assertEqual(close.code, 1000)


if __name__ == "__main__":
    unittest.main()
