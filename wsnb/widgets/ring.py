"""The message log's data: rows in a bounded ring, their filters and their export.

No ipywidgets here: a :class:`LogRing` is plain data that a
:class:`~wsnb.widgets.MessageLog` shows and that tests and scripts read.

A row is one of:

- a message the script passed to ``send()`` (direction ``"sent"``, kind
  ``"text"`` or ``"binary"``); one sent while the socket was CLOSING or
  CLOSED carries the note ``"not sent"``, because the standard drops it;
- a message received (direction ``"received"``);
- an event the socket dispatched, ``open``, ``error`` or ``close``
  (direction ``"event"``, kind ``"event"``);
- where the CLOSING state starts, which no event reports: the script's
  ``close()`` call (direction ``"sent"``, kind ``"event"``) or the server's
  ``Close frame`` (direction ``"received"``, kind ``"event"``).

The log keeps the start of each message (:data:`HEAD_CHARS` characters of
text, :data:`HEAD_BYTES` bytes of binary), not the whole message: a ring of
a thousand 1 MiB messages would hold a gigabyte. Use ``ws.record("message")``
to keep whole messages.
"""

from __future__ import annotations

import collections
import json
import operator
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

from .. import _json
from ..checks import check_int
from ..events import time_origin
from .ingest import lookup
from ._format import hex_preview, text_preview

__all__ = ["FILTERS", "HEAD_BYTES", "HEAD_CHARS", "LogRing", "LogRow"]

HEAD_CHARS = 4096
"""Characters of a text message a row keeps."""

HEAD_BYTES = 64
"""Bytes of a binary message a row keeps."""

FILTERS = ("all", "sent", "received", "events")
"""The log's filters, as in a browser's DevTools: every row, sent messages,
received messages, or events (``open``, ``error``, ``close``, the
``close()`` call and the server's Close frame)."""


_UNPARSED = object()
"""A row's JSON object before anyone asked for it."""


class LogRow:
    """One row of the message log.

    Attributes:
        seq: The row's number in its log, from 0; it keeps growing when old
            rows leave the ring, so gaps show what was dropped.
        time: When it happened, in milliseconds on the clock of
            ``Event.timeStamp``.
        direction: ``"sent"``, ``"received"`` or ``"event"``.
        kind: ``"text"``, ``"binary"`` or ``"event"``.
        size: The message's size in bytes (UTF-8 bytes for text); None for
            events.
        head: The start of the message: ``str`` for text, ``bytes`` for
            binary, None for events.
        truncated: Whether ``head`` is shorter than the message.
        event: For event rows, ``"open"``, ``"error"``, ``"close"``,
            ``"close()"``, ``"Close frame"`` or ``"reconnect"`` (a
            reconnecting pattern's); else None.
        code: Close code of a ``close`` event, a ``close()`` call or the
            server's Close frame (1005: it had none).
        reason: Close reason of the same.
        was_clean: ``wasClean`` of a ``close`` event.
        failure: Why the connection failed (a wsnb extra that browsers
            hide), on the ``error`` and ``close`` rows of a failed socket.
        detail: More about an event, such as the ``protocol`` and
            ``extensions`` an ``open`` event found.
        note: A warning, such as ``"not sent: the socket was CLOSED"``.
    """

    __slots__ = (
        "_html",
        "_object",
        "_preview",
        "code",
        "detail",
        "direction",
        "event",
        "failure",
        "head",
        "kind",
        "note",
        "reason",
        "seq",
        "size",
        "time",
        "truncated",
        "was_clean",
    )

    def __init__(
        self,
        time: float,
        direction: str,
        kind: str,
        size: int | None = None,
        head: str | bytes | None = None,
        truncated: bool = False,
        *,
        event: str | None = None,
        code: int | None = None,
        reason: str | None = None,
        was_clean: bool | None = None,
        failure: str | None = None,
        detail: str | None = None,
        note: str | None = None,
    ) -> None:
        self.seq = -1
        self.time = time
        self.direction = direction
        self.kind = kind
        self.size = size
        self.head = head
        self.truncated = truncated
        self.event = event
        self.code = code
        self.reason = reason
        self.was_clean = was_clean
        self.failure = failure
        self.detail = detail
        self.note = note
        self._preview: str | None = None
        self._html: str | None = None  # a view's cache of the row's cells
        self._object: Any = _UNPARSED

    @property
    def preview(self) -> str:
        """What the log shows of the row: hex for binary, cut text, or the event's details."""
        preview = self._preview
        if preview is None:
            preview = self._preview = self._make_preview()
        return preview

    def _make_preview(self) -> str:
        head = self.head
        if isinstance(head, str):
            text = text_preview(head, cut=self.truncated)
        elif isinstance(head, bytes):
            text = hex_preview(head, cut=self.truncated)
        else:
            text = self._describe_event()
        if self.note:
            text = f"{text}  [{self.note}]"
        return text

    def _describe_event(self) -> str:
        parts = [self.event or "?"]
        if self.code is not None or self.event == "close()":
            parts.append(f"code={self.code}")
        if self.reason is not None:
            parts.append(f"reason={self.reason!r}")
        if self.was_clean is not None:
            parts.append(f"wasClean={self.was_clean}")
        if self.detail:
            parts.append(self.detail)
        if self.failure:
            parts.append(f"(failure: {self.failure})")
        return " ".join(parts)

    def json_object(self) -> dict[str, Any] | None:
        """The message as a JSON object, or None: not text, cut short, not JSON or not an object.

        Parsed once and kept: the JSON filter and the latency column look at
        every row at each redraw.
        """
        if self._object is _UNPARSED:
            parsed: Any = None
            if self.kind == "text" and isinstance(self.head, str) and not self.truncated:
                try:
                    parsed = _json.loads(self.head)
                except ValueError:
                    pass
            self._object = parsed if isinstance(parsed, dict) else None
        result: dict[str, Any] | None = self._object
        return result

    def search_text(self) -> str:
        """The text a search looks in: the kept start of the message (hex for binary) or the event's details."""
        head = self.head
        if isinstance(head, str):
            return head
        if isinstance(head, bytes):
            return head.hex(" ")
        return self.preview

    def as_dict(self, origin: float | None = None) -> dict[str, Any]:
        """The row as a JSON-ready dict (what :meth:`LogRing.export` returns).

        Args:
            origin: The time, in ms, that ``"time"`` counts from (the open
                event's timeStamp in a panel); None leaves ``"time"`` in ms
                on the ``Event.timeStamp`` clock.
        """
        head = self.head
        if isinstance(head, bytes):
            data: str | None = head.hex(" ")
        else:
            data = head
        when = self.time if origin is None else round((self.time - origin) / 1000.0, 6)
        wall = datetime.fromtimestamp((time_origin() + self.time) / 1000.0, timezone.utc)
        return {
            "seq": self.seq,
            "time": when,
            "wall": wall.isoformat(timespec="milliseconds"),
            "direction": self.direction,
            "kind": self.kind,
            "size": self.size,
            "preview": self.preview,
            "data": data,
            "truncated": self.truncated,
            "event": self.event,
            "code": self.code,
            "reason": self.reason,
            "wasClean": self.was_clean,
            "failure": self.failure,
            "detail": self.detail,
            "note": self.note,
        }

    def __repr__(self) -> str:
        return f"<LogRow {self.seq} {self.direction} {self.kind}: {self.preview}>"


