"""Tests of wsnb.patterns.robust, including exactly-once delivery across 50 forced drops."""

from __future__ import annotations

import json
from array import array
import unittest

from wsnb import InvalidStateError, ReadyState, SocketClosed, WebSocket
from wsnb.patterns import (
    MessageErrorEvent,
    QueueFull,
    Reconnecting,
    Robust,
    RobustState,
)
from wsnb.servers import LabServer, serve
from wsnb.servers.flaky import FlakyLab

from .patterns_support import TIMEOUT, bounded, closed, next_event, quick, with_timeouts


@with_timeouts
class QueueTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.echo = await serve("echo")
        self.addAsyncCleanup(bounded(self.echo.close))

    async def test_queued_until_open_then_in_order(self):
        """Messages sent while CONNECTING are queued and sent in order on open, before onopen's."""
        robust = Robust(self.echo.url)
        self.assertIsInstance(robust.socket, Reconnecting)  # the default factory
        replies = robust.record("message")
        robust.onopen = lambda event: robust.send("from onopen")
        self.assertEqual([robust.send(m) for m in ("a", b"b", bytearray(b"c"))], ["queued"] * 3)
        self.assertEqual(robust.pending(), ["a", b"b", b"c"])
        self.assertEqual(robust.state().queued, 3)
        await robust.drain(timeout=TIMEOUT)
        await replies.wait(4, timeout=TIMEOUT)
        self.assertEqual([bytes(d) if not isinstance(d, str) else d for d in replies.data], ["a", b"b", b"c", "from onopen"])
        self.assertEqual(robust.send("now"), "sent")
        state = robust.state()
        self.assertEqual((state.readyState, state.queued, state.sent, state.dropped), (ReadyState.OPEN, 0, 5, 0))
        await closed(robust)

    async def test_overflow_raise(self):
        """'raise': the full queue refuses with QueueFull and keeps what it had."""
        robust = Robust(self.echo.url, max_queue=2)
        robust.send("a")
        robust.send("b")
        with self.assertRaises(QueueFull):
            robust.send("c")
        self.assertEqual(robust.pending(), ["a", "b"])
        await closed(robust)

    async def test_overflow_drop_oldest(self):
        """'drop-oldest': the oldest message goes, with an overflow event; the rest arrive."""
        robust = Robust(self.echo.url, max_queue=2, overflow="drop-oldest")
        overflows = robust.record("overflow")
        replies = robust.record("message")
        self.assertEqual([robust.send(m) for m in "abc"], ["queued"] * 3)
        self.assertEqual(len(overflows), 0)  # events never fire inside send()
        await replies.wait(2, timeout=TIMEOUT)
        self.assertEqual(replies.data, ["b", "c"])
        self.assertEqual([(e.data, e.policy) for e in overflows], [("a", "drop-oldest")])
        self.assertEqual(robust.state().dropped, 1)
        await closed(robust)

    async def test_overflow_drop_newest(self):
        """'drop-newest': the new message is refused, and send() says so."""
        robust = Robust(self.echo.url, max_queue=2, overflow="drop-newest", json=True)
        self.assertEqual([robust.send(m) for m in ({"n": 1}, {"n": 2}, {"n": 3})], ["queued", "queued", "dropped"])
        event = await robust.wait_for("overflow", timeout=TIMEOUT)
        self.assertEqual(event.data, {"n": 3})
        replies = robust.record("message")
        await replies.wait(2, timeout=TIMEOUT)
        self.assertEqual(replies.data, [{"n": 1}, {"n": 2}])
        await closed(robust)

    async def test_json(self):
        """json=True encodes what is sent and decodes text received; non-JSON is a messageerror."""
        robust = Robust(self.echo.url, json=True)
        replies = robust.record("message")
        robust.send({"a": [1, 2.5, None, "é"]})
        robust.send("text is JSON too")
        await replies.wait(2, timeout=TIMEOUT)
        self.assertEqual(replies.data, [{"a": [1, 2.5, None, "é"]}, "text is JSON too"])
        errors = robust.record("messageerror")
        robust.socket.send("not json")
        robust.socket.send(b"\x00binary passes")
        await replies.wait(3, timeout=TIMEOUT)
        [error] = errors.events
        self.assertIsInstance(error, MessageErrorEvent)
        self.assertEqual(error.data, "not json")
        self.assertIsInstance(error.error, ValueError)
        self.assertEqual(bytes(replies.data[2]), b"\x00binary passes")
        with self.assertRaises(TypeError):
            robust.send({1, 2})
        with self.assertRaises(TypeError):
            robust.send(float("nan"))
        await closed(robust)

    async def test_closed_refuses_and_keeps_evidence(self):
        """After close, send() raises; unsent messages stay in pending() and state()."""
        server = await serve("echo")
        url = server.url
        await server.close()
        robust = Robust(factory=lambda: Reconnecting(url, delays=quick))
        robust.send("never sent")
        with self.assertRaises(SocketClosed):
            robust.close()
            await robust.drain(timeout=TIMEOUT)
        with self.assertRaises(InvalidStateError):
            robust.send("too late")
        self.assertEqual(robust.pending(), ["never sent"])
        self.assertEqual(robust.state().queued, 1)
        with self.assertRaises(SocketClosed):
            await robust.drain()
        self.assertIn("queued=1", repr(robust))

    async def test_drain_timeout(self):
        """drain() gives up after its timeout, saying what is left."""
        server = await serve("echo")
        url = server.url
        await server.close()
        robust = Robust(factory=lambda: Reconnecting(url, delays=quick))
        robust.send("waiting")
        with self.assertRaisesRegex(TimeoutError, "1 queued"):
            await robust.drain(timeout=0.01)
        await closed(robust)

    async def test_with_plain_websocket(self):
        """With a plain WebSocket the queue covers the time before the first open."""
        robust = Robust(factory=lambda: WebSocket(self.echo.url))
        robust.send("early")
        reply = await robust.wait_for("message", timeout=TIMEOUT)
        self.assertEqual(reply.data, "early")
        self.assertEqual(robust.state().reconnections, 0)
        await closed(robust)

    def test_bad_arguments(self):
        """Bad queue bounds, policies and windows are refused; ack needs text."""
        with self.assertRaises(ValueError):
            Robust(factory=lambda: None, max_queue=0)
        with self.assertRaises(ValueError):
            Robust(factory=lambda: None, overflow="drop")
        with self.assertRaises(ValueError):
            Robust(factory=lambda: None, window=0)
        with self.assertRaises(TypeError):
            Robust(factory=lambda: None, session=1)


