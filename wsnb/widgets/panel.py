"""The connection panel: a WebSocket, alive, in a notebook.

``ws`` as the last expression of a cell shows one; ``panel(ws)`` builds one
explicitly::

    ws = wsnb.WebSocket(server.url)
    ws                              # or: wsnb.widgets.panel(ws)

It is a ``VBox`` of the small widgets of this package, sharing one
:class:`SocketWatcher`: the readyState badge, url / protocol / extensions,
the bufferedAmount gauge, the counters, the readyState timeline, the message
log, the inspector (click a row: its JSON as a tree, a plot button on each
number), the frame view, the HAR bar (record, export, import, replay), the
send bar (with templates, hex, base64 and files) and the close controls.
Each can also be used alone.

The panel watches the socket; it never owns it. It subscribes with
``addEventListener`` and ``watch_calls`` (``send()`` and ``close()`` calls
and the server's Close frame), so your own handlers run exactly as they
would without it, and closing the panel leaves the socket open. Several
panels may watch one socket.

It watches a pattern of ``wsnb.patterns`` just as well: ``panel(Reconnecting(url))``
follows the reconnecting socket across its connections (each lost one is a
``reconnect`` row in the log, and the timeline goes back to CONNECTING), and
its log shows what travels on the wire (a batch, a heartbeat's ping, a
resend), since a pattern passes on the calls made on its sockets.

Updates are coalesced: whatever the rate of messages, the panel's widgets
change at most 20 times a second (``interval``), each sending at most one
message to the front end per change, and the log keeps at most ``max_rows``
rows. A fast stream costs the notebook a bounded amount of memory and
bandwidth.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import ipywidgets as widgets
import traitlets

from ..websocket import SocketTarget
from ._format import display_url
from .close_bar import CloseBar
from .frame_log import FrameLog
from .har_bar import HarBar
from .inspector import MessageInspector
from .message_log import MessageLog
from .send_bar import SendBar
from .status import BufferGauge, ConnectionInfo, Counters, HandshakeInfo, StateTimeline, StatusBadge
from .scheduling import DEFAULT_INTERVAL
from .watcher import SocketWatcher

__all__ = ["ConnectionPanel", "panel", "panel_mimebundle"]

TABS = ("inspect", "frames", "HAR")
"""The tabs under the log, in order."""


class ConnectionPanel(widgets.VBox):
    """A live view of one WebSocket, with controls to send and to close.

    Args:
        ws: The socket to watch: a ``WebSocket`` or a pattern of
            ``wsnb.patterns`` (``Reconnecting``, ``Robust`` ...). The send bar
            and the close controls call the pattern's ``send()`` and
            ``close()``.
        max_rows: How many rows the message log keeps (its ring).
        visible_rows: How many of the newest matching rows the log draws.
        buffer_limit: Bytes at which the bufferedAmount bar is full.
        interval: Seconds between two updates of the widgets at least
            (0.05: 20 updates a second at most).
        record_har: Record every message for HAR from the start (the HAR
            tab's record button does it later).
        templates: The send bar's saved messages: a dict or a JSON file
            (see :class:`SendBar`).

    Attributes:
        ws: The socket.
        watcher: The :class:`SocketWatcher` the widgets share: counters,
            the log's rows, the readyState timeline.
        badge, info, handshake, gauge, counters, timeline, message_log, inspector, frame_log, har_bar, send_bar, close_bar:
            The widgets, for use in code (``panel.message_log.export()``).
        tabs: The tabs under the log: inspect, frames, HAR. The frame view
            draws only while its tab is open.
        plots: The live plots asked for with the inspector's plot buttons.
    """

    def __init__(
        self,
        ws: SocketTarget,
        *,
        max_rows: int = 1000,
        visible_rows: int = 100,
        buffer_limit: int = 2**20,
        interval: float = DEFAULT_INTERVAL,
        record_har: bool = False,
        templates: dict[str, Any] | str | Path | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(ws, SocketTarget):
            raise TypeError(
                "a connection panel watches a wsnb.WebSocket or a wsnb.patterns socket "
                f"(Reconnecting, Robust ...), not {ws.__class__.__name__}"
            )
        self.ws = ws
        self._live_plots: dict[str, Any] = {}  # the inspector's plots, by path
        self.watcher = SocketWatcher(ws, max_rows=max_rows, interval=interval)
        self.badge = StatusBadge(self.watcher)
        self.info = ConnectionInfo(self.watcher)
        self.handshake = HandshakeInfo(self.watcher)
        self.gauge = BufferGauge(self.watcher, limit=buffer_limit)
        self.counters = Counters(self.watcher)
        self.timeline = StateTimeline(self.watcher)
        self.message_log = MessageLog(self.watcher, visible_rows=visible_rows)
        self.inspector = MessageInspector(self.watcher, on_plot=self._plot_field)
        traitlets.link((self.inspector, "selected"), (self.message_log, "selected"))
        self.frame_log = FrameLog(self.watcher, visible_rows=visible_rows, enabled=False)
        self.har_bar = HarBar(ws, record=record_har)
        self.tabs = widgets.Tab(children=[self.inspector, self.frame_log, self.har_bar], titles=TABS)
        self.tabs.add_class("wsnb-panel-tabs")
        self.tabs.observe(self._tab_changed, "selected_index")
        self.plots = widgets.VBox()
        self.plots.add_class("wsnb-panel-plots")
        self.send_bar = SendBar(ws, templates=templates)
        self.close_bar = CloseBar(ws)
        row = widgets.Layout(align_items="center", flex_flow="row wrap")
        super().__init__(
            children=[
                widgets.HBox([self.badge, self.info], layout=row),
                self.handshake,
                widgets.HBox([self.gauge, self.counters], layout=row),
                self.timeline,
                self.message_log,
                self.tabs,
                self.send_bar,
                self.close_bar,
                self.plots,
            ],
            **kwargs,
        )
        self.add_class("wsnb-panel")

    def plot(self, *fields: str, key: str | None = None, history: bool = True, **options: Any) -> Any:
        """A live plot of numeric JSON fields of this socket's messages, in one call.

        ``board.plot("price", key="symbol")`` or ``board.plot("data.bid")``
        (a dotted path into nested objects) makes a
        :class:`~wsnb.widgets.LivePlot` fed by :func:`json_values`; other
        keyword arguments go to ``LivePlot`` (``timespan``, ``window`` ...).

        With ``history`` (the default) the plot starts with the values of the
        received messages the log still holds, at the times they arrived,
        and goes on with each new message.
        """
        from .ingest import json_values
        from .live_plot import LivePlot  # imports matplotlib: only when a plot is asked for

        values = json_values(*fields, key=key)
        plot = LivePlot(self.ws, values, **options)
        if history:
            for row in self.watcher.log:
                if row.direction == "received" and row.kind == "text" and not row.truncated:
                    # The same extraction as for a live message.
                    plot.push(values(SimpleNamespace(data=row.head)), time_stamp=row.time)
        return plot

    def _plot_field(self, path: str) -> Any:
        """The inspector's plot button: a live plot of ``path`` below the panel (one per path: a second click keeps it)."""
        plot = self._live_plots.get(path)
        if plot is None or plot.closed:
            plot = self._live_plots[path] = self.plot(path, title=path)
            widget = plot.widget
            if widget is not None:
                self.plots.children = (*self.plots.children, widget)
        return plot

    def _tab_changed(self, change: Any) -> None:
        # The frame view draws only while someone looks at it.
        self.frame_log.enabled = change["new"] == TABS.index("frames")

    @property
    def updates(self) -> int:
        """How many coalesced updates the widgets received so far."""
        return self.watcher.updates

    def close(self) -> None:
        """Stop watching and close the widgets; the socket stays as it is."""
        watcher = getattr(self, "watcher", None)
        if watcher is not None:  # None when the constructor failed
            watcher.close()
        for plot in getattr(self, "_live_plots", {}).values():
            plot.close()
        for child in self.children:
            _close_tree(child)
        super().close()

    def __repr__(self) -> str:
        # Stable on purpose: no state, no counts.
        return f"ConnectionPanel(url={self.ws.url!r})"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget, and as text the repr with a lab server's port written ``PORT`` (see ``display_url``)."""
        bundle: dict[str, Any] = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = f"ConnectionPanel(url={display_url(self.ws.url)!r})"
        return bundle


def panel(ws: SocketTarget, **options: Any) -> ConnectionPanel:
    """Build a connection panel for ``ws``; see :class:`ConnectionPanel` for ``options``.

    Each call makes a new panel; several may watch one socket.
    """
    return ConnectionPanel(ws, **options)


def panel_mimebundle(ws: SocketTarget, include: Any = None, exclude: Any = None) -> dict[str, Any]:
    """What a notebook shows for ``ws``: a new panel, with the socket's repr as text.

    Outside a Jupyter kernel (a terminal IPython has no front end for
    widgets) only ``repr(ws)`` is returned and no panel is made. In a kernel
    the ``text/plain`` part, which the notebook saves beside the widget, is
    ``repr(ws)`` with a lab server's port written ``PORT`` (see
    ``display_url``), so that the saved notebook is the same on every run.
    """
    text = repr(ws)
    if not _in_kernel():
        return {"text/plain": text}
    bundle = dict(panel(ws)._repr_mimebundle_() or {})
    bundle["text/plain"] = text.replace(ws.url, display_url(ws.url), 1)
    return bundle


def _close_tree(widget: widgets.Widget) -> None:
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()


def _in_kernel() -> bool:
    try:
        from IPython.core.getipython import get_ipython
    except ImportError:  # pragma: no cover - ipywidgets requires IPython
        return False
    shell = get_ipython()  # type: ignore[no-untyped-call]
    return getattr(shell, "kernel", None) is not None
