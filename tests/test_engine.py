"""The engine over websockets' Sans-I/O layer (wsnb/_engine/), against real servers on loopback.

Servers here write raw frames in one burst, so that several frames (whole,
fragmented, control, Close) reach the client in one read: each must be
handled in order, exactly as a browser would dispatch them.
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

TEXT, BINARY, CONTINUATION, PING = 0x1, 0x2, 0x0, 0x9


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


class BurstTests(unittest.IsolatedAsyncioTestCase):
    async def receive_burst(self) -> list[Any]:
        async with BurstServer(BURST) as url:
            conn = await open_connection(url, [], EngineOptions(compression=None))
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
        """Whole and fragmented, text and binary messages arrive whole and in order, even before pump()."""
        received = await self.receive_burst()
        self.assertEqual(received, EXPECTED)
        self.assertEqual([type(data) for data in received], [type(data) for data in EXPECTED])

    async def test_long_stream_arrives_whole(self) -> None:
        """5,000 messages streamed as fast as the server can write all arrive, in order."""
        async with serve("stream") as server:
            ws = WebSocket(server.url, compression=None)
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
        """Once the script calls close(), messages read in the same chunk are not dispatched."""
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


class SansIOEngineTests(unittest.IsolatedAsyncioTestCase):
    """The push engine over websockets' ClientProtocol, frame by frame."""

    async def test_messages_before_the_close_frame_come_first(self) -> None:
        """Messages read in the same chunk as the server's Close frame are dispatched, then CLOSING."""
        burst = server_frame(TEXT, b"last words") + server_frame(BINARY, b"\x01") + struct.pack("!BBH", 0x88, 2, 4001)
        async with BurstServer(burst) as url:
            ws = WebSocket(url, compression=None)
            ws.binaryType = "arraybuffer"
            seen: list[Any] = []
            ws.onmessage = lambda event: seen.append((event.data, ws.readyState.name))
            ws.watch_calls(lambda call, *details: seen.append((call, ws.readyState.name)))
            close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(seen, [("last words", "OPEN"), (b"\x01", "OPEN"), ("close-frame", "CLOSING")])
        self.assertEqual((close.code, close.wasClean), (4001, True))

    async def test_every_frame_recorded(self) -> None:
        """record_frames keeps fragments, a ping and the pong websockets answered, and both Close frames."""
        burst = b"".join([
            server_frame(TEXT, b"ab", fin=False),
            server_frame(CONTINUATION, b"c"),
            server_frame(PING, b"hi"),
        ])
        async with BurstServer(burst) as url:
            ws = WebSocket(url, compression=None, record_frames=True)
            message = await ws.wait_for("message", timeout=TIMEOUT)
            ws.close(1000)
            await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(message.data, "abc")
        self.assertEqual([str(frame) for frame in ws.frames], [
            "< text 2 B (fragment)", "< continuation 1 B", "< ping 2 B", "> pong 2 B",
            "> close 1000 ''", "< close 1000 ''",
        ])

    async def test_keepalive_pongs_carry_the_round_trip(self) -> None:
        """With ping_interval and record_frames, each answered ping shows its round-trip time."""
        async with serve("echo") as server:
            ws = WebSocket(server.url, ping_interval=0.02, record_frames=True)
            await ws.wait_for("open", timeout=TIMEOUT)
            replies = ws.record("message")
            deadline = asyncio.get_running_loop().time() + TIMEOUT
            # Each echo is a real event to wait for; pings go out meanwhile.
            while not any(frame.opcode == "pong" for frame in ws.frames):
                self.assertLess(asyncio.get_running_loop().time(), deadline, "no pong recorded")
                ws.send("tick")
                await replies.wait(len(replies) + 1, timeout=TIMEOUT)
            ws.close()
            await ws.wait_for("close", timeout=TIMEOUT)
        pong = next(frame for frame in ws.frames if frame.opcode == "pong")
        ping = next(frame for frame in ws.frames if frame.opcode == "ping")
        self.assertEqual((ping.direction, pong.direction, pong.size), ("sent", "received", 4))
        self.assertIsNotNone(pong.rtt)
        self.assertGreaterEqual(pong.rtt, 0.0)
        self.assertIn("round trip", str(pong))
        self.assertIsNone(ws.failure)

    async def test_keepalive_fails_a_silent_server(self) -> None:
        """With ping_interval, a server that never answers pings fails the connection: kind timeout, 1011 sent."""
        async with serve("silent", deaf=True) as server:
            ws = WebSocket(server.url, ping_interval=0.05, ping_timeout=0.1, close_timeout=0.2)
            await ws.wait_for("open", timeout=TIMEOUT)
            ws.send("silence")  # the server stops reading: no pong, no answer to a Close frame
            close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual((close.code, close.wasClean), (1006, False))
        self.assertEqual((ws.failure.kind, ws.failure.close_code), ("timeout", 1011))


class PublicApiTests(unittest.TestCase):
    def test_only_public_websockets_names(self) -> None:
        """Every name wsnb imports from websockets is in its module's __all__ (public API only)."""
        import ast
        import importlib
        from pathlib import Path

        package = Path(__file__).resolve().parents[1] / "wsnb"
        checked = 0
        for path in sorted(package.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("websockets"):
                    public = getattr(importlib.import_module(node.module), "__all__", [])
                    for alias in node.names:
                        with self.subTest(file=path.name, name=f"{node.module}.{alias.name}"):
                            self.assertIn(alias.name, public)
                            checked += 1
        self.assertGreater(checked, 20)


if __name__ == "__main__":
    unittest.main()
