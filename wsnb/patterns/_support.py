"""What the pattern classes share: the socket-like protocol, timers, events, a bounded queue.

Every pattern wraps a *factory*: a callable that returns a new socket-like
object (a ``wsnb.WebSocket``, or another pattern, since they all present the
same surface). This module holds the small pieces they have in common:

- ``SocketLike``, the surface a pattern needs from what the factory returns;
- ``Timers``, which keeps every timer and task a pattern starts, reports
  exceptions from them and cancels them all when the pattern ends;
- ``Wrapper``, the base of the patterns that wrap exactly one socket (the
  ones that make several sockets, Reconnecting, Pool and Idle, subclass
  ``SocketTarget`` directly): it forwards the socket's events, passes on its
  calls to ``watch_calls`` watchers, and delegates ``readyState``,
  ``bufferedAmount`` and the rest, so that a panel can watch a pattern as it
  watches a WebSocket;
- ``SendQueue``, a bounded queue with an explicit overflow policy, and the
  ``OverflowEvent`` and ``QueueFull`` that report an overflow;
- ``MessageErrorEvent``, the ``messageerror`` event for a message that
  arrived but could not be decoded (the HTML standard uses the same event
  type when a MessagePort cannot deserialize a message).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from ..checks import check_int
from .. import loop as _loop
from ..codes import ReadyState
from ..diagnostics import Failure
from ..events import CloseEvent, Event, MessageEvent
from ..target import EventTarget
from ..url import parse_url
from ..exceptions import QueueFull, SocketClosed
from ..websocket import SocketTarget, check_close_args

__all__ = ["MessageErrorEvent", "OverflowEvent", "OverflowPolicy", "SocketLike"]

logger = logging.getLogger("wsnb.patterns")
"""Where patterns report exceptions raised in their timers (``wsnb.patterns``)."""

T = TypeVar("T")

OverflowPolicy = Literal["raise", "drop-oldest", "drop-newest"]
"""What a full bounded queue does with one more item.

