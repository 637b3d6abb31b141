"""When widgets redraw: at most once per interval, however often their data change.

A stream of 50,000 messages a second must not cost the front end 50,000
updates: a :class:`Coalescer` turns any number of "something changed" marks
into at most one call per interval (the panel's updates, a live plot's
frames), on the loop that owns the data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["DEFAULT_INTERVAL", "Coalescer"]

DEFAULT_INTERVAL = 0.05
"""Seconds between two updates of the views at least: 20 updates a second at most."""


class Coalescer:
    """Call ``callback`` soon after :meth:`mark`, but never twice within ``interval`` seconds.

    Any number of marks between two calls make one call. The first mark
    after a quiet period calls back on the loop's next turn (a newly opened
    socket shows at once); marks that follow within ``interval`` wait for
    the rest of it.

    Args:
        loop: The loop to call back on; :meth:`mark` must be called on it.
        callback: What to call, with no arguments.
        interval: Seconds between two calls at least (it may be changed).
        clock: Seconds, for the spacing (the loop's clock by default).
        max_duty: If set, the largest share of the loop's time the
            callbacks may take: after a slow call the next one waits long
            enough that calls take at most this share (a live plot's
            frames draw at most 75% of the time, so that the kernel still
            answers).

    Attributes:
        calls: How many times ``callback`` was called.
        last: The clock's value at the last call, or None.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        callback: Callable[[], None],
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], float] | None = None,
        max_duty: float | None = None,
    ) -> None:
        if not interval > 0:
            raise ValueError(f"interval must be a positive number of seconds, not {interval!r}")
        if max_duty is not None and not 0 < max_duty <= 1:
            raise ValueError(f"max_duty must be above 0 and at most 1, not {max_duty!r}")
        self.loop = loop
        self.callback = callback
        self.interval = interval
        self.clock = clock if clock is not None else loop.time
        self.max_duty = max_duty
        self.calls = 0
        self.last: float | None = None
        self._rest_until: float | None = None
        self._handle: asyncio.Handle | None = None
        self._closed = False

    @property
    def pending(self) -> bool:
        """Whether a call is scheduled."""
        return self._handle is not None

    def mark(self) -> None:
        """Ask for a call; does nothing if one is scheduled already. Call it on the loop."""
        if self._handle is not None or self._closed:
            return
        if self.last is None:
            self._handle = self.loop.call_soon(self._run)
            return
        due = self.last + self.interval
        if self._rest_until is not None:
            due = max(due, self._rest_until)
        delay = due - self.clock()
        if delay <= 0:
            self._handle = self.loop.call_soon(self._run)
        else:
            self._handle = self.loop.call_later(delay, self._run)

    def ran(self) -> None:
        """Note a call made directly (not through :meth:`mark`): the next one is spaced from now."""
        self.last = self.clock()

    def _run(self) -> None:
        self._handle = None
        if self._closed:
            return
        self.last = started = self.clock()
        self.calls += 1
        self.callback()
        if self.max_duty is not None:
            spent = self.clock() - started
            self._rest_until = self.clock() + spent * (1.0 / self.max_duty - 1.0)

    def close(self) -> None:
        """Cancel a scheduled call and ignore later marks."""
        self._closed = True
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
