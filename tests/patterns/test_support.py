"""The pieces the patterns share (wsnb/patterns/_socket.py, _events.py, _queue.py, _timers.py)."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import unittest

import wsnb.patterns
from wsnb import (
    CloseEvent,
    DOMSyntaxError,
    Event,
    InvalidAccessError,
    MessageEvent,
    ReadyState,
    WebSocket,
)
from wsnb.patterns import MessageErrorEvent, OverflowEvent, QueueFull
from wsnb.patterns._events import copy_event, fire
from wsnb.patterns._queue import SendQueue
from wsnb.patterns._socket import Wrapper, resolve_factory
from wsnb.patterns._timers import Timers
from wsnb.servers import serve

from .patterns_support import TIMEOUT, bounded, closed, with_timeouts


class Plain(Wrapper):
    """The smallest Wrapper: it forwards everything."""

    def __init__(self, url=None, *, factory=None):
        super().__init__(url, factory)
        self._start()


class ExportsTests(unittest.TestCase):
    def test_package_exports_its_modules(self):
        """wsnb.patterns.__all__ is the union of its modules' __all__, once each, and its exceptions."""
        modules = [
            importlib.import_module(f"wsnb.patterns.{info.name}")
            for info in pkgutil.iter_modules(wsnb.patterns.__path__)
        ]
        # The patterns' exceptions are defined with every other one, in wsnb.exceptions.
        exceptions = ["ChunkError", "MessageValidationError", "QueueFull"]
        names = [name for module in modules for name in getattr(module, "__all__", [])] + exceptions
        self.assertEqual(len(names), len(set(names)))
        self.assertEqual(sorted(wsnb.patterns.__all__), sorted(names))
        for name in names:
            self.assertTrue(hasattr(wsnb.patterns, name), name)


class ResolveFactoryTests(unittest.TestCase):
    def test_needs_url_or_factory(self):
        """Neither or both of url and factory is a TypeError."""
        with self.assertRaises(TypeError):
            resolve_factory(None, None)
        with self.assertRaises(TypeError):
            resolve_factory("ws://127.0.0.1:1/", lambda: None)
        with self.assertRaises(TypeError):
            resolve_factory(None, "not callable")  # type: ignore[arg-type]
        with self.assertRaises(TypeError):
            resolve_factory(b"ws://x/", None)  # type: ignore[arg-type]

    def test_bad_url_fails_at_once(self):
        """A malformed URL raises DOMSyntaxError when the pattern is made, not later."""
        with self.assertRaises(DOMSyntaxError):
            resolve_factory("ftp://example.com/", None)
        with self.assertRaises(DOMSyntaxError):
            Plain("ws://127.0.0.1:1/#fragment")

    def test_given_factory_is_used(self):
        """A given factory is returned as is."""
        factory = object.__new__
        self.assertIs(resolve_factory(None, factory), factory)  # type: ignore[arg-type]


class SendQueueTests(unittest.TestCase):
    def test_unbounded(self):
        """Without a bound every item is accepted, first in first out."""
        queue = SendQueue(None, "raise")
        for i in range(5):
            self.assertEqual(queue.put(i), (True, None))
        self.assertEqual(queue.peek(), 0)
        self.assertEqual(list(queue), [0, 1, 2, 3, 4])
        self.assertEqual(queue.popleft(), 0)
        self.assertEqual(queue.clear(), [1, 2, 3, 4])
        self.assertEqual(len(queue), 0)

    def test_raise(self):
        """'raise' refuses the item with QueueFull and keeps the queue as it was."""
        queue = SendQueue(2, "raise")
        queue.put("a")
        queue.put("b")
        with self.assertRaises(QueueFull) as raised:
            queue.put("c")
        self.assertEqual(raised.exception.size, 2)
        self.assertIn("full (2 messages)", str(raised.exception))
        self.assertEqual(list(queue), ["a", "b"])

    def test_drop_oldest(self):
        """'drop-oldest' makes room by discarding the oldest item and says which."""
        queue = SendQueue(2, "drop-oldest")
        queue.put("a")
        queue.put("b")
        self.assertEqual(queue.put("c"), (True, "a"))
        self.assertEqual(list(queue), ["b", "c"])

    def test_drop_newest(self):
        """'drop-newest' refuses the new item and says so."""
        queue = SendQueue(2, "drop-newest")
        queue.put("a")
        queue.put("b")
        self.assertEqual(queue.put("c"), (False, "c"))
        self.assertEqual(list(queue), ["a", "b"])

    def test_bad_arguments(self):
        """A bad bound or policy is a ValueError."""
        for maxlen in (0, -1, True, 1.5):
            with self.assertRaises(ValueError):
                SendQueue(maxlen, "raise")  # type: ignore[arg-type]
        with self.assertRaisesRegex(ValueError, "overflow must be one of"):
            SendQueue(1, "drop")


