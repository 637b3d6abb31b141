"""Idle: spend less on a connection nobody is using, and come back on resume.

The reference's "Battery Optimization" pattern reacts to a mobile page going
to the background (``visibilitychange``): it lowers the heartbeat frequency,
or closes the connection with 1000 and reconnects when the page is visible
again. A notebook has no visibility, but it has the same situation: a kernel
left open over lunch keeps a connection alive, pinging every 30 seconds, for
nobody. ``Idle`` pauses a connection

- when ``pause()`` is called (a cell, a widget button), or
- after ``idle_after`` seconds with nothing sent or received (heartbeat
  pongs do not count),

and brings it back with ``resume()``. Two ways to pause:

- ``mode="slow"``: keep the connection, ping less often (the socket must be
  a ``Heartbeat``; its ``interval`` goes from ``active_interval`` to
  ``idle_interval``);
- ``mode="close"``: close with 1000 and the reason ``"idle"``;
  ``resume()`` opens a new connection with the factory.

Events: those of the current socket (``open`` for each new connection,
``message``, ``error``), plus ``idle`` when pausing and ``active`` when
resuming. ``close`` fires once, after ``close()`` or when a connection ends
by itself (not when ``Idle`` closed it to pause). While paused in
``"close"`` mode, ``readyState`` is CONNECTING, as for ``Reconnecting``
between connections: the object is not finished, and ``send()`` raises.

What was fixed relative to the reference, and why:

- **Changing the interval takes effect.** The reference assigns
  ``this.heartbeatInterval`` but no running timer ever reads it again, so
  nothing changes. Here the ``Heartbeat`` reschedules its timer when its
  ``interval`` is set.
- **No duplicate connections.** The reference reconnects on foreground
  whenever ``readyState !== OPEN``, including CONNECTING, so switching tabs
  quickly opens a second socket while the first is still connecting. Here
  ``resume()`` makes a new socket only when the current one is closing or
  closed.
- **Handlers survive.** The reference's ``connect()`` makes a new
  WebSocket whose handlers have to be set up again (left as a comment);
  here listeners are on the ``Idle`` object and keep working.
- **An undefined flag.** The reference tests ``this.aggressive``, which is
  never set, so its "close to save battery" branch never runs; here the
  mode is an explicit argument.
- **No leaked listener.** The reference adds a document listener in its
  constructor and never removes it; here every timer belongs to the object
  and ``close()`` cancels them all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..checks import check_close_args, check_number
from .. import loop as _loop
from ..codes import ReadyState
from ..events import CloseEvent, Event
from ..target import EventHandler
from ..exceptions import InvalidStateError
from ..websocket import SocketTarget
from ._events import copy_event, fire
from ._socket import Factory, SocketLike, resolve_factory
from ._timers import Timers
from .heartbeat import Heartbeat

__all__ = ["Idle"]


class Idle(SocketTarget):
    """A socket that pauses when idle (slower heartbeat, or closed) and resumes.

    Args:
        url: The URL; the default factory makes
            ``Heartbeat(url, interval=active_interval)``.
        factory: Instead of ``url``: a callable returning a new socket
            (for ``mode="slow"``, something with a settable ``interval``).
        mode: ``"slow"`` or ``"close"`` (see the module's docstring).
        idle_after: Seconds without traffic before pausing by itself; None
            to pause only when ``pause()`` is called.
        active_interval: The heartbeat interval while active (``"slow"``).
        idle_interval: The heartbeat interval while paused (``"slow"``).
        clock: Returns seconds; injectable.

    Attributes:
        paused: Whether the connection is paused now.
        pauses: How many times it paused.
    """

    onidle = EventHandler("idle")
    onactive = EventHandler("active")

    def __init__(
        self,
        url: str | None = None,
        *,
        factory: Factory | None = None,
        mode: str = "slow",
        idle_after: float | None = None,
        active_interval: float = 30.0,
        idle_interval: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        if mode not in ("slow", "close"):
            raise ValueError(f"mode must be 'slow' or 'close', not {mode!r}")
        check_number("idle_after", idle_after, allow_none=True, minimum=0)
        check_number("active_interval", active_interval, minimum=0)
        check_number("idle_interval", idle_interval, minimum=0)

        def heartbeat(url: str) -> SocketLike:
            return Heartbeat(url, interval=active_interval)

        self._factory = resolve_factory(url, factory, heartbeat)
        self.mode = mode
        self.idle_after = idle_after
        self.active_interval = float(active_interval)
        self.idle_interval = float(idle_interval)
        self.clock = clock
        self.paused = False
        self.pauses = 0
        self._done = False
        self._close_requested = False
        self._last_close: CloseEvent | None = None
        self._last_activity = clock()
        self._idle_timer: Any = None
        self._loop = _loop.socket_loop()
        self._timers = Timers(self._loop, self)
        self._socket: SocketLike = _loop.call_on(self._loop, self._connect)
        if mode == "slow" and not hasattr(self._socket, "interval"):
            self._socket.close()
            raise TypeError("mode='slow' needs a socket with a settable interval, such as a Heartbeat")

    # -- Attributes --------------------------------------------------------------

    @property
    def socket(self) -> SocketLike:
        """The current socket."""
        return self._socket

    @property
    def readyState(self) -> ReadyState:
        """The current socket's readyState; CONNECTING while paused in ``"close"`` mode.

        A paused connection is closed but the object is not: it reconnects on
        ``resume()``, as ``Reconnecting`` does between connections, and like
        a CONNECTING socket it refuses ``send()``. CLOSED comes only with the
        ``close`` event.
        """
        if self._done:
            return ReadyState.CLOSED
        state = ReadyState(self._socket.readyState)
        if (
            self.paused
            and self.mode == "close"
            and state in (ReadyState.CLOSING, ReadyState.CLOSED)
            and not self._close_requested
        ):
            return ReadyState.CONNECTING  # from pause() on, while the idle close completes too
        return state

    @property
    def bufferedAmount(self) -> int:
        """The current socket's bufferedAmount."""
        return self._socket.bufferedAmount

    @property
    def url(self) -> str:
        """The current socket's URL."""
        return str(getattr(self._socket, "url", ""))

    # -- Methods -----------------------------------------------------------------

    def send(self, data: Any) -> Any:
        """Send ``data``; it counts as activity. In ``"slow"`` mode a paused socket resumes first.

        Raises:
            InvalidStateError: Paused in ``"close"`` mode (call ``resume()``
                and wait for ``open``), or as the socket's ``send()`` raises.
        """
        return _loop.call_on(self._loop, self._send, data)

    def _send(self, data: Any) -> Any:
        if self.paused:
            if self.mode == "close":
                raise InvalidStateError(
                    "the connection is paused (closed while idle); call resume() and wait for 'open'"
                )
            self._resume()
        self._last_activity = self.clock()
        return self._socket.send(data)

    def pause(self) -> None:
        """Pause now: a slower heartbeat, or close with 1000 (``"idle"``)."""
        _loop.call_on(self._loop, self._pause)

    def _pause(self) -> None:
        if self.paused or self._done or self._close_requested:
            return
        self.paused = True
        self.pauses += 1
        self._timers.cancel(self._idle_timer)
        self._idle_timer = None
        if self.mode == "slow":
            self._socket.interval = self.idle_interval  # type: ignore[attr-defined]
        else:
            self._socket.close(1000, "idle")
        self._timers.soon(fire, self, Event("idle"))

    def resume(self) -> None:
        """Resume: the normal heartbeat, or a new connection if the last one is closing or closed."""
        _loop.call_on(self._loop, self._resume)

    def _resume(self) -> None:
        if not self.paused or self._done or self._close_requested:
            return
        self.paused = False
        self._last_activity = self.clock()
        if self.mode == "slow":
            self._socket.interval = self.active_interval  # type: ignore[attr-defined]
        elif self._socket.readyState in (ReadyState.CLOSING, ReadyState.CLOSED):
            self._seen.pop("open", None)
            self._release(self._socket)
            self._socket = self._connect()
        self._schedule_idle_check()
        self._timers.soon(fire, self, Event("active"))

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Close for good (same arguments and checks as ``WebSocket.close()``)."""
        check_close_args(code, reason)
        _loop.call_on(self._loop, self._close, code, reason)

    def _close(self, code: int | None, reason: str | None) -> None:
        if self._close_requested or self._done:
            return
        self._close_requested = True
        self._timers.cancel(self._idle_timer)
        if self._socket.readyState in (ReadyState.CONNECTING, ReadyState.OPEN):
            self._socket.close(code, reason)
        elif self._socket.readyState == ReadyState.CLOSED:
            last = self._last_close or CloseEvent("close", code=1006, wasClean=False)
            self._timers.soon(self._finish, last)
        # CLOSING: the socket's close event finishes it.

    # -- Connections ---------------------------------------------------------------

    def _connect(self) -> SocketLike:
        socket = self._factory()

        def current(event: Event) -> bool:
            return socket is self._socket

        def on_open(event: Event) -> None:
            if current(event):
                self._last_activity = self.clock()
                self._schedule_idle_check()
                fire(self, copy_event(event))

        def on_message(event: Event) -> None:
            if current(event):
                self._last_activity = self.clock()
                fire(self, copy_event(event))

        def on_pass(event: Event) -> None:
            if current(event):
                if event.type == "reconnect":
                    self._seen.pop("open", None)
                fire(self, copy_event(event))

        def on_close(event: Event) -> None:
            if not current(event):
                return
            assert isinstance(event, CloseEvent)
            self._last_close = event
            if self.paused and self.mode == "close" and not self._close_requested:
                return  # closed by _pause: not the end
            self._finish(event)

        socket.addEventListener("open", on_open)
        socket.addEventListener("message", on_message)
        socket.addEventListener("error", on_pass)
        socket.addEventListener("reconnect", on_pass)
        socket.addEventListener("close", on_close)
        self._adopt(socket)
        return socket

    def _finish(self, event: Event) -> None:
        if self._done:
            return
        self._done = True
        self._timers.cancel_all()
        fire(self, copy_event(event))

    def _schedule_idle_check(self) -> None:
        if self.idle_after is None or self.paused or self._done:
            return
        self._timers.cancel(self._idle_timer)
        remaining = self.idle_after - (self.clock() - self._last_activity)
        self._idle_timer = self._timers.later(max(0.0, remaining), self._idle_check)

    def _idle_check(self) -> None:
        self._idle_timer = None
        assert self.idle_after is not None
        if self.clock() - self._last_activity >= self.idle_after:
            self._pause()
        else:
            self._schedule_idle_check()

    def _target_loop(self) -> Any:
        return self._loop

    def __repr__(self) -> str:
        return f"<Idle url={self.url!r} mode={self.mode!r} paused={self.paused} readyState={self.readyState.name}>"
