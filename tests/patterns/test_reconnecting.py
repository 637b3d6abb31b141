"""Tests of wsnb.patterns.reconnecting."""

from __future__ import annotations

import itertools
import random
import unittest

from wsnb import CloseEvent, DOMSyntaxError, InvalidStateError, ReadyState, WebSocket
from wsnb.patterns import (
    RECONNECT_CODES,
    ReconnectEvent,
    Reconnecting,
    backoff,
    delay_schedule,
    should_reconnect,
)
from wsnb.servers import LabServer, aspawn, serve

from .patterns_support import TIMEOUT, bounded, closed, next_event, quick, with_timeouts


async def refused_url() -> str:
    """A URL on which nothing listens (a server that was started and closed)."""
    server = await serve("echo")
    url = server.url
    await server.close()
    return url


class PolicyTests(unittest.TestCase):
    def test_codes(self):
        """Reconnect after 1001, 1006, 1011-1014 and unclean losses; not after the others."""
        self.assertEqual(RECONNECT_CODES, {1001, 1006, 1011, 1012, 1013, 1014})
        for code in (1001, 1011, 1012, 1013, 1014):
            self.assertTrue(should_reconnect(CloseEvent("close", code=code, wasClean=True)), code)
        self.assertTrue(should_reconnect(CloseEvent("close", code=1006, wasClean=False)))
        for code in (1000, 1002, 1003, 1005, 1007, 1008, 1009, 1010, 1015, 3000, 4000, 4999):
            self.assertFalse(should_reconnect(CloseEvent("close", code=code, wasClean=True)), code)


class BackoffTests(unittest.TestCase):
    def test_exponential_and_capped(self):
        """Without jitter the delays double up to the cap."""
        self.assertEqual(
            delay_schedule(7, initial_delay=0.5, max_delay=4.0, jitter=0),
            [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0],
        )
        self.assertEqual(delay_schedule(3, initial_delay=1, factor=3, jitter=0), [1, 3, 9])
        self.assertEqual(delay_schedule(0), [])

    def test_jitter_stays_in_range_and_repeats_with_a_seed(self):
        """Each jittered delay is within [base * (1 - jitter), base]; a seed repeats it."""
        bases = delay_schedule(20, initial_delay=0.1, max_delay=2.0, jitter=0)
        jittered = delay_schedule(20, initial_delay=0.1, max_delay=2.0, jitter=0.5, seed=7)
        for base, delay in zip(bases, jittered, strict=True):
            self.assertLessEqual(delay, base)
            self.assertGreaterEqual(delay, base * 0.5)
        self.assertNotEqual(bases, jittered)
        self.assertEqual(jittered, delay_schedule(20, initial_delay=0.1, max_delay=2.0, jitter=0.5, seed=7))
        full = delay_schedule(50, initial_delay=1, max_delay=1, jitter=1, seed=1)
        self.assertTrue(all(0 <= d <= 1 for d in full))

    def test_bad_arguments(self):
        """Negative delays, a factor below 1 or jitter outside [0, 1] are refused."""
        for kwargs in ({"initial_delay": -1}, {"factor": 0.5}, {"jitter": 1.5}, {"max_delay": "1"}):
            with self.subTest(**kwargs), self.assertRaises((ValueError, TypeError)):
                next(backoff(**kwargs))
        with self.assertRaises(ValueError):
            delay_schedule(-1)


