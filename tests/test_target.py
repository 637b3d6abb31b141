"""EventTarget (wsnb/target.py): the DOM's dispatch rules, waiting, and the observation API."""

from __future__ import annotations

import asyncio
import unittest
from typing import Any

from wsnb import CloseEvent, Event, EventTarget, InvalidStateError, MessageEvent, SocketClosed
from wsnb.target import EventHandler, add_aliases

from .support import TIMEOUT


class Target(EventTarget):
    """A minimal EventTarget with on<type> handlers, like WebSocket's."""

    onping = EventHandler("ping")
    onmessage = EventHandler("message")
    onclose = EventHandler("close")
    _remembered_types = frozenset({"close"})
    _final_type = "close"

    def fire(self, event: Event) -> None:
        event._trusted = True
        self._dispatch(event)


class ObservationTests(unittest.TestCase):
    def test_last_event_and_final_type(self) -> None:
        """last_event() gives a once-only event that happened, None before it and for other types."""
        target = Target()
        self.assertEqual(target.final_event_type, "close")
        self.assertIsNone(EventTarget().final_event_type)
        self.assertIsNone(target.last_event("close"))
        target.fire(MessageEvent("message", data=1))
        self.assertIsNone(target.last_event("message"))  # not a once-only type
        close = CloseEvent("close", code=1000)
        target.fire(close)
        self.assertIs(target.last_event("close"), close)

    def test_plain_target_has_no_loop(self) -> None:
        """A plain EventTarget dispatches in the caller's thread: its loop is None."""
        self.assertIsNone(Target().loop)


class ListenerRulesTests(unittest.TestCase):
    """The DOM's listener rules, through ``_dispatch`` (every event but received messages)."""

    type = "ping"

    def setUp(self) -> None:
        self.target = Target()
        self.calls: list[str] = []

    def listener(self, name: str) -> Any:
        return lambda event: self.calls.append(name)

    def add(self, callback: Any, options: Any = None) -> None:
        self.target.addEventListener(self.type, callback, options)

    def remove(self, callback: Any) -> None:
        self.target.removeEventListener(self.type, callback)

    def set_handler(self, value: Any) -> None:
        setattr(self.target, f"on{self.type}", value)

    def fire(self) -> None:
        """Dispatch one trusted event of ``self.type``."""
        self.target.fire(Event(self.type))

    def test_registration_order(self) -> None:
        """Listeners run in the order they were added."""
        for name in "abc":
            self.add(self.listener(name))
        self.fire()
        self.assertEqual(self.calls, ["a", "b", "c"])

    def test_handler_position(self) -> None:
        """An on<type> handler runs where it was first set; reassigning keeps its place."""
        self.add(self.listener("first"))
        self.set_handler(self.listener("handler-1"))
        self.add(self.listener("last"))
        self.set_handler(self.listener("handler-2"))
        self.fire()
        self.assertEqual(self.calls, ["first", "handler-2", "last"])

    def test_handler_none_then_again(self) -> None:
        """Setting a handler to None removes it; setting it again appends it."""
        self.set_handler(self.listener("handler"))
        self.add(self.listener("listener"))
        self.set_handler(None)
        self.assertIsNone(getattr(self.target, f"on{self.type}"))
        self.set_handler(self.listener("handler-again"))
        self.fire()
        self.assertEqual(self.calls, ["listener", "handler-again"])

    def test_duplicate_ignored(self) -> None:
        """The same callback added twice for one type runs once."""
        callback = self.listener("x")
        self.add(callback)
        self.add(callback)
        self.add(callback, True)  # capture differs: a second listener
        self.fire()
        self.assertEqual(self.calls, ["x", "x"])

    def test_remove(self) -> None:
        """removeEventListener removes the matching listener only."""
        a, b = self.listener("a"), self.listener("b")
        self.add(a)
        self.add(b)
        self.remove(a)
        self.remove(self.listener("unknown"))
        self.fire()
        self.assertEqual(self.calls, ["b"])

    def test_removed_during_dispatch(self) -> None:
        """A listener removed by an earlier one during dispatch does not run."""
        b = self.listener("b")
        self.add(lambda e: self.remove(b))
        self.add(b)
        self.fire()
        self.assertEqual(self.calls, [])

    def test_handler_removed_during_dispatch(self) -> None:
        """A handler set to None by an earlier listener during dispatch does not run."""
        self.add(lambda e: self.set_handler(None))
        self.set_handler(self.listener("handler"))
        self.fire()
        self.assertEqual(self.calls, [])

    def test_added_during_dispatch(self) -> None:
        """A listener added during dispatch waits for the next event."""
        self.add(lambda e: self.add(self.listener("late")))
        self.fire()
        self.assertEqual(self.calls, [])
        self.fire()
        self.assertEqual(self.calls, ["late"])

    def test_once(self) -> None:
        """A listener added with once=True runs once, and only it is removed."""
        self.add(self.listener("once"), {"once": True})
        self.add(self.listener("always"))
        self.fire()
        self.fire()
        self.assertEqual(self.calls, ["once", "always", "always"])

    def test_handle_event_object(self) -> None:
        """An object with handleEvent is a listener."""
        calls = self.calls

        class Listener:
            def handleEvent(self, event: Event) -> None:
                calls.append(event.type)

        self.add(Listener())
        self.fire()
        self.assertEqual(self.calls, [self.type])

    def test_stop_immediate_propagation(self) -> None:
        """stopImmediatePropagation() stops the remaining listeners."""
        self.add(lambda e: e.stopImmediatePropagation())
        self.add(self.listener("never"))
        self.fire()
        self.assertEqual(self.calls, [])

    def test_exception_reported_and_dispatch_continues(self) -> None:
        """An exception in a listener is logged and the next listener still runs."""
        def broken(event: Event) -> None:
            raise RuntimeError("boom")

        self.add(broken)
        self.add(self.listener("after"))
        with self.assertLogs("wsnb", "ERROR") as logs:
            self.fire()
        self.assertEqual(self.calls, ["after"])
        self.assertIn("RuntimeError: boom", logs.output[0])

    def test_target_during_dispatch(self) -> None:
        """target and currentTarget are the target during dispatch; currentTarget is None after."""
        seen: list[Any] = []
        events: list[Event] = []
        self.add(lambda e: seen.append((e.target, e.currentTarget, e.eventPhase, e.isTrusted)))
        self.add(events.append)
        self.fire()
        self.assertEqual(seen, [(self.target, self.target, Event.AT_TARGET, True)])
        [event] = events
        self.assertIs(event.target, self.target)
        self.assertIsNone(event.currentTarget)
        self.assertEqual(event.eventPhase, Event.NONE)


