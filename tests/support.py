"""Shared test helpers: timeouts in one scalable unit, and closed ports."""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import shutil
import socket
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

MS = 0.001 * float(os.environ.get("WSNB_TESTS_TIMEOUT_FACTOR", "1"))
"""One millisecond, scaled by ``WSNB_TESTS_TIMEOUT_FACTOR`` on slow machines.

Every timeout is a multiple of MS. Timeouts only bound a wait for an event:
none is asserted.
"""

TIMEOUT = 10_000 * MS
"""Generous bound on anything a test awaits; never reached when all is well."""

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
C = TypeVar("C", bound=type)


def bounded(func: F) -> F:
    """Wrap a coroutine function so that it fails after TIMEOUT."""

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return await asyncio.wait_for(func(*args, **kwargs), TIMEOUT)

    return wrapper  # type: ignore[return-value]


def with_timeouts(cls: C) -> C:
    """Bound every async test_* method of a test case with TIMEOUT.

    IsolatedAsyncioTestCase runs setUp, the test and cleanups separately,
    so each test body gets its own bound.
    """
    for name, func in list(vars(cls).items()):
        if name.startswith("test_") and inspect.iscoroutinefunction(func):
            setattr(cls, name, bounded(func))
    return cls


def closed_port_url() -> str:
    """Return a ws:// URL on 127.0.0.1 whose port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"ws://127.0.0.1:{port}/"


NOTEBOOK_PROGRAMS = {"27-scale-out-with-redis.ipynb": ("redis-server", "apt-get install redis-server")}
"""Notebooks that need a system program, with how to install it (``.ci/run`` and ``binder/apt.txt`` do)."""


def missing_program(notebook: str) -> str | None:
    """Why the notebook of this file name cannot run here (a program it needs is not on PATH), or None."""
    need = NOTEBOOK_PROGRAMS.get(notebook)
    if need is None or shutil.which(need[0]) is not None:
        return None
    return f"{notebook} needs {need[0]}, which is not installed here ({need[1]})"
