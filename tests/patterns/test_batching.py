"""Tests of wsnb.patterns.batching, with the echo and slow-reader lab servers."""

from __future__ import annotations

import json
import unittest

from wsnb import InvalidStateError, SocketClosed, WebSocket
from wsnb.patterns import Batching, QueueFull, RateLimited, decode_batch, encode_batch
from wsnb.servers import serve

from .patterns_support import TIMEOUT, bounded, closed, with_timeouts


class FormatTests(unittest.TestCase):
    def test_round_trip(self):
        """encode_batch and decode_batch are inverses; other data is not a batch."""
        text = encode_batch([1, "two", {"three": [3]}])
        self.assertEqual(text, '{"type":"batch","messages":[1,"two",{"three":[3]}]}')
        self.assertEqual(decode_batch(text), [1, "two", {"three": [3]}])
        for other in ("hello", b'{"type":"batch"}', '{"type":"batch","messages":3}', '{"type":"batch",'):
            self.assertIsNone(decode_batch(other))


@with_timeouts
class BatchingTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.echo = await serve("echo")
        self.addAsyncCleanup(bounded(self.echo.close))

    async def test_count_bound(self):
        """250 messages with max_messages=100 travel as 3 batches and come back one by one, in order."""
        batching = Batching(self.echo.url, max_messages=100, interval=0.01)
        await batching.wait_for("open", timeout=TIMEOUT)
        replies = batching.record("message")
        for i in range(250):
            self.assertEqual(batching.send(i), "queued")
        await batching.drain(timeout=TIMEOUT)
        await replies.wait(250, timeout=TIMEOUT)
        self.assertEqual(replies.data, list(range(250)))
        self.assertEqual((batching.batches, batching.messages), (3, 250))
        self.assertEqual(self.echo.lab.messages, 3)
        await closed(batching)

    async def test_watchers_see_the_batches_on_the_wire(self):
        """watch_calls() on the pattern reports what its socket sends: batches, not the messages."""
        batching = Batching(self.echo.url, max_messages=100, interval=0.01)
        await batching.wait_for("open", timeout=TIMEOUT)
        calls = []
        batching.watch_calls(lambda *call: calls.append(call))
        for i in range(3):
            batching.send(i)
        await batching.drain(timeout=TIMEOUT)
        await closed(batching, 1000)
        self.assertEqual(calls[0][:3], ("send", encode_batch([0, 1, 2]).encode(), True))
        self.assertEqual([call[:2] for call in calls[1:]], [("close", 1000)])

    async def test_interval_and_before_open(self):
        """Messages sent before open go in one batch on open; later ones wait for the interval."""
        batching = Batching(self.echo.url, interval=0.01, unbatch=False)
        batching.send("early")
        replies = batching.record("message")
        await replies.wait(1, timeout=TIMEOUT)
        batching.send({"a": 1})
        batching.send(None)
        self.assertEqual(batching.pending, 2)
        await batching.drain(timeout=TIMEOUT)
        await replies.wait(2, timeout=TIMEOUT)
        self.assertEqual([decode_batch(d) for d in replies.data], [["early"], [{"a": 1}, None]])
        await closed(batching)

    async def test_byte_bound(self):
        """A batch never exceeds max_bytes; a message larger than that travels alone."""
        batching = Batching(self.echo.url, max_bytes=350, interval=0.01, unbatch=False)
        await batching.wait_for("open", timeout=TIMEOUT)
        replies = batching.record("message")
        for _ in range(7):
            batching.send("x" * 100)
        batching.send("y" * 1000)
        await batching.drain(timeout=TIMEOUT)
        await replies.wait(batching.batches, timeout=TIMEOUT)
        sizes = [len(decode_batch(d)) for d in replies.data]
        self.assertEqual(sum(sizes), 8)
        self.assertEqual(max(sizes), 3)
        for data in replies.data:
            self.assertTrue(len(data.encode()) <= 350 or decode_batch(data) == ["y" * 1000])
        await closed(batching)

    async def test_backpressure_holds_batches(self):
        """While the server does not read, batches are held, not dropped; all go once it reads."""
        async with serve("slow-reader", pause_seconds=None) as server:
            batching = Batching(
                server.url, max_bytes=64 * 1024, max_buffered=256 * 1024, interval=0.005, unbatch=False
            )
            await batching.wait_for("open", timeout=TIMEOUT)
            batching.socket.send("pause")
            await server.lab.wait_paused()
            item = "z" * 30_000
            for _ in range(200):  # 6 MB: more than the kernel buffers hold
                batching.send(item)
            self.assertGreater(batching.held, 0)
            self.assertGreater(batching.pending, 0)
            self.assertLessEqual(batching.bufferedAmount, 256 * 1024 + 64 * 1024)
            with self.assertRaises(TimeoutError):
                await batching.drain(timeout=0.05)
            self.assertGreater(batching.pending, 0)
            server.lab.resume()
            await batching.drain(timeout=TIMEOUT)
            batching.socket.send("stats")
            stats = json.loads((await batching.wait_for("message", timeout=TIMEOUT)).data)
            self.assertEqual(stats["messages"], batching.batches)
            self.assertEqual(batching.messages, 200)
            self.assertEqual(batching.dropped, 0)
            await closed(batching)

    async def test_close_sends_pending(self):
        """close() on an open socket sends the pending batch ahead of the Close frame (none is lost)."""
        batching = Batching(factory=lambda: WebSocket(self.echo.url, record_frames=True), interval=60)
        await batching.wait_for("open", timeout=TIMEOUT)
        for i in range(5):
            batching.send({"seq": i})
        self.assertEqual(batching.pending, 5)
        batching.close()
        await batching.wait_for("close", timeout=TIMEOUT)
        sent = [(f.opcode, f.size) for f in batching.socket.frames if f.direction == "sent"]
        batch = encode_batch([{"seq": i} for i in range(5)])
        self.assertEqual(sent, [("text", len(batch.encode())), ("close", 0)])
        self.assertEqual((batching.pending, batching.batches, batching.messages), (0, 1, 5))

    async def test_refused_batch_is_kept(self):
        """A batch the wrapped socket refuses (RateLimited's send() returns False) is kept and sent later, in order."""
        batching = Batching(
            factory=lambda: RateLimited(self.echo.url, max_messages=1, per=0.05),
            max_messages=2, interval=0.01,
        )
        await batching.wait_for("open", timeout=TIMEOUT)
        replies = batching.record("message")
        for i in range(6):
            batching.send(i)  # 3 batches of 2; the limiter lets one through per 50 ms
        await replies.wait(6, timeout=TIMEOUT)
        self.assertEqual(replies.data, list(range(6)))
        self.assertEqual((batching.batches, batching.messages, batching.pending), (3, 6, 0))
        self.assertGreater(batching.held, 0)
        self.assertGreater(batching.socket.refused, 0)
        await closed(batching)

    async def test_overflow(self):
        """max_pending with drop-oldest discards the oldest, reported by an overflow event."""
        batching = Batching(self.echo.url, max_pending=2, overflow="drop-oldest", interval=0.01)
        for i in range(3):
            batching.send(i)
        event = await batching.wait_for("overflow", timeout=TIMEOUT)
        self.assertEqual((event.data, event.policy), (0, "drop-oldest"))
        replies = batching.record("message")
        await replies.wait(2, timeout=TIMEOUT)
        self.assertEqual(replies.data, [1, 2])
        self.assertEqual(batching.dropped, 1)
        await closed(batching)

    async def test_overflow_raise_and_drop_newest(self):
        """max_pending with 'raise' raises QueueFull; with 'drop-newest' send() says 'dropped'."""
        raising = Batching(self.echo.url, max_pending=1)
        raising.send(1)
        with self.assertRaises(QueueFull):
            raising.send(2)
        newest = Batching(self.echo.url, max_pending=1, overflow="drop-newest")
        newest.send(1)
        self.assertEqual(newest.send(2), "dropped")
        self.assertEqual((await newest.wait_for("overflow", timeout=TIMEOUT)).data, 2)
        await closed(raising)
        await closed(newest)

    async def test_refusals(self):
        """Values that are not JSON, and sends after close, are refused; drain fails once closed."""
        batching = Batching(self.echo.url)
        with self.assertRaises(TypeError):
            batching.send(object())
        batching.send("left behind")
        batching.close()
        with self.assertRaises(InvalidStateError):
            batching.send(1)
        with self.assertRaises(SocketClosed):
            await batching.drain(timeout=TIMEOUT)
        self.assertEqual(batching.pending, 1)
        self.assertIn("pending=1", repr(batching))
        with self.assertRaises(SocketClosed):
            await batching.drain()

    def test_bad_arguments(self):
        """Bounds must be positive and the policy known."""
        for kwargs in ({"max_messages": 0}, {"max_bytes": 0}, {"max_pending": 0}, {"overflow": "x"}, {"interval": -1}):
            with self.subTest(**kwargs), self.assertRaises(ValueError):
                Batching(factory=lambda: None, **kwargs)
