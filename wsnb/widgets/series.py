"""The buffers a live plot keeps: one fixed-size ring of (x, y) samples per series.

A ring of NumPy arrays, so that a stream of any length costs a bounded
amount of memory, and drawing reads two arrays, not a list of tuples.
NumPy is imported when the first buffer is made.
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TypeAlias

    import numpy as np
    import numpy.typing as npt

    Array: TypeAlias = npt.NDArray[np.float64]

__all__ = ["SeriesBuffer"]


class SeriesBuffer:
    """The newest samples of one series: a fixed-size ring of (x, y) in numpy.

    ``append`` writes one sample in place (no allocation); when the ring is
    full the oldest sample is overwritten. Reading (``arrays``) copies the
    samples out in order, oldest first.

    Args:
        name: The series' name (its legend label).
        capacity: How many samples it keeps.

    Attributes:
        total: Samples appended since it was made (or cleared), kept or not.
    """

    __slots__ = ("capacity", "head", "name", "total", "x", "y")

    def __init__(self, name: str, capacity: int) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"a series keeps at least 1 sample, not {capacity!r}")
        import numpy as np

        self.name = name
        self.capacity = capacity
        self.x = np.zeros(capacity)
        self.y = np.zeros(capacity)
        self.head = 0
        self.total = 0

    def append(self, x: float, y: float) -> None:
        """Write one sample, overwriting the oldest when full."""
        i = self.head
        self.x[i] = x
        self.y[i] = y
        i += 1
        self.head = 0 if i == self.capacity else i
        self.total += 1

    def __len__(self) -> int:
        return min(self.total, self.capacity)

    def arrays(self) -> tuple[Array, Array]:
        """Return copies of the kept x and y, oldest first."""
        import numpy as np

        if self.total < self.capacity:
            return self.x[: self.head].copy(), self.y[: self.head].copy()
        h = self.head
        return np.concatenate((self.x[h:], self.x[:h])), np.concatenate((self.y[h:], self.y[:h]))

    def last(self) -> tuple[float, float] | None:
        """The newest sample as ``(x, y)``, or None when empty."""
        if not self.total:
            return None
        i = self.head - 1
        return float(self.x[i]), float(self.y[i])

    def clear(self) -> None:
        """Forget every sample."""
        self.head = 0
        self.total = 0

    def __repr__(self) -> str:
        return f"<SeriesBuffer {self.name!r} {len(self)}/{self.capacity}>"


def is_ndarray(value: object) -> bool:
    """Whether ``value`` is a NumPy array, without importing NumPy (if it is not imported, it is not one)."""
    np = sys.modules.get("numpy")
    return np is not None and isinstance(value, np.ndarray)


def decimate(x: Array, y: Array, limit: int) -> tuple[Array, Array]:
    """Keep the min and max of each bucket when there are more than ``limit`` points.

    A screen cannot show more points than it has pixels; keeping each
    bucket's extremes (in their order) keeps spikes that plain striding
    would drop.
    """
    import numpy as np

    n = len(x)
    if n <= limit:
        return x, y
    bucket = math.ceil(n / (limit // 2))
    whole = (n // bucket) * bucket
    yb = y[:whole].reshape(-1, bucket)
    base = np.arange(0, whole, bucket)
    lo = base + np.argmin(yb, axis=1)
    hi = base + np.argmax(yb, axis=1)
    keep = np.sort(np.concatenate((lo, hi, np.arange(whole, n))))
    return x[keep], y[keep]
