"""What a pattern wraps: the socket-like protocol, the factory that makes one, and ``Wrapper``.

Every pattern wraps a *factory*: a callable that returns a new socket-like
object (a ``wsnb.WebSocket``, or another pattern, since they all present the
same surface). ``Wrapper`` is the base of the patterns that wrap exactly one
socket (the ones that make several, Reconnecting, Pool and Idle, subclass
``SocketTarget`` directly): it forwards the socket's events, passes on its
calls to ``watch_calls`` watchers, and delegates ``readyState``,
``bufferedAmount`` and the rest, so that a panel can watch a pattern as it
watches a WebSocket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from ..checks import check_close_args
from .. import loop as _loop
from ..codes import ReadyState
from ..diagnostics import Failure
from ..events import CloseEvent, Event
from ..exceptions import SocketClosed
from ..target import EventTarget
from ..url import parse_url
from ..websocket import SocketTarget
from ._events import copy_event, fire
from ._timers import Timers

__all__ = ["SocketLike"]


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
        self._socket = _loop.call_on(self._loop, self._make_socket)

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
        return _loop.call_on(self._loop, self._socket.send, data)

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Close the wrapped socket, with the same arguments and checks as ``WebSocket.close()``."""
        check_close_args(code, reason)
        _loop.call_on(self._loop, self._close, code, reason)

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
