"""Adaptive: measure the stream received and ask the server for a quality it can carry.

A live stream (video, a dense sensor feed) comes at several quality levels,
each needing a data rate. The client measures how many bytes per second it
actually receives and asks the server for the best level that rate
sustains, with a JSON text message::

    {"type": "quality", "quality": "medium"}

The ``quality`` lab server honours it and can simulate a slow link
(``{"type": "bandwidth", "bytes_per_second": N}``).

The rule, applied every ``window`` seconds to the bytes received in it:

- if the rate is below ``margin`` times what the current level needs, the
  link cannot carry it: drop to the best level that the measured rate
  does sustain (straight there, not one step at a time);
- if it sustains the current level for ``up_after`` windows in a row, try
  the next level up (a *probe*). If that probe fails at once, the next
  probe waits twice as long (up to 8 times), so a link at the edge between
  two levels does not make the stream flap between them.

The window right after a change is not judged: the server needs a moment
to switch, and the window mixes both levels.

What was fixed relative to the reference, and why:

- **It can go up again.** The reference picks a level from fixed
  thresholds on the measured rate. But the server sends at the rate of
  the level chosen, so at "low" the client measures the low rate and never
  sees a reason to go higher: one bad second sticks forever. Measuring
  against the current level's need and probing upwards breaks that circle.
- **It measures even when nothing arrives.** The reference measures inside
  ``onmessage``, so when the stream stalls, no measurement happens and the
  quality is never lowered. Here a timer closes each window.
- **Blobs and bytes are counted right.** With the browser's default
  ``binaryType`` ("blob"), ``data instanceof ArrayBuffer`` is false and
  ``data.length`` is undefined for a Blob: the reference's count becomes
  NaN and the quality stays "low". It also counts text as two bytes per
  UTF-16 unit. Here bytes are bytes (UTF-8 for text, ``size`` for a Blob).
- **No flapping**: the probe backoff above. **No overwritten handler**: the
  reference replaces ``onmessage``; here the stream's messages are
  ordinary ``message`` events and the level changes are ``quality`` events.
"""

from __future__ import annotations

import collections
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from .. import loop as _loop
from ..checks import check_int, check_number
from ..events import Event, MessageEvent
from ..target import EventHandler
from ..websocket import binary_size
from ._events import fire
from ._socket import Factory, Wrapper


__all__ = ["DEFAULT_LEVELS", "Adaptive", "QualityEvent", "message_size", "quality_request"]

DEFAULT_LEVELS: tuple[tuple[str, float], ...] = (("low", 16_000.0), ("medium", 64_000.0), ("high", 256_000.0))
"""Quality levels and the bytes per second each needs; the ``quality`` lab server's defaults."""


def quality_request(quality: str) -> str:
    """The message that asks the server for ``quality``: ``{"type": "quality", "quality": ...}``."""
    return json.dumps({"type": "quality", "quality": quality})


def message_size(data: Any) -> int:
    """The size of a message's data in bytes: UTF-8 for text, ``size`` for a Blob."""
    if isinstance(data, str):
        return len(data.encode("utf-8", "replace"))
    try:
        return binary_size(data)  # a Blob, bytes, or any other buffer
    except TypeError:
        return 0


class QualityEvent(Event):
    """The quality level changed (type ``"quality"``; a wsnb pattern event).

    Args:
        type: Usually ``"quality"``.
        quality: The new level's name.
        previous: The old level's name.
        throughput: The measured bytes per second that caused the change.
    """

    __slots__ = ("_previous", "_quality", "_throughput")

    def __init__(self, type: str, *, quality: str = "", previous: str = "", throughput: float = 0.0) -> None:
        super().__init__(type)
        self._quality = quality
        self._previous = previous
        self._throughput = throughput

    @property
    def quality(self) -> str:
        """The new level."""
        return self._quality

    @property
    def previous(self) -> str:
        """The level before."""
        return self._previous

    @property
    def throughput(self) -> float:
        """Bytes per second measured in the window that decided it."""
        return self._throughput

    def _clone(self) -> QualityEvent:
        return QualityEvent(self._type, quality=self._quality, previous=self._previous, throughput=self._throughput)

    def _fields(self) -> str:
        # The throughput varies from run to run; keep the repr stable.
        return f"type={self._type!r}, quality={self._quality!r}, previous={self._previous!r}"


