"""The message inspector: one row of the log, whole, and a JSON message as a tree.

DevTools shows a message's payload below the list when you click its row:
Chrome and Firefox as a collapsible JSON tree, Postman pretty-printed. The
:class:`MessageInspector` does the same for the panel's message log: click a
row (or set :attr:`~MessageInspector.selected` to its number) and the
inspector shows it

- as a **tree** (objects and arrays fold; the first three levels start
  open), **pretty**-printed JSON, or the **raw** text;
- text that is not JSON as it is, binary as hex, an event with its details.

Every number in the tree that a dotted path reaches (``price``,
``data.bid``: through objects, as :func:`~wsnb.widgets.json_values` reads
them) has a **plot** button: it asks the kernel for a live plot of that field
(:meth:`~MessageInspector.request_plot`), which the panel adds below itself.

The log keeps the first :data:`~wsnb.widgets.ring.HEAD_CHARS` characters of
each text message; a longer one is shown as far as it was kept, and said so.
Clicks are handled in the page (``inspector.js``, an anywidget), so a
selection costs one widget message, and nothing per message received.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets as widgets
import traitlets

from .. import _json
from .ring import LogRow
from .watcher import SocketWatcher

__all__ = ["MessageInspector", "numeric_paths"]

VIEWS = ("tree", "pretty", "raw")


def numeric_paths(value: Any, prefix: str = "") -> list[str]:
    """The dotted paths to every number of a JSON value reached through objects only.

    These are the fields a live plot can follow (``json_values`` reads dotted
    paths through objects); ``True`` and ``False`` are not numbers here.

    >>> numeric_paths({"price": 1.5, "data": {"bid": 2, "tags": [3]}, "ok": True})
    ['price', 'data.bid']
    """
    paths: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                paths.append(path)
            elif isinstance(item, dict):
                paths.extend(numeric_paths(item, path))
    return paths


class _InspectorPage(anywidget.AnyWidget):
    """The page half: the tree, the clicks on the log's rows and the plot buttons."""

    _esm = Path(__file__).with_name("inspector.js").read_text(encoding="utf-8")
    selected = traitlets.Int(-1).tag(sync=True)
    text = traitlets.Unicode("").tag(sync=True)
    kind = traitlets.Unicode("").tag(sync=True)
    truncated = traitlets.Bool(False).tag(sync=True)
    view = traitlets.Enum(VIEWS, "tree").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)


class MessageInspector(widgets.VBox):
    """One row of a message log, shown whole: a JSON tree with plot buttons, pretty JSON, text or hex.

    Args:
        watcher: The panel's SocketWatcher (its log holds the rows).
        on_plot: Called with a field's dotted path when a plot button is
            clicked (or :meth:`request_plot` called); the panel makes the
            live plot. None: the buttons only record the request.

    Attributes:
        plotted: The paths plotted so far, in order.
    """

    selected = traitlets.Int(-1, help="The number (#) of the row shown; -1 for none.")
    view = traitlets.Enum(VIEWS, "tree", help="tree, pretty (indented JSON) or raw text.")
    kind = traitlets.Unicode("", help="What the row holds: json, text, binary or event ('' for none).")
    error = traitlets.Unicode("", help="Why the selection cannot be shown, or ''.")

    def __init__(self, watcher: SocketWatcher, *, on_plot: Callable[[str], Any] | None = None, **kwargs: Any) -> None:
        self.watcher = watcher
        self.on_plot = on_plot
        self.plotted: list[str] = []
        self.row: LogRow | None = None
        self._value: Any = None
        self._page = _InspectorPage()
        self._view_buttons = widgets.ToggleButtons(
            options=list(VIEWS), value="tree", style={"button_width": "auto"},
            tooltips=["a collapsible tree, with a plot button on each number", "indented JSON", "the text as it came"],
        )
        self._view_buttons.add_class("wsnb-inspector-views")
        super().__init__(children=[self._view_buttons, self._page], **kwargs)
        self.add_class("wsnb-inspector-box")
        traitlets.link((self._view_buttons, "value"), (self, "view"))
        traitlets.link((self, "view"), (self._page, "view"))
        traitlets.link((self._page, "selected"), (self, "selected"))
        self._page.on_msg(self._from_page)

    @traitlets.observe("selected")
    def _show(self, change: Any) -> None:
        seq = change["new"]
        row = next((row for row in reversed(self.watcher.log) if row.seq == seq), None) if seq >= 0 else None
        self.row, self._value = row, None
        page = self._page
        with page.hold_sync():
            if seq >= 0 and row is None:
                self.kind, text, truncated = "", "", False
                self.error = f"row #{seq} is no longer in the log (it keeps the newest {self.watcher.log.max_rows:,})"
            elif row is None:
                self.kind, text, truncated, self.error = "", "", False, ""
            else:
                self.kind, text, truncated = self._describe(row)
                self.error = ""
                if self.kind == "text" and _looks_like_json(text):
                    self.error = (
                        f"the log kept only its first {len(text):,} characters: shown as text, not as JSON"
                        if truncated else "not valid JSON"
                    )
            page.text, page.kind, page.truncated, page.error = text, self.kind, truncated, self.error

    def _describe(self, row: LogRow) -> tuple[str, str, bool]:
        head = row.head
        if isinstance(head, bytes):
            return "binary", head.hex(" "), row.truncated
        if isinstance(head, str):
            if not row.truncated:
                try:
                    # Strict JSON, as the page's JSON.parse reads it: no NaN or Infinity.
                    self._value = _json.loads(head, parse_constant=_refuse_constant)
                except ValueError:
                    pass
                else:
                    return "json", head, False
            return "text", head, row.truncated
        return "event", row.preview, False

    @property
    def value(self) -> Any:
        """The selected message parsed as JSON, or None."""
        return self._value

    def pretty(self) -> str:
        """The selection as the page's "pretty" view shows it: indented JSON, or the text."""
        if self.kind == "json":
            return json.dumps(self._value, indent=2, ensure_ascii=False)
        return self._page.text

    def paths(self) -> list[str]:
        """The fields of the selected JSON message a live plot can follow (see :func:`numeric_paths`)."""
        return numeric_paths(self._value) if self.kind == "json" else []

    def request_plot(self, path: str) -> Any:
        """Plot ``path`` of the socket's messages, as the tree's plot button does; return what ``on_plot`` made.

        Raises:
            ValueError: If ``path`` is not a number of the selected message.
        """
        if path not in self.paths():
            offered = ", ".join(self.paths()) or "none: select a JSON message with numbers"
            raise ValueError(f"{path!r} is not a number of the selected message; its numbers: {offered}")
        self.plotted.append(path)
        return self.on_plot(path) if self.on_plot is not None else None

    def _from_page(self, widget: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and isinstance(content.get("plot"), str):
            try:
                self.request_plot(content["plot"])
            except ValueError as exc:  # the message changed under the click
                self.error = str(exc)
                self._page.error = self.error

    def close(self) -> None:
        """Close the inspector in the front end."""
        self._page.close()
        self._view_buttons.close()
        super().close()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (Python's json module accepts it; JSON.parse does not)")


def _looks_like_json(text: str) -> bool:
    stripped = text.lstrip()
    return stripped[:1] in ("{", "[")
