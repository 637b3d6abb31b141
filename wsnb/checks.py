"""The checks every constructor runs on its numbers, written once.

A lab server, a pattern, a widget and an engine option all take counts,
sizes and durations, and all must refuse a bad one before anything starts,
with an error that names the argument and says what it accepts::

    check_int("max_messages", max_messages, minimum=1)
    check_number("per", per, above=0, maximum=3600, unit="seconds")

``check_close_args`` applies the standard's rules to ``close(code,
reason)``, for ``WebSocket.close()`` and every pattern alike.

A value of the wrong type (``"10"``, or ``True``, which Python counts as an
int) raises ``ArgumentTypeError`` (a ``TypeError`` that is also a
``ValueError``); a number out of range raises ``ValueError``.
"""

from __future__ import annotations

from typing import Any

from ._text import encode_usv
from .codes import can_send_from_script
from .exceptions import ArgumentTypeError, DOMSyntaxError, InvalidAccessError

__all__ = ["check_close_args", "check_int", "check_number"]


def check_int(
    name: str,
    value: Any,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    allow_none: bool = False,
    unit: str = "",
) -> None:
    """Raise unless ``value`` is an int (not a bool) from ``minimum`` to ``maximum`` (or None if allowed)."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentTypeError(f"{name} must be {_wanted('an int', minimum, None, maximum, unit, allow_none)}, not {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {_wanted('an int', minimum, None, maximum, unit, allow_none)}, not {value!r}")


def check_number(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    above: float | None = None,
    maximum: float | None = None,
    allow_none: bool = False,
    unit: str = "",
) -> None:
    """Raise unless ``value`` is an int or float (not a bool, not NaN) in range (or None if allowed).

    ``minimum`` is included in the range, ``above`` is not.
    """
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentTypeError(f"{name} must be {_wanted('a number', minimum, above, maximum, unit, allow_none)}, not {value!r}")
    if (
        value != value  # NaN
        or (minimum is not None and value < minimum)
        or (above is not None and value <= above)
        or (maximum is not None and value > maximum)
    ):
        raise ValueError(f"{name} must be {_wanted('a number', minimum, above, maximum, unit, allow_none)}, not {value!r}")


def _wanted(kind: str, minimum: float | None, above: float | None, maximum: float | None, unit: str, allow_none: bool) -> str:
    """Say what is accepted: "an int from 1 to 10", "a number of seconds above 0", "... or None"."""
    text = f"{kind} of {unit}" if unit else kind
    if minimum is not None and maximum is not None:
        text += f" from {_show(minimum)} to {_show(maximum)}"
    elif above is not None and maximum is not None:
        text += f" above {_show(above)} and at most {_show(maximum)}"
    elif minimum is not None:
        text += f" >= {_show(minimum)}"
    elif above is not None:
        text += f" above {_show(above)}"
    elif maximum is not None:
        text += f" <= {_show(maximum)}"
    return text + (" or None" if allow_none else "")


def _show(bound: float) -> str:
    return f"{bound:,}" if isinstance(bound, int) else f"{bound:g}"


def check_close_args(code: int | None, reason: str | None) -> str:
    """Check ``close()``'s arguments as the standard does, before any state changes; return the reason to send.

    Shared by ``WebSocket.close()`` and the patterns, which check them even
    when they have no socket to pass them to (between two connections).
    The reason returned is the text a Close frame carries: lone surrogates
    replaced by U+FFFD, "" when none was given.

    Raises:
        TypeError: If code is not an int or reason not a str.
        InvalidAccessError: For a code other than 1000 or 3000-4999.
        DOMSyntaxError: For a reason longer than 123 bytes of UTF-8.
    """
    if code is not None:
        if isinstance(code, bool) or not isinstance(code, int):
            raise TypeError(f"code must be an int or None, not {code.__class__.__name__}")
        if not can_send_from_script(code):
            raise InvalidAccessError(
                f"close code {code} is not allowed: use 1000, or 3000-4999 "
                "(1001-2999 are reserved for the protocol and the browser)"
            )
    if reason is None:
        return ""
    if not isinstance(reason, str):
        raise TypeError(f"reason must be a str or None, not {reason.__class__.__name__}")
    encoded = encode_usv(reason)
    if len(encoded) > 123:
        raise DOMSyntaxError(f"the close reason is {len(encoded)} bytes of UTF-8; at most 123 are allowed")
    return encoded.decode("utf-8")