@with_timeouts
class ReconnectingTests(unittest.IsolatedAsyncioTestCase):
    async def test_server_restart_mid_stream(self):
        """The server goes away (1001) and comes back on the same port: the stream resumes."""
        server = await serve("echo")
        port, lab = server.port, server.lab
        socket = Reconnecting(server.url, delays=lambda: itertools.repeat(0.005))
        self.assertEqual(socket.readyState, ReadyState.CONNECTING)
        await socket.wait_for("open", timeout=TIMEOUT)
        self.assertEqual(socket.readyState, ReadyState.OPEN)
        replies = socket.record("message")
        socket.send("before")
        await replies.wait(1, timeout=TIMEOUT)
        lost = next_event(socket, "reconnect")
        await server.close()
        event = await lost
        self.assertIsInstance(event, ReconnectEvent)
        self.assertEqual((event.code, event.wasClean, event.attempt), (1001, True, 1))
        self.assertEqual(socket.readyState, ReadyState.CONNECTING)
        with self.assertRaises(InvalidStateError):
            socket.send("while down")
        reopened = next_event(socket, "open")
        server = await LabServer(lab, port=port)
        self.addAsyncCleanup(bounded(server.close))
        await reopened
        self.assertEqual(socket.attempts, 0)  # reset after the successful open
        self.assertGreaterEqual(socket.reconnections, 1)
        socket.send("after")
        await replies.wait(2, timeout=TIMEOUT)
        self.assertEqual(replies.data, ["before", "after"])
        self.assertEqual(lab.messages, 2)
        close = await closed(socket, 1000)
        self.assertEqual(close.code, 1000)
        self.assertEqual(socket.readyState, ReadyState.CLOSED)

    async def test_killed_process(self):
        """A server process killed mid-stream (1006) and restarted: the socket reconnects."""
        process = await aspawn("echo")
        self.addAsyncCleanup(bounded(process.aclose))
        socket = Reconnecting(process.url, delays=lambda: itertools.repeat(0.02))
        await socket.wait_for("open", timeout=TIMEOUT)
        lost = next_event(socket, "reconnect")
        process.kill()
        event = await lost
        self.assertEqual((event.code, event.wasClean), (1006, False))
        reopened = next_event(socket, "open")
        await process.arestart()
        await reopened
        replies = socket.record("message")
        socket.send("again")
        self.assertEqual((await replies.wait(1, timeout=TIMEOUT))[0].data, "again")
        await closed(socket)

    async def test_abrupt_drop(self):
        """A TCP drop without a Close frame reconnects, reporting 1006."""
        async with serve("close-lab") as server:
            socket = Reconnecting(server.url, delays=quick)
            await socket.wait_for("open", timeout=TIMEOUT)
            events = socket.record("error", "reconnect", "open")
            socket.send('{"drop": true}')
            await events.wait(3, timeout=TIMEOUT)
            self.assertEqual([e.type for e in events], ["error", "reconnect", "open"])
            self.assertEqual(events[1].code, 1006)
            self.assertEqual(socket.reconnections, 1)
            await closed(socket)

    async def test_calls_followed_across_connections(self):
        """watch_calls() on the pattern reports the calls on each connection; a lost socket is let go."""
        async with serve("close-lab") as server:
            socket = Reconnecting(server.url, delays=quick)
            await socket.wait_for("open", timeout=TIMEOUT)
            first = socket.socket
            calls = []
            socket.watch_calls(lambda *call: calls.append(call[:2]))
            events = socket.record("reconnect", "open")
            socket.send('{"drop": true}')
            await events.wait(2, timeout=TIMEOUT)
            self.assertIsNot(socket.socket, first)
            socket.send("hello")
            await closed(socket, 1000, "done")
            self.assertEqual(calls, [
                ("send", b'{"drop": true}'), ("send", b"hello"), ("close", 1000),
            ])
            self.assertEqual(first._call_watchers, [])  # released with the lost connection

    async def test_unwatched_costs_its_sockets_nothing(self):
        """Until someone watches the pattern, its socket has no call watcher to run on each send()."""
        async with serve("echo") as server:
            socket = Reconnecting(server.url, delays=quick)
            await socket.wait_for("open", timeout=TIMEOUT)
            self.assertEqual(socket.socket._call_watchers, [])
            def watcher(*call: object) -> None:
                pass

            socket.watch_calls(watcher)
            self.assertEqual(len(socket.socket._call_watchers), 1)
            socket.unwatch_calls(watcher)
            self.assertEqual(socket.socket._call_watchers, [])
            await closed(socket)

    async def test_no_reconnect_after_final_codes(self):
        """1000, 1008 and 4000 end it: one close event, no reconnection."""
        async with serve("close-lab") as server:
            for code in (1000, 1008, 4000):
                with self.subTest(code=code):
                    socket = Reconnecting(server.url, delays=quick)
                    await socket.wait_for("open", timeout=TIMEOUT)
                    socket.send(f'{{"close": {code}, "reason": "done"}}')
                    close = await socket.wait_for("close", timeout=TIMEOUT)
                    self.assertEqual((close.code, close.reason), (code, "done"))
                    self.assertEqual(socket.reconnections, 0)
                    self.assertEqual(socket.readyState, ReadyState.CLOSED)
                    self.assertIsNone(socket.socket)

    async def test_should_reconnect_can_be_told(self):
        """A custom should_reconnect reconnects after 4000 too."""
        async with serve("close-lab") as server:
            socket = Reconnecting(
                server.url,
                delays=quick,
                should_reconnect=lambda event: event.code == 4000 or should_reconnect(event),
            )
            await socket.wait_for("open", timeout=TIMEOUT)
            lost = next_event(socket, "reconnect")
            socket.send('{"close": 4000}')
            self.assertEqual((await lost).code, 4000)
            await next_event(socket, "open")
            self.assertEqual(socket.last_close.code, 4000)
            await closed(socket)

    async def test_gives_up_after_max_attempts(self):
        """With nothing listening, it tries max_attempts times, then closes with 1006."""
        socket = Reconnecting(await refused_url(), delays=quick, max_attempts=2)
        events = socket.record("error", "reconnect", "close")
        close = await socket.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(
            [e.type for e in events], ["error", "reconnect", "error", "reconnect", "error", "close"]
        )
        self.assertEqual([e.attempt for e in events if e.type == "reconnect"], [1, 2])
        self.assertEqual((close.code, close.wasClean), (1006, False))
        self.assertEqual(socket.attempts, 2)

    async def test_close_during_backoff_stops_it(self):
        """close() while waiting to reconnect cancels the timer: no new connection, close 1006."""
        made = []

        def factory():
            made.append(WebSocket(url))
            return made[-1]

        url = await refused_url()
        socket = Reconnecting(factory=factory, delays=lambda: itertools.repeat(60.0))
        await socket.wait_for("reconnect", timeout=TIMEOUT)
        self.assertIsNone(socket.socket)
        socket.close(1000, "stop")
        self.assertEqual(socket.readyState, ReadyState.CLOSING)
        close = await socket.wait_for("close", timeout=TIMEOUT)
        self.assertEqual((close.code, close.wasClean), (1006, False))
        self.assertEqual(len(made), 1)
        self.assertEqual(socket._timers.pending, 0)
        socket.close()  # nothing happens once closed
        self.assertEqual(socket.readyState, ReadyState.CLOSED)

    async def test_backoff_resets_after_open(self):
        """A successful open starts the delay schedule again: each first retry is attempt 1."""
        schedules = []

        def delays():
            schedules.append(object())
            return itertools.repeat(0.001)

        async with serve("close-lab") as server:
            socket = Reconnecting(server.url, delays=delays)
            attempts = []
            socket.addEventListener("reconnect", lambda event: attempts.append(event.attempt))
            for _ in range(2):
                await socket.wait_for("open", timeout=TIMEOUT)
                socket.send('{"drop": true}')
                await socket.wait_for("reconnect", timeout=TIMEOUT)
            await socket.wait_for("open", timeout=TIMEOUT)
            self.assertEqual(attempts, [1, 1])
            self.assertEqual(len(schedules), 4)  # at construction, then after each of 3 opens
            await closed(socket)

    async def test_jittered_delays_follow_the_schedule(self):
        """The delays it waits are delay_schedule's, for the same seed."""
        socket = Reconnecting(
            await refused_url(), initial_delay=0.001, max_delay=0.004, jitter=0.5,
            rng=random.Random(3), max_attempts=4,
        )
        delays = socket.record("reconnect")
        await socket.wait_for("close", timeout=TIMEOUT)
        expected = delay_schedule(4, initial_delay=0.001, max_delay=0.004, jitter=0.5, seed=3)
        self.assertEqual([e.delay for e in delays], expected)
        self.assertEqual(repr(delays[0]), "ReconnectEvent(type='reconnect', attempt=1, code=1006, wasClean=False)")

    async def test_finite_delays_end_it(self):
        """A delays iterable that runs out stops reconnecting."""
        socket = Reconnecting(await refused_url(), delays=lambda: [0.001])
        events = socket.record("reconnect", "close")
        await socket.wait_for("close", timeout=TIMEOUT)
        self.assertEqual([e.type for e in events], ["reconnect", "close"])

    async def test_close_while_open_and_handlers(self):
        """close() while open ends it for good; on* handlers and attributes work."""
        async with serve("echo") as server:
            socket = Reconnecting(server.url, delays=quick)
            seen = []
            socket.onopen = lambda event: seen.append(event.type)
            socket.onclose = lambda event: seen.append(event.type)
            await socket.wait_for("open", timeout=TIMEOUT)
            self.assertEqual(socket.url, server.url)
            self.assertEqual(socket.protocol, "")
            self.assertEqual(socket.bufferedAmount, 0)
            self.assertIn("reconnections=0", repr(socket))
            close = await closed(socket, 4001, "bye")
            self.assertEqual((close.code, close.reason), (4001, "bye"))
            self.assertEqual(seen, ["open", "close"])
            self.assertEqual(socket.reconnections, 0)
            self.assertEqual(socket.bufferedAmount, 0)
            socket.send("after close")  # discarded, as a closed WebSocket does

    async def test_factory_failure(self):
        """A factory that fails on a reconnection ends it with error and close, logged."""
        async with serve("close-lab") as server:
            calls = []

            def factory():
                calls.append(1)
                if len(calls) > 1:
                    raise RuntimeError("no more sockets")
                return WebSocket(server.url)

            socket = Reconnecting(factory=factory, delays=quick)
            await socket.wait_for("open", timeout=TIMEOUT)
            events = socket.record("error", "close")
            with self.assertLogs("wsnb.patterns", "ERROR"):
                socket.send('{"drop": true}')
                await socket.wait_for("close", timeout=TIMEOUT)
            self.assertEqual([e.type for e in events], ["error", "error", "close"])
            self.assertIn("no more sockets", events[-1].reason)

    def test_bad_arguments(self):
        """Bad URLs and arguments fail in the constructor."""
        with self.assertRaises(DOMSyntaxError):
            Reconnecting("http://exa mple.com/")
        with self.assertRaises(ValueError):
            Reconnecting(factory=lambda: None, max_attempts=-1)
        with self.assertRaises(TypeError):
            Reconnecting(factory=lambda: None, should_reconnect=None)
        with self.assertRaises(TypeError):
            Reconnecting(factory=lambda: None, delays=[1])
        with self.assertRaises(ValueError):
            Reconnecting(factory=lambda: None, factor=0)
