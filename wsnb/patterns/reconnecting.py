"""Reconnecting: a socket that opens a new connection when the last one was lost.

The reference's "Reconnection Strategy" and the reconnecting half of its
``RobustWebSocket``, rebuilt after the design of websockets' ``connect()``
loop: exponential backoff with jitter, a cap, an optional limit on attempts,
backoff reset after a successful open, and a decision by close code.

What was fixed relative to the reference, and why:

- **Which closes reconnect.** The reference's ReconnectingWebSocket retries
  only when ``wasClean`` is false, so a server that restarts politely (1001
  Going Away, 1012 Service Restart, 1013 Try Again Later) is never
  reconnected to. Its RobustWebSocket lists 1006 among the codes that must
  *not* reconnect, while its own prose (and RFC 6455) says 1006 is the
  abnormal loss a client should reconnect after; it also refuses 1011, a
  transient server error. Here the rule is one function,
  ``should_reconnect``: reconnect after 1001, 1006, 1011, 1012, 1013, 1014
  and any unclean loss; do not reconnect after 1000, 1002, 1003, 1005,
  1007, 1008, 1009, 1010, 1015, 3000-3999 or 4000-4999 (the peer said the
  session is over, or retrying would fail the same way) unless the caller
  passes its own ``should_reconnect``.
- **Jitter.** Without it every client of a restarted server comes back in
  the same millisecond, again and again (a thundering herd). Each delay is
  the capped exponential delay times a random factor from
  ``1 - jitter`` to 1; the random source is injectable and seedable.
- **close() really stops it.** In the reference, ``close()`` during the
  backoff delay leaves the timer running, so a new connection opens after
  the user closed. Here ``close()`` cancels the timer and nothing else is
  scheduled.
- **One close event.** The reference calls ``onclose`` for every lost
  connection and then reconnects anyway, so "closed" means nothing. Here
  ``close`` fires once, when the pattern stops for good; each lost
  connection fires a ``reconnect`` event (a ``ReconnectEvent`` with the
  code, the attempt number and the delay).
- **Bad URLs fail now.** The reference retries forever when the
  constructor throws (a malformed URL throws every time); here the
  constructor raises ``DOMSyntaxError`` at once.
- **send() between connections** raises ``InvalidStateError`` instead of
  logging a warning and dropping the data; wrap in ``Robust`` to queue.

``delay_schedule()`` returns the delays the pattern would wait, for a
notebook to plot.
"""

from __future__ import annotations

import itertools
import random as _random
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..checks import check_close_args, check_int, check_number
from .. import loop as _loop
from ..codes import ReadyState
from ..diagnostics import Failure
from ..events import CloseEvent, Event
from ..target import EventHandler
from ..exceptions import InvalidStateError
from ..websocket import SocketTarget
from ._events import copy_event, fire
from ._socket import Factory, SocketLike, resolve_factory
from ._timers import Timers, logger

__all__ = [
    "RECONNECT_CODES",
    "ReconnectEvent",
    "Reconnecting",
    "backoff",
    "delay_schedule",
    "should_reconnect",
]

RECONNECT_CODES = frozenset({1001, 1006, 1011, 1012, 1013, 1014})
"""Close codes after which reconnecting may succeed: the server went away,
restarted, was overloaded or failed for a moment, or the connection was lost."""


def should_reconnect(event: CloseEvent) -> bool:
    """Decide whether a lost connection should be reopened: the default policy.

    True for an unclean close (the connection was lost: 1006) and for the
    codes in ``RECONNECT_CODES``; False for every other code, such as 1000
    (done), 1002/1003/1007/1009/1010 (retrying sends the same bad data),
    1008 (policy: check credentials first) and 4000-4999 (the application's
    own reasons, which only the application can judge).

    Pass your own function to ``Reconnecting(should_reconnect=...)`` to
    change it, for example to also reconnect after a heartbeat's 4000::

        lambda event: event.code == 4000 or should_reconnect(event)
    """
    return not event.wasClean or event.code in RECONNECT_CODES


