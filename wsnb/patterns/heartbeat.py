"""Heartbeat: application-level ping/pong that notices a dead connection.

A TCP connection can die without either end hearing about it: a laptop
sleeps, a NAT entry expires, a cable is pulled. Until something is sent,
nothing fails, and a client may wait forever for messages that cannot come.
A heartbeat sends a small message when the connection has been quiet for
``interval`` seconds and expects an answer within ``timeout`` seconds;
without one it closes the connection with 4000 (a private-use code) so that
the application, or a ``Reconnecting`` around it, can start again.

Two kinds of ping
-----------------
The WebSocket *protocol* has its own Ping and Pong control frames (RFC 6455
section 5.5.2): a Ping must be answered with a Pong, by the other end's
WebSocket library, without the application seeing either. Browsers answer
pings from servers, but the WebSocket API gives a script no way to send a
Ping or to see one: there is no ``ws.ping()`` and no ``onping``. So a page
that wants to detect a dead server sends an *application* message, as here.
The server's code must answer it; that also proves the server's application
is alive, not only its WebSocket library.

wsnb can show both. ``WebSocket(url, ping_interval=5, ping_timeout=5)`` (an
engine option, not the browser API) makes wsnb send protocol Pings and fail
the connection (1006) when no Pong comes; with ``record_frames=True`` the
``ping`` and ``pong`` frames appear in ``ws.frames``. The ``silent`` lab
server shows both failing: it stops answering application pings, and with
``deaf=True`` it stops reading altogether, so protocol Pings go unanswered
too.

What was fixed relative to the reference, and why:

- **Sending no longer postpones the ping.** The reference restarts the
  heartbeat on every ``send()``. Sending proves nothing about the other
  end: a client that sends steadily to a dead server would never ping and
  never notice. Only *received* messages count as signs of life here.
- **Events are not swallowed.** The reference replaces the socket's
  ``onmessage`` and ``onclose`` and forwards only messages; here ``open``,
  ``error`` and ``close`` reach listeners too, and pongs are kept out of
  ``message`` events only when ``hide_pongs`` is true.
- **Round-trip time.** The time from each ping to its answer is kept in
  ``latency`` (with an injectable clock), which the reference throws away.
- **The interval can change while running** (``hb.interval = 300``): the
  running timer is rescheduled, which ``Idle`` relies on. The reference's
  battery-saving pattern changes a number no timer ever reads again.
- **A timeout close that cannot complete.** ``close(4000)`` starts a closing
  handshake; a truly dead peer never answers it, so the close event comes
  only after the socket's ``close_timeout`` (10 s by default), with code
  1006. Lower ``close_timeout`` in the factory to find out sooner.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .. import loop as _loop
from ..checks import check_close_args, check_number
from ..events import Event, MessageEvent
from ._socket import Factory, Wrapper
from ._timers import logger

__all__ = ["Heartbeat"]


class Heartbeat(Wrapper):
    """A socket that pings when quiet and closes with 4000 when no answer comes.

    Args:
        url: The URL; the default factory makes ``WebSocket(url)``.
        factory: Instead of ``url``: a callable returning a new socket.
        interval: Seconds of silence (nothing received) before a ping.
        timeout: Seconds to wait for any message after a ping before closing.
        ping: The message sent as a ping.
        pong: The message that answers it. A ``MessageEvent`` whose data
            equals it is a pong.
        is_pong: Instead of ``pong``: a function of the received data that
            says whether it is the answer (for JSON pongs, for example).
        hide_pongs: Keep pongs out of ``message`` events.
        timeout_code: The close code used when no answer comes (3000-4999
            or 1000).
        timeout_reason: The close reason used then.
        clock: Returns seconds; used to measure ``latency``.

    Attributes:
        latency: Seconds from the last ping to its pong, or None.
        pings: Pings sent.
        pongs: Pongs received.
        timeouts: Times no answer came in time.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        factory: Factory | None = None,
        interval: float = 30.0,
        timeout: float = 10.0,
        ping: Any = "ping",
        pong: Any = "pong",
        is_pong: Callable[[Any], bool] | None = None,
        hide_pongs: bool = True,
        timeout_code: int = 4000,
        timeout_reason: str = "heartbeat timeout",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(url, factory)
        check_number("interval", interval, minimum=0)
        check_number("timeout", timeout, minimum=0)
        check_close_args(timeout_code, timeout_reason)
        if timeout_code is None:
            raise TypeError("timeout_code must be a close code, not None")
        self._interval = float(interval)
        self.timeout = float(timeout)
        self.ping = ping
        self._is_pong = is_pong if is_pong is not None else (lambda data: data == pong)
        self.hide_pongs = hide_pongs
        self.timeout_code = timeout_code
        self.timeout_reason = timeout_reason
        self.clock = clock
        self.latency: float | None = None
        self.pings = 0
        self.pongs = 0
        self.timeouts = 0
        self._ping_timer: Any = None
        self._pong_timer: Any = None
        self._ping_sent_at: float | None = None
        self._start()

    @property
    def interval(self) -> float:
        """Seconds of silence before a ping; setting it reschedules the running timer."""
        return self._interval

    @interval.setter
    def interval(self, value: float) -> None:
        check_number("interval", value, minimum=0)
        _loop.call_on(self._loop, self._set_interval, float(value))

    def _set_interval(self, value: float) -> None:
        self._interval = value
        if self._ping_timer is not None:
            self._schedule_ping()

    @property
    def waiting_for_pong(self) -> bool:
        """Whether a ping was sent and no answer came yet."""
        return self._pong_timer is not None

    # -- Timers ----------------------------------------------------------------

    def _schedule_ping(self) -> None:
        self._timers.cancel(self._ping_timer)
        self._ping_timer = self._timers.later(self._interval, self._send_ping)

    def _stop(self) -> None:
        self._timers.cancel(self._ping_timer)
        self._timers.cancel(self._pong_timer)
        self._ping_timer = self._pong_timer = None

    def _send_ping(self) -> None:
        self._ping_timer = None
        if self.readyState is not self.OPEN:
            return
        self._socket.send(self.ping)
        self.pings += 1
        self._ping_sent_at = self.clock()
        self._pong_timer = self._timers.later(self.timeout, self._no_pong)

    def _no_pong(self) -> None:
        self._pong_timer = None
        self.timeouts += 1
        self._ping_sent_at = None
        if self.readyState is self.OPEN:
            self._socket.close(self.timeout_code, self.timeout_reason)

    # -- Events ----------------------------------------------------------------

    def _on_open(self, event: Event) -> None:
        self._schedule_ping()
        self._forward(event)

    def _on_message(self, event: Event) -> None:
        # Any message is a sign of life: cancel the timeout, restart the clock.
        self._timers.cancel(self._pong_timer)
        self._pong_timer = None
        data = event.data if isinstance(event, MessageEvent) else None
        try:
            pong = bool(self._is_pong(data))
        except Exception:
            logger.error("exception in is_pong of %r; taken as not a pong", self, exc_info=True)
            pong = False
        if pong:
            self.pongs += 1
            if self._ping_sent_at is not None:
                self.latency = self.clock() - self._ping_sent_at
                self._ping_sent_at = None
        if self.readyState is self.OPEN:
            self._schedule_ping()
        if not (pong and self.hide_pongs):
            self._forward(event)

    def _on_reconnect(self, event: Event) -> None:
        self._stop()
        super()._on_reconnect(event)

    def _before_close(self) -> None:
        self._stop()

    def __repr__(self) -> str:
        latency = "None" if self.latency is None else f"{self.latency * 1000:.1f} ms"
        return (
            f"<Heartbeat url={self.url!r} readyState={self.readyState.name} "
            f"interval={self._interval} latency={latency}>"
        )
