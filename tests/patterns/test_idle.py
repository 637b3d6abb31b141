"""Tests of wsnb.patterns.idle."""

from __future__ import annotations

import unittest

from wsnb import InvalidStateError, ReadyState, WebSocket
from wsnb.patterns import Heartbeat, Idle
from wsnb.servers import serve

from .patterns_support import TIMEOUT, bounded, closed, next_event, with_timeouts


@with_timeouts
class IdleTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.echo = await serve("echo")
        self.addAsyncCleanup(bounded(self.echo.close))

    async def test_slow_mode(self):
        """pause() slows the heartbeat, resume() restores it; idle and active events report both."""
        idle = Idle(self.echo.url, active_interval=30, idle_interval=300)
        self.assertIsInstance(idle.socket, Heartbeat)
        await idle.wait_for("open", timeout=TIMEOUT)
        self.assertEqual(idle.socket.interval, 30)
        idle.pause()
        self.assertTrue(idle.paused)
        self.assertEqual(idle.socket.interval, 300)
        await idle.wait_for("idle", timeout=TIMEOUT)
        self.assertEqual(idle.readyState, ReadyState.OPEN)
        idle.resume()
        await idle.wait_for("active", timeout=TIMEOUT)
        self.assertEqual((idle.socket.interval, idle.paused, idle.pauses), (30, False, 1))
        await closed(idle)

    async def test_pauses_by_itself_and_send_resumes(self):
        """With idle_after, it pauses after a quiet spell; send() in slow mode resumes it."""
        idle = Idle(self.echo.url, idle_after=0.02, active_interval=30, idle_interval=300)
        await idle.wait_for("idle", timeout=TIMEOUT)
        self.assertTrue(idle.paused)
        active = next_event(idle, "active")
        reply = next_event(idle, "message")
        idle.send("wake up")
        await active
        self.assertEqual((await reply).data, "wake up")
        self.assertEqual(idle.socket.interval, 30)
        await idle.wait_for("idle", timeout=TIMEOUT)  # and it goes idle again
        self.assertEqual(idle.pauses, 2)
        await closed(idle)

    async def test_close_mode(self):
        """pause() closes with 1000 'idle' (no close event); resume() opens a new connection."""
        made = []

        def factory():
            made.append(WebSocket(self.echo.url))
            return made[-1]

        idle = Idle(factory=factory, mode="close")
        await idle.wait_for("open", timeout=TIMEOUT)
        closes = idle.record("close")
        idle.pause()
        self.assertEqual(made[0].readyState, ReadyState.CLOSING)
        self.assertEqual(idle.readyState, ReadyState.CONNECTING)  # at once, not CLOSING
        first_close = await made[0].wait_for("close", timeout=TIMEOUT)
        self.assertEqual((first_close.code, first_close.reason), (1000, "idle"))
        self.assertEqual(idle.readyState, ReadyState.CONNECTING)  # paused, not finished
        self.assertEqual(len(closes), 0)
        with self.assertRaisesRegex(InvalidStateError, "paused"):
            idle.send("while paused")
        idle.resume()
        idle.resume()  # a second resume makes no second connection
        await idle.wait_for("open", timeout=TIMEOUT)
        self.assertEqual(len(made), 2)
        reply = next_event(idle, "message")
        idle.send("back")
        self.assertEqual((await reply).data, "back")
        close = await closed(idle, 1000, "bye")
        self.assertEqual((close.code, close.reason), (1000, "bye"))
        self.assertEqual(len(closes), 1)
        self.assertEqual(idle.readyState, ReadyState.CLOSED)
        self.assertIn("mode='close'", repr(idle))

    async def test_resume_before_the_close_completes(self):
        """resume() right after pause() (still CLOSING) opens a new connection; the old close is ignored."""
        idle = Idle(self.echo.url, mode="close", idle_after=None)
        await idle.wait_for("open", timeout=TIMEOUT)
        first = idle.socket
        idle.pause()
        self.assertEqual(first.readyState, ReadyState.CLOSING)
        idle.resume()
        self.assertIsNot(idle.socket, first)
        await idle.wait_for("open", timeout=TIMEOUT)
        await first.wait_for("close", timeout=TIMEOUT)
        self.assertNotIn("close", idle._seen)
        await closed(idle)

    async def test_close_while_paused(self):
        """close() while paused in close mode ends it with the last connection's close."""
        idle = Idle(self.echo.url, mode="close")
        await idle.wait_for("open", timeout=TIMEOUT)
        idle.pause()
        await idle.socket.wait_for("close", timeout=TIMEOUT)
        close = await closed(idle)
        self.assertEqual((close.code, close.reason), (1000, "idle"))
        idle.resume()  # nothing happens once closed
        idle.pause()
        self.assertEqual(idle.readyState, ReadyState.CLOSED)

    async def test_connection_lost_is_the_end(self):
        """A connection that ends by itself (not paused) ends the Idle socket."""
        async with serve("close-lab") as server:
            idle = Idle(server.url, mode="close")
            await idle.wait_for("open", timeout=TIMEOUT)
            errors = idle.record("error")
            idle.send('{"drop": true}')
            close = await idle.wait_for("close", timeout=TIMEOUT)
            self.assertEqual(close.code, 1006)
            self.assertEqual(len(errors), 1)
            self.assertEqual(idle.bufferedAmount, 0)
            self.assertEqual(idle.url, server.url)

    def test_bad_arguments(self):
        """The mode must be known; slow mode needs a socket with an interval."""
        with self.assertRaises(ValueError):
            Idle(factory=lambda: None, mode="sleep")
        with self.assertRaises(ValueError):
            Idle(factory=lambda: None, idle_after=-1)

    async def test_slow_mode_needs_a_heartbeat(self):
        """mode='slow' with a plain WebSocket is a TypeError."""
        with self.assertRaisesRegex(TypeError, "settable interval"):
            Idle(factory=lambda: WebSocket(self.echo.url))
