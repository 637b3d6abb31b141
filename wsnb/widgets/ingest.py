"""What a live plot takes from each message: ready-made ``values`` functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _json

__all__ = ["json_values"]


def json_values(*fields: str, key: str | None = None) -> Callable[[Any], Any]:
    """Make a values function for JSON text messages.

    - ``json_values("price")``: one series, ``"price"``;
    - ``json_values("bid", "ask")``: two series, ``"bid"`` and ``"ask"``;
    - ``json_values("price", key="symbol")``: one series per symbol, named
      by the message's ``"symbol"`` (new symbols add series as they come);
    - a field named like ``LivePlot(x=...)`` may be listed too, to carry x;
    - a dotted path reaches into nested objects: ``json_values("data.bid")``
      plots ``{"data": {"bid": 1.5}}`` as a series named ``"data.bid"`` (a
      key that itself contains the dot is taken first).

    A message that is not a JSON object, or lacks a field, gives None: the
    plot skips it (and counts it in ``skipped``). Binary messages are
    skipped too.

    Args:
        fields: The object's fields to plot.
        key: A field whose value names the series (one series per value).

    Raises:
        ValueError: If no field is given, or ``key`` is given with more
            than one field.
    """
    if not fields:
        raise ValueError("json_values() needs at least one field name, such as 'price'")
    if key is not None and len(fields) != 1:
        raise ValueError("json_values(..., key=) takes exactly one field: the value of each series")
    loads = _json.loads  # deep nesting is bad JSON (skipped), not a RecursionError

    def values(event: Any) -> Any:
        data = event.data
        if data.__class__ is not str:
            return None
        try:
            obj = loads(data)
        except ValueError:
            return None
        if obj.__class__ is not dict:
            return None
        try:
            if key is not None:
                return {str(lookup(obj, key)): lookup(obj, fields[0])}
            return {field: lookup(obj, field) for field in fields}
        except (KeyError, TypeError):
            return None

    values.__qualname__ = values.__name__ = f"json_values({', '.join(map(repr, fields))}{'' if key is None else f', key={key!r}'})"
    return values


def lookup(obj: dict[str, Any], path: str) -> Any:
    """``obj[path]``, or, for a dotted path, the nested value: ``lookup(o, "data.bid")`` is ``o["data"]["bid"]``.

    Raises:
        KeyError: If a part is missing.
        TypeError: If a part is not an object.
    """
    if path in obj or "." not in path:
        return obj[path]
    value: Any = obj
    for part in path.split("."):
        if value.__class__ is not dict:
            raise TypeError(f"{part!r} is not in an object")
        value = value[part]
    return value
