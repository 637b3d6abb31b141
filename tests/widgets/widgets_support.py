"""Shared helpers of the widget tests: a recording comm, and waiting for a panel update.

Widgets are tested without a front end the way ipywidgets tests itself: its
``comm.create_comm`` hook returns a comm whose ``publish_msg`` goes nowhere.
Here that comm keeps what it would have sent, so a test can count the
messages a front end would receive.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import comm
from comm import DummyComm

from ..support import MS, TIMEOUT

__all__ = ["MS", "TIMEOUT", "FrontEnd", "front_end", "next_update"]


class FrontEnd:
    """What a front end would have received: every comm message, in order."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, dict[str, Any]]] = []

    def clear(self) -> None:
        """Forget the messages so far."""
        self.messages.clear()

    def updates(self, comm_id: str | None = None) -> list[dict[str, Any]]:
        """The state updates sent (to one widget, when ``comm_id`` is given)."""
        return [
            data["state"]
            for kind, cid, data in self.messages
            if kind == "comm_msg" and data.get("method") == "update" and (comm_id is None or cid == comm_id)
        ]


@contextlib.contextmanager
def front_end() -> Iterator[FrontEnd]:
    """Record the comm messages of the widgets made inside the block."""
    recorded = FrontEnd()

    class RecordingComm(DummyComm):
        def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any) -> None:
            recorded.messages.append((msg_type, self.comm_id, data or {}))

    previous = comm.create_comm
    comm.create_comm = lambda *args, **kwargs: RecordingComm(*args, **kwargs)
    try:
        yield recorded
    finally:
        comm.create_comm = previous


async def next_update(watcher: Any) -> None:
    """Wait for the watcher's next coalesced update of its views (never a sleep)."""
    done = asyncio.get_running_loop().create_future()

    def view(_: Any) -> None:
        if not done.done():
            done.set_result(None)

    watcher.add_view(view)
    try:
        await asyncio.wait_for(done, TIMEOUT)
    finally:
        watcher.remove_view(view)