class LogRing:
    """The newest rows of a log, at most ``max_rows`` of them.

    Appending to a full ring drops its oldest row, so a fast stream costs a
    fixed amount of memory however long it runs.

    Args:
        max_rows: How many rows to keep (1,000 by default).

    Attributes:
        total: Rows ever appended (the next row's ``seq``).
        version: Changes whenever the rows change, so a view knows when to
            draw them again.
    """

    def __init__(self, max_rows: int = 1000) -> None:
        self._rows: collections.deque[LogRow] = collections.deque(maxlen=_check_max_rows(max_rows))
        self.total = 0
        self.version = 0

    @property
    def max_rows(self) -> int:
        """How many rows the ring keeps; lowering it drops the oldest rows now."""
        return self._rows.maxlen  # type: ignore[return-value]

    @max_rows.setter
    def max_rows(self, value: int) -> None:
        self._rows = collections.deque(self._rows, maxlen=_check_max_rows(value))
        self.version += 1

    @property
    def dropped(self) -> int:
        """Rows that left the ring (or were cleared) to make room or on request."""
        return self.total - len(self._rows)

    def append(self, row: LogRow) -> None:
        """Add a row, numbering it; the oldest row goes if the ring is full."""
        row.seq = self.total
        self.total += 1
        self.version += 1
        self._rows.append(row)

    def clear(self) -> None:
        """Drop every row; numbering goes on from where it was."""
        self._rows.clear()
        self.version += 1

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[LogRow]:
        return iter(self._rows)

    def __getitem__(self, index: int) -> LogRow:
        return self._rows[index]

    def select(
        self, filter: str = "all", search: str = "", *, regex: bool = False, json_filter: str = ""
    ) -> list[LogRow]:
        """Return the rows that pass a filter and a search, oldest first.

        Args:
            filter: One of :data:`FILTERS`.
            search: Text that a row's message or event details must
                contain (case-insensitive); empty matches every row.
            regex: Treat ``search`` as a regular expression (case-insensitive).
            json_filter: Keep only JSON messages that match this expression,
                such as ``type == "chat"`` (see :func:`json_test`).

        Raises:
            ValueError: For an unknown filter or a malformed ``json`` expression.
            re.error: For a search that is not a valid regular expression.
        """
        keep = _filter_test(filter)
        rows = [row for row in self._rows if keep(row)] if keep is not None else list(self._rows)
        if json_filter:
            matches = json_test(json_filter)
            rows = [row for row in rows if matches(row)]
        if not search:
            return rows
        if regex:
            pattern = re.compile(search, re.IGNORECASE)
            return [row for row in rows if pattern.search(row.search_text())]
        needle = search.casefold()
        return [row for row in rows if needle in row.search_text().casefold()]

    def export(
        self,
        filter: str = "all",
        search: str = "",
        *,
        regex: bool = False,
        origin: float | None = None,
        correlation: str = "",
        json_filter: str = "",
    ) -> list[dict[str, Any]]:
        """Return the rows that pass a filter and a search as dicts, oldest first.

        Every dict has the same keys (see :meth:`LogRow.as_dict`), so the
        list turns into a table directly, for example with
        ``pandas.DataFrame(rows)``; and ``"sincePrevious"``, the ms since
        the row before it in this list (None for the first). With
        ``correlation`` (a JSON field such as ``"id"``), each also has
        ``"latency"``: on a received reply, the ms since the sent message
        with the same value of that field (see :func:`latencies`).
        """
        rows = self.select(filter, search, regex=regex, json_filter=json_filter)
        exported = [row.as_dict(origin) for row in rows]
        for row, previous, item in zip(rows, [None, *rows[:-1]], exported, strict=True):
            item["sincePrevious"] = None if previous is None else round(row.time - previous.time, 3)
        if correlation:
            for item in exported:
                item["latency"] = None
            for index, latency in latencies(rows, correlation).items():
                exported[index]["latency"] = latency
        return exported

    def to_jsonl(self, *args: Any, **kwargs: Any) -> str:
        """Return :meth:`export` as JSON lines: one JSON object per line."""
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in self.export(*args, **kwargs))

    def __repr__(self) -> str:
        return f"<LogRing {len(self._rows)} of at most {self.max_rows} rows, {self.total} appended>"


