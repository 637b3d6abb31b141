"""A bounded send queue with an explicit overflow policy, and the event that reports a drop."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from typing import Any, Literal

from ..checks import check_int
from ..events import Event
from ..exceptions import QueueFull

__all__ = ["OverflowEvent", "OverflowPolicy"]

OverflowPolicy = Literal["raise", "drop-oldest", "drop-newest"]
"""What a full bounded queue does with one more item.

``"raise"`` refuses it with ``QueueFull``; ``"drop-oldest"`` discards the
oldest queued item to make room; ``"drop-newest"`` discards the new item.
Both drops are reported with an ``overflow`` event, never silently.
"""

_POLICIES = ("raise", "drop-oldest", "drop-newest")


class OverflowEvent(Event):
    """Reports a message a full queue discarded (type ``"overflow"``; a wsnb pattern event).

    Args:
        type: Usually ``"overflow"``.
        data: The discarded message, as it was passed to ``send()``.
        policy: ``"drop-oldest"`` or ``"drop-newest"``.
    """

    __slots__ = ("_data", "_policy")

    def __init__(self, type: str, *, data: Any = None, policy: str = "") -> None:
        super().__init__(type)
        self._data = data
        self._policy = policy

    @property
    def data(self) -> Any:
        """The discarded message."""
        return self._data

    @property
    def policy(self) -> str:
        """The overflow policy that discarded it."""
        return self._policy

    def _clone(self) -> OverflowEvent:
        return OverflowEvent(self._type, data=self._data, policy=self._policy)

    def _fields(self) -> str:
        return f"type={self._type!r}, data={self._data!r}, policy={self._policy!r}"


class SendQueue:
    """A FIFO queue of outgoing messages, bounded or not, with an explicit overflow policy.

    Args:
        maxlen: The most items it holds; None for no bound.
        policy: What ``put()`` does when full (see ``OverflowPolicy``).
    """

    def __init__(self, maxlen: int | None, policy: str) -> None:
        check_int("max_queue", maxlen, minimum=1, allow_none=True)
        if policy not in _POLICIES:
            raise ValueError(f"overflow must be one of {', '.join(map(repr, _POLICIES))}, not {policy!r}")
        self.maxlen = maxlen
        self.policy = policy
        self._items: collections.deque[Any] = collections.deque()

    def put(self, item: Any) -> tuple[bool, Any]:
        """Add ``item``; return ``(accepted, dropped)``.

        ``accepted`` is False when the new item itself was dropped
        (``"drop-newest"``); ``dropped`` is the item that was discarded, or
        None when nothing was.

        Raises:
            QueueFull: When full and the policy is ``"raise"``.
        """
        if self.maxlen is not None and len(self._items) >= self.maxlen:
            if self.policy == "raise":
                raise QueueFull(self.maxlen)
            if self.policy == "drop-newest":
                return False, item
            dropped = self._items.popleft()
            self._items.append(item)
            return True, dropped
        self._items.append(item)
        return True, None

    def popleft(self) -> Any:
        """Remove and return the oldest item."""
        return self._items.popleft()

    def peek(self) -> Any:
        """Return the oldest item without removing it."""
        return self._items[0]

    def clear(self) -> list[Any]:
        """Remove every item and return them, oldest first."""
        items = list(self._items)
        self._items.clear()
        return items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)