@with_timeouts
class BufferTests(unittest.IsolatedAsyncioTestCase):
    async def test_any_buffer_is_copied_when_queued(self):
        """A buffer queued while CONNECTING is copied then: changing it later changes nothing sent."""
        async with serve("echo") as echo:
            robust = Robust(echo.url)
            data = array("i", [1, 2, 3])
            self.assertEqual(robust.send(data), "queued")
            data[0] = 99
            replies = robust.record("message")
            await replies.wait(1, timeout=TIMEOUT)
            self.assertEqual(bytes(replies.data[0]), array("i", [1, 2, 3]).tobytes())
            await closed(robust)


@with_timeouts
class AcknowledgedTests(unittest.IsolatedAsyncioTestCase):
    async def test_zero_loss_across_50_drops(self):
        """1,000 messages, 50 forced drops: each arrives exactly once, in order."""
        async with serve("flaky", ack=True, drop_after=19, max_drops=50) as server:
            robust = Robust(
                factory=lambda: Reconnecting(server.url, delays=quick),
                ack=True,
                window=32,
                max_queue=None,
            )
            for i in range(1000):
                robust.send(f"message {i}")
            await robust.drain(timeout=TIMEOUT)
            lab = server.lab
            session = lab.sessions[robust.session]
            self.assertEqual(lab.drops, 50)
            self.assertEqual(session.delivered, [f"message {i}" for i in range(1000)])
            self.assertEqual(session.last_id, 1000)
            self.assertEqual(session.gaps, 0)
            state = robust.state()
            self.assertEqual(state.acked, 1000)
            self.assertEqual(state.in_flight, 0)
            self.assertGreater(state.resent, 0)  # drops did catch messages in flight
            self.assertEqual(state.reconnections, 50)
            self.assertEqual(lab.received, 1000 + session.duplicates)
            await closed(robust)

    async def test_server_restart_mid_stream(self):
        """The server restarts between two halves of a stream: nothing lost, nothing doubled."""
        server = await serve("flaky", ack=True)
        port, lab = server.port, server.lab
        robust = Robust(factory=lambda: Reconnecting(server.url, delays=quick), ack=True, json=True)
        for i in range(100):
            robust.send({"n": i})
        await robust.drain(timeout=TIMEOUT)
        lost = next_event(robust, "reconnect")
        await server.close()
        await lost
        self.assertNotEqual(robust.readyState, ReadyState.OPEN)
        for i in range(100, 200):
            self.assertEqual(robust.send({"n": i}), "queued")
        server = await LabServer(lab, port=port)
        self.addAsyncCleanup(bounded(server.close))
        await robust.drain(timeout=TIMEOUT)
        self.assertEqual(lab.delivered(robust.session), [{"n": i} for i in range(200)])
        self.assertEqual(lab.delivered("unknown session"), [])
        await closed(robust)

    async def test_restarted_server_lost_the_session(self):
        """A new server process knows no session: its lower ack resets the numbering, and nothing is lost."""
        server = await serve("flaky", ack=True)
        port, first_lab = server.port, server.lab
        robust = Robust(factory=lambda: Reconnecting(server.url, delays=quick), ack=True, json=True)
        resets = robust.record("sessionreset")
        for i in range(50):
            robust.send({"n": i})
        await robust.drain(timeout=TIMEOUT)
        lost = next_event(robust, "reconnect")
        await server.close()
        await lost
        for i in range(50, 100):
            robust.send({"n": i})
        fresh_lab = FlakyLab(ack=True)  # a restarted server: its sessions are gone
        server = await LabServer(fresh_lab, port=port)
        self.addAsyncCleanup(bounded(server.close))
        await robust.drain(timeout=TIMEOUT)
        self.assertEqual(first_lab.delivered(robust.session), [{"n": i} for i in range(50)])
        self.assertEqual(fresh_lab.delivered(robust.session), [{"n": i} for i in range(50, 100)])
        self.assertEqual(len(resets), 1)
        state = robust.state()
        self.assertEqual((state.session_resets, state.in_flight, state.queued), (1, 0, 0))
        await closed(robust)

    async def test_acks_are_consumed_other_messages_pass(self):
        """Acknowledgements are not message events; the server's other answers are."""
        async with serve("flaky", ack=True) as server:
            robust = Robust(server.url, ack=True, session="fixed")
            messages = robust.record("message")
            robust.send("one")
            await robust.drain(timeout=TIMEOUT)
            self.assertEqual(len(messages), 0)
            robust.socket.send("not an envelope")
            reply = await robust.wait_for("message", timeout=TIMEOUT)
            self.assertIn("error", json.loads(reply.data))
            self.assertEqual(robust.session, "fixed")
            self.assertEqual(server.lab.delivered("fixed"), ["one"])
            with self.assertRaises(TypeError):
                robust.send(b"bytes need json or text")
            self.assertIsInstance(robust.state(), RobustState)
            await closed(robust)