def _check_max_rows(value: int) -> int:
    check_int("max_rows", value, minimum=1)
    return value


def _filter_test(filter: str) -> Any:
    if filter == "all":
        return None
    if filter == "sent":
        return lambda row: row.direction == "sent"
    if filter == "received":
        return lambda row: row.direction == "received"
    if filter == "events":
        return lambda row: row.kind == "event"
    raise ValueError(f"unknown filter {filter!r}; use one of {', '.join(FILTERS)}")


def latencies(rows: list[LogRow], field: str) -> dict[int, float]:
    """Round trips of request/reply pairs: ``{index of the reply: ms since its request}``.

    A sent text message and a received one are a pair when both are JSON
    objects with the same value of ``field`` (a correlation id, as the
    request/response pattern uses); the reply is the first received one
    after the request. Only the start of a message is in the log: a
    message cut there does not parse, and is not paired.
    """
    sent: dict[str, float] = {}
    found: dict[int, float] = {}
    for index, row in enumerate(rows):
        message = row.json_object()
        if message is None or field not in message:
            continue
        key = json.dumps(message[field], sort_keys=True)
        if row.direction == "sent":
            sent.setdefault(key, row.time)
        elif row.direction == "received" and key in sent:
            found[index] = round(row.time - sent.pop(key), 3)
    return found


_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt,
}
_EXPRESSION = re.compile(r"\s*([A-Za-z_][\w.]*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*")


def json_test(expression: str) -> Callable[[LogRow], bool]:
    """A test for rows whose message is a JSON object matching ``expression``.

    ``type == "chat"``, ``data.price > 100``, ``id != 3`` or just a path
    such as ``error`` (the field is there). The path may be dotted into
    nested objects; the value is JSON (strings in double quotes, numbers,
    ``true``, ``false``, ``null``). A row that is not a JSON object, lacks
    the field, or holds a value that cannot be compared does not match.

    Raises:
        ValueError: If the expression is not ``path``, or ``path op value``
            with a JSON value, saying which part is wrong.
    """
    match = _EXPRESSION.fullmatch(expression)
    if match is None:
        raise ValueError(f'expected a field path, an operator (== != < <= > >=) and a JSON value, such as type == "chat"; not {expression!r}')
    path, symbol, text = match.groups()
    wanted: Any = None
    if symbol is not None:
        try:
            wanted = _json.loads(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a JSON value (strings need double quotes)") from None

    def test(row: LogRow) -> bool:
        message = row.json_object()
        if message is None:
            return False
        try:
            value = lookup(message, path)  # the same dotted paths as json_values
        except (KeyError, TypeError):
            return False
        if symbol is None:
            return True
        try:
            return bool(_COMPARISONS[symbol](value, wanted))
        except TypeError:
            return False  # "b" < 3: not comparable, not a match

    return test
