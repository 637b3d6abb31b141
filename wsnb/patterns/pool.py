"""Pool: several connections used as one, round-robin over the open ones.

The reference's ``WebSocketPool`` (under "Connection Pooling"): N
connections to the same server; ``send()`` picks the next one, round-robin;
``broadcast()`` sends on all; ``close()`` closes all. Messages from every
connection arrive as this object's ``message`` events.

Use it when one connection is the bottleneck (a server that handles each
connection on one core, a per-connection rate limit). Do not use it when
order matters: two messages sent on two connections can arrive in either
order, and replies come back on the connection that carried the request.

What was fixed relative to the reference, and why:

- **Round-robin over OPEN connections only.** The reference advances its
  index whether or not the chosen connection is open, and gives up
  (returns false) when it is not, even with other connections open. Here
  ``send()`` skips connections that are not OPEN and fails only when none
  is open, by raising ``InvalidStateError`` like ``WebSocket.send()``.
- **The pool is observable.** The reference only logs when members open
  and never reports messages, errors or closes. Here ``open`` fires when
  the first member opens, ``message`` and ``error`` for every member (the
  member is ``event.source``, a wsnb pattern extra: for WebSocket messages
  the standard leaves it None), and ``close`` once, when every member has
  closed.
- **Members can heal.** With ``factory=lambda: Reconnecting(url)`` a lost
  member reconnects on its own, and is skipped by ``send()`` meanwhile.
"""

from __future__ import annotations

from typing import Any

from ..checks import check_close_args, check_int
from .. import loop as _loop
from ..codes import ReadyState
from ..events import CloseEvent, Event, MessageEvent
from ..exceptions import InvalidStateError
from ..websocket import SocketTarget
from ._events import copy_event, fire
from ._socket import Factory, SocketLike, resolve_factory
from ._timers import Timers

__all__ = ["Pool"]


class Pool(SocketTarget):
    """``size`` connections made by one factory, used round-robin.

    ``readyState`` is OPEN while at least one member is open, CONNECTING
    while none is open yet and some may still open, CLOSING after
    ``close()`` and CLOSED once every member closed.

    Args:
        url: The URL; the default factory makes ``WebSocket(url)``.
        factory: Instead of ``url``: a callable returning a new socket.
        size: How many connections.

    Attributes:
        connections: The members, in order.
        sends: How many messages each member carried (same order).
    """

    def __init__(self, url: str | None = None, *, factory: Factory | None = None, size: int = 3) -> None:
        super().__init__()
        check_int("size", size, minimum=1)
        self._factory = resolve_factory(url, factory)
        self._loop = _loop.socket_loop()
        self._timers = Timers(self._loop, self)
        self._next = 0
        self._closing = False
        self._done = False
        self._closed_members: set[int] = set()
        self.sends = [0] * size
        self.connections: tuple[SocketLike, ...] = _loop.call_on(self._loop, self._make, size)

    def _make(self, size: int) -> tuple[SocketLike, ...]:
        members = tuple(self._factory() for _ in range(size))
        for member in members:
            member.addEventListener("open", self._on_open)
            member.addEventListener("message", self._on_pass)
            member.addEventListener("error", self._on_pass)
            member.addEventListener("close", self._on_close)
            self._adopt(member)
        return members

    # -- Attributes --------------------------------------------------------------

    @property
    def readyState(self) -> ReadyState:
        """OPEN if any member is open, else CONNECTING, CLOSING or CLOSED (see the class)."""
        if self._done:
            return ReadyState.CLOSED
        if self._closing:
            return ReadyState.CLOSING
        if any(m.readyState == ReadyState.OPEN for m in self.connections):
            return ReadyState.OPEN
        return ReadyState.CONNECTING

    @property
    def bufferedAmount(self) -> int:
        """The members' bufferedAmount, added up."""
        return sum(m.bufferedAmount for m in self.connections)

    @property
    def open_count(self) -> int:
        """How many members are OPEN now."""
        return sum(1 for m in self.connections if m.readyState == ReadyState.OPEN)

    @property
    def size(self) -> int:
        """How many members the pool has."""
        return len(self.connections)

    # -- Methods -----------------------------------------------------------------

    def send(self, data: Any) -> int:
        """Send ``data`` on the next OPEN member, round-robin; return its index.

        Raises:
            InvalidStateError: If no member is OPEN.
        """
        return _loop.call_on(self._loop, self._send, data)

    def _send(self, data: Any) -> int:
        size = len(self.connections)
        for step in range(size):
            index = (self._next + step) % size
            member = self.connections[index]
            if member.readyState == ReadyState.OPEN:
                member.send(data)
                self.sends[index] += 1
                self._next = (index + 1) % size
                return index
        raise InvalidStateError(f"no connection of the pool is OPEN (0 of {size}); wait for the 'open' event")

    def broadcast(self, data: Any) -> int:
        """Send ``data`` on every OPEN member; return how many."""
        return _loop.call_on(self._loop, self._broadcast, data)

    def _broadcast(self, data: Any) -> int:
        count = 0
        for index, member in enumerate(self.connections):
            if member.readyState == ReadyState.OPEN:
                member.send(data)
                self.sends[index] += 1
                count += 1
        return count

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Close every member (same arguments and checks as ``WebSocket.close()``)."""
        check_close_args(code, reason)
        _loop.call_on(self._loop, self._close, code, reason)

    def _close(self, code: int | None, reason: str | None) -> None:
        if self._closing or self._done:
            return
        self._closing = True
        for member in self.connections:
            member.close(code, reason)

    # -- Events --------------------------------------------------------------------

    def _target_loop(self) -> Any:
        return self._loop

    def _on_open(self, event: Event) -> None:
        if "open" not in self._seen:
            fire(self, copy_event(event))

    def _on_pass(self, event: Event) -> None:
        if isinstance(event, MessageEvent):
            fire(self, MessageEvent(event.type, data=event.data, origin=event.origin, source=event.target))
        else:
            fire(self, copy_event(event))

    def _on_close(self, event: Event) -> None:
        source: object = event.target
        for index, member in enumerate(self.connections):
            if member is source:
                self._closed_members.add(index)
        if len(self._closed_members) == len(self.connections) and not self._done:
            self._done = True
            self._timers.cancel_all()
            assert isinstance(event, CloseEvent)
            fire(self, copy_event(event))

    def __repr__(self) -> str:
        return f"<Pool size={len(self.connections)} open={self.open_count} readyState={self.readyState.name}>"
