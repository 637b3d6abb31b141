"""Watching a WebSocket without changing it, and telling views at a bounded rate.

A :class:`SocketWatcher` subscribes to a socket's ``open``, ``message``,
``error``, ``close`` and ``reconnect`` events with ``addEventListener`` (so
``onmessage`` and every other listener still run exactly as before) and,
with ``watch_calls``, to ``send()`` and ``close()`` calls and the server's
Close frame, which no event reports. For each one it does a few cheap
things: count, append a row to its :class:`LogRing`, note a readyState
change. It never touches ipywidgets itself.

The socket may be a ``WebSocket`` or any pattern of ``wsnb.patterns`` (a
``SocketTarget``): the watcher uses only their public observation API
(events, ``watch_calls``, ``loop``, ``last_event``), so a panel can watch a
reconnecting socket across its connections.

Views (the widgets of a panel) register with :meth:`SocketWatcher.add_view`.
They are not called per message: a :class:`Coalescer` calls them at most
once per ``interval`` (50 ms by default, so 20 times a second), after
anything changed. A stream of 50,000 messages a second therefore costs the
front end 20 updates a second, not 50,000.

Everything runs on the socket's event loop (in a notebook: the kernel's),
which is where the socket dispatches its events. A ``send()`` from another
thread is handed to that loop first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import loop as _loop
from ..codes import ReadyState
from ..events import CloseEvent, Event, MessageEvent, performance_now
from .ring import HEAD_BYTES, HEAD_CHARS, LogRing, LogRow
from .scheduling import DEFAULT_INTERVAL, Coalescer

if TYPE_CHECKING:
    from ..websocket import SocketTarget

__all__ = ["SocketWatcher"]

logger = logging.getLogger("wsnb.widgets")


View = Callable[["SocketWatcher"], None]

_CLOSING_ROWS = {"close": ("sent", "close()"), "close-frame": ("received", "Close frame")}
"""The log row (direction, event name) of each watcher call where CLOSING starts."""


class SocketWatcher:
    """What a panel knows about one WebSocket: counters, a log and a readyState timeline.

    Args:
        ws: The socket to watch: a ``WebSocket`` or a pattern (any
            ``SocketTarget``). The watcher never owns it: it does not close
            it, send on it or change its attributes.
        max_rows: How many rows the log keeps (the oldest go first).
        interval: Seconds between two view updates at least.

    Attributes:
        ws: The socket.
        log: The :class:`LogRing` of rows.
        messages_in: Messages received.
        bytes_in: Their size in bytes (UTF-8 bytes for text).
        messages_out: Messages passed to ``send()`` while OPEN (those the
            socket sends).
        bytes_out: Their size in bytes.
        dropped_out: Messages passed to ``send()`` while CLOSING or CLOSED:
            the standard drops them (and still counts them in
            ``bufferedAmount``).
        timeline: ``(ReadyState, time)`` pairs in the order the watcher saw
            the states, ``time`` in ms on the ``Event.timeStamp`` clock
            (None: before the watcher started).
        open_time: timeStamp of the first ``open`` event, or None (a
            reconnecting socket opens again; times still count from the
            first).
        started: When the watcher started, in ms on the same clock.
        paused: While True, no rows are added to the log (counters go on).
        skipped: Rows not logged because the log was paused.
        updates: How many times the views were updated.
    """

    def __init__(self, ws: SocketTarget, *, max_rows: int = 1000, interval: float = DEFAULT_INTERVAL) -> None:
        loop = ws.loop
        if loop is None:  # pragma: no cover - every SocketTarget has a loop
            raise TypeError(f"{ws!r} has no event loop to watch it on")
        self.ws = ws
        self.log = LogRing(max_rows)
        self.messages_in = 0
        self.bytes_in = 0
        self.messages_out = 0
        self.bytes_out = 0
        self.dropped_out = 0
        self.paused = False
        self.skipped = 0
        self.started = performance_now()
        self._views: list[View] = []
        self._loop: asyncio.AbstractEventLoop = loop
        self._coalescer = Coalescer(self._loop, self._update, interval)
        self._closed = False
        opened = ws.last_event("open")
        self.open_time: float | None = opened.timeStamp if opened is not None else None
        self.timeline: list[tuple[ReadyState, float | None]] = self._initial_timeline()
        self._listeners: dict[str, Callable[[Any], None]] = {
            "open": self._on_open,
            "message": self._on_message,
            "error": self._on_error,
            "close": self._on_close,
            "reconnect": self._on_reconnect,
        }
        for type, listener in self._listeners.items():
            ws.addEventListener(type, listener)
        ws.watch_calls(self._on_call)

    def _initial_timeline(self) -> list[tuple[ReadyState, float | None]]:
        """Reconstruct what can be known of the states before the watcher started."""
        state = self.ws.readyState
        timeline: list[tuple[ReadyState, float | None]] = []
        if state is ReadyState.CONNECTING:
            return [(state, self.started)]
        timeline.append((ReadyState.CONNECTING, None))
        if self.open_time is not None:
            timeline.append((ReadyState.OPEN, self.open_time))
        if state is ReadyState.CLOSING:
            timeline.append((state, None))
        elif state is ReadyState.CLOSED:
            closed = self.ws.last_event("close")
            timeline.append((state, closed.timeStamp if closed is not None else None))
        return timeline

    # -- Views ----------------------------------------------------------------

    @property
    def interval(self) -> float:
        """Seconds between two view updates at least."""
        return self._coalescer.interval

    @property
    def updates(self) -> int:
        """How many times the views were updated (each update may send a few widget messages)."""
        return self._coalescer.calls

    @property
    def origin(self) -> float:
        """The time the log's and the timeline's times count from: the open event, else the watcher's start."""
        return self.open_time if self.open_time is not None else self.started

    @property
    def state(self) -> ReadyState:
        """The last readyState in the timeline."""
        return self.timeline[-1][0]

    def add_view(self, view: View) -> None:
        """Call ``view(watcher)`` on every update, and once soon."""
        self._views.append(view)
        self.changed()

    def remove_view(self, view: View) -> None:
        """Stop updating ``view``."""
        if view in self._views:
            self._views.remove(view)

    def changed(self) -> None:
        """Ask for an update of the views (from any thread); coalesced with the others."""
        _loop.call_soon_on(self._loop, self._coalescer.mark)

    def update_now(self) -> None:
        """Update the views now, without waiting for the next coalesced update.

        For code that changes a setting of a view (a filter, a search) and
        wants it drawn at once. Not counted in :attr:`updates`.
        """
        self._note_state()
        for view in tuple(self._views):
            view(self)

    def _update(self) -> None:
        self._note_state()
        for view in tuple(self._views):
            try:
                view(self)
            except Exception:
                logger.exception("a view of %r failed to update", self.ws)
        # bufferedAmount falls in the socket's writer, which fires no event:
        # while something is buffered and may still go out, look again at
        # the next update slot so the gauge follows it down to 0.
        if self.ws.bufferedAmount and self.ws.readyState in (ReadyState.OPEN, ReadyState.CLOSING):
            self._coalescer.mark()

    def _note_state(self) -> None:
        state = self.ws.readyState
        if state is not self.timeline[-1][0]:
            self.timeline.append((state, performance_now()))

    def close(self) -> None:
        """Stop watching: unsubscribe from the socket and stop updating views."""
        if self._closed:
            return
        self._closed = True
        self._coalescer.close()
        for type, listener in self._listeners.items():
            self.ws.removeEventListener(type, listener)
        self.ws.unwatch_calls(self._on_call)
        self._views.clear()

    # -- What the socket does -----------------------------------------------

    def _log(self, row: LogRow) -> None:
        if self.paused:
            self.skipped += 1
        else:
            self.log.append(row)

    def _on_open(self, event: Event) -> None:
        if not event.isTrusted:
            return
        if self.open_time is None:
            self.open_time = event.timeStamp
        self.timeline.append((ReadyState.OPEN, event.timeStamp))
        ws = self.ws
        self._log(LogRow(
            event.timeStamp, "event", "event", event="open",
            detail=f"protocol={ws.protocol!r} extensions={ws.extensions!r}",
        ))
        self._coalescer.mark()

    def _on_message(self, event: MessageEvent) -> None:
        if not event.isTrusted:
            return
        data = event.data
        if type(data) is str:
            size = len(data) if data.isascii() else len(data.encode("utf-8", "surrogatepass"))
            kind = "text"
            cut = len(data) > HEAD_CHARS
            head: str | bytes = data[:HEAD_CHARS] if cut else data
        else:
            raw = bytes(data)  # a Blob gives its bytes without a copy
            size = len(raw)
            kind = "binary"
            cut = size > HEAD_BYTES
            head = raw[:HEAD_BYTES] if cut else raw
        self.messages_in += 1
        self.bytes_in += size
        if self.paused:
            self.skipped += 1
        else:
            self.log.append(LogRow(event.timeStamp, "received", kind, size, head, cut))
        self._coalescer.mark()

    def _on_error(self, event: Event) -> None:
        if not event.isTrusted:
            return
        failure = self.ws.failure
        self._log(LogRow(event.timeStamp, "event", "event", event="error",
                         failure=str(failure) if failure is not None else None))
        self._coalescer.mark()

    def _on_close(self, event: CloseEvent) -> None:
        if not event.isTrusted:
            return
        if self.timeline[-1][0] is not ReadyState.CLOSED:
            self.timeline.append((ReadyState.CLOSED, event.timeStamp))
        failure = self.ws.failure
        self._log(LogRow(
            event.timeStamp, "event", "event", event="close",
            code=event.code, reason=event.reason, was_clean=event.wasClean,
            failure=str(failure) if failure is not None else None,
        ))
        self._coalescer.mark()

    def _on_reconnect(self, event: CloseEvent) -> None:
        """A pattern lost its connection and will open a new one (a ``ReconnectEvent``)."""
        if not event.isTrusted:
            return
        self.timeline.append((ReadyState.CONNECTING, event.timeStamp))
        attempt, delay = getattr(event, "attempt", None), getattr(event, "delay", None)
        detail = None if attempt is None or delay is None else f"attempt {attempt}, next in {delay:.2f} s"
        self._log(LogRow(
            event.timeStamp, "event", "event", event="reconnect",
            code=event.code, reason=event.reason, was_clean=event.wasClean, detail=detail,
        ))
        self._coalescer.mark()

    def _on_call(self, call: str, *details: Any) -> None:
        """Hear about a send() or close() call, or the server's Close frame, in the caller's thread."""
        when = performance_now()
        if _loop.in_loop_thread(self._loop):
            self._record_call(when, call, details)
        else:
            self._loop.call_soon_threadsafe(self._record_call, when, call, details)

    def _record_call(self, when: float, call: str, details: tuple[Any, ...]) -> None:
        if self._closed:
            return
        if call == "send":
            payload, text, state = details
            size = len(payload)
            sent = state is ReadyState.OPEN
            if sent:
                self.messages_out += 1
                self.bytes_out += size
            else:
                self.dropped_out += 1
            note = None if sent else f"not sent: the socket was {state.name}"
            if text:
                # At most 4 UTF-8 bytes per character: this prefix holds at
                # least HEAD_CHARS characters of a longer message.
                prefix = payload if size <= HEAD_CHARS * 4 else payload[: HEAD_CHARS * 4]
                decoded = prefix.decode("utf-8", "ignore")
                cut = len(prefix) < size or len(decoded) > HEAD_CHARS
                self._log(LogRow(when, "sent", "text", size, decoded[:HEAD_CHARS], cut, note=note))
            else:
                cut = size > HEAD_BYTES
                self._log(LogRow(when, "sent", "binary", size, payload[:HEAD_BYTES] if cut else payload, cut, note=note))
        elif call in _CLOSING_ROWS:
            # CLOSING starts at the script's close() or at the server's Close frame.
            code, reason = details
            direction, name = _CLOSING_ROWS[call]
            self.timeline.append((ReadyState.CLOSING, when))
            self._log(LogRow(when, direction, "event", event=name, code=code, reason=reason))
        self._coalescer.mark()

    def __repr__(self) -> str:
        return (
            f"<SocketWatcher {self.ws.url!r}: {self.messages_in} in, {self.messages_out} out, "
            f"{len(self.log)} rows>"
        )