class Adaptive(Wrapper):
    """A socket that measures received throughput and requests a quality level.

    Args:
        url: The URL; the default factory makes ``WebSocket(url)``.
        factory: Instead of ``url``: a callable returning a new socket.
        levels: ``(name, bytes_per_second)`` pairs, lowest first.
        initial: The level requested on open (the lowest by default).
        window: Seconds per measurement.
        margin: The fraction of a level's rate that counts as sustaining it.
        up_after: Good windows in a row before probing the next level.
        request: Makes the message that asks for a level (``quality_request``).
        clock: Returns seconds; injectable.

    Attributes:
        quality: The level requested now.
        throughput: Bytes per second in the last window, or None.
        history: Recent ``(time, throughput, quality)`` for plotting.
    """

    onquality = EventHandler("quality")

    def __init__(
        self,
        url: str | None = None,
        *,
        factory: Factory | None = None,
        levels: Sequence[tuple[str, float]] = DEFAULT_LEVELS,
        initial: str | None = None,
        window: float = 1.0,
        margin: float = 0.8,
        up_after: int = 3,
        request: Callable[[str], Any] = quality_request,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(url, factory)
        levels = [(str(name), float(rate)) for name, rate in levels]
        if not levels:
            raise ValueError("levels must name at least one level")
        if any(b[1] <= a[1] for a, b in zip(levels, levels[1:], strict=False)):
            raise ValueError("levels must be in increasing order of rate")
        names = [name for name, _ in levels]
        if initial is not None and initial not in names:
            raise ValueError(f"initial must be one of {names}, not {initial!r}")
        check_number("window", window, minimum=0)
        if window <= 0:
            raise ValueError("window must be > 0 seconds")
        check_number("margin", margin, minimum=0)
        if not 0 < margin <= 1:
            raise ValueError("margin must be in (0, 1]")
        check_int("up_after", up_after, minimum=1)
        self.levels = levels
        self.window = float(window)
        self.margin = float(margin)
        self.up_after = up_after
        self.request = request
        self.clock = clock
        self._index = names.index(initial) if initial is not None else 0
        self._good = 0
        self._probe_wait = up_after
        self._probing = False
        self._settling = True
        self._bytes = 0
        self._window_start = clock()
        self._timer: Any = None
        self.throughput: float | None = None
        self.history: collections.deque[tuple[float, float, str]] = collections.deque(maxlen=1000)
        self._start()

    @property
    def quality(self) -> str:
        """The level requested now."""
        return self.levels[self._index][0]

    # -- The rule ------------------------------------------------------------------

    def update(self, throughput: float) -> str:
        """Apply the rule to one window's throughput; return the level to use.

        The timer calls it at the end of every window. It changes the level
        (and sends a request and fires ``quality``) when the rule says so.
        """
        return _loop.call_on(self._loop, self._update, float(throughput))

    def _update(self, throughput: float) -> str:
        self.throughput = throughput
        self.history.append((self.clock(), throughput, self.quality))
        if self._settling:
            self._settling = False
            return self.quality
        rates = [rate for _, rate in self.levels]
        index = self._index
        if throughput < self.margin * rates[index]:
            fits = [i for i, rate in enumerate(rates) if self.margin * rate <= throughput]
            target = fits[-1] if fits else 0
            if self._probing:
                self._probe_wait = min(self._probe_wait * 2, self.up_after * 8)
            self._good = 0
            if target != index:
                self._set(target, throughput, probing=False)
            return self.quality
        if self._probing:  # the probe held: probing is cheap again
            self._probe_wait = self.up_after
        self._probing = False
        self._good += 1
        if self._good >= self._probe_wait and index + 1 < len(rates):
            self._good = 0
            self._set(index + 1, throughput, probing=True)
        return self.quality

    def _set(self, index: int, throughput: float, *, probing: bool) -> None:
        previous = self.quality
        self._index = index
        self._probing = probing
        self._settling = True
        if self.readyState == self.OPEN:
            self._socket.send(self.request(self.quality))
        fire(self, QualityEvent("quality", quality=self.quality, previous=previous, throughput=throughput))

    # -- Measuring -------------------------------------------------------------------

    def _begin(self) -> None:
        self._bytes = 0
        self._window_start = self.clock()
        self._timers.cancel(self._timer)
        self._timer = self._timers.later(self.window, self._end_window)

    def _end_window(self) -> None:
        self._timer = None
        elapsed = self.clock() - self._window_start
        rate = self._bytes / elapsed if elapsed > 0 else 0.0
        self._begin()
        self._update(rate)

    def _on_open(self, event: Event) -> None:
        self._socket.send(self.request(self.quality))
        self._settling = True
        self._begin()
        self._forward(event)

    def _on_message(self, event: Event) -> None:
        if isinstance(event, MessageEvent):
            self._bytes += message_size(event.data)
        self._forward(event)

    def _on_reconnect(self, event: Event) -> None:
        self._timers.cancel(self._timer)
        self._timer = None
        super()._on_reconnect(event)

    def __repr__(self) -> str:
        rate = "None" if self.throughput is None else f"{self.throughput:.0f} B/s"
        return f"<Adaptive url={self.url!r} readyState={self.readyState.name} quality={self.quality!r} throughput={rate}>"
