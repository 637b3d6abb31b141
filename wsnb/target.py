"""EventTarget: listeners and dispatch with the DOM's rules, waiting, and the observation API.

``EventTarget`` implements ``addEventListener``, ``removeEventListener`` and
``dispatchEvent`` with the DOM's rules:

- listeners run in the order they were added; adding the same callback twice
  for the same type (and capture flag) adds it once;
- an ``on<type>`` handler is a listener too, placed where it was first set
  (setting it to ``None`` removes it; setting it again appends it anew);
- a listener removed during dispatch does not run; one added during
  dispatch waits for the next event;
- an exception in one listener is reported (to the ``wsnb`` logger, as a
  browser reports it to its console) and the others still run.

Beyond the DOM, clearly marked as wsnb extras: ``await target.wait_for(type)``
and ``target.block_until(type)`` wait for an event without sleeping,
``target.record(*types)`` keeps every event from now on, and a handler
written as ``async def`` is run as a task on the target's loop.

Tools that watch a target without changing it (the panel, the plots) use
its public observation API, never its private state: ``target.loop`` (where
its events are dispatched), ``target.last_event(type)`` (a once-only event
that already happened), ``target.final_event_type`` (the event after which
none comes) and ``wsnb.events.performance_now`` (the clock of
``Event.timeStamp``). ``SocketTarget.watch_calls`` adds what no event
reports: the calls.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, ClassVar

from . import loop as _loop
from .events import _STOP_IMMEDIATE, _TRUSTED, CloseEvent, Event, MessageEvent, _monotonic, _new_object
from .exceptions import SocketClosed

__all__ = ["EventHandler", "EventRecorder", "EventTarget"]

logger = logging.getLogger("wsnb")


Listener = Callable[[Any], Any]


class _Entry:
    """One listener in an EventTarget's list."""

    __slots__ = ("callback", "capture", "once", "removed", "handler", "plain")

    def __init__(self, callback: Any, capture: bool, once: bool, handler: bool = False) -> None:
        self.callback = callback
        self.capture = capture
        self.once = once
        self.removed = False
        # True for the entry behind an on<type> attribute: assigning the
        # attribute again replaces its callback and keeps its position.
        self.handler = handler
        # A callable is called; any other object has its handleEvent called
        # (the DOM's callback interface). Decided once, not per event.
        self.plain = callable(callback)


def _flatten(options: Any) -> tuple[bool, bool]:
    """Return (capture, once) from an options argument (a bool or a dict)."""
    if options is None:
        return False, False
    if isinstance(options, bool):
        return options, False
    if isinstance(options, dict):
        unknown = set(options) - {"capture", "once", "passive"}
        if unknown:
            raise TypeError(f"unknown listener option(s): {', '.join(sorted(unknown))}")
        return bool(options.get("capture", False)), bool(options.get("once", False))
    raise TypeError(f"listener options must be a bool or a dict, not {options.__class__.__name__}")


