"""The message log widget: every message and event of a socket, as in DevTools.

One row per message sent, message received and event (``open``, ``error``,
``close``, the script's ``close()`` call and the server's Close frame), with
the time since the socket opened, the direction, the kind (text, binary or
event), the size in bytes and a preview: text cut to one line, binary as hex, and for events
their details (``close`` code, reason and ``wasClean``, and why a failed
connection failed, which a browser hides).

Like the browser's DevTools it filters (all / sent / received / events) and
searches (plain text or a regular expression). It can pause (stop logging
while counters go on), clear, and export its rows as a list of dicts or as
JSON lines.

The rows live in a bounded ring (1,000 rows by default): a fast stream
costs a fixed amount of memory. The view draws the newest rows first, at
most ``visible_rows`` of them (100 by default), at most 20 times a second.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import traitlets

from ._format import ARROWS, escape, seconds
from ._view import WatcherView
from .ring import FILTERS, LogRow, latencies
from .watcher import SocketWatcher

__all__ = ["MessageLog"]


_STYLE = """<style>
.wsnb-log-table {border-collapse:collapse;font-family:monospace;font-size:12px;width:100%}
.wsnb-log-table th {text-align:left;color:#57606a;font-weight:normal;border-bottom:1px solid #d0d7de;padding:1px 6px}
.wsnb-log-table td {padding:1px 6px;white-space:nowrap;vertical-align:top}
.wsnb-log-table td.wsnb-num {text-align:right}
.wsnb-log-table td.wsnb-preview {white-space:pre;overflow:hidden;text-overflow:ellipsis;max-width:60ch}
.wsnb-log-table tr[data-direction="sent"] {background:#dafbe1}
.wsnb-log-table tr[data-direction="event"] {background:#ddf4ff}
.wsnb-log-table tr.wsnb-note {color:#cf222e}
.wsnb-log-table tbody tr {cursor:pointer}
.wsnb-log-table tr.wsnb-selected {outline:2px solid #0969da;outline-offset:-2px}
</style>"""

_HEAD = (
    "<thead><tr><th>#</th><th>time</th><th>Δ</th><th>latency</th><th></th><th>kind</th>"
    '<th style="text-align:right">size</th><th>data</th></tr></thead>'
)


class MessageLog(WatcherView, widgets.VBox):
    """A live log of a socket's messages and events, with DevTools-style filters.

    Args:
        source: The ``wsnb.WebSocket`` to log, or a panel's SocketWatcher.
        max_rows: How many rows the log keeps (its ring; 1,000 by default).
        visible_rows: How many of the newest matching rows are drawn.

    Use :meth:`export` or :meth:`to_jsonl` to get the rows as data.
    """

    filter = traitlets.Enum(FILTERS, "all", help="Which rows are shown: all, sent, received or events.")
    search = traitlets.Unicode("", help="Text the shown rows contain (case-insensitive); empty shows all.")
    regex = traitlets.Bool(False, help="Whether search is a regular expression.")
    paused = traitlets.Bool(False, help="While True no rows are logged (counters keep counting).")
    visible_rows = traitlets.Int(100, help="How many of the newest matching rows are drawn.")
    max_rows = traitlets.Int(1000, help="How many rows the log keeps; the oldest go first.")
    row_count = traitlets.Int(0, help="Rows in the log now (read it; setting it does nothing).")
    search_error = traitlets.Unicode(
        "", help="Why the search (a regular expression) or the JSON filter is not valid, or ''."
    )
    json_filter = traitlets.Unicode(
        "", help='Show only JSON messages matching this, such as type == "chat" or data.price > 100; empty shows all.'
    )
    correlation = traitlets.Unicode(
        "", help="A JSON field that pairs a request with its reply, such as 'id': replies show their latency."
    )
    selected = traitlets.Int(-1, help="The number (#) of the row outlined as selected (the panel's inspector shows it); -1 for none.")

    def __init__(
        self,
        source: Any,
        *,
        max_rows: int | None = None,
        visible_rows: int = 100,
        **kwargs: Any,
    ) -> None:
        self._filter_buttons = widgets.ToggleButtons(
            options=[(name, name) for name in FILTERS],
            value="all",
            tooltips=["every row", "messages sent", "messages received", "open, error, close, close() and the server's Close frame"],
            style={"button_width": "auto"},
        )
        self._search_box = widgets.Text(
            placeholder="search", continuous_update=True, layout=widgets.Layout(width="160px")
        )
        self._regex_box = widgets.Checkbox(description="regex", indent=False, layout=widgets.Layout(width="auto"))
        self._json_box = widgets.Text(
            placeholder='JSON: type == "chat"', continuous_update=False, layout=widgets.Layout(width="170px")
        )
        self._json_box.add_class("wsnb-json-filter")
        self._pause_button = widgets.ToggleButton(
            description="pause", icon="pause", tooltip="Stop logging rows (counters go on)",
            layout=widgets.Layout(width="auto"),
        )
        self._clear_button = widgets.Button(description="clear", icon="trash", layout=widgets.Layout(width="auto"))
        self._export_button = widgets.Button(
            description="export", icon="download", tooltip="Make the rows shown a JSON-lines file to download",
            layout=widgets.Layout(width="auto"),
        )
        self._download = widgets.HTML()
        self._table = widgets.HTML(layout=widgets.Layout(max_height="320px", overflow="auto"))
        self._table.add_class("wsnb-log-rows")
        self._status = widgets.HTML()
        toolbar = widgets.HBox(
            [self._filter_buttons, self._search_box, self._regex_box, self._json_box, self._pause_button,
             self._clear_button, self._export_button, self._download],
            layout=widgets.Layout(flex_flow="row wrap", align_items="center"),
        )
        super().__init__(children=[toolbar, self._table, self._status], visible_rows=visible_rows, **kwargs)
        self.add_class("wsnb-log")
        traitlets.link((self._filter_buttons, "value"), (self, "filter"))
        traitlets.link((self._search_box, "value"), (self, "search"))
        traitlets.link((self._regex_box, "value"), (self, "regex"))
        traitlets.link((self._json_box, "value"), (self, "json_filter"))
        traitlets.link((self._pause_button, "value"), (self, "paused"))
        self._clear_button.on_click(lambda _: self.clear())
        self._export_button.on_click(lambda _: self._offer_download())
        self._drawn: tuple[Any, ...] | None = None
        self._attach(source)
        self.watcher.paused = self.paused
        if max_rows is not None:
            self.max_rows = max_rows
        else:
            self.max_rows = self.watcher.log.max_rows
        self._draw()

    # -- Data -----------------------------------------------------------------

    def rows(self, *, view: bool = False) -> list[LogRow]:
        """The rows in the log, oldest first; with ``view=True`` only those the filter and search pass."""
        log = self.watcher.log
        if not view:
            return list(log)
        return log.select(self.filter, self.search, regex=self.regex)

    def export(self, *, view: bool = False) -> list[dict[str, Any]]:
        """The rows as JSON-ready dicts, oldest first, ``"time"`` in seconds since open.

        Args:
            view: Only the rows the current filter and search pass.

        Every dict has the keys ``seq``, ``time``, ``direction``, ``kind``,
        ``size``, ``preview``, ``data`` (the start of the message kept by
        the log: text, or hex for binary), ``truncated``, ``event``,
        ``code``, ``reason``, ``wasClean``, ``failure``, ``detail`` and ``note``.
        """
        log, origin = self.watcher.log, self.watcher.origin
        if not view:
            return log.export(origin=origin, correlation=self.correlation)
        return log.export(
            self.filter, self.search, regex=self.regex, origin=origin, correlation=self.correlation,
            json_filter=self.json_filter,
        )

    def to_jsonl(self, path: str | Path | None = None, *, view: bool = False) -> str:
        """The rows as JSON lines (one object per line); written to ``path`` too when given."""
        log, origin = self.watcher.log, self.watcher.origin
        if view:
            text = log.to_jsonl(self.filter, self.search, regex=self.regex, origin=origin)
        else:
            text = log.to_jsonl(origin=origin)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def clear(self) -> None:
        """Remove every row (numbering goes on, so the next row shows how many came before)."""
        self.watcher.log.clear()
        self._download.value = ""
        self._draw()

    # -- Drawing ----------------------------------------------------------------

    def refresh(self, watcher: SocketWatcher) -> None:
        """Draw the newest rows, if the log changed since the last drawing."""
        self._draw()

    @traitlets.observe("filter", "search", "regex", "visible_rows", "correlation", "json_filter", "selected")
    def _settings_changed(self, change: Any) -> None:
        # A person changed a setting: draw now, not at the next update.
        self._drawn = None
        self._draw()

    @traitlets.observe("paused")
    def _pause_changed(self, change: Any) -> None:
        if getattr(self, "watcher", None) is None:
            return
        self.watcher.paused = change["new"]
        self._pause_button.description = "resume" if change["new"] else "pause"
        self._pause_button.icon = "play" if change["new"] else "pause"
        self._drawn = None
        self._draw()

    @traitlets.observe("max_rows")
    def _max_rows_changed(self, change: Any) -> None:
        if getattr(self, "watcher", None) is None:
            return
        if self.watcher.log.max_rows != change["new"]:
            self.watcher.log.max_rows = change["new"]
        self._draw()

    @traitlets.validate("max_rows", "visible_rows")
    def _check_positive(self, proposal: Any) -> int:
        value = proposal["value"]
        if value < 1:
            raise traitlets.TraitError(f"{proposal['trait'].name} must be at least 1, not {value}")
        return int(value)

    def _draw(self) -> None:
        watcher = getattr(self, "watcher", None)
        if watcher is None:
            return
        log = watcher.log
        origin = watcher.origin
        key = (log.version, watcher.skipped, origin)
        if key == self._drawn:
            return
        self._drawn = key
        error = ""
        try:
            rows = log.select(self.filter, self.search, regex=self.regex, json_filter=self.json_filter)
        except re.error as exc:
            error = f"not a regular expression: {exc}"
            rows = log.select(self.filter)
        except ValueError as exc:  # the JSON filter
            error = f"JSON filter: {exc}"
            rows = log.select(self.filter)
        first = max(len(rows) - self.visible_rows, 0)
        paired = latencies(rows, self.correlation) if self.correlation else {}
        body = "".join(
            _row_html(rows[index], origin, rows[index - 1].time if index else None, paired.get(index), self.selected)
            for index in range(len(rows) - 1, first - 1, -1)  # newest first: it stays in view as rows arrive
        )
        shown = rows[first:]
        table = f'{_STYLE}<table class="wsnb-log-table">{_HEAD}<tbody>{body}</tbody></table>'
        with self._table.hold_sync(), self._status.hold_sync():
            self._table.value = table
            self._status.value = self._status_html(len(shown), len(rows), error)
            self.row_count = len(log)
            self.search_error = error

    def _status_html(self, shown: int, matching: int, error: str) -> str:
        watcher = self.watcher
        log = watcher.log
        parts = [f"{shown:,} of {matching:,} matching rows shown, newest first",
                 f"{len(log):,} rows in the log (at most {log.max_rows:,})"]
        if log.dropped:
            parts.append(f"{log.dropped:,} older rows dropped")
        if watcher.paused or watcher.skipped:
            parts.append(f"{'paused: ' if watcher.paused else ''}{watcher.skipped:,} not logged while paused")
        text = " · ".join(parts)
        if error:
            text += f' · <span style="color:#cf222e">{escape(error)}</span>'
        return f'<span class="wsnb-log-status" style="font-size:85%;color:#57606a">{text}</span>'

    def _offer_download(self) -> None:
        text = self.to_jsonl(view=True)
        count = text.count("\n")
        encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
        self._download.value = (
            f'<a download="wsnb-log.jsonl" href="data:application/x-ndjson;charset=utf-8;base64,{encoded}">'
            f"download {count:,} rows (JSON lines)</a>"
        )


def _row_html(
    row: LogRow, origin: float, previous: float | None = None, latency: float | None = None, selected: int = -1
) -> str:
    cells = row._html
    if cells is None:
        size = "" if row.size is None else f"{row.size:,} B"
        cells = row._html = (
            f"<td>{ARROWS[row.direction]}</td><td>{row.kind}</td>"
            f'<td class="wsnb-num">{size}</td><td class="wsnb-preview">{escape(row.preview)}</td></tr>'
        )
    classes = " ".join(name for name, on in (("wsnb-note", row.note), ("wsnb-selected", row.seq == selected)) if on)
    note = f' class="{classes}"' if classes else ""
    since = "" if previous is None else f"+{row.time - previous:,.1f} ms"
    took = "" if latency is None else f'<span class="wsnb-latency" title="since its request">⟲ {latency:,.1f} ms</span>'
    return (
        f'<tr data-direction="{row.direction}" data-kind="{row.kind}"{note} data-seq="{row.seq}">'
        f'<td class="wsnb-num">{row.seq}</td><td class="wsnb-num">{seconds(row.time - origin)}</td>'
        f'<td class="wsnb-num wsnb-delta">{since}</td><td class="wsnb-num">{took}</td>{cells}'
    )
