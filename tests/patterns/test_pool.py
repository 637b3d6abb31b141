"""Tests of wsnb.patterns.pool."""

from __future__ import annotations

import asyncio
import unittest

from wsnb import InvalidStateError, ReadyState
from wsnb.patterns import Pool, Reconnecting
from wsnb.servers import serve

from .patterns_support import TIMEOUT, bounded, closed, next_event, quick, with_timeouts


async def all_open(pool: Pool) -> None:
    await asyncio.gather(*(member.wait_for("open", timeout=TIMEOUT) for member in pool.connections))


@with_timeouts
class PoolTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.server = await serve("close-lab")
        self.echo = await serve("echo")
        self.addAsyncCleanup(bounded(self.server.close))
        self.addAsyncCleanup(bounded(self.echo.close))

    async def test_round_robin_and_messages(self):
        """send() goes round-robin; replies arrive as the pool's messages, source = member."""
        pool = Pool(self.echo.url, size=3)
        self.assertEqual(pool.readyState, ReadyState.CONNECTING)
        await pool.wait_for("open", timeout=TIMEOUT)
        await all_open(pool)
        self.assertEqual((pool.size, pool.open_count, pool.readyState), (3, 3, ReadyState.OPEN))
        replies = pool.record("message")
        self.assertEqual([pool.send(f"m{i}") for i in range(6)], [0, 1, 2, 0, 1, 2])
        await replies.wait(6, timeout=TIMEOUT)
        self.assertEqual(sorted(replies.data), [f"m{i}" for i in range(6)])
        by_member = {pool.connections.index(e.source) for e in replies}
        self.assertEqual(by_member, {0, 1, 2})
        self.assertEqual(pool.sends, [2, 2, 2])
        self.assertEqual(self.echo.lab.connections, 3)
        self.assertEqual(pool.bufferedAmount, 0)
        self.assertIn("open=3", repr(pool))
        await closed(pool)

    async def test_skips_members_that_are_not_open(self):
        """After a member drops (1006), send() skips it and broadcast() reaches the others."""
        pool = Pool(self.server.url, size=3)
        await all_open(pool)
        errors = pool.record("error")
        dropped = pool.connections[1]
        dropped.send('{"drop": true}')
        await dropped.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(len(errors), 1)
        self.assertEqual(pool.open_count, 2)
        self.assertEqual([pool.send("x") for _ in range(4)], [0, 2, 0, 2])
        self.assertEqual(pool.broadcast('{"close": 1000}'), 2)
        close = await pool.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(close.code, 1000)
        self.assertEqual(pool.readyState, ReadyState.CLOSED)
        with self.assertRaises(InvalidStateError):
            pool.send("nobody is open")

    async def test_close_fires_once(self):
        """close() closes every member; close fires once, after the last one."""
        pool = Pool(self.echo.url, size=2)
        await all_open(pool)
        closes = pool.record("close")
        pool.close(4000, "pool done")
        self.assertEqual(pool.readyState, ReadyState.CLOSING)
        await pool.wait_for("close", timeout=TIMEOUT)
        self.assertEqual([(e.code, e.reason) for e in closes], [(4000, "pool done")])
        self.assertTrue(all(m.readyState == ReadyState.CLOSED for m in pool.connections))
        pool.close()  # nothing more happens
        self.assertEqual(len(closes), 1)

    async def test_reconnecting_members_heal(self):
        """With Reconnecting members, a dropped member comes back and is used again."""
        pool = Pool(factory=lambda: Reconnecting(self.server.url, delays=quick), size=2)
        await all_open(pool)
        member = pool.connections[0]
        back = next_event(member, "open")
        member.send('{"drop": true}')
        await back
        self.assertEqual(pool.open_count, 2)
        self.assertEqual([pool.send("x") for _ in range(2)], [0, 1])
        await closed(pool)

    async def test_none_open(self):
        """send() with no member open raises InvalidStateError, as WebSocket.send() while CONNECTING."""
        pool = Pool(self.echo.url, size=2)
        with self.assertRaisesRegex(InvalidStateError, "0 of 2"):
            pool.send("too early")
        self.assertEqual(pool.broadcast("too early"), 0)
        await closed(pool)

    def test_bad_size(self):
        """size must be a positive int."""
        for size in (0, -1, 1.5, True):
            with self.assertRaises(ValueError):
                Pool(factory=lambda: None, size=size)