class EventTests(unittest.TestCase):
    def test_copy_keeps_public_fields(self):
        """copy_event makes a new event with the same public fields."""
        for event in (
            Event("open"),
            CloseEvent("close", code=4000, reason="bye", wasClean=True),
            MessageEvent("message", data=b"x", origin="ws://127.0.0.1:1"),
            MessageErrorEvent("messageerror", data="?", origin="ws://a", error=ValueError("bad")),
            OverflowEvent("overflow", data="m", policy="drop-oldest"),
        ):
            with self.subTest(event=event):
                clone = copy_event(event)
                self.assertIsNot(clone, event)
                self.assertIs(type(clone), type(event))
                self.assertEqual(repr(clone), repr(event))

    def test_fire_marks_trusted(self):
        """fire() dispatches now, as an event wsnb made (isTrusted)."""
        target = wsnb.target.EventTarget()
        seen = []
        target.addEventListener("x", seen.append)
        fire(target, Event("x"))
        self.assertEqual(len(seen), 1)
        self.assertTrue(seen[0].isTrusted)
        self.assertIs(seen[0].target, target)

    def test_reprs(self):
        """Pattern events print their fields."""
        error = ValueError("bad")
        self.assertEqual(
            repr(MessageErrorEvent("messageerror", data="?", error=error)),
            "MessageErrorEvent(type='messageerror', data='?', origin='', error=ValueError('bad'))",
        )
        overflow = OverflowEvent("overflow", data="m", policy="drop-newest")
        self.assertEqual(repr(overflow), "OverflowEvent(type='overflow', data='m', policy='drop-newest')")
        self.assertEqual((overflow.data, overflow.policy), ("m", "drop-newest"))


@with_timeouts
class TimersTests(unittest.IsolatedAsyncioTestCase):
    async def test_callbacks_run_and_report_exceptions(self):
        """A failing timer callback is logged and the others still run."""
        timers = Timers(asyncio.get_running_loop(), "owner")
        done = asyncio.get_running_loop().create_future()

        def boom():
            raise RuntimeError("boom")

        with self.assertLogs("wsnb.patterns", "ERROR") as logs:
            timers.soon(boom)
            timers.later(0.001, done.set_result, "later")
            self.assertEqual(await done, "later")
        self.assertIn("exception in a timer of 'owner'", logs.output[0])
        self.assertEqual(timers.pending, 0)

    async def test_cancel(self):
        """cancel() and cancel_all() stop timers and tasks before they run."""
        loop = asyncio.get_running_loop()
        timers = Timers(loop, "owner")
        ran = []
        handle = timers.later(0.001, ran.append, 1)
        timers.cancel(handle)
        timers.cancel(None)
        self.assertTrue(handle.cancelled())
        other = timers.later(0.001, ran.append, 2)
        task = timers.task(asyncio.Event().wait())
        self.assertEqual(timers.pending, 2)
        timers.cancel_all()
        self.assertTrue(other.cancelled())
        with self.assertRaises(asyncio.CancelledError):
            await task
        self.assertEqual(timers.pending, 0)
        self.assertEqual(ran, [])

    async def test_task_exception_is_reported(self):
        """A task that fails is logged, never 'exception was never retrieved'."""
        timers = Timers(asyncio.get_running_loop(), "owner")

        async def fail():
            raise RuntimeError("task failed")

        with self.assertLogs("wsnb.patterns", "ERROR") as logs:
            task = timers.task(fail())
            with self.assertRaises(RuntimeError):
                await task  # the timers' done callback was added first: it ran
        self.assertIn("exception in a task of 'owner'", logs.output[0])


@with_timeouts
class WrapperTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.server = await serve("echo")
        self.addAsyncCleanup(bounded(self.server.close))

    async def test_delegates_and_forwards(self):
        """A Wrapper looks like its socket: attributes delegated, events forwarded as copies."""
        wrapper = Plain(self.server.url)
        self.assertIsInstance(wrapper.socket, WebSocket)
        self.assertEqual(wrapper.readyState, ReadyState.CONNECTING)
        self.assertEqual(wrapper.url, self.server.url)
        self.assertEqual(wrapper.binaryType, "blob")
        wrapper.binaryType = "arraybuffer"
        self.assertEqual(wrapper.socket.binaryType, "arraybuffer")
        opened = await wrapper.wait_for("open", timeout=TIMEOUT)
        self.assertTrue(opened.isTrusted)
        self.assertIs(opened.target, wrapper)
        self.assertEqual(wrapper.readyState, Wrapper.OPEN)
        self.assertEqual(wrapper.protocol, "")
        self.assertEqual(wrapper.extensions, wrapper.socket.extensions)
        replies = wrapper.record("message")
        wrapper.send(b"\x01")
        [event] = await replies.wait(1, timeout=TIMEOUT)
        self.assertEqual(event.data, b"\x01")
        self.assertEqual(wrapper.bufferedAmount, 0)
        self.assertIn("Plain url=", repr(wrapper))
        close = await closed(wrapper, 1000, "done")
        self.assertEqual((close.code, close.reason, close.wasClean), (1000, "done", True))
        self.assertEqual(wrapper.readyState, ReadyState.CLOSED)

    async def test_close_checks_arguments(self):
        """close() refuses what WebSocket.close() refuses, before anything changes."""
        wrapper = Plain(self.server.url)
        with self.assertRaises(InvalidAccessError):
            wrapper.close(1006)
        await wrapper.wait_for("open", timeout=TIMEOUT)
        self.assertEqual(wrapper.readyState, ReadyState.OPEN)
        await closed(wrapper)

    async def test_error_then_close(self):
        """A failing socket's error and close events reach the wrapper's listeners."""
        server = await serve("reject")
        url = server.url
        await server.close()
        wrapper = Plain(url)
        events = wrapper.record("error", "close")
        await wrapper.wait_for("close", timeout=TIMEOUT)
        self.assertEqual([e.type for e in events], ["error", "close"])
        self.assertEqual(events[1].code, 1006)
