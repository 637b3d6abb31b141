"""Tests of wsnb.patterns.heartbeat, and of protocol-level pings for comparison."""

from __future__ import annotations

import asyncio
import json
import unittest

from wsnb import InvalidAccessError, WebSocket
from wsnb.patterns import Heartbeat, Reconnecting, should_reconnect
from wsnb.servers import serve

from .patterns_support import TIMEOUT, TickClock, bounded, closed, quick, with_timeouts


@with_timeouts
class HeartbeatTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.silent = await serve("silent", answer=2)
        self.addAsyncCleanup(bounded(self.silent.close))

    async def test_times_out_when_pongs_stop(self):
        """Two pings are answered, the third is not: close with 4000 after the timeout."""
        heartbeat = Heartbeat(self.silent.url, interval=0.01, timeout=0.05, clock=TickClock())
        messages = heartbeat.record("message")
        close = await heartbeat.wait_for("close", timeout=TIMEOUT)
        self.assertEqual((close.code, close.reason, close.wasClean), (4000, "heartbeat timeout", True))
        self.assertEqual((heartbeat.pings, heartbeat.pongs, heartbeat.timeouts), (3, 2, 1))
        self.assertEqual(self.silent.lab.pongs, 2)
        self.assertEqual(len(messages), 0)  # pongs are hidden
        self.assertEqual(heartbeat.latency, 1.0)  # one tick of the clock between ping and pong
        self.assertFalse(heartbeat.waiting_for_pong)
        self.assertIn("latency=1000.0 ms", repr(heartbeat))

    async def test_sending_does_not_postpone_the_ping(self):
        """A client that sends steadily still pings, and notices the silence (the reference would not)."""
        async with serve("silent", answer=0) as silent:
            heartbeat = Heartbeat(silent.url, interval=0.03, timeout=0.03)
            await heartbeat.wait_for("open", timeout=TIMEOUT)
            loop = asyncio.get_running_loop()
            sending = []

            def chatter():
                if heartbeat.readyState == Heartbeat.OPEN:
                    heartbeat.send("data")
                    sending.append(loop.call_later(0.005, chatter))

            chatter()
            close = await heartbeat.wait_for("close", timeout=TIMEOUT)
            sending[-1].cancel()
            self.assertEqual(close.code, 4000)
            self.assertGreater(len(sending), 1)
            self.assertEqual(heartbeat.pings, 1)

    async def test_any_message_is_a_sign_of_life(self):
        """Against an echo server the echoed ping counts; with hide_pongs=False pongs are messages."""
        async with serve("echo") as echo:
            heartbeat = Heartbeat(echo.url, interval=0.01, timeout=1.0, pong="ping", hide_pongs=False)
            replies = heartbeat.record("message")
            await replies.wait(3, timeout=TIMEOUT)
            self.assertEqual(replies.data, ["ping"] * 3)
            self.assertGreaterEqual(heartbeat.pongs, 3)
            self.assertEqual(heartbeat.timeouts, 0)
            await closed(heartbeat)
            self.assertEqual(heartbeat._timers.pending, 0)

    async def test_json_pings(self):
        """is_pong recognises structured pongs; other messages still reach listeners."""
        heartbeat = Heartbeat(
            self.silent.url,
            interval=0.01,
            timeout=0.05,
            ping=json.dumps({"type": "ping", "n": 1}),
            is_pong=lambda data: json.loads(data).get("type") == "pong",
        )
        await heartbeat.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(heartbeat.pongs, 2)

    async def test_is_pong_failure_is_reported(self):
        """An exception in is_pong is logged and the message is passed on."""
        async with serve("echo") as echo:
            heartbeat = Heartbeat(echo.url, interval=60, is_pong=lambda data: 1 / 0)
            await heartbeat.wait_for("open", timeout=TIMEOUT)
            with self.assertLogs("wsnb.patterns", "ERROR"):
                heartbeat.send("hello")
                event = await heartbeat.wait_for("message", timeout=TIMEOUT)
            self.assertEqual(event.data, "hello")
            await closed(heartbeat)

    async def test_interval_change_reschedules(self):
        """Setting interval reschedules the running timer (the reference's changed number does nothing)."""
        async with serve("silent", answer=0) as silent:
            heartbeat = Heartbeat(silent.url, interval=3600, timeout=0.01)
            await heartbeat.wait_for("open", timeout=TIMEOUT)
            heartbeat.interval = 0.01
            self.assertEqual(heartbeat.interval, 0.01)
            close = await heartbeat.wait_for("close", timeout=TIMEOUT)
            self.assertEqual(close.code, 4000)

    async def test_dead_peer_close_times_out(self):
        """A deaf server never answers the Close frame: the close event comes after close_timeout, 1006."""
        async with serve("silent", answer=1, deaf=True) as silent:
            heartbeat = Heartbeat(
                factory=lambda: WebSocket(silent.url, close_timeout=0.05), interval=0.01, timeout=0.05
            )
            close = await heartbeat.wait_for("close", timeout=TIMEOUT)
            self.assertEqual((close.code, close.wasClean), (1006, False))
            self.assertEqual((heartbeat.pongs, heartbeat.timeouts), (1, 1))

    async def test_with_reconnecting(self):
        """Reconnecting around Heartbeat, told to retry after 4000, opens a new connection each timeout."""
        socket = Reconnecting(
            factory=lambda: Heartbeat(self.silent.url, interval=0.01, timeout=0.03),
            delays=quick,
            should_reconnect=lambda event: event.code == 4000 or should_reconnect(event),
        )
        losses = socket.record("reconnect")
        await losses.wait(2, timeout=TIMEOUT)
        self.assertEqual([e.code for e in losses][:2], [4000, 4000])
        await closed(socket)
        # Each connection answered its two pings before falling silent.
        self.assertGreaterEqual(self.silent.lab.connections, 2)
        self.assertGreaterEqual(self.silent.lab.pongs, 4)

    async def test_close_stops_the_timers(self):
        """close() stops pinging at once."""
        heartbeat = Heartbeat(self.silent.url, interval=0.01, timeout=1.0)
        await heartbeat.wait_for("open", timeout=TIMEOUT)
        close = await closed(heartbeat, 1000)
        self.assertEqual(close.code, 1000)
        self.assertEqual(heartbeat._timers.pending, 0)

    def test_bad_arguments(self):
        """Bad intervals and timeout codes are refused."""
        with self.assertRaises(ValueError):
            Heartbeat(factory=lambda: None, interval=-1)
        with self.assertRaises(InvalidAccessError):
            Heartbeat(factory=lambda: None, timeout_code=1001)
        with self.assertRaises(TypeError):
            Heartbeat(factory=lambda: None, timeout_code=None)