class EventTarget:
    """An object that dispatches events to listeners, as the DOM's EventTarget.

    Subclasses set ``_remembered_types`` to the types that happen at most once
    (``open``, ``error``, ``close`` for a WebSocket), so that ``wait_for``
    returns at once when that event already happened, and ``_final_type`` to
    the type after which no other event can come.
    """

    _remembered_types: ClassVar[frozenset[str]] = frozenset()
    _final_type: ClassVar[str | None] = None

    def __init__(self) -> None:
        # Copy-on-write: a change makes a new tuple, so a dispatch walks the
        # tuple it started with (a listener added meanwhile waits for the
        # next event) without copying the list for every event.
        self._listeners: dict[str, tuple[_Entry, ...]] = {}
        self._handler_entries: dict[str, _Entry] = {}
        self._seen: dict[str, Event] = {}
        self._waiters: dict[str, list[asyncio.Future[Event]]] = {}
        self._pending_tasks: set[asyncio.Task[Any]] = set()

    # -- The DOM interface ---------------------------------------------------

    def addEventListener(self, type: str, callback: Any, options: Any = None) -> None:
        """Call ``callback(event)`` for every event of ``type``.

        Args:
            type: The event type, such as ``"message"``.
            callback: A callable, or an object with a ``handleEvent``
                method. None is ignored, as in the DOM.
            options: ``True``/``False`` for capture, or a dict with
                ``capture``, ``once`` (remove after the first call) and
                ``passive`` (accepted and ignored).
        """
        if callback is None:
            return
        _check_callback(callback)
        capture, once = _flatten(options)
        entries = self._listeners.get(type, ())
        for entry in entries:
            if not entry.handler and entry.callback == callback and entry.capture == capture:
                return
        self._listeners[type] = (*entries, _Entry(callback, capture, once))

    def removeEventListener(self, type: str, callback: Any, options: Any = None) -> None:
        """Remove a listener added with the same type, callback and capture flag."""
        capture, _ = _flatten(options)
        for entry in self._listeners.get(type, ()):
            if not entry.handler and entry.callback == callback and entry.capture == capture:
                self._drop(type, entry)
                return

    def dispatchEvent(self, event: Event) -> bool:
        """Dispatch an event you created to this target's listeners, now.

        Returns:
            False if a listener called ``preventDefault()`` on a cancelable
            event, True otherwise.

        Raises:
            InvalidStateError: If the event is being dispatched already.
        """
        from .exceptions import InvalidStateError

        if not isinstance(event, Event):
            raise TypeError(f"dispatchEvent() takes an Event, not {event.__class__.__name__}")
        if event._current_target is not None:
            raise InvalidStateError("the event is already being dispatched")
        event._trusted = False
        self._dispatch(event)
        return not event.defaultPrevented

    # -- on<type> attributes ------------------------------------------------

    def _get_handler(self, type: str) -> Any:
        entry = self._handler_entries.get(type)
        return None if entry is None else entry.callback

    def _set_handler(self, type: str, value: Any) -> None:
        if value is None:
            entry = self._handler_entries.pop(type, None)
            if entry is not None:
                self._drop(type, entry)
            return
        _check_callback(value, handler=True)
        entry = self._handler_entries.get(type)
        if entry is None:
            entry = _Entry(value, False, False, handler=True)
            self._handler_entries[type] = entry
            self._listeners[type] = (*self._listeners.get(type, ()), entry)
        else:
            # Reassigning keeps the handler's place among the listeners.
            entry.callback = value

    def _drop(self, type: str, entry: _Entry) -> None:
        """Remove a listener entry; a dispatch under way skips it from now on."""
        entry.removed = True
        self._listeners[type] = tuple(other for other in self._listeners[type] if other is not entry)

    # -- Dispatch -----------------------------------------------------------

    def _dispatch(self, event: Event) -> None:
        """Run the listeners for ``event`` now, in order, reporting their exceptions."""
        event._target = event._current_target = self
        type = event._type
        if type in self._remembered_types:
            self._seen[type] = event
        for entry in self._listeners.get(type, ()):
            if entry.removed:
                continue
            if entry.once:
                self._drop(type, entry)
            try:
                if entry.plain:
                    result = entry.callback(event)
                else:
                    result = entry.callback.handleEvent(event)
                if result is not None and asyncio.iscoroutine(result):
                    self._run_async_listener(result, type)
            except Exception:
                logger.error("exception in %r listener of %r", type, self, exc_info=True)
            if event._flags & _STOP_IMMEDIATE:
                break
        event._current_target = None
        if self._waiters:
            self._wake_waiters(event)

    def _dispatch_received(self, data: Any, origin: str) -> None:
        """Make and dispatch the trusted ``message`` event for a received message.

        A fast stream dispatches hundreds of thousands of messages a second,
        so the event is made with only the slots that differ from a new
        event's: ``_target`` and ``_current_target`` are set by ``_dispatch``
        at once, and an unset ``_extra`` reads as the defaults
        (``lastEventId`` "", no source, no ports).
        """
        event = _new_object(MessageEvent)
        event._type = "message"
        event._created = _monotonic()
        event._flags = _TRUSTED
        event._data = data
        event._origin = origin
        self._dispatch(event)

    def _run_async_listener(self, coro: Any, type: str) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._pending_tasks.add(task)

        def done(task: asyncio.Task[Any]) -> None:
            self._pending_tasks.discard(task)
            if not task.cancelled() and task.exception() is not None:
                logger.error(
                    "exception in async %r listener of %r", type, self, exc_info=task.exception()
                )

        task.add_done_callback(done)

    # -- Waiting (wsnb extras) ------------------------------------------------

    def _wake_waiters(self, event: Event) -> None:
        waiters = self._waiters.pop(event._type, None)
        if waiters:
            for future in waiters:
                if not future.done():
                    future.set_result(event)
        if event._type == self._final_type and self._waiters:
            others, self._waiters = self._waiters, {}
            for type, futures in others.items():
                for future in futures:
                    if not future.done():
                        future.set_exception(SocketClosed(type, event))  # type: ignore[arg-type]

    def _target_loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop this target's events are dispatched on (None: the caller's)."""
        return None

    # -- Observation (wsnb extras) ---------------------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The asyncio loop this target dispatches its events on (a wsnb extra).

        A tool that watches the target schedules its own work there, so
        that it never runs at the same time as the target's listeners. None
        for a plain ``EventTarget``, which dispatches in the caller's thread.
        """
        return self._target_loop()

    @property
    def final_event_type(self) -> str | None:
        """The type of the last event this target fires (``"close"`` for a socket), or None (a wsnb extra)."""
        return self._final_type

    def last_event(self, type: str) -> Event | None:
        """The event of ``type`` that already happened, or None (a wsnb extra).

        Only for the types that happen at most once per connection
        (``open``, ``error``, ``close`` on a WebSocket); None for others. A
        tool that starts watching late reads here what it missed, such as
        the time of the ``open`` event.
        """
        return self._seen.get(type)

    def _waiter(self, type: str) -> asyncio.Future[Event]:
        """Register, now, a future for the next event of ``type`` (or a remembered one)."""
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        seen = self._seen.get(type)
        final = self._seen.get(self._final_type) if self._final_type else None
        if seen is not None:
            future.set_result(seen)
        elif final is not None:
            future.set_exception(SocketClosed(type, final))  # type: ignore[arg-type]
        else:
            self._waiters.setdefault(type, []).append(future)
        return future

    async def _wait_here(self, type: str, timeout: float | None = None) -> Event:
        # The future is registered before the first suspension, so an event
        # dispatched while wait_for's own machinery starts cannot be missed.
        future = self._waiter(type)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            waiters = self._waiters.get(type)
            if waiters and future in waiters:
                waiters.remove(future)

    async def wait_for(self, type: str, *, timeout: float | None = None) -> Event:
        """Wait for the next event of ``type`` and return it (a wsnb extra).

        An event that happens at most once (``open``, ``error``, ``close``
        on a WebSocket) is remembered: waiting for it after it happened
        returns it at once, so ``await ws.wait_for("open")`` in the cell
        after the constructor works whether or not the event already fired.

        Args:
            type: The event type.
            timeout: Seconds to wait at most; None waits as long as it takes.

        Raises:
            TimeoutError: If ``timeout`` passed first.
            SocketClosed: If the target closed before such an event.
        """
        try:
            return await _loop.run_on(self._target_loop(), self._wait_here(type, timeout))
        except asyncio.TimeoutError:
            raise TimeoutError(f"no {type!r} event within {timeout} s") from None

    def record(self, *types: str) -> EventRecorder:
        """Start recording events of the given types; return the recorder (a wsnb extra).

        ``wait_for("message")`` waits for the *next* message, so two
        messages that arrive together cannot both be caught by two awaits in
        a row. A recorder keeps every event from the moment it is made::

            replies = ws.record("message")
            ws.send("a"); ws.send("b")
            events = await replies.wait(2)
        """
        return EventRecorder(self, types)

    def block_until(self, type: str, *, timeout: float | None = None) -> Event:
        """Block until the next event of ``type`` and return it (a wsnb extra).

        For code that cannot ``await``. In a running kernel it nests the
        kernel's loop with nest-asyncio2 (applied on first use, never on
        import); see the course's event-loop notebook for when that is
        worth its cost. Prefer ``await target.wait_for(type)``.
        """
        return _loop.run_blocking(self.wait_for(type, timeout=timeout), self._target_loop())


