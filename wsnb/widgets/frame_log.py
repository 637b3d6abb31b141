"""The frame view: every WebSocket frame both ways, as Firefox's DevTools lists them.

The message log shows what a script sees: messages and events. Under them
the protocol moves *frames*: a message may be split into a first frame and
continuation frames, and control frames (ping, pong, close) travel between
messages without any event in a browser. Firefox lists them all; Chrome
hides control frames; Postman and wscat users keep asking for them.

A :class:`FrameLog` lists, newest first, for each frame: its time (since the
socket opened, on the log's clock), direction, opcode, FIN, RSV1 (the
payload was compressed with permessage-deflate), MASK (a client masks every
frame it sends, a server never does), the payload length on the wire and
after decompression, and for a close frame its code and reason, for a pong
answering a wsnb keepalive ping its round-trip time. The socket's events
(``open``, ``error``, ``close``, ``reconnect``) are interleaved by time, so
the frames sit between the events they cause.

It reads ``ws.frames``, which holds every frame only when the socket was
made with ``record_frames=True`` (close frames are always kept); the view
says so when that is missing. It draws only while :attr:`enabled` (the
panel's "frames" switch): hidden, it costs nothing, not even per update.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import traitlets

from ..diagnostics import FrameRecord
from ._format import ARROWS, escape, seconds
from ._view import WatcherView
from .ring import LogRow
from .watcher import SocketWatcher

__all__ = ["FrameLog", "frames_of"]


_STYLE = """<style>
.wsnb-frame-table {border-collapse:collapse;font-family:monospace;font-size:12px;width:100%}
.wsnb-frame-table th {text-align:left;color:#57606a;font-weight:normal;border-bottom:1px solid #d0d7de;padding:1px 6px}
.wsnb-frame-table td {padding:1px 6px;white-space:nowrap}
.wsnb-frame-table td.wsnb-num {text-align:right}
.wsnb-frame-table tr[data-direction="sent"] {background:#dafbe1}
.wsnb-frame-table tr[data-direction="event"] {background:#ddf4ff}
.wsnb-frame-table tr[data-control="1"] {color:#8250df}
</style>"""

_HEAD = (
    "<thead><tr><th>time</th><th></th><th>opcode</th><th>FIN</th><th>RSV1</th><th>MASK</th>"
    '<th style="text-align:right">wire</th><th style="text-align:right">payload</th><th>details</th></tr></thead>'
)


def _recording_socket(ws: Any) -> Any:
    """The socket whose frames are shown: ``ws`` itself, or a pattern's current socket (None if none)."""
    return ws if hasattr(ws, "frames") else getattr(ws, "socket", None)


def frames_of(ws: Any) -> list[FrameRecord] | None:
    """The frames a socket recorded (``ws.frames``), a pattern's current socket's, or None if it keeps none."""
    frames = getattr(_recording_socket(ws), "frames", None)
    return list(frames) if frames is not None else None


class FrameLog(WatcherView, widgets.VBox):
    """A live list of a socket's frames, both ways, control frames included.

    Args:
        source: The ``wsnb.WebSocket`` (made with ``record_frames=True``) or a
            panel's SocketWatcher.
        visible_rows: How many of the newest frames are drawn.
        enabled: Whether the view draws at all (a panel starts with it off).

    Use :meth:`frames` for the frames as data.
    """

    enabled = traitlets.Bool(True, help="Whether the view draws; off, it costs nothing.")
    control = traitlets.Bool(True, help="Show control frames (ping, pong, close); off hides them, as Chrome does.")
    visible_rows = traitlets.Int(100, help="How many of the newest frames are drawn.")
    frame_count = traitlets.Int(0, help="Frames recorded so far (read it).")

    def __init__(self, source: Any, *, visible_rows: int = 100, enabled: bool = True, **kwargs: Any) -> None:
        self._control_box = widgets.Checkbox(
            value=True, description="control frames", indent=False, layout=widgets.Layout(width="auto")
        )
        self._control_box.add_class("wsnb-frame-control")
        self._table = widgets.HTML(layout=widgets.Layout(max_height="240px", overflow="auto"))
        self._table.add_class("wsnb-frame-rows")
        self._status = widgets.HTML()
        super().__init__(
            children=[self._control_box, self._table, self._status],
            visible_rows=visible_rows, enabled=enabled, **kwargs,
        )
        self.add_class("wsnb-frames")
        traitlets.link((self._control_box, "value"), (self, "control"))
        self._drawn: tuple[Any, ...] | None = None
        self._attach(source)

    def frames(self, *, control: bool | None = None) -> list[FrameRecord]:
        """The frames recorded, oldest first; ``control=False`` leaves out ping, pong and close."""
        frames = frames_of(self.watcher.ws) or []
        show_control = self.control if control is None else control
        return frames if show_control else [frame for frame in frames if not frame.control]

    def refresh(self, watcher: SocketWatcher) -> None:
        """Draw the newest frames, if the view is enabled and something changed."""
        if self.enabled:
            self._draw()

    @traitlets.observe("enabled", "control", "visible_rows")
    def _settings_changed(self, change: Any) -> None:
        self._drawn = None
        if getattr(self, "watcher", None) is not None and self.enabled:
            self._draw()

    def _draw(self) -> None:
        watcher = self.watcher
        frames = frames_of(watcher.ws) or []
        socket = _recording_socket(watcher.ws)
        dropped = getattr(socket, "frames_dropped", 0)
        # Frames recorded so far, the dropped ones included: at the max_frames
        # cap the number kept stays the same while new frames arrive.
        key = (len(frames) + dropped, watcher.log.version, self.control, self.visible_rows)
        if key == self._drawn:
            return
        self._drawn = key
        kept = [frame for frame in frames if self.control or not frame.control]
        shown = kept[-self.visible_rows:]
        events = [row for row in watcher.log if row.kind == "event" and row.direction == "event"]
        # Interleave by time: events and frames, newest first. When older
        # frames are cut off, so are the events older than the oldest shown.
        items: list[tuple[float, int, FrameRecord | LogRow]] = [
            (frame.time if frame.time is not None else 0.0, index, frame) for index, frame in enumerate(shown)
        ]
        oldest = items[0][0] if shown and len(shown) < len(kept) else float("-inf")
        items += [(row.time, -1, row) for row in events[-self.visible_rows:] if row.time >= oldest]
        items.sort(key=lambda item: (item[0], item[1]))
        origin = watcher.origin
        body = "".join(
            _frame_html(item, origin) if isinstance(item, FrameRecord) else _event_html(item, origin)
            for _, _, item in reversed(items)
        )
        hidden = 0 if self.control else sum(1 for frame in frames if frame.control)
        parts = [f"{len(shown):,} of {len(frames):,} frames shown, newest first"]
        if hidden:
            parts.append(f"{hidden:,} control frames hidden")
        if dropped:
            parts.append(f"{dropped:,} older frames dropped (the socket keeps max_frames)")
        if not getattr(socket, "records_frames", False):
            parts.append("only close frames are kept: make the socket with record_frames=True to see every frame")
        status = " · ".join(parts)
        with self._table.hold_sync(), self._status.hold_sync():
            self._table.value = f'{_STYLE}<table class="wsnb-frame-table">{_HEAD}<tbody>{body}</tbody></table>'
            self._status.value = f'<span class="wsnb-frame-status" style="font-size:85%;color:#57606a">{escape(status)}</span>'
            self.frame_count = len(frames)


def _frame_html(frame: FrameRecord, origin: float) -> str:
    details = ""
    if frame.opcode == "close":
        details = "no status code" if frame.size == 0 else f"code={frame.code} reason={frame.reason!r}"
    elif frame.rtt is not None:
        details = f"round trip {frame.rtt:,.1f} ms"
    elif not frame.fin:
        details = "fragment: more frames follow"
    time = seconds(frame.time - origin) if frame.time is not None else "?"
    return (
        f'<tr data-direction="{frame.direction}" data-opcode="{frame.opcode}" data-control="{int(frame.control)}">'
        f'<td class="wsnb-num">{time}</td><td>{ARROWS[frame.direction]}</td><td>{frame.opcode}</td>'
        f"<td>{int(frame.fin)}</td><td>{int(frame.compressed)}</td><td>{int(frame.masked)}</td>"
        f'<td class="wsnb-num">{frame.wire_length:,} B</td><td class="wsnb-num">{frame.size:,} B</td>'
        f"<td>{escape(details)}</td></tr>"
    )


def _event_html(row: LogRow, origin: float) -> str:
    return (
        f'<tr data-direction="event"><td class="wsnb-num">{seconds(row.time - origin)}</td><td>•</td>'
        f'<td colspan="7">{escape(row.preview)}</td></tr>'
    )