@with_timeouts
class ProtocolPingTests(unittest.IsolatedAsyncioTestCase):
    """Protocol-level Ping/Pong: invisible to the WebSocket API, visible in wsnb's frame log."""

    async def test_pings_answered_by_the_library(self):
        """With ping_interval, ping frames go out and pong frames come back, with no message event."""
        async with serve("echo") as echo:
            ws = WebSocket(echo.url, ping_interval=0.01, record_frames=True)
            await ws.wait_for("open", timeout=TIMEOUT)
            replies = ws.record("message")
            # Each echo is an event to wait on; stop once a pong was logged.
            for count in range(1, 1000):
                ws.send(str(count))
                await replies.wait(count, timeout=TIMEOUT)
                if any(f.opcode == "pong" and f.direction == "received" for f in ws.frames):
                    break
            opcodes = {(f.direction, f.opcode) for f in ws.frames}
            self.assertIn(("sent", "ping"), opcodes)
            self.assertIn(("received", "pong"), opcodes)
            self.assertEqual(replies.data, [str(i) for i in range(1, count + 1)])
            ws.close()
            await ws.wait_for("close", timeout=TIMEOUT)

    async def test_deaf_server_fails_keepalive(self):
        """A server that stops reading never answers a ping: the connection fails (1006, "timeout")."""
        async with serve("silent", answer=0, deaf=True) as silent:
            ws = WebSocket(silent.url, ping_interval=0.02, ping_timeout=0.05, close_timeout=0.05, record_frames=True)
            close = await ws.wait_for("close", timeout=TIMEOUT)
            self.assertEqual((close.code, close.wasClean), (1006, False))
            self.assertEqual(ws.failure.kind, "timeout")
            self.assertIn(("sent", "ping"), {(f.direction, f.opcode) for f in ws.frames})
            self.assertNotIn(("received", "pong"), {(f.direction, f.opcode) for f in ws.frames})