class EventRecorder:
    """Events of some types, recorded in order from the moment it was made (a wsnb extra).

    Made by ``target.record(*types)``. It is a listener like any other, so it
    sees exactly what handlers see. Call ``stop()`` to stop recording.
    """

    def __init__(self, target: EventTarget, types: tuple[str, ...]) -> None:
        if not types:
            raise TypeError("record() needs at least one event type, such as 'message'")
        self.target = target
        self.types = types
        self.events: list[Event] = []
        self._waiter: tuple[int, asyncio.Future[None]] | None = None
        for type in types:
            target.addEventListener(type, self._on_event)
        if target._final_type and target._final_type not in types:
            target.addEventListener(target._final_type, self._on_final)
        self._final: Event | None = target._seen.get(target._final_type) if target._final_type else None

    def _on_event(self, event: Event) -> None:
        self.events.append(event)
        self._check()

    def _on_final(self, event: Event) -> None:
        self._final = event
        self._check()

    def _check(self) -> None:
        if self._waiter is None:
            return
        count, future = self._waiter
        if future.done():
            return
        if len(self.events) >= count:
            future.set_result(None)
        elif self._final is not None:
            future.set_exception(SocketClosed(f"{count} {'/'.join(self.types)}", self._final))  # type: ignore[arg-type]

    async def _wait_here(self, count: int, timeout: float | None) -> list[Event]:
        if len(self.events) < count:
            self._waiter = (count, asyncio.get_running_loop().create_future())
            try:
                self._check()
                await asyncio.wait_for(self._waiter[1], timeout)
            finally:
                self._waiter = None
        return self.events[:count]

    async def wait(self, count: int = 1, *, timeout: float | None = None) -> list[Event]:
        """Wait until ``count`` events are recorded; return the first ``count``.

        Raises:
            TimeoutError: If ``timeout`` seconds passed first.
            SocketClosed: If the target closed before enough events came.
        """
        try:
            return await _loop.run_on(self.target._target_loop(), self._wait_here(count, timeout))
        except asyncio.TimeoutError:
            raise TimeoutError(
                f"{len(self.events)} of {count} {'/'.join(self.types)} event(s) within {timeout} s"
            ) from None

    def block_until(self, count: int = 1, *, timeout: float | None = None) -> list[Event]:
        """Block until ``count`` events are recorded (for code that cannot await)."""
        return _loop.run_blocking(self.wait(count, timeout=timeout), self.target._target_loop())

    @property
    def data(self) -> list[Any]:
        """The ``data`` of every recorded event that has one (messages)."""
        return [event.data for event in self.events if hasattr(event, "data")]

    def stop(self) -> None:
        """Stop recording; the events recorded so far stay."""
        for type in self.types:
            self.target.removeEventListener(type, self._on_event)
        if self.target._final_type:
            self.target.removeEventListener(self.target._final_type, self._on_final)

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Any:
        return iter(self.events)

    def __getitem__(self, index: int) -> Event:
        return self.events[index]

    def __repr__(self) -> str:
        return f"<EventRecorder {'/'.join(self.types)}: {len(self.events)} event(s)>"


