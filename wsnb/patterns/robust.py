"""Robust: a send queue while not OPEN, optional JSON, and acknowledged delivery.

The reference's ``RobustWebSocket`` (its "Error Handling Best Practices")
in pieces that compose: reconnection belongs to ``Reconnecting`` (the
default socket here is one), the heartbeat to ``Heartbeat``; ``Robust``
keeps what only it does: queue messages sent while the connection is not
open and send them, in order, once it opens; encode and decode JSON; and,
with ``ack=True``, deliver every message exactly once across lost
connections.

Delivery guarantees
-------------------
Without acknowledgements a message handed to the socket is gone from the
client's hands: if the connection drops while it is in the socket's buffer
or on the wire, it is lost, and nothing tells you. The queue only protects
messages sent while there was no connection (at most once).

With ``ack=True`` each message travels in an envelope with a session id
and a message id (ids count up from 1, in sending order)::

    {"session": "3f2a...", "id": 7, "data": "the message"}

The server answers ``{"ack": N}``: every message up to id N arrived. The
client keeps every message until it is acknowledged and, after a
reconnection, sends all unacknowledged ones again, in order, before any new
one. The server remembers, per session, the highest id it delivered and
drops (but acknowledges again) any id at or below it. Resending gives
at-least-once; deduplicating by id makes it exactly once, in order. The
``flaky`` lab server with ``ack=True`` is such a server. At most
``window`` messages are unacknowledged at a time, so a reconnection resends
a bounded amount.

A server that restarts and loses its sessions answers a resent (or new)
message with an acknowledgement *lower* than one it gave before (``{"ack":
0}``: it knows nothing of the session). The client takes this as a session
reset: it numbers its unacknowledged messages again from the server's
value, sends them again, fires a ``sessionreset`` event and counts it in
``state().session_resets``. Nothing is lost; a message the old server
delivered without acknowledging it may arrive twice, which no client can
rule out once the server forgot what it delivered.

What was fixed relative to the reference, and why:

- **No silent drop.** The reference's queue drops its oldest message with
  a console warning when full. Here the bound and the policy are explicit
  (``max_queue``, ``overflow="raise" | "drop-oldest" | "drop-newest"``),
  ``send()`` says what happened to the message, and every drop fires an
  ``overflow`` event and is counted.
- **"Send failed, so queue it" never happens in a browser.**
  ``WebSocket.send()`` on an open socket does not throw when the network
  fails: the data is simply lost with the connection. The reference's
  try/catch around ``send()`` therefore protects nothing; acknowledged
  delivery (above) is what does.
- **Reconnection after 1006 and 1011.** The reference lists both among the
  codes that must not reconnect, although 1006 is exactly a lost connection
  (its own prose says to reconnect) and 1011 is a transient server error.
  The default socket is a ``Reconnecting``, whose policy resolves this.
- **JSON decoding that keeps the event.** The reference spreads the event
  (``{...event, parsedData}``), which in a browser copies none of its
  getters, so handlers lose ``data`` and ``type``; and it guesses JSON from
  the first character. Here ``json=True`` decodes every text message into
  ``event.data`` of a real ``MessageEvent`` and reports a message that is
  not JSON with a ``messageerror`` event (a ``MessageErrorEvent`` carrying
  the error) instead of an ``error`` event, which means the connection
  failed.
- **Closing keeps the evidence.** The reference's ``close()`` empties the
  queue without a word; here unsent messages stay readable in
  ``pending()`` and are counted in ``state()``.
"""

from __future__ import annotations

import collections
import json as _json
import secrets
from dataclasses import dataclass
from typing import Any

from .. import _json as peer_json
from .. import loop as _loop
from ..blob import Blob
from ..checks import check_int
from ..codes import ReadyState
from ..events import Event, MessageEvent
from ..target import EventHandler
from ..exceptions import InvalidStateError
from ..websocket import binary_payload
from ._events import MessageErrorEvent, fire
from ._queue import OverflowEvent, SendQueue
from ._socket import Factory, SocketLike, Wrapper, drain_ended

from .reconnecting import Reconnecting

__all__ = ["Robust", "RobustState"]


@dataclass(frozen=True)
class RobustState:
    """A summary of a ``Robust`` socket, for a person or a panel.

    Attributes:
        readyState: The socket's readyState.
        queued: Messages waiting to be handed to a socket.
        in_flight: Messages sent and not acknowledged yet (``ack=True``).
        sent: Messages handed to a socket, resends included.
        acked: Messages acknowledged by the server.
        resent: Messages sent again after a reconnection.
        dropped: Messages discarded by the overflow policy.
        reconnections: Reconnections of the wrapped socket, when it counts them.
        session_resets: Times the server acknowledged less than before (it
            lost the session, as after a restart) and the unacknowledged
            messages were numbered and sent again.
    """

    readyState: ReadyState
    queued: int
    in_flight: int
    sent: int
    acked: int
    resent: int
    dropped: int
    reconnections: int
    session_resets: int = 0