class ReceivedMessageRulesTests(ListenerRulesTests):
    """The same rules for received messages, made and dispatched by ``_dispatch_received``."""

    type = "message"

    def fire(self) -> None:
        self.target._dispatch_received("hello", "ws://127.0.0.1:8765")

    def test_received_event_fields(self) -> None:
        """A received message is a trusted MessageEvent with the standard's defaults."""
        events: list[Event] = []
        self.add(events.append)
        self.fire()
        [event] = events
        self.assertIsInstance(event, MessageEvent)
        assert isinstance(event, MessageEvent)
        self.assertEqual(
            (event.type, event.data, event.origin, event.lastEventId, event.source, event.ports),
            ("message", "hello", "ws://127.0.0.1:8765", "", None, []),
        )
        self.assertEqual((event.bubbles, event.cancelable, event.defaultPrevented), (False, False, False))
        self.assertGreater(event.timeStamp, 0)
        self.assertEqual(repr(event), "MessageEvent(type='message', data='hello', origin='ws://127.0.0.1:8765')")


class DispatchEventTests(unittest.TestCase):
    def setUp(self) -> None:
        self.target = Target()
        self.calls: list[str] = []

    def listener(self, name: str) -> Any:
        return lambda event: self.calls.append(name)

    def test_dispatch_event(self) -> None:
        """dispatchEvent runs listeners now, marks the event untrusted and returns not canceled."""
        trusted: list[bool] = []
        self.target.addEventListener("ping", lambda e: (trusted.append(e.isTrusted), e.preventDefault()))
        self.assertFalse(self.target.dispatchEvent(Event("ping", cancelable=True)))
        self.assertTrue(self.target.dispatchEvent(Event("ping")))
        self.assertEqual(trusted, [False, False])
        with self.assertRaises(TypeError):
            self.target.dispatchEvent("ping")  # type: ignore[arg-type]

    def test_dispatch_during_dispatch(self) -> None:
        """Dispatching an event that is being dispatched raises InvalidStateError."""
        errors: list[BaseException] = []

        def again(event: Event) -> None:
            try:
                self.target.dispatchEvent(event)
            except InvalidStateError as exc:
                errors.append(exc)

        self.target.addEventListener("ping", again)
        self.target.dispatchEvent(Event("ping"))
        self.assertEqual(len(errors), 1)

    def test_bad_listeners(self) -> None:
        """Non-callable listeners and handlers are a TypeError; None is ignored."""
        self.target.addEventListener("ping", None)
        with self.assertRaises(TypeError):
            self.target.addEventListener("ping", 42)
        with self.assertRaises(TypeError):
            self.target.onping = "not callable"
        with self.assertRaises(TypeError):
            self.target.addEventListener("ping", print, {"bogus": True})

    def test_aliases(self) -> None:
        """Every snake_case alias reads (and where writable, writes) its spec name."""
        event = CloseEvent("close", code=1000, wasClean=True)
        self.assertIs(event.was_clean, event.wasClean)
        self.assertEqual(MessageEvent("message").last_event_id, "")
        self.target.add_event_listener("ping", self.listener("alias"))
        self.target.dispatch_event(Event("ping"))
        self.assertEqual(self.calls, ["alias"])
        with self.assertRaises(AttributeError):
            add_aliases(Target, {"nope": "doesNotExist"})