``"raise"`` refuses it with ``QueueFull``; ``"drop-oldest"`` discards the
oldest queued item to make room; ``"drop-newest"`` discards the new item.
Both drops are reported with an ``overflow`` event, never silently.
"""

_POLICIES = ("raise", "drop-oldest", "drop-newest")


class SocketLike(Protocol):
    """What a pattern needs from the object its factory returns.

    ``wsnb.WebSocket`` has all of it, and so does every pattern class, so
    patterns compose: ``Robust(factory=lambda: Reconnecting(url))``.
    """

    @property
    def readyState(self) -> int: ...

    @property
    def bufferedAmount(self) -> int: ...

    def send(self, data: Any) -> Any: ...

    def close(self, code: int | None = None, reason: str | None = None) -> None: ...

    def addEventListener(self, type: str, callback: Any, options: Any = None) -> None: ...

    def removeEventListener(self, type: str, callback: Any, options: Any = None) -> None: ...


Factory = Callable[[], SocketLike]
"""A callable that returns a new socket-like object each time it is called."""


def resolve_factory(
    url: str | None,
    factory: Factory | None,
    default: Callable[[str], SocketLike] | None = None,
) -> Factory:
    """Return the factory a pattern uses: ``factory``, or one built from ``url``.

    The URL is checked now, so that a malformed URL raises ``DOMSyntaxError``
    in the constructor instead of failing every (re)connection later.

    Args:
        url: The URL to connect to, or None when ``factory`` is given.
        factory: A callable returning a new socket-like object, or None.
        default: Makes a socket from the URL; ``wsnb.WebSocket`` if None.

    Raises:
        TypeError: If both or neither of ``url`` and ``factory`` are given,
            or ``factory`` is not callable.
        DOMSyntaxError: If the URL is not a valid WebSocket URL.
    """
    if factory is not None:
        if url is not None:
            raise TypeError("pass either a url or a factory, not both")
        if not callable(factory):
            raise TypeError(f"factory must be callable, not {factory.__class__.__name__}")
        return factory
    if url is None:
        raise TypeError("pass a url (such as 'ws://127.0.0.1:8765/') or a factory")
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, not {url.__class__.__name__}")
    parse_url(url, None)
    if default is not None:
        make = default
        return lambda: make(url)
    from ..websocket import WebSocket

    return lambda: WebSocket(url)


def copy_event(event: Event) -> Event:
    """Return a fresh copy of ``event`` to dispatch on another target.

    An event object belongs to one dispatch (its ``target`` and stop flags
    are set during it), so a pattern re-dispatches a new event with the same
    public fields, never the socket's own event. Pattern events define
    ``_clone()``; the mirror's events are rebuilt from their attributes.
    """
    clone = getattr(event, "_clone", None)
    if clone is not None:
        made: Event = clone()
        return made
    if isinstance(event, CloseEvent):
        return CloseEvent(event.type, code=event.code, reason=event.reason, wasClean=event.wasClean)
    if isinstance(event, MessageEvent):
        return MessageEvent(
            event.type,
            data=event.data,
            origin=event.origin,
            lastEventId=event.lastEventId,
            source=event.source,
            ports=event.ports,
        )
    return Event(event.type, bubbles=event.bubbles, cancelable=event.cancelable)


def fire(target: EventTarget, event: Event) -> None:
    """Dispatch ``event`` on ``target`` now, as an event wsnb created (trusted)."""
    event._trusted = True
    target._dispatch(event)


def call_in_loop(loop: asyncio.AbstractEventLoop, function: Callable[..., T], *args: Any) -> T:
    """Run ``function(*args)`` on ``loop`` and return its result, from any thread.

    Pattern state lives on its loop. Called from that loop's thread it runs
    at once; from another thread (a widget callback, a user thread) it is
    handed to the loop and this thread waits for the result, so return
    values and exceptions reach the caller either way.
    """
    if _loop.in_loop_thread(loop):
        return function(*args)
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def run() -> None:
        try:
            future.set_result(function(*args))
        except BaseException as exc:  # handed to the calling thread
            future.set_exception(exc)

    loop.call_soon_threadsafe(run)
    return future.result()


class Timers:
    """The timers and tasks one pattern started, so that none is ever lost.

    Callbacks run on the pattern's loop; an exception in one is reported to
    the ``wsnb.patterns`` logger (a browser reports it to its console) and
    the pattern goes on. ``cancel_all()`` stops everything when the pattern
    ends.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, owner: object) -> None:
        self.loop = loop
        self._owner = owner
        self._handles: set[asyncio.Handle] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    def later(self, delay: float, callback: Callable[..., Any], *args: Any) -> asyncio.TimerHandle:
        """Call ``callback(*args)`` after ``delay`` seconds; return the handle."""
        handle: asyncio.TimerHandle

        def run() -> None:
            self._handles.discard(handle)
            self._run(callback, args)

        handle = self.loop.call_later(delay, run)
        self._handles.add(handle)
        return handle

    def soon(self, callback: Callable[..., Any], *args: Any) -> asyncio.Handle:
        """Call ``callback(*args)`` on the next loop iteration (never inside the caller)."""
        handle: asyncio.Handle

        def run() -> None:
            self._handles.discard(handle)
            self._run(callback, args)

        handle = self.loop.call_soon(run)
        self._handles.add(handle)
        return handle

    def cancel(self, handle: asyncio.Handle | None) -> None:
        """Cancel one handle from ``later()`` or ``soon()``; None is ignored."""
        if handle is not None:
            handle.cancel()
            self._handles.discard(handle)

    def task(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run ``coro`` as a task the pattern keeps; report its exception if it fails."""
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("exception in a task of %r", self._owner, exc_info=task.exception())

    def _run(self, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            callback(*args)
        except Exception:
            logger.error("exception in a timer of %r", self._owner, exc_info=True)

    @property
    def pending(self) -> int:
        """How many timers and tasks are still scheduled."""
        return len(self._handles) + len(self._tasks)

    def cancel_all(self) -> None:
        """Cancel every timer and task."""
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()
        for task in self._tasks:
            task.cancel()


class OverflowEvent(Event):
    """Reports a message a full queue discarded (type ``"overflow"``; a wsnb pattern event).

    Args:
        type: Usually ``"overflow"``.
        data: The discarded message, as it was passed to ``send()``.
        policy: ``"drop-oldest"`` or ``"drop-newest"``.
    """

    __slots__ = ("_data", "_policy")

    def __init__(self, type: str, *, data: Any = None, policy: str = "") -> None:
        super().__init__(type)
        self._data = data
        self._policy = policy

    @property
    def data(self) -> Any:
        """The discarded message."""
        return self._data

    @property
    def policy(self) -> str:
        """The overflow policy that discarded it."""
        return self._policy

    def _clone(self) -> OverflowEvent:
        return OverflowEvent(self._type, data=self._data, policy=self._policy)

    def _fields(self) -> str:
        return f"type={self._type!r}, data={self._data!r}, policy={self._policy!r}"


class MessageErrorEvent(MessageEvent):
    """A message that arrived but could not be decoded (type ``"messageerror"``).

    ``data`` is the message as it arrived; ``error`` is the exception that
    says what was wrong with it (a wsnb pattern extra).
    """

    __slots__ = ("_error",)

    def __init__(self, type: str, *, data: Any = None, origin: str = "", error: BaseException | None = None) -> None:
        super().__init__(type, data=data, origin=origin)
        self._error = error

    @property
    def error(self) -> BaseException | None:
        """Why the message could not be decoded."""
        return self._error

    def _clone(self) -> MessageErrorEvent:
        return MessageErrorEvent(self.type, data=self.data, origin=self.origin, error=self._error)

    def _fields(self) -> str:
        return f"{super()._fields()}, error={self._error!r}"


class SendQueue:
    """A FIFO queue of outgoing messages, bounded or not, with an explicit overflow policy.

    Args:
        maxlen: The most items it holds; None for no bound.
        policy: What ``put()`` does when full (see ``OverflowPolicy``).
    """

    def __init__(self, maxlen: int | None, policy: str) -> None:
        check_int("max_queue", maxlen, minimum=1, allow_none=True)
        if policy not in _POLICIES:
            raise ValueError(f"overflow must be one of {', '.join(map(repr, _POLICIES))}, not {policy!r}")
        self.maxlen = maxlen
        self.policy = policy
        self._items: collections.deque[Any] = collections.deque()

    def put(self, item: Any) -> tuple[bool, Any]:
        """Add ``item``; return ``(accepted, dropped)``.

        ``accepted`` is False when the new item itself was dropped
        (``"drop-newest"``); ``dropped`` is the item that was discarded, or
        None when nothing was.

        Raises:
            QueueFull: When full and the policy is ``"raise"``.
        """
        if self.maxlen is not None and len(self._items) >= self.maxlen:
            if self.policy == "raise":
                raise QueueFull(self.maxlen)
            if self.policy == "drop-newest":
                return False, item
            dropped = self._items.popleft()
            self._items.append(item)
            return True, dropped
        self._items.append(item)
        return True, None

    def popleft(self) -> Any:
        """Remove and return the oldest item."""
        return self._items.popleft()

    def peek(self) -> Any:
        """Return the oldest item without removing it."""
        return self._items[0]

    def clear(self) -> list[Any]:
        """Remove every item and return them, oldest first."""
        items = list(self._items)
        self._items.clear()
        return items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)


class Wrapper(SocketTarget):
    """Base of the patterns that wrap one socket made by a factory.

    It makes the socket, forwards copies of its ``open``, ``message``,
    ``error``, ``close`` and ``reconnect`` events (the last one comes from a
    ``Reconnecting`` socket), and delegates ``readyState``,
    ``bufferedAmount``, ``url``, ``protocol``, ``extensions`` and
    ``binaryType``. A subclass overrides the ``_on_<type>`` hooks it needs
    and calls ``self._forward(event)`` for the events it passes on.

    ``close`` is the final event: it is forwarded only when the socket
    closes for good. After a ``reconnect`` event, ``wait_for("open")`` waits
    for the next open instead of returning the previous one.

    A subclass sets up its own state in ``__init__`` and calls
    ``self._start()`` last, so that no event can reach a half-built object
    (when built outside the loop's thread, the loop runs concurrently).
    """

    _socket_events: ClassVar[tuple[str, ...]] = ("open", "message", "error", "close", "reconnect")

    def __init__(
        self,
        url: str | None,
        factory: Factory | None,
        default: Callable[[str], SocketLike] | None = None,
    ) -> None:
        super().__init__()
        self._factory = resolve_factory(url, factory, default)
        self._loop = _loop.socket_loop()
        self._timers = Timers(self._loop, self)
        self._finished = False
        self._socket: SocketLike

    def _start(self) -> None:
        """Make the socket with the factory; call it last in ``__init__``."""
        self._socket = call_in_loop(self._loop, self._make_socket)

    def _make_socket(self) -> SocketLike:
        socket = self._factory()
        for type in self._socket_events:
            socket.addEventListener(type, getattr(self, f"_on_{type}"))
        self._adopt(socket)
        return socket

    # -- Delegated attributes ------------------------------------------------

    @property
    def socket(self) -> SocketLike:
        """The wrapped socket (what the factory returned)."""
        return self._socket

    @property
    def readyState(self) -> ReadyState:
        """The wrapped socket's readyState."""
        return ReadyState(self._socket.readyState)

    @property
    def bufferedAmount(self) -> int:
        """The wrapped socket's bufferedAmount (bytes handed to it and not yet sent)."""
        return self._socket.bufferedAmount

    @property
    def url(self) -> str:
        """The wrapped socket's URL."""
        return str(getattr(self._socket, "url", ""))

    @property
    def protocol(self) -> str:
        """The wrapped socket's subprotocol."""
        return str(getattr(self._socket, "protocol", ""))

    @property
    def extensions(self) -> str:
        """The wrapped socket's extensions."""
        return str(getattr(self._socket, "extensions", ""))

    @property
    def failure(self) -> Failure | None:
        """Why the wrapped socket's connection failed, or None (a wsnb extra)."""
        return getattr(self._socket, "failure", None)

    @property
    def binaryType(self) -> str:
        """The wrapped socket's binaryType."""
        return str(getattr(self._socket, "binaryType", "blob"))

    @binaryType.setter
    def binaryType(self, value: str) -> None:
        self._socket.binaryType = value  # type: ignore[attr-defined]

    # -- Methods ---------------------------------------------------------------

    def send(self, data: Any) -> Any:
        """Send ``data`` on the wrapped socket (see the subclass for what it adds)."""
        return call_in_loop(self._loop, self._socket.send, data)

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Close the wrapped socket, with the same arguments and checks as ``WebSocket.close()``."""
        check_close_args(code, reason)
        call_in_loop(self._loop, self._close, code, reason)

    def _close(self, code: int | None, reason: str | None) -> None:
        self._before_close()
        self._socket.close(code, reason)

    def _before_close(self) -> None:
        """Hook: stop what the pattern does on its own before the socket closes."""

    # -- Events from the socket ------------------------------------------------

    def _target_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def _forward(self, event: Event) -> None:
        fire(self, copy_event(event))

    def _on_open(self, event: Event) -> None:
        self._forward(event)

    def _on_message(self, event: Event) -> None:
        self._forward(event)

    def _on_error(self, event: Event) -> None:
        self._forward(event)

    def _on_reconnect(self, event: Event) -> None:
        self._seen.pop("open", None)
        self._forward(event)

    def _on_close(self, event: Event) -> None:
        self._finished = True
        self._timers.cancel_all()
        self._forward(event)

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} url={self.url!r} readyState={self.readyState.name}>"


def drain_ended(target: EventTarget) -> SocketClosed | None:
    """What a ``drain()`` raises once ``target`` closed for good: SocketClosed with its close event."""
    closed = target.last_event("close")
    return SocketClosed("drain", closed) if isinstance(closed, CloseEvent) else None