def backoff(
    *,
    initial_delay: float = 1.0,
    max_delay: float = 30.0,
    factor: float = 2.0,
    jitter: float = 0.5,
    rng: _random.Random | None = None,
) -> Iterator[float]:
    """Yield reconnection delays in seconds: exponential, capped, jittered.

    The n-th delay (from 0) is ``min(max_delay, initial_delay * factor**n)``
    times a random factor from ``1 - jitter`` to 1: jitter 0 gives the bare
    schedule, jitter 1 gives "full jitter" (anywhere from 0 to the delay).
    A delay never exceeds ``max_delay``.

    Args:
        initial_delay: The first delay before jitter.
        max_delay: The cap.
        factor: How much each delay grows over the previous one.
        jitter: The fraction of each delay that is random, from 0 to 1.
        rng: The random source (seed it for a repeatable schedule).
    """
    check_number("initial_delay", initial_delay, minimum=0)
    check_number("max_delay", max_delay, minimum=0)
    check_number("factor", factor, minimum=1.0)
    check_number("jitter", jitter, minimum=0)
    if jitter > 1:
        raise ValueError(f"jitter must be from 0 to 1, not {jitter!r}")
    rng = rng if rng is not None else _random.Random()
    delay = float(initial_delay)
    while True:
        capped = min(delay, max_delay)
        yield capped * (1.0 - jitter * rng.random()) if jitter else capped
        if delay < max_delay:
            delay *= factor


def delay_schedule(
    attempts: int,
    *,
    initial_delay: float = 1.0,
    max_delay: float = 30.0,
    factor: float = 2.0,
    jitter: float = 0.5,
    seed: int | None = 0,
) -> list[float]:
    """Return the first ``attempts`` delays a ``Reconnecting`` would wait, to plot.

    With the same arguments (and ``seed``) as the pattern's
    ``initial_delay``, ``max_delay``, ``factor``, ``jitter`` and
    ``rng=random.Random(seed)``, the pattern waits exactly these delays.
    ``seed=None`` draws a fresh random schedule each call.
    """
    check_int("attempts", attempts, minimum=0)
    delays = backoff(
        initial_delay=initial_delay,
        max_delay=max_delay,
        factor=factor,
        jitter=jitter,
        rng=_random.Random(seed),
    )
    return list(itertools.islice(delays, attempts))


class ReconnectEvent(CloseEvent):
    """A connection was lost and another will be tried (type ``"reconnect"``).

    It carries the lost connection's ``code``, ``reason`` and ``wasClean``,
    as its CloseEvent did, plus when and how often the pattern tries again.

    Args:
        type: Usually ``"reconnect"``.
        attempt: Which attempt this is since the last successful open (1, 2 ...).
        delay: Seconds until the new connection is opened.
        code: The lost connection's close code.
        reason: Its close reason.
        wasClean: Whether it closed with a closing handshake.
    """

    __slots__ = ("_attempt", "_delay")

    def __init__(
        self,
        type: str,
        *,
        attempt: int = 0,
        delay: float = 0.0,
        code: int = 1006,
        reason: str = "",
        wasClean: bool = False,
    ) -> None:
        super().__init__(type, code=code, reason=reason, wasClean=wasClean)
        self._attempt = attempt
        self._delay = delay

    @property
    def attempt(self) -> int:
        """The attempt number since the last successful open, from 1."""
        return self._attempt

    @property
    def delay(self) -> float:
        """Seconds until the next connection is opened."""
        return self._delay

    def _clone(self) -> ReconnectEvent:
        return ReconnectEvent(
            self._type, attempt=self._attempt, delay=self._delay,
            code=self._code, reason=self._reason, wasClean=self._was_clean,
        )

    def _fields(self) -> str:
        # The delay is random (jitter); leave it out so that output is stable.
        return f"type={self._type!r}, attempt={self._attempt}, code={self._code}, wasClean={self._was_clean}"


