"""Tests of wsnb.patterns.ratelimited, against the rate-limit lab server."""

from __future__ import annotations

import unittest

from wsnb import InvalidStateError, WebSocket
from wsnb.patterns import RateLimited
from wsnb.servers import serve

from .patterns_support import TIMEOUT, FakeClock, bounded, closed, with_timeouts


@with_timeouts
class RateLimitedTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.echo = await serve("echo")
        self.addAsyncCleanup(bounded(self.echo.close))

    async def test_sliding_window(self):
        """At most max_messages in any `per` seconds; refusals are counted and timed."""
        clock = FakeClock(100.0)
        limited = RateLimited(self.echo.url, max_messages=3, per=1.0, clock=clock)
        await limited.wait_for("open", timeout=TIMEOUT)
        self.assertEqual([limited.send(str(i)) for i in range(5)], [True, True, True, False, False])
        self.assertEqual((limited.sent, limited.refused), (3, 2))
        self.assertEqual(limited.retry_after(), 1.0)
        clock.advance(0.5)
        self.assertEqual(limited.retry_after(), 0.5)
        self.assertFalse(limited.send("still too soon"))
        clock.advance(0.5)
        self.assertEqual(limited.retry_after(), 0.0)
        self.assertTrue(limited.send("a slot is free"))
        replies = limited.record("message")
        await replies.wait(4, timeout=TIMEOUT)
        self.assertEqual(replies.data, ["0", "1", "2", "a slot is free"])
        self.assertIn("limit=3/1.0s sent=4 refused=3", repr(limited))
        await closed(limited)

    async def test_send_when_allowed_waits(self):
        """send_when_allowed sleeps exactly until the window has room."""
        clock = FakeClock()
        limited = RateLimited(self.echo.url, max_messages=3, per=1.0, clock=clock, sleep=clock.sleep)
        await limited.wait_for("open", timeout=TIMEOUT)
        for i in range(7):
            await limited.send_when_allowed(str(i))
        self.assertEqual(clock.slept, [1.0, 1.0])
        self.assertEqual(clock.now, 2.0)
        self.assertEqual(limited.sent, 7)
        await closed(limited)

    async def test_connecting_uses_no_slot(self):
        """send() while CONNECTING raises InvalidStateError and uses no slot (the reference's bug)."""
        limited = RateLimited(self.echo.url, max_messages=1, clock=FakeClock())
        with self.assertRaises(InvalidStateError):
            limited.send("early")
        await limited.wait_for("open", timeout=TIMEOUT)
        self.assertTrue(limited.send("first"))
        await closed(limited)

    async def test_over_rate_client_is_closed_with_1008(self):
        """A client that ignores the limit is closed by the server with 1008 and the limit as reason."""
        async with serve("rate-limit", max_messages=10, per=60) as server:
            ws = WebSocket(server.url)
            await ws.wait_for("open", timeout=TIMEOUT)
            for i in range(20):
                ws.send(str(i))
            close = await ws.wait_for("close", timeout=TIMEOUT)
            self.assertEqual(close.code, 1008)
            self.assertEqual(close.reason, "rate limit: more than 10 messages in 60.0 s")
            self.assertEqual(server.lab.limited, 1)
            self.assertEqual(server.lab.messages, 10)

    async def test_limited_client_stays_under_the_server_limit(self):
        """A client limited to half the server's rate sends everything and is never closed."""
        async with serve("rate-limit", max_messages=10, per=0.1, code=4003) as server:
            limited = RateLimited(server.url, max_messages=5, per=0.1)
            await limited.wait_for("open", timeout=TIMEOUT)
            replies = limited.record("message")
            for i in range(20):
                await limited.send_when_allowed(str(i))
            await replies.wait(20, timeout=TIMEOUT)
            self.assertEqual(replies.data, [str(i) for i in range(20)])
            self.assertGreater(limited.refused, 0)  # it did have to wait
            self.assertEqual(server.lab.limited, 0)
            close = await closed(limited, 1000)
            self.assertEqual(close.code, 1000)

    async def test_unlimited_client_gets_4003(self):
        """The same server closes an unlimited client with its code, 4003."""
        async with serve("rate-limit", max_messages=10, per=60, code=4003) as server:
            ws = WebSocket(server.url)
            await ws.wait_for("open", timeout=TIMEOUT)
            for i in range(11):
                ws.send(str(i))
            close = await ws.wait_for("close", timeout=TIMEOUT)
            self.assertEqual(close.code, 4003)

    def test_bad_arguments(self):
        """max_messages must be >= 1 and per > 0."""
        with self.assertRaises(ValueError):
            RateLimited(factory=lambda: None, max_messages=0)
        with self.assertRaises(ValueError):
            RateLimited(factory=lambda: None, per=0)
