"""Static plots people ask for when they study a connection.

- :func:`latency_histogram`: how long round trips take, from samples that
  :func:`round_trips` measures (a ping sent, its answer timed) or that you
  collected yourself (a Heartbeat's ``latency`` after each pong, say);
- :func:`ready_state_timeline`: a socket's readyState over time, with its
  events, from a :class:`ReadyStateLog` that listens to the socket;
- :func:`reconnect_schedule`: the delays a reconnecting client waits, from
  a list of delays (``wsnb.patterns.reconnecting.delay_schedule()`` returns
  one) or several lists to compare.

Each returns a matplotlib ``Figure`` of its own (not one of pyplot's, so it
never shows twice and never leaks) that a notebook cell displays as a PNG
with any backend; or draws into the ``ax=`` you pass and returns its
figure. matplotlib is imported when a plot is made, not when this module is.
"""

from __future__ import annotations

import asyncio
import io
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ..checks import check_int
from .. import loop as _loop
from ..codes import ReadyState
from ..target import EventTarget

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "ReadyStateLog",
    "latency_histogram",
    "ready_state_timeline",
    "reconnect_schedule",
    "round_trips",
    "static_figure",
]

_STATE_COLOURS = {
    ReadyState.CONNECTING: "#d4a72c",
    ReadyState.OPEN: "#2da44e",
    ReadyState.CLOSING: "#bf8700",
    ReadyState.CLOSED: "#8c959f",
}
_EVENT_MARKERS = {"open": ("^", "#2da44e"), "error": ("X", "#cf222e"), "close": ("s", "#57606a")}

_figure_class: Any = None


def static_figure(**options: Any) -> Figure:
    """Return a new matplotlib Figure with an Agg canvas that shows itself as PNG.

    Unlike ``plt.figure()`` it is not registered with pyplot: it appears
    where you display it (a cell's last expression), once, whatever the
    backend (inline, ipympl or none).

    Args:
        **options: ``Figure`` keywords, such as ``figsize`` and ``dpi``.
    """
    global _figure_class
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if _figure_class is None:
        from matplotlib.figure import Figure

        class StaticFigure(Figure):
            """A Figure drawn by Agg that IPython displays as a PNG."""

            def _repr_png_(self) -> bytes:
                out = io.BytesIO()
                self.savefig(out, format="png")
                return out.getvalue()

        StaticFigure.__module__ = __name__
        StaticFigure.__qualname__ = "StaticFigure"
        _figure_class = StaticFigure
    options.setdefault("layout", "constrained")
    figure: Figure = _figure_class(**options)
    FigureCanvasAgg(figure)
    return figure


