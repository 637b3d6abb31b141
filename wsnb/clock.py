"""The one clock of wsnb: the browser's ``performance.now()`` and ``performance.timeOrigin``.

``Event.timeStamp``, the message log's times and the engine's frame records
all read this clock, so that they can be compared and interleaved. It lives
in its own module, below everything else, because the engine (the lowest
layer) stamps frames with it and the events (above the engine) stamp events.
"""

from __future__ import annotations

import time

__all__ = ["TIME_ORIGIN", "performance_now", "time_origin"]

TIME_ORIGIN = time.monotonic()
"""``time.monotonic()`` when wsnb was imported: 0 on the ``performance_now()`` clock."""

_WALL_ORIGIN = time.time() - (time.monotonic() - TIME_ORIGIN)


def time_origin() -> float:
    """Milliseconds since the Unix epoch at which ``performance_now()`` was 0.

    The browser's ``performance.timeOrigin``: ``time_origin() +
    event.timeStamp`` is the wall-clock time of an event, in ms.
    """
    return _WALL_ORIGIN * 1000.0


def performance_now() -> float:
    """Milliseconds since wsnb was imported: the clock of ``Event.timeStamp``.

    The browser's ``performance.now()``: ``performance_now() -
    event.timeStamp`` is how long ago an event was made.
    """
    return (time.monotonic() - TIME_ORIGIN) * 1000.0