class WaitingTests(unittest.IsolatedAsyncioTestCase):
    async def test_wait_for_next_event(self) -> None:
        """wait_for returns the next event of a type."""
        target = Target()
        waiting = asyncio.ensure_future(target.wait_for("ping", timeout=TIMEOUT))
        await asyncio.sleep(0)  # let the waiter register: what is tested is the hand-over
        event = Event("ping")
        target.fire(event)
        self.assertIs(await waiting, event)

    async def test_remembered_event(self) -> None:
        """A remembered type returns at once when it already happened."""
        target = Target()
        close = CloseEvent("close", code=1000)
        target.fire(close)
        self.assertIs(await target.wait_for("close", timeout=TIMEOUT), close)

    async def test_closed_first(self) -> None:
        """Waiting for another type raises SocketClosed when the final event comes first."""
        target = Target()
        waiting = asyncio.ensure_future(target.wait_for("ping", timeout=TIMEOUT))
        await asyncio.sleep(0)
        target.fire(CloseEvent("close", code=1006))
        with self.assertRaisesRegex(SocketClosed, "code 1006"):
            await waiting
        with self.assertRaises(SocketClosed):
            await target.wait_for("ping", timeout=TIMEOUT)

    async def test_timeout(self) -> None:
        """wait_for raises TimeoutError naming the event."""
        with self.assertRaisesRegex(TimeoutError, "'ping'"):
            await Target().wait_for("ping", timeout=0.01)

    async def test_record(self) -> None:
        """A recorder keeps every event from its creation, in order."""
        target = Target()
        target.fire(MessageEvent("ping", data=0))
        recorder = target.record("ping")
        for n in range(1, 4):
            target.fire(MessageEvent("ping", data=n))
        events = await recorder.wait(3, timeout=TIMEOUT)
        self.assertEqual([e.data for e in events], [1, 2, 3])
        self.assertEqual(recorder.data, [1, 2, 3])
        self.assertEqual(len(recorder), 3)
        recorder.stop()
        target.fire(MessageEvent("ping", data=4))
        self.assertEqual(len(recorder), 3)

    async def test_record_closed_first(self) -> None:
        """A recorder waiting for more events than come raises SocketClosed at the close."""
        target = Target()
        recorder = target.record("ping")
        waiting = asyncio.ensure_future(recorder.wait(2, timeout=TIMEOUT))
        await asyncio.sleep(0)
        target.fire(MessageEvent("ping", data=1))
        target.fire(CloseEvent("close", code=1000))
        with self.assertRaises(SocketClosed):
            await waiting

    async def test_async_handler(self) -> None:
        """An async handler runs as a task; its exception is reported."""
        target = Target()
        done = asyncio.get_running_loop().create_future()

        async def handler(event: Event) -> None:
            await asyncio.sleep(0)
            done.set_result(event.type)
            raise ValueError("late boom")

        target.onping = handler
        with self.assertLogs("wsnb", "ERROR") as logs:
            target.fire(Event("ping"))
            self.assertEqual(await asyncio.wait_for(done, TIMEOUT), "ping")
            while target._pending_tasks:
                await asyncio.wait(set(target._pending_tasks))
        self.assertIn("ValueError: late boom", "\n".join(logs.output))


if __name__ == "__main__":
    unittest.main()
