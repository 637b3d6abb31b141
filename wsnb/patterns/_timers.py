"""Pattern state lives on its socket's loop: calling into it from any thread, and its timers and tasks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar


__all__: list[str] = []

logger = logging.getLogger("wsnb.patterns")
"""Where patterns report exceptions raised in their timers (``wsnb.patterns``)."""

T = TypeVar("T")


class Timers:
    """The timers and tasks one pattern started, so that none is ever lost.

    Callbacks run on the pattern's loop; an exception in one is reported to
    the ``wsnb.patterns`` logger (a browser reports it to its console) and
    the pattern goes on. ``cancel_all()`` stops everything when the pattern
    ends.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, owner: object) -> None:
        self.loop = loop
        self._owner = owner
        self._handles: set[asyncio.Handle] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    def later(self, delay: float, callback: Callable[..., Any], *args: Any) -> asyncio.TimerHandle:
        """Call ``callback(*args)`` after ``delay`` seconds; return the handle."""
        handle: asyncio.TimerHandle

        def run() -> None:
            self._handles.discard(handle)
            self._run(callback, args)

        handle = self.loop.call_later(delay, run)
        self._handles.add(handle)
        return handle

    def soon(self, callback: Callable[..., Any], *args: Any) -> asyncio.Handle:
        """Call ``callback(*args)`` on the next loop iteration (never inside the caller)."""
        handle: asyncio.Handle

        def run() -> None:
            self._handles.discard(handle)
            self._run(callback, args)

        handle = self.loop.call_soon(run)
        self._handles.add(handle)
        return handle

    def cancel(self, handle: asyncio.Handle | None) -> None:
        """Cancel one handle from ``later()`` or ``soon()``; None is ignored."""
        if handle is not None:
            handle.cancel()
            self._handles.discard(handle)

    def task(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run ``coro`` as a task the pattern keeps; report its exception if it fails."""
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("exception in a task of %r", self._owner, exc_info=task.exception())

    def _run(self, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            callback(*args)
        except Exception:
            logger.error("exception in a timer of %r", self._owner, exc_info=True)

    @property
    def pending(self) -> int:
        """How many timers and tasks are still scheduled."""
        return len(self._handles) + len(self._tasks)

    def cancel_all(self) -> None:
        """Cancel every timer and task."""
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()
        for task in self._tasks:
            task.cancel()