def _target(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    figure = static_figure(figsize=figsize)
    return figure, figure.add_subplot()


# -- Round trips -------------------------------------------------------------------


async def round_trips(
    ws: Any,
    count: int = 50,
    *,
    message: str | bytes | Callable[[int], Any] = "ping",
    is_reply: Callable[[Any], bool] | None = None,
    timeout: float = 10.0,
) -> list[float]:
    """Measure ``count`` round trips on an open socket, one at a time; return seconds.

    Each round trip sends ``message`` and waits for the next message that
    ``is_reply`` accepts (any message by default: right for the echo lab).
    This is an *application* ping, timed by the script, so it includes both
    ends' event loops, as a browser page measuring itself would see it.

    Args:
        ws: An OPEN WebSocket (or pattern class).
        count: How many round trips.
        message: What to send, or a function of the round trip's number
            (from 0) that returns it.
        is_reply: A function of a received ``data`` that says whether it
            answers the ping; other messages are ignored.
        timeout: Seconds to wait for each answer.

    Raises:
        TimeoutError: If an answer did not come within ``timeout``.
        ValueError: If ``count`` is not a positive int.
    """
    check_int("count", count, minimum=1)
    target_loop = ws.loop if isinstance(ws, EventTarget) else None
    return await _loop.run_on(target_loop, _round_trips(ws, count, message, is_reply, timeout))


async def _round_trips(
    ws: Any, count: int, message: Any, is_reply: Callable[[Any], bool] | None, timeout: float
) -> list[float]:
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[float] | None = None
    clock = time.perf_counter

    def on_message(event: Any) -> None:
        if waiter is not None and not waiter.done() and (is_reply is None or is_reply(event.data)):
            waiter.set_result(clock())

    ws.addEventListener("message", on_message)
    samples: list[float] = []
    try:
        for number in range(count):
            waiter = loop.create_future()
            payload = message(number) if callable(message) else message
            sent = clock()
            ws.send(payload)
            try:
                answered = await asyncio.wait_for(waiter, timeout)
            except asyncio.TimeoutError:
                raise TimeoutError(
                    f"no answer to round trip {number + 1} of {count} within {timeout} s"
                ) from None
            samples.append(answered - sent)
    finally:
        ws.removeEventListener("message", on_message)
    return samples


def latency_histogram(
    samples: Sequence[float],
    *,
    bins: int | str = "auto",
    unit: str = "ms",
    title: str | None = "Round-trip time",
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.0, 3.2),
) -> Figure:
    """A histogram of round-trip times, with the median and p99 marked.

    Args:
        samples: Round-trip times in seconds (for example from
            :func:`round_trips`).
        bins: Histogram bins, as ``numpy.histogram`` takes them.
        unit: ``"ms"``, ``"us"`` or ``"s"``: the unit the axis shows.
        title: The axes' title (None for none).
        ax: Axes to draw into; None makes a new figure.
        figsize: The new figure's size in inches.

    Raises:
        ValueError: If there are no samples, one is negative or not finite,
            or the unit is unknown.
    """
    scale = {"s": 1.0, "ms": 1e3, "us": 1e6, "µs": 1e6}.get(unit)
    if scale is None:
        raise ValueError(f"unit must be 's', 'ms' or 'us', not {unit!r}")
    values = [float(sample) for sample in samples]
    if not values:
        raise ValueError("latency_histogram() needs at least one sample")
    if any(not math.isfinite(v) or v < 0 for v in values):
        raise ValueError("round-trip times must be finite numbers of seconds >= 0")
    scaled = sorted(v * scale for v in values)
    figure, ax = _target(ax, figsize)
    ax.hist(scaled, bins=bins, color="#0969da", alpha=0.8)
    p50, p99 = _quantile(scaled, 0.50), _quantile(scaled, 0.99)
    ax.axvline(p50, color="#1a7f37", linestyle="-", label=f"median {p50:.3g} {unit}")
    ax.axvline(p99, color="#cf222e", linestyle="--", label=f"p99 {p99:.3g} {unit}")
    ax.set_xlabel(f"round trip ({unit})")
    ax.set_ylabel("count")
    ax.legend(loc="upper right", fontsize="small")
    ax.set_title(f"{title} (n={len(values)})" if title else "")
    return figure


