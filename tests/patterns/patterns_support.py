"""Shared helpers of the pattern tests."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from ..support import MS, TIMEOUT, bounded, with_timeouts

__all__ = ["MS", "TIMEOUT", "FakeClock", "TickClock", "bounded", "closed", "next_event", "quick", "with_timeouts"]


def quick() -> Iterator[float]:
    """Reconnection delays for tests: 1 ms each."""
    return itertools.repeat(0.001)


async def closed(target: Any, code: int | None = None, reason: str | None = None) -> Any:
    """Close ``target`` (unless already closed) and return its close event."""
    if target.readyState < 2:
        target.close(code, reason)
    return await target.wait_for("close", timeout=TIMEOUT)


def next_event(target: Any, type: str, predicate: Callable[[Any], bool] = lambda event: True) -> Awaitable[Any]:
    """Start listening now; return an awaitable of the next matching event of ``type``.

    The listener is registered before this returns, so an event dispatched
    between this call and the ``await`` is not missed.
    """
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def listener(event: Any) -> None:
        if not future.done() and predicate(event):
            future.set_result(event)

    target.addEventListener(type, listener)
    future.add_done_callback(lambda _: target.removeEventListener(type, listener))
    return asyncio.wait_for(future, TIMEOUT)


class FakeClock:
    """A clock that moves only when told to, and an async sleep that moves it."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class TickClock:
    """A clock that returns 0, 1, 2 ... on successive calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> float:
        value = float(self.calls)
        self.calls += 1
        return value