class Reconnecting(SocketTarget):
    """A socket that reconnects, with backoff, when its connection is lost.

    It presents a WebSocket's surface: ``readyState``, ``bufferedAmount``,
    ``send()``, ``close()`` and the ``open``, ``message``, ``error`` and
    ``close`` events, plus ``reconnect`` events between connections.

    - ``open`` fires for every connection that opens.
    - ``message`` and ``error`` are the current connection's.
    - ``reconnect`` (a ``ReconnectEvent``) fires when a connection is lost
      and another will be tried after ``event.delay`` seconds.
    - ``close`` fires once: after ``close()``, after a close that
      ``should_reconnect`` refuses, or when ``max_attempts`` attempts in a
      row failed. It is the last connection's CloseEvent; when ``close()``
      is called between connections it reports 1006, as a WebSocket
      closed while CONNECTING does.

    ``readyState`` is CONNECTING while a connection is being opened or
    waited for, OPEN while one is open, CLOSING after ``close()``, and
    CLOSED at the end.

    Args:
        url: The URL; the default factory makes ``WebSocket(url)``.
        factory: Instead of ``url``: a callable returning a new socket (a
            ``WebSocket`` with engine options, or another pattern).
        initial_delay: Seconds before the first reconnection (before jitter).
        max_delay: The longest delay.
        factor: How much each delay grows.
        jitter: The random fraction of each delay, from 0 to 1.
        max_attempts: Reconnection attempts in a row before giving up; None
            for no limit. The count restarts after every successful open.
        should_reconnect: Called with each lost connection's CloseEvent;
            True reconnects. The default follows the close code.
        rng: Random source for the jitter (``random.Random(seed)`` makes it
            repeatable).
        delays: Instead of the backoff arguments: a callable returning a
            fresh iterable of delays, called after each successful open
            (for example ``lambda: itertools.repeat(0.01)``).

    Attributes:
        attempts: Failed attempts since the last successful open.
        reconnections: Connections made after the first one.
        last_close: The CloseEvent of the last lost connection, or None.
    """

    onreconnect = EventHandler("reconnect")

    def __init__(
        self,
        url: str | None = None,
        *,
        factory: Factory | None = None,
        initial_delay: float = 1.0,
        max_delay: float = 30.0,
        factor: float = 2.0,
        jitter: float = 0.5,
        max_attempts: int | None = None,
        should_reconnect: Callable[[CloseEvent], bool] = should_reconnect,
        rng: _random.Random | None = None,
        delays: Callable[[], Iterable[float]] | None = None,
    ) -> None:
        super().__init__()
        self._factory = resolve_factory(url, factory)
        check_int("max_attempts", max_attempts, minimum=0, allow_none=True)
        if not callable(should_reconnect):
            raise TypeError("should_reconnect must be callable")
        if delays is None:
            # Check the arguments now rather than at the first loss.
            next(backoff(initial_delay=initial_delay, max_delay=max_delay, factor=factor, jitter=0))
            rng = rng if rng is not None else _random.Random()

            def make_delays() -> Iterable[float]:
                return backoff(
                    initial_delay=initial_delay, max_delay=max_delay, factor=factor, jitter=jitter, rng=rng
                )

            delays = make_delays
        elif not callable(delays):
            raise TypeError("delays must be a callable returning an iterable of seconds")
        self._make_delays = delays
        self._delays: Iterator[float] = iter(delays())
        self.max_attempts = max_attempts
        self.should_reconnect = should_reconnect
        self.attempts = 0
        self.reconnections = 0
        self.last_close: CloseEvent | None = None
        self._ready_state = ReadyState.CONNECTING
        self._close_requested = False
        self._socket: SocketLike | None = None
        self._timer: Any = None
        self._loop = _loop.socket_loop()
        self._timers = Timers(self._loop, self)
        _loop.call_on(self._loop, self._connect, True)

    # -- Attributes --------------------------------------------------------------

    @property
    def socket(self) -> SocketLike | None:
        """The current socket, or None between connections."""
        return self._socket

    @property
    def readyState(self) -> ReadyState:
        """CONNECTING (also between connections), OPEN, CLOSING after close(), CLOSED at the end."""
        return self._ready_state

    @property
    def bufferedAmount(self) -> int:
        """The current socket's bufferedAmount, 0 between connections."""
        return self._socket.bufferedAmount if self._socket is not None else 0

    @property
    def url(self) -> str:
        """The current (or last) socket's URL."""
        return str(getattr(self._socket or self._last_socket, "url", ""))

    @property
    def failure(self) -> Failure | None:
        """Why the current (or last) connection failed, or None (a wsnb extra)."""
        return getattr(self._socket or self._last_socket, "failure", None)

    @property
    def protocol(self) -> str:
        """The current socket's subprotocol, ``""`` between connections."""
        return str(getattr(self._socket, "protocol", ""))

    @property
    def extensions(self) -> str:
        """The current socket's extensions, ``""`` between connections."""
        return str(getattr(self._socket, "extensions", ""))

    # -- Methods -----------------------------------------------------------------

    def send(self, data: Any) -> Any:
        """Send ``data`` on the open connection.

        Raises:
            InvalidStateError: While connecting or waiting to reconnect (wrap
                the pattern in ``Robust`` to queue instead).

        After ``close()`` the data is passed to the last socket, which
        discards it as a closed WebSocket does.
        """
        return _loop.call_on(self._loop, self._send, data)

    def _send(self, data: Any) -> Any:
        if self._ready_state is ReadyState.CONNECTING:
            raise InvalidStateError(
                "send() was called while Reconnecting is connecting or waiting to reconnect; "
                "wait for the 'open' event, or wrap it in Robust to queue messages"
            )
        if self._socket is not None:
            return self._socket.send(data)
        return None

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Close the connection and stop reconnecting, for good.

        Arguments are checked as ``WebSocket.close()`` checks them. Between
        connections, the pending reconnection is cancelled and ``close``
        fires (code 1006, as for a WebSocket closed while CONNECTING).
        """
        check_close_args(code, reason)
        _loop.call_on(self._loop, self._close, code, reason)

    def _close(self, code: int | None, reason: str | None) -> None:
        if self._ready_state in (ReadyState.CLOSING, ReadyState.CLOSED):
            return
        self._ready_state = ReadyState.CLOSING
        self._close_requested = True
        if self._socket is not None:
            self._socket.close(code, reason)
        else:
            self._timers.cancel(self._timer)
            self._timer = None
            self._timers.soon(self._finish, CloseEvent("close", code=1006, reason="", wasClean=False))

    # -- Connections ---------------------------------------------------------------

    _last_socket: SocketLike | None = None

    def _connect(self, first: bool = False) -> None:
        self._timer = None
        try:
            socket = self._factory()
        except Exception as exc:
            if first:
                raise
            logger.error("%r: the factory failed; not reconnecting", self, exc_info=True)
            fire(self, Event("error"))
            self._finish(CloseEvent("close", code=1006, reason=f"factory failed: {exc}"[:123], wasClean=False))
            return
        if not first:
            self.reconnections += 1
        self._socket = self._last_socket = socket

        def on_open(event: Event) -> None:
            if socket is self._socket:
                self._opened(event)

        def on_pass(event: Event) -> None:
            if socket is self._socket:
                fire(self, copy_event(event))

        def on_close(event: Event) -> None:
            if socket is self._socket:
                self._lost(event)  # type: ignore[arg-type]

        socket.addEventListener("open", on_open)
        socket.addEventListener("message", on_pass)
        socket.addEventListener("error", on_pass)
        socket.addEventListener("close", on_close)
        self._adopt(socket)

    def _opened(self, event: Event) -> None:
        self.attempts = 0
        self._delays = iter(self._make_delays())
        if self._ready_state is ReadyState.CONNECTING:
            self._ready_state = ReadyState.OPEN
        fire(self, copy_event(event))

    def _lost(self, event: CloseEvent) -> None:
        if self._socket is not None:
            self._release(self._socket)
        self._socket = None
        if self._close_requested:
            self._finish(event)
            return
        self.last_close = event
        try:
            retry = bool(self.should_reconnect(event))
        except Exception:
            logger.error("exception in should_reconnect of %r; not reconnecting", self, exc_info=True)
            retry = False
        if not retry or (self.max_attempts is not None and self.attempts >= self.max_attempts):
            self._finish(event)
            return
        delay = next(self._delays, None)
        if delay is None:  # a finite delays iterable ran out
            self._finish(event)
            return
        self.attempts += 1
        self._ready_state = ReadyState.CONNECTING
        self._seen.pop("open", None)
        self._timer = self._timers.later(delay, self._connect)
        fire(self, ReconnectEvent(
            "reconnect", attempt=self.attempts, delay=delay,
            code=event.code, reason=event.reason, wasClean=event.wasClean,
        ))

    def _finish(self, event: Event) -> None:
        self._ready_state = ReadyState.CLOSED
        self._timers.cancel_all()
        fire(self, copy_event(event))

    def _target_loop(self) -> Any:
        return self._loop

    def __repr__(self) -> str:
        return (
            f"<Reconnecting url={self.url!r} readyState={self._ready_state.name} "
            f"reconnections={self.reconnections}>"
        )