def _quantile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile of sorted values (nearest rank)."""
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


# -- readyState over time ------------------------------------------------------------


class ReadyStateLog:
    """A socket's readyState over time, recorded from its events.

    It listens to ``open``, ``error``, ``close`` and ``message`` (and, on a
    pattern class, ``reconnect``) with ``addEventListener``, and reads
    ``readyState`` at each one; on a ``wsnb.WebSocket`` it also hears
    where CLOSING starts, which no event marks: the script's ``close()``
    call, or the arrival of the server's Close frame.

    Make it right after the constructor, in the same cell, so that it sees
    CONNECTING from the start.

    Args:
        source: A WebSocket or a pattern class.
        clock: Seconds (monotonic); injectable for tests.
        max_messages: Message times kept (the first ones).

    Attributes:
        transitions: ``(seconds since start, ReadyState, cause)``, the first
            one being the state when the log was made (cause ``"start"``).
        events: ``(seconds, event type)`` for each open, error, close and
            reconnect event.
        messages: Seconds at which messages arrived (at most
            ``max_messages``).
        message_count: Every message counted, kept or not.
    """

    _TYPES = ("open", "error", "close", "reconnect")
    # The watcher calls of a wsnb.WebSocket where CLOSING starts, and the cause noted.
    _CAUSES: ClassVar[dict[str, str]] = {"close": "close()", "close-frame": "Close frame"}

    def __init__(
        self,
        source: Any,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_messages: int = 10_000,
    ) -> None:
        if not callable(getattr(source, "addEventListener", None)):
            raise TypeError(f"ReadyStateLog listens to a WebSocket or an EventTarget, not {source.__class__.__name__}")
        self.source = source
        self.clock = clock
        self.max_messages = max_messages
        self.start = clock()
        self.transitions: list[tuple[float, ReadyState, str]] = [(0.0, ReadyState(int(source.readyState)), "start")]
        self.events: list[tuple[float, str]] = []
        self.messages: list[float] = []
        self.message_count = 0
        for type in self._TYPES:
            source.addEventListener(type, self._on_event)
        source.addEventListener("message", self._on_message)
        # A socket's calls (close(), the server's Close frame) change its
        # readyState without an event; a plain EventTarget has none.
        self._watches_calls = callable(getattr(source, "watch_calls", None))
        if self._watches_calls:
            source.watch_calls(self._on_call)
        self._stopped = False

    def _now(self) -> float:
        return self.clock() - self.start

    def _note(self, cause: str) -> None:
        state = ReadyState(int(self.source.readyState))
        if state is not self.transitions[-1][1]:
            self.transitions.append((self._now(), state, cause))

    def _on_event(self, event: Any) -> None:
        self.events.append((self._now(), event.type))
        self._note(event.type)

    def _on_message(self, event: Any) -> None:
        self.message_count += 1
        if len(self.messages) < self.max_messages:
            self.messages.append(self._now())

    def _on_call(self, call: str, *details: Any) -> None:
        cause = self._CAUSES.get(call)
        if cause is not None:
            self._note(cause)

    @property
    def state(self) -> ReadyState:
        """The last state recorded."""
        return self.transitions[-1][1]

    def stop(self) -> None:
        """Stop listening; what was recorded stays."""
        if self._stopped:
            return
        self._stopped = True
        for type in self._TYPES:
            self.source.removeEventListener(type, self._on_event)
        self.source.removeEventListener("message", self._on_message)
        if self._watches_calls:
            self.source.unwatch_calls(self._on_call)

    def __repr__(self) -> str:
        path = " -> ".join(state.name for _, state, _ in self.transitions)
        return f"<ReadyStateLog {path}, {self.message_count} message(s)>"


def ready_state_timeline(
    log: ReadyStateLog,
    *,
    until: float | None = None,
    unit: str = "ms",
    title: str | None = "readyState over time",
    ax: Axes | None = None,
    figsize: tuple[float, float] = (7.0, 2.6),
) -> Figure:
    """Draw a :class:`ReadyStateLog`: one band per state, events and messages marked.

    Each state the socket was in is a coloured band on its own row
    (CONNECTING at the bottom, CLOSED at the top); open, error and close
    events are markers, and each message a tick on the OPEN row.

    Args:
        log: What to draw.
        until: Where the last band ends, in seconds since the log started;
            None: now if the socket is not CLOSED, else a little after the
            last event.
        unit: ``"ms"`` or ``"s"`` for the time axis.
        title: The axes' title (None for none).
        ax: Axes to draw into; None makes a new figure.
        figsize: The new figure's size in inches.
    """
    scale = {"s": 1.0, "ms": 1e3}.get(unit)
    if scale is None:
        raise ValueError(f"unit must be 's' or 'ms', not {unit!r}")
    transitions = list(log.transitions)
    last_time = max([t for t, _, _ in transitions] + [t for t, _ in log.events] + log.messages[-1:])
    if until is None:
        until = last_time * 1.1 if log.state is ReadyState.CLOSED else max(log._now(), last_time)
        if until <= 0:
            until = 1e-3
    figure, ax = _target(ax, figsize)
    ends = [t for t, _, _ in transitions[1:]] + [max(until, last_time)]
    for (start, state, _), end in zip(transitions, ends, strict=True):
        ax.broken_barh(
            [(start * scale, max(end - start, 0.0) * scale)], (int(state) - 0.35, 0.7),
            facecolors=_STATE_COLOURS[state], alpha=0.85,
        )
    if log.messages:
        ax.vlines([t * scale for t in log.messages], 0.6, 0.75, colors="#0969da", linewidth=0.6,
                  label=f"message ({log.message_count})")
    for type, (marker, colour) in _EVENT_MARKERS.items():
        times = [t * scale for t, kind in log.events if kind == type]
        if times:
            row = {"open": ReadyState.OPEN, "error": ReadyState.CLOSED, "close": ReadyState.CLOSED}[type]
            ax.scatter(times, [int(row) + 0.45] * len(times), marker=marker, color=colour, zorder=3, label=type)
    ax.set_yticks([int(state) for state in ReadyState], [f"{state.name} ({int(state)})" for state in ReadyState])
    ax.set_ylim(-0.6, 3.9)
    ax.set_xlim(0, max(until, last_time) * scale)
    ax.set_xlabel(f"time since the log started ({unit})")
    ax.grid(True, axis="x", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right", fontsize="small", ncols=4)
    if title:
        ax.set_title(title)
    return figure


# -- Reconnection delays ------------------------------------------------------------


def reconnect_schedule(
    delays: Sequence[float] | Mapping[str, Sequence[float]],
    *,
    cap: float | None = None,
    title: str | None = "Reconnection delays",
    ax: Axes | None = None,
    figsize: tuple[float, float] = (7.0, 3.2),
) -> Figure:
    """Plot the delay before each reconnection attempt, and the total waited.

    One schedule is drawn as bars (one per attempt); several (a mapping of
    label to delays, for example with and without jitter) as lines with
    markers. A dashed line on a second axis shows the cumulative time spent
    waiting, which is what a user sitting in front of a dead page feels.

    Args:
        delays: Seconds before attempt 1, 2, ... (such as
            ``wsnb.patterns.reconnecting.delay_schedule(10)``), or a mapping
            of label to such a list.
        cap: Draw the cap (``max_delay``) as a horizontal line.
        title: The axes' title (None for none).
        ax: Axes to draw into; None makes a new figure.
        figsize: The new figure's size in inches.

    Raises:
        ValueError: If a schedule is empty or holds a negative or infinite
            delay.
    """
    schedules = dict(delays) if isinstance(delays, Mapping) else {"delay": delays}
    cleaned: dict[str, list[float]] = {}
    for label, values in schedules.items():
        numbers = [float(value) for value in values]
        if not numbers:
            raise ValueError(f"the schedule {label!r} is empty")
        if any(not math.isfinite(v) or v < 0 for v in numbers):
            raise ValueError(f"the schedule {label!r} holds a delay that is negative or not finite")
        cleaned[str(label)] = numbers
    figure, ax = _target(ax, figsize)
    total_ax = ax.twinx()
    single = len(cleaned) == 1
    for index, (label, numbers) in enumerate(cleaned.items()):
        attempts = list(range(1, len(numbers) + 1))
        colour = f"C{index}"
        if single:
            ax.bar(attempts, numbers, color=colour, alpha=0.8, label=label)
        else:
            ax.plot(attempts, numbers, marker="o", color=colour, label=label)
        running, totals = 0.0, []
        for value in numbers:
            running += value
            totals.append(running)
        total_ax.plot(attempts, totals, linestyle="--", color=colour, alpha=0.7,
                      label=f"{label}: total {running:.3g} s")
    if cap is not None:
        ax.axhline(cap, color="#cf222e", linestyle=":", label=f"cap {cap:g} s")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("attempt")
    ax.set_ylabel("delay before the attempt (s)")
    total_ax.set_ylabel("total waited (s)")
    ax.set_ylim(bottom=0)
    total_ax.set_ylim(bottom=0)
    handles, labels = ax.get_legend_handles_labels()
    more_handles, more_labels = total_ax.get_legend_handles_labels()
    ax.legend(handles + more_handles, labels + more_labels, loc="upper left", fontsize="small")
    if title:
        ax.set_title(title)
    return figure