def _reconnecting(url: str) -> SocketLike:
    return Reconnecting(url)


class Robust(Wrapper):
    """A socket that queues while not OPEN, and optionally acknowledges every message.

    Args:
        url: The URL; the default factory makes ``Reconnecting(url)``.
        factory: Instead of ``url``: a callable returning a new socket.
        max_queue: The most messages waiting to be sent; None for no bound.
        overflow: What ``send()`` does when the queue is full: ``"raise"``
            (``QueueFull``), ``"drop-oldest"`` or ``"drop-newest"``.
        json: Encode what is sent with ``json.dumps`` and decode every text
            message received with ``json.loads``.
        ack: Send each message in an envelope with ids and keep it until
            the server acknowledges it (see the module's docstring).
        window: With ``ack=True``: the most messages unacknowledged at once.
        session: With ``ack=True``: the session id (random by default).

    Events: those of the wrapped socket, plus ``overflow`` (an
    ``OverflowEvent``) for each dropped message and, with ``json=True``,
    ``messageerror`` for a text message that is not JSON. With ``ack=True``
    acknowledgements are consumed, not passed on as messages.
    """

    onoverflow = EventHandler("overflow")
    onmessageerror = EventHandler("messageerror")

    def __init__(
        self,
        url: str | None = None,
        *,
        factory: Factory | None = None,
        max_queue: int | None = 1000,
        overflow: str = "raise",
        json: bool = False,
        ack: bool = False,
        window: int = 64,
        session: str | None = None,
    ) -> None:
        super().__init__(url, factory, default=_reconnecting)
        self._queue = SendQueue(max_queue, overflow)
        check_int("window", window, minimum=1)
        if session is not None and not isinstance(session, str):
            raise TypeError(f"session must be a str, not {session.__class__.__name__}")
        self.json = bool(json)
        self.ack = bool(ack)
        self.window = window
        self.session = session if session is not None else secrets.token_hex(8)
        self._next_id = 1
        # (id, data as JSON text): the envelope is built when it is sent.
        self._in_flight: collections.deque[tuple[int, str]] = collections.deque()
        self._last_ack = 0
        self._session_resets = 0
        self._sent = 0
        self._acked = 0
        self._resent = 0
        self._dropped = 0
        self._drain_waiters = _loop.Waiters(self._loop)
        self._start()

    # -- Sending -----------------------------------------------------------------

    def send(self, data: Any) -> str:
        """Send ``data`` now if the socket is OPEN, else queue it.

        With ``json=True`` any JSON-serialisable value is accepted; with
        ``ack=True`` only text (or, with ``json=True``, JSON values).

        Returns:
            ``"sent"`` (handed to the socket), ``"queued"`` (it will be
            sent, in order, when possible) or ``"dropped"`` (the queue was
            full and the policy is ``"drop-newest"``; an ``overflow`` event
            follows).

        Raises:
            QueueFull: The queue is full and the policy is ``"raise"``.
            InvalidStateError: ``close()`` was called, or the socket closed
                for good.
            TypeError: The data cannot be sent in this mode.
        """
        return _loop.call_on(self._loop, self._send, data)

    def _send(self, data: Any) -> str:
        if self._finished or self.readyState in (ReadyState.CLOSING, ReadyState.CLOSED):
            raise InvalidStateError(
                "send() was called on a Robust socket that is closing or closed; the message would be lost"
            )
        item = self._encode(data)
        if not self._queue and self._can_send():
            self._transmit(item)
            return "sent"
        accepted, dropped = self._queue.put(item)
        if dropped is not None:
            self._dropped += 1
            self._timers.soon(fire, self, OverflowEvent("overflow", data=self._decode_item(dropped), policy=self._queue.policy))
        return "queued" if accepted else "dropped"

    def _encode(self, data: Any) -> Any:
        if self.json:
            try:
                text = _json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"with json=True, send() needs a JSON-serialisable value: {exc}") from None
            return text
        if self.ack:
            if not isinstance(data, str):
                raise TypeError(
                    f"with ack=True, send() takes str (or JSON values with json=True), not {data.__class__.__name__}"
                )
            return data
        if isinstance(data, (str, bytes, Blob)):
            return data
        # Copy any other buffer now (a queued message must not change later),
        # or raise TypeError as WebSocket.send() does.
        return binary_payload(data)

    def _decode_item(self, item: Any) -> Any:
        return peer_json.loads(item) if self.json else item

    def _can_send(self) -> bool:
        if self.readyState is not ReadyState.OPEN:
            return False
        return not self.ack or len(self._in_flight) < self.window

    def _transmit(self, item: Any) -> None:
        if self.ack:
            message_id = self._next_id
            self._next_id += 1
            # With json=True the value is embedded as JSON, not as a JSON string.
            data = item if self.json else _json.dumps(item, ensure_ascii=False)
            self._in_flight.append((message_id, data))
            item = self._envelope(message_id, data)
        self._socket.send(item)
        self._sent += 1

    def _envelope(self, message_id: int, data: str) -> str:
        return f'{{"session":{_json.dumps(self.session)},"id":{message_id},"data":{data}}}'

    def _resend_in_flight(self) -> None:
        for message_id, data in self._in_flight:
            self._socket.send(self._envelope(message_id, data))
        self._resent += len(self._in_flight)
        self._sent += len(self._in_flight)

    def _pump(self) -> None:
        queue = self._queue
        while queue and self._can_send():
            self._transmit(queue.popleft())
        self._check_drained()

    # -- Waiting -----------------------------------------------------------------

    @property
    def drained(self) -> bool:
        """Whether nothing is queued or (with ``ack=True``) unacknowledged."""
        return not self._queue and not self._in_flight

    async def drain(self, *, timeout: float | None = None) -> None:
        """Wait until every message was sent (and, with ``ack=True``, acknowledged).

        Raises:
            TimeoutError: If ``timeout`` seconds passed first.
            SocketClosed: If the socket closed for good first.
        """
        await self._drain_waiters.until(
            lambda: self.drained,
            timeout=timeout,
            ended=lambda: drain_ended(self),
            describe=lambda: f"{len(self._queue)} queued and {len(self._in_flight)} unacknowledged message(s)",
        )

    def _check_drained(self) -> None:
        if self._drain_waiters and self.drained:
            self._drain_waiters.wake()

    # -- Inspecting ----------------------------------------------------------------

    def pending(self) -> list[Any]:
        """Messages not delivered yet, oldest first: unacknowledged ones, then queued ones.

        Unacknowledged messages are given as sent (envelopes); queued ones as
        passed to ``send()``.
        """
        envelopes = [self._envelope(message_id, data) for message_id, data in self._in_flight]
        return envelopes + [self._decode_item(item) for item in self._queue]

    def state(self) -> RobustState:
        """Return a summary: readyState, counts of queued, in-flight, sent, acked, resent, dropped."""
        return RobustState(
            readyState=self.readyState,
            queued=len(self._queue),
            in_flight=len(self._in_flight),
            sent=self._sent,
            acked=self._acked,
            resent=self._resent,
            dropped=self._dropped,
            reconnections=int(getattr(self._socket, "reconnections", 0)),
            session_resets=self._session_resets,
        )

    # -- Events --------------------------------------------------------------------

    def _on_open(self, event: Event) -> None:
        # Flush before the application's open handlers run, so that what
        # they send goes after what was sent earlier.
        if self.ack and self._in_flight:
            self._resend_in_flight()
        self._pump()
        self._forward(event)

    def _on_message(self, event: Event) -> None:
        assert isinstance(event, MessageEvent)
        data = event.data
        if not isinstance(data, str) or not (self.json or self.ack):
            self._forward(event)
            return
        try:
            value = peer_json.loads(data)
        except ValueError as exc:
            if self.json:
                fire(self, MessageErrorEvent("messageerror", data=data, origin=event.origin, error=exc))
            else:
                self._forward(event)
            return
        if self.ack and isinstance(value, dict) and len(value) == 1 and "ack" in value:
            self._acknowledge(value["ack"])
            return
        if self.json:
            fire(self, MessageEvent("message", data=value, origin=event.origin))
        else:
            self._forward(event)

    def _acknowledge(self, last: Any) -> None:
        if isinstance(last, bool) or not isinstance(last, int) or last < 0:
            return
        if last < self._last_ack:
            self._reset_session(last)
            return
        self._last_ack = last
        in_flight = self._in_flight
        while in_flight and in_flight[0][0] <= last:
            in_flight.popleft()
            self._acked += 1
        self._pump()

    def _reset_session(self, last: int) -> None:
        """The server acknowledged less than before: it lost this session (a restart).

        Its record now ends at ``last``: number the unacknowledged messages
        from ``last + 1``, in order, and send them again. The answers to
        what was sent under the old numbers repeat ``last`` and change
        nothing more.
        """
        self._last_ack = last
        self._session_resets += 1
        renumbered = collections.deque(
            (last + 1 + index, data) for index, (_, data) in enumerate(self._in_flight)
        )
        self._in_flight = renumbered
        self._next_id = last + 1 + len(renumbered)
        if self.readyState is ReadyState.OPEN:
            self._resend_in_flight()
        fire(self, Event("sessionreset"))
        self._pump()

    def _on_close(self, event: Event) -> None:
        super()._on_close(event)
        self._drain_waiters.wake()  # drain() raises SocketClosed now

    def __repr__(self) -> str:
        return (
            f"<Robust url={self.url!r} readyState={self.readyState.name} "
            f"queued={len(self._queue)} in_flight={len(self._in_flight)}>"
        )