def _check_callback(callback: Any, handler: bool = False) -> None:
    if callable(callback) or (not handler and hasattr(callback, "handleEvent")):
        return
    what = "an event handler" if handler else "a listener"
    raise TypeError(f"{what} must be callable, not {callback.__class__.__name__}")


class EventHandler:
    """The descriptor behind ``onopen``, ``onmessage`` and the other handler attributes.

    Reading gives the current handler or None; assigning a callable makes it
    a listener, placed where it was first assigned; assigning None removes it.
    """

    def __init__(self, type: str) -> None:
        self.type = type

    def __set_name__(self, owner: type, name: str) -> None:
        self.__doc__ = f"The handler called for {self.type!r} events, or None."

    def __get__(self, instance: EventTarget | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return instance._get_handler(self.type)

    def __set__(self, instance: EventTarget, value: Any) -> None:
        instance._set_handler(self.type, value)


class _Alias:
    """A snake_case name that reads and writes a spec-named attribute."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.__doc__ = f"Alias of ``{target}``."

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return getattr(instance, self.target)

    def __set__(self, instance: Any, value: Any) -> None:
        setattr(instance, self.target, value)


def add_aliases(cls: type, table: dict[str, str]) -> None:
    """Give ``cls`` a snake_case alias for each spec name in ``table`` (alias -> spec name).

    Docs and notebooks use the spec names; the aliases exist for Python
    habits and are all defined through this one function.
    """
    for alias, target in table.items():
        if not hasattr(cls, target):
            raise AttributeError(f"{cls.__name__} has no {target!r} to alias")
        setattr(cls, alias, _Alias(target))


add_aliases(EventTarget, {
    "add_event_listener": "addEventListener",
    "remove_event_listener": "removeEventListener",
    "dispatch_event": "dispatchEvent",
})
add_aliases(Event, {
    "current_target": "currentTarget",
    "default_prevented": "defaultPrevented",
    "is_trusted": "isTrusted",
    "time_stamp": "timeStamp",
    "prevent_default": "preventDefault",
    "stop_propagation": "stopPropagation",
    "stop_immediate_propagation": "stopImmediatePropagation",
})
add_aliases(MessageEvent, {"last_event_id": "lastEventId"})
add_aliases(CloseEvent, {"was_clean": "wasClean"})
