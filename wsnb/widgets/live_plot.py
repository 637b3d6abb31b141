"""Live plots of streamed data: :class:`LivePlot`.

A :class:`LivePlot` listens to ``message`` events on a WebSocket (or any
EventTarget: a pattern class such as ``Reconnecting`` works the same way)
and turns each one into numbers with a function you give it::

    plot = LivePlot(ws, lambda event: json.loads(event.data)["price"])
    plot                        # the last expression of a cell shows it

Two costs are kept apart on purpose, because a stream can be far faster
than a screen:

- **Per message**, the plot only calls your function and writes the numbers
  into one ring buffer per series (numpy arrays of a fixed size). That
  costs a few microseconds, so tens of thousands of messages a second are
  all kept.
- **Per frame**, a timer on the socket's event loop reads the buffers and
  redraws, at most ``fps`` times a second (20 by default), and only when
  something arrived since the last frame. A frame never happens per
  message: 10,000 messages in one second make at most 21 frames. A frame
  that takes long pushes the next one back, so that drawing never takes more
  than about 75 % of the loop and the kernel keeps answering.

Rendering, chosen by ``renderer=``:

- ``"ipympl"``: an interactive ipympl canvas (``%matplotlib widget``).
  A frame updates the lines with ``set_data`` and calls ``draw_idle()``;
  the canvas renders when the front end asks for it, so a busy front end
  is never sent more than it can show.
- ``"inline"``: an ``ipywidgets.Image`` updated in place with a PNG that
  matplotlib's Agg renderer draws in the kernel. Works wherever widgets do,
  without ipympl.
- ``"agg"``: draws offscreen and shows nothing, for scripts, tests and
  benchmarks.
- ``"auto"`` (the default): ``"ipympl"`` when matplotlib's backend is
  ipympl's (after ``%matplotlib widget``), else ``"inline"``.

Everything runs on the event loop that dispatches the source's events: in a
notebook the kernel's, so the plot keeps moving while no cell runs.
matplotlib is imported when the first plot is made, not when this module
is imported.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from numbers import Real
from typing import TYPE_CHECKING, Any

from ..checks import check_int
from ..exceptions import SocketClosed
from .renderers import RENDERER_CLASSES, Renderer, current_backend, renderer_for_backend
from .scheduling import Coalescer
from .series import SeriesBuffer, decimate, is_ndarray
from .. import loop as _loop
from ..events import performance_now
from ..target import EventTarget

if TYPE_CHECKING:
    from typing import TypeAlias

    import numpy as np
    import numpy.typing as npt
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

__all__ = ["DEFAULT_FPS", "RENDERERS", "LivePlot"]

logger = logging.getLogger("wsnb.widgets")

if TYPE_CHECKING:
    Array: TypeAlias = npt.NDArray[np.float64]

# numpy, like matplotlib, is imported when the first plot is made: importing
# wsnb.widgets for a panel costs neither. (Only the annotations name it.)

DEFAULT_FPS = 20.0
"""Frames a second a live plot draws at most."""

RENDERERS = ("auto", "ipympl", "inline", "agg")
"""The values ``LivePlot(renderer=...)`` accepts."""

_MAX_DUTY = 0.75
"""The largest share of the loop's time that drawing may take."""

_DEFAULT_WINDOW = 1000
_DEFAULT_TIMESPAN_WINDOW = 100_000
_MAX_DRAWN = 4000  # points per line in a frame; more are decimated (min/max per bucket)
_ARRIVAL, _INDEX, _FIELD = "arrival", "index", "field"


class LivePlot:
    """A live matplotlib plot of numbers carried by a stream of messages.

    Args:
        source: A ``wsnb.WebSocket``, a pattern class, or any EventTarget
            whose ``message`` events carry the data; None to attach later
            with :meth:`attach` (or to feed it with :meth:`push`).
        values: A function of a MessageEvent that returns

            - a number: one sample of the single series (named by
              ``series[0]``, or ``"value"``);
            - a mapping ``{series name: number}``: one sample of each named
              series (a None value is skipped);
            - a sequence of numbers, one per name in ``series``;
            - a list of mappings: several samples from one message (a
              batch);
            - None: the message is skipped.

            See :func:`json_values` for JSON text messages.
        series: The series to plot, in legend order. None (the default)
            adds a series the first time its name comes up; a list plots
            exactly those names and ignores others.
        x: What the x axis shows: ``"arrival"`` (seconds since the plot
            started, from each event's ``timeStamp``), ``"index"`` (the
            message's number, from 1) or the name of a field of the
            mapping ``values`` returns (for example a server timestamp).
        window: Samples kept (and drawn) per series: the newest ``window``.
            Default 1000, or 100,000 when ``timespan`` is given.
        timespan: When given, draw only samples whose x is within
            ``timespan`` of the newest x (seconds for ``x="arrival"``).
        fps: Frames a second at most (default 20).
        renderer: ``"auto"``, ``"ipympl"``, ``"inline"`` or ``"agg"``
            (see the module's docstring).
        autoscale: Fit the axes to the drawn data at every frame.
        ylim: Fixed y limits (``autoscale`` then fits only x).
        legend: Show a legend; None (the default) shows one when there
            are two series or more.
        title: The axes' title.
        xlabel: The x axis label (a default names the x mode).
        ylabel: The y axis label.
        figsize: Figure size in inches.
        dpi: Figure resolution.
        max_series: At most this many series (a guard against a values
            function that returns a new name per message).
        event_type: The event type to listen to.

    Raises:
        ValueError: If an argument is out of range or unknown.
        TypeError: If ``values`` is not callable or ``source`` has no
            ``addEventListener``.

    Attributes:
        messages: Messages whose values were stored.
        samples: Numbers stored, over every series.
        skipped: Messages for which ``values`` returned None.
        errors: Messages whose values could not be stored (the function
            raised, or returned something unusable); the first error is
            logged to the ``wsnb.widgets`` logger, the rest counted.
        redraws: Frames drawn.
        frame_times: Seconds each of the last 2048 frames took in the
            kernel (with ipympl: updating the lines and asking the front end
            to draw, not the drawing itself, which the front end requests).
        redraw_times: The loop's clock at the start of each of the last
            2048 frames.
    """

    def __init__(
        self,
        source: Any,
        values: Callable[[Any], Any],
        *,
        series: Sequence[str] | None = None,
        x: str = _ARRIVAL,
        window: int | None = None,
        timespan: float | None = None,
        fps: float = DEFAULT_FPS,
        renderer: str = "auto",
        autoscale: bool = True,
        ylim: tuple[float, float] | None = None,
        legend: bool | None = None,
        title: str | None = None,
        xlabel: str | None = None,
        ylabel: str | None = None,
        figsize: tuple[float, float] = (7.0, 3.2),
        dpi: float = 100.0,
        max_series: int = 32,
        event_type: str = "message",
    ) -> None:
        if not callable(values):
            raise TypeError(f"values must be a function of a MessageEvent, not {values.__class__.__name__}")
        if isinstance(series, str):
            raise TypeError("series must be a list of names, not a str: write series=[name]")
        if not isinstance(x, str):
            raise TypeError(f"x must be 'arrival', 'index' or a field name, not {x.__class__.__name__}")
        if timespan is not None and not (isinstance(timespan, Real) and timespan > 0):
            raise ValueError(f"timespan must be a positive number, not {timespan!r}")
        if window is None:
            window = _DEFAULT_TIMESPAN_WINDOW if timespan is not None else _DEFAULT_WINDOW
        check_int("window", window, minimum=1, unit="samples per series")
        if isinstance(fps, bool) or not isinstance(fps, Real) or not 0 < fps <= 240:
            raise ValueError(f"fps must be a number above 0 and at most 240, not {fps!r}")
        if renderer not in RENDERERS:
            raise ValueError(f"unknown renderer {renderer!r}; use one of {', '.join(map(repr, RENDERERS))}")
        if ylim is not None and len(ylim) != 2:
            raise ValueError(f"ylim must be (low, high), not {ylim!r}")
        check_int("max_series", max_series, minimum=1)

        self._values: Callable[[Any], Any] = values
        self._x_mode: str = x if x in (_ARRIVAL, _INDEX) else _FIELD
        self._x_field: str | None = x if self._x_mode == _FIELD else None
        self.window: int = window
        self.timespan: float | None = None if timespan is None else float(timespan)
        self.fps: float = float(fps)
        self._interval: float = 1.0 / self.fps
        self.autoscale: bool = autoscale
        self.ylim: tuple[float, float] | None = None if ylim is None else (float(ylim[0]), float(ylim[1]))
        self.legend: bool | None = legend
        self.title: str | None = title
        self.xlabel: str = xlabel if xlabel is not None else {
            _ARRIVAL: "seconds since start", _INDEX: "message",
        }.get(self._x_mode, x)
        self.ylabel: str | None = ylabel
        self.figsize: tuple[float, float] = (float(figsize[0]), float(figsize[1]))
        self.dpi: float = float(dpi)
        self.max_series: int = max_series
        self.event_type: str = event_type

        self._fixed: list[str] | None = list(series) if series is not None else None
        if self._fixed is not None:
            if len(set(self._fixed)) != len(self._fixed):
                raise ValueError(f"series names repeat: {self._fixed!r}")
            if not self._fixed:
                raise ValueError("series is empty: give at least one name, or None to add series as they come")
        self._default_name: str = self._fixed[0] if self._fixed else "value"
        self._buffers: dict[str, SeriesBuffer] = {}
        for name in self._fixed or ():
            self._buffers[name] = SeriesBuffer(name, window)

        self.messages: int = 0
        self.samples: int = 0
        self.skipped: int = 0
        self.errors: int = 0
        self.redraws: int = 0
        self.last_error: BaseException | None = None
        self.frame_times: deque[float] = deque(maxlen=2048)
        self.redraw_times: deque[float] = deque(maxlen=2048)

        self._final_type: str | None = None
        self._t0: float = time.monotonic()
        # An event's timeStamp is in milliseconds on performance_now()'s
        # clock: the plot's start on that scale, in seconds.
        self._stamp0: float = performance_now() / 1000.0
        self._source: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._frames: Coalescer | None = None  # made on the loop the plot draws on
        self._dirty: bool = False
        self._paused: bool = False
        self._closed: bool = False
        self._lines: dict[str, Line2D] = {}
        self._legend_for: tuple[str, ...] = ()
        # wait_samples() and wait_drawn(), on the loop they were called on.
        self._sample_waiters: _loop.Waiters | None = None
        self._drawn_waiters: _loop.Waiters | None = None

        self.renderer: str = renderer_for_backend(current_backend()) if renderer == "auto" else renderer
        figure, axes = self._make_figure()
        self._figure: Figure = figure
        self._axes: Axes = axes
        self._view: Renderer = RENDERER_CLASSES[self.renderer](self._figure)
        # A first picture (not counted as a frame), so that the displayed
        # plot shows its axes at once.
        self._update_artists()
        self._view.render()
        if source is not None:
            self.attach(source)

    # -- Attaching -------------------------------------------------------------

    def attach(self, source: Any) -> None:
        """Listen to ``source``'s message events (after detaching from any other).

        Raises:
            TypeError: If ``source`` has no ``addEventListener``.
        """
        if not callable(getattr(source, "addEventListener", None)):
            raise TypeError(
                f"a LivePlot listens to a WebSocket or an EventTarget, not {source.__class__.__name__}"
            )
        self.detach()
        target_loop = source.loop if isinstance(source, EventTarget) else None
        self._loop = target_loop if target_loop is not None else _loop.socket_loop()
        self._source = source
        source.addEventListener(self.event_type, self._on_message)
        self._final_type = getattr(source, "final_event_type", None)
        if self._final_type:
            source.addEventListener(self._final_type, self._on_final)

    def detach(self) -> None:
        """Stop listening; the data and the figure stay."""
        if self._source is not None:
            self._source.removeEventListener(self.event_type, self._on_message)
            if self._final_type:
                self._source.removeEventListener(self._final_type, self._on_final)
            self._source = None

    @property
    def source(self) -> Any:
        """The EventTarget listened to, or None."""
        return self._source

    # -- Ingest (per message: keep it cheap) -----------------------------------

    def _on_message(self, event: Any) -> None:
        try:
            values = self._values(event)
        except Exception as exc:  # a bad message must not stop the plot
            self._failed(exc, event)
            return
        if values is None:
            self.skipped += 1
            return
        if self._x_mode == _ARRIVAL:
            stamp = getattr(event, "timeStamp", None)
            x = stamp / 1000.0 - self._stamp0 if stamp is not None else time.monotonic() - self._t0
        else:
            x = self.messages + 1
        try:
            self._store(values, x)
        except Exception as exc:
            self._failed(exc, event)
            return
        self.messages += 1
        self._dirty = True
        frames = self._frames
        if (frames is None or not frames.pending) and not self._paused:
            self._request_frame()
        waiters = self._sample_waiters
        if waiters:
            _loop.call_soon_on(waiters.loop, waiters.wake_soon)

    def _store(self, values: Any, x: float) -> None:
        cls = values.__class__
        if cls is float or cls is int or (cls is not bool and cls is not dict and isinstance(values, Real)):
            if self._x_mode == _FIELD:
                raise TypeError(
                    f"x={self._x_field!r} needs values to return a mapping with a {self._x_field!r} field, "
                    f"not a {cls.__name__}"
                )
            buffer = self._buffer(self._default_name)
            assert buffer is not None  # the default name is always plotted
            buffer.append(x, values)
            self.samples += 1
        elif cls is dict or isinstance(values, Mapping):
            self._store_mapping(values, x)
        elif isinstance(values, (list, tuple)) or is_ndarray(values):
            if len(values) and isinstance(values[0], Mapping):
                for item in values:
                    self._store_mapping(item, x)
                return
            if self._fixed is None or len(values) != len(self._fixed):
                raise TypeError(
                    f"values returned a sequence of {len(values)} numbers; that needs "
                    f"series= with as many names (series is {self._fixed!r})"
                )
            buffers = self._buffers
            for name, value in zip(self._fixed, values, strict=True):
                if value is not None:
                    buffers[name].append(x, value)
                    self.samples += 1
        else:
            raise TypeError(
                "values must return a number, a mapping of series name to number, a sequence "
                f"(one number per series), a list of mappings or None, not {cls.__name__}"
            )

    def _store_mapping(self, mapping: Mapping[str, Any], x: float) -> None:
        field = self._x_field
        if field is not None:
            try:
                x = mapping[field]
            except KeyError:
                raise KeyError(f"x={field!r}, but the values have no {field!r} field") from None
        buffers = self._buffers
        stored = 0
        for name, value in mapping.items():
            if value is None or name == field:
                continue
            buffer = buffers.get(name)
            if buffer is None:
                buffer = self._buffer(name)
                if buffer is None:
                    continue
            buffer.append(x, value)
            stored += 1
        self.samples += stored

    def _buffer(self, name: Any) -> SeriesBuffer | None:
        """The buffer for ``name``, made now if series are added as they come."""
        if name.__class__ is not str:
            name = str(name)  # series are named by str: 1 and "1" are one series
        buffer = self._buffers.get(name)
        if buffer is not None:
            return buffer
        if self._fixed is not None:
            return None
        if len(self._buffers) >= self.max_series:
            raise ValueError(
                f"series {name!r} would be series number {len(self._buffers) + 1}, over max_series="
                f"{self.max_series}; does the values function name series by something that changes?"
            )
        buffer = self._buffers[name] = SeriesBuffer(name, self.window)
        return buffer

    def _failed(self, exc: BaseException, event: Any) -> None:
        self.errors += 1
        self.last_error = exc
        if self.errors == 1:
            logger.error(
                "LivePlot could not use a message (%r); further errors are only counted in .errors",
                event, exc_info=exc,
            )

    def push(self, values: Any, x: float | None = None, *, time_stamp: float | None = None) -> None:
        """Store values as if a message had brought them (for data that is not a stream).

        Args:
            values: What a values function may return (see the class).
            x: The x of the samples; None uses the plot's x mode (arrival
                time now, or the next message number).
            time_stamp: For ``x="arrival"`` with no ``x``: when the values
                arrived, in ms on the clock of ``Event.timeStamp`` (a
                message log row's ``time``), so that older values go where
                their message would have put them.

        Raises:
            TypeError, KeyError, ValueError: If ``values`` cannot be stored.
        """
        if values is None:
            return
        if x is None:
            if self._x_mode != _ARRIVAL:
                x = self.messages + 1
            elif time_stamp is not None:
                x = time_stamp / 1000.0 - self._stamp0
            else:
                x = time.monotonic() - self._t0
        self._store(values, x)
        self.messages += 1
        self._dirty = True
        waiters = self._sample_waiters
        if waiters:
            _loop.call_soon_on(waiters.loop, waiters.wake_soon)
        if self._loop is None:
            try:
                self._loop = asyncio.get_running_loop()  # a cell: draw on the kernel's loop
            except RuntimeError:
                return  # no loop: the next redraw() or snapshot() shows it
        frames = self._frames
        if (frames is None or not frames.pending) and not self._paused:
            self._in_loop(self._request_frame)

    # -- Frames (at most fps a second, through a Coalescer) ----------------------

    def _in_loop(self, callback: Callable[[], None]) -> None:
        assert self._loop is not None
        _loop.call_soon_on(self._loop, callback)

    def _stop_frames(self) -> None:
        """Cancel the pending frame, from any thread."""
        frames = self._frames
        if frames is None:
            return
        if _loop.in_loop_thread(frames.loop) or frames.loop.is_closed():
            frames.close()
        else:
            frames.loop.call_soon_threadsafe(frames.close)

    def _request_frame(self) -> None:
        """On the plot's loop: draw a frame soon if something changed (at most fps a second)."""
        loop = self._loop
        if loop is None or not self._dirty or self._paused or self._closed:
            return
        frames = self._frames
        if frames is None or frames.loop is not loop:
            if frames is not None:
                frames.close()
            # Frames start at least 1/fps apart; a slow frame also leaves the
            # loop free for a while after it, so that drawing takes at most
            # _MAX_DUTY of the loop's time.
            frames = self._frames = Coalescer(loop, self._frame, self._interval, max_duty=_MAX_DUTY)
        frames.mark()

    def _frame(self) -> None:
        if self._paused or self._closed or not self._dirty:
            return
        assert self._loop is not None
        self.redraw_times.append(self._loop.time())
        self._draw_frame()

    def redraw(self) -> None:
        """Draw a frame now, even when paused (normally the timer does it)."""
        if self._closed:
            raise RuntimeError("this LivePlot is closed")
        self._draw_frame()
        if self._frames is not None:
            self._frames.ran()  # the next timed frame comes 1/fps from now

    def _draw_frame(self) -> float:
        start = time.perf_counter()
        self._dirty = False
        self._update_artists()
        self._view.render()
        spent = time.perf_counter() - start
        self.frame_times.append(spent)
        self.redraws += 1
        waiters = self._drawn_waiters
        if waiters:
            _loop.call_soon_on(waiters.loop, waiters.wake)
        return spent

    async def wait_samples(self, count: int, *, series: str | None = None, timeout: float | None = None) -> int:
        """Wait until ``count`` messages were stored (or ``count`` samples of one series).

        For notebooks and tests that must not sleep: ``await
        plot.wait_samples(200, series="AAPL")`` returns once the 200th AAPL
        price is in the buffer. Returns the count reached.

        Args:
            count: How many.
            series: A series' name, to count its samples (kept or since
                overwritten); None counts stored messages.
            timeout: Seconds to wait at most.

        Raises:
            TimeoutError: If the count was not reached within ``timeout``.
            SocketClosed: If the source closed first.
        """
        def ended() -> BaseException | None:
            last_event = getattr(self._source, "last_event", None)
            closed = last_event(self._final_type) if self._final_type and last_event is not None else None
            return SocketClosed(_what(series, count), closed) if closed is not None else None

        self._sample_waiters = waiters = self._waiters_on(self._loop, self._sample_waiters)
        await waiters.until(
            lambda: self._count_of(series) >= count,
            timeout=timeout,
            ended=ended,
            describe=lambda: f"{self._count_of(series)} of {_what(series, count)}",
        )
        return self._count_of(series)

    @staticmethod
    def _waiters_on(loop: asyncio.AbstractEventLoop | None, waiters: _loop.Waiters | None) -> _loop.Waiters:
        """The waiters on ``loop`` (the plot's, else the caller's), made anew if the loop changed."""
        loop = loop if loop is not None else asyncio.get_running_loop()
        return waiters if waiters is not None and waiters.loop is loop else _loop.Waiters(loop)

    def _count_of(self, series: str | None) -> int:
        if series is None:
            return self.messages
        buffer = self._buffers.get(series)
        return 0 if buffer is None else buffer.total

    def _on_final(self, event: Any) -> None:
        waiters = self._sample_waiters
        if waiters:
            waiters.wake()  # wait_samples() raises SocketClosed now

    async def wait_drawn(self, *, timeout: float | None = None) -> None:
        """Wait until everything stored so far is drawn (a frame came after it).

        Returns at once when nothing new arrived since the last frame. For
        tests and notebooks that must not sleep: ``await plot.wait_drawn()``
        after the last message of a burst waits for the frame that shows it.
        While paused, no frame comes until :meth:`resume`.

        Raises:
            TimeoutError: If no frame came within ``timeout`` seconds.
            RuntimeError: If the plot is closed first.
        """
        if self._closed:
            raise RuntimeError("this LivePlot is closed")
        if not self._dirty:
            return
        if self._loop is None:
            # Data came through push() with no source: draw on this loop.
            self._loop = asyncio.get_running_loop()
        drawn = self.redraws
        self._drawn_waiters = waiters = self._waiters_on(self._loop, self._drawn_waiters)
        _loop.call_soon_on(waiters.loop, self._request_frame)
        await waiters.until(
            lambda: self.redraws > drawn,
            timeout=timeout,
            ended=lambda: RuntimeError("the LivePlot was closed before the frame") if self._closed else None,
            describe=lambda: f"no frame{' (the plot is paused)' if self._paused else ''}",
        )

    # -- Reading the buffers -----------------------------------------------------

    def _visible(self) -> list[tuple[str, Array, Array]]:
        """Each series' samples to draw now: the window, cut to the timespan."""
        import numpy as np

        shown = [(name, *buffer.arrays()) for name, buffer in self._buffers.items()]
        if self.timespan is not None:
            newest = max((float(np.nanmax(x)) for _, x, _ in shown if len(x)), default=None)
            if newest is not None:
                cutoff = newest - self.timespan
                shown = [(name, x[x >= cutoff], y[x >= cutoff]) for name, x, y in shown]
        return shown

    def _limits(self, shown: list[tuple[str, Array, Array]]) -> tuple[tuple[float, float], tuple[float, float]] | None:
        import numpy as np

        xs = [x for _, x, _ in shown if len(x)]
        ys = [y[np.isfinite(y)] for _, _, y in shown if len(y)]
        ys = [y for y in ys if len(y)]
        if not xs:
            return None
        xlo = min(float(np.nanmin(x)) for x in xs)
        xhi = max(float(np.nanmax(x)) for x in xs)
        if self.timespan is not None and self._x_mode == _ARRIVAL:
            # A fixed-width window: it fills from the left, then scrolls.
            if xhi - xlo < self.timespan:
                xhi = xlo + self.timespan
            else:
                xlo = xhi - self.timespan
        if self.ylim is not None:
            ylim = self.ylim
        elif ys:
            ylim = _pad(min(float(y.min()) for y in ys), max(float(y.max()) for y in ys))
        else:
            ylim = (-1.0, 1.0)
        return _pad(xlo, xhi, margin=0.0), ylim

    def _update_artists(self) -> None:
        ax = self._axes
        shown = self._visible()
        for name, x, y in shown:
            line = self._lines.get(name)
            if line is None:
                (line,) = ax.plot([], [], label=name, linewidth=1.2)
                self._lines[name] = line
            line.set_data(*decimate(x, y, _MAX_DRAWN))
        names = tuple(self._lines)
        if names != self._legend_for:
            self._legend_for = names
            show = self.legend if self.legend is not None else len(names) >= 2
            old = ax.get_legend()
            if old is not None:
                old.remove()
            if show and names:
                ax.legend(loc="upper left", fontsize="small")
        if self.autoscale or self.ylim is not None:
            limits = self._limits(shown)
            if limits is not None:
                if self.autoscale:
                    ax.set_xlim(*limits[0])
                ax.set_ylim(*limits[1])

    def _make_figure(self) -> tuple[Figure, Axes]:
        from matplotlib.figure import Figure

        figure = Figure(figsize=self.figsize, dpi=self.dpi)
        # Fixed margins, in inches: a layout engine would run at every frame
        # and double its cost.
        width, height = self.figsize
        left = (0.75 + (0.25 if self.ylabel else 0.0)) / width
        bottom = (0.35 + (0.25 if self.xlabel else 0.0)) / height
        top = 1.0 - (0.4 if self.title else 0.15) / height
        figure.subplots_adjust(left=left, right=1.0 - 0.2 / width, bottom=bottom, top=top)
        ax = figure.add_subplot()
        self._style(ax)
        return figure, ax

    def _style(self, ax: Axes) -> None:
        if self.title:
            ax.set_title(self.title)
        if self.xlabel:
            ax.set_xlabel(self.xlabel)
        if self.ylabel:
            ax.set_ylabel(self.ylabel)
        ax.grid(True, alpha=0.3)

    # -- Public reading ------------------------------------------------------------

    @property
    def series(self) -> list[str]:
        """The series' names, in legend order."""
        return list(self._buffers)

    def data(self, name: str | None = None) -> tuple[Array, Array]:
        """Return copies of a series' kept ``(x, y)``, oldest first.

        Args:
            name: The series; None for the only one (or the first).

        Raises:
            KeyError: If there is no such series.
        """
        if name is None:
            if not self._buffers:
                import numpy as np

                return np.empty(0), np.empty(0)
            name = next(iter(self._buffers))
        try:
            return self._buffers[name].arrays()
        except KeyError:
            raise KeyError(f"no series {name!r}; the series are {self.series!r}") from None

    def last(self, name: str | None = None) -> float | None:
        """The newest y of a series (None when it has none yet)."""
        if name is None:
            name = next(iter(self._buffers), None)
            if name is None:
                return None
        buffer = self._buffers.get(name)
        if buffer is None:
            raise KeyError(f"no series {name!r}; the series are {self.series!r}")
        sample = buffer.last()
        return None if sample is None else sample[1]

    def counts(self) -> dict[str, int]:
        """Samples stored per series since the start (kept or since overwritten)."""
        return {name: buffer.total for name, buffer in self._buffers.items()}

    def clear(self) -> None:
        """Forget every sample (series and lines stay); the next frame shows empty axes."""
        for buffer in self._buffers.values():
            buffer.clear()
        self._dirty = True
        if self._loop is not None:
            self._in_loop(self._request_frame)

    def stats(self) -> dict[str, float]:
        """Counters and frame times (milliseconds), for a table or a test."""
        frames = sorted(self.frame_times)
        return {
            "messages": self.messages,
            "samples": self.samples,
            "skipped": self.skipped,
            "errors": self.errors,
            "redraws": self.redraws,
            "frame_p50_ms": _percentile(frames, 50) * 1000,
            "frame_p99_ms": _percentile(frames, 99) * 1000,
        }

    # -- Pause, snapshot, close --------------------------------------------------------

    @property
    def paused(self) -> bool:
        """True while the display is frozen (data keep being stored)."""
        return self._paused

    def pause(self) -> None:
        """Freeze the display. Messages are still stored, so nothing is lost."""
        self._paused = True  # a frame already due sees it and draws nothing

    def resume(self) -> None:
        """Unfreeze the display; whatever came meanwhile shows at the next frame."""
        self._paused = False
        if self._loop is not None:
            self._in_loop(self._request_frame)

    def snapshot(self, *, title: str | None = None) -> Figure:
        """Return a static matplotlib Figure of the data now (the same window).

        The figure has its own Agg canvas, so it is independent of the live
        one: save it (``fig.savefig(...)``), show it (a notebook cell
        displays it as a PNG with any backend), or draw on it.

        Args:
            title: The figure's title; the live plot's by default.
        """
        from .plots import static_figure

        figure = static_figure(figsize=self.figsize, dpi=self.dpi)
        ax = figure.add_subplot()
        self._style(ax)
        if title is not None:
            ax.set_title(title)
        shown = self._visible()
        for name, x, y in shown:
            ax.plot(*decimate(x, y, _MAX_DRAWN), label=name, linewidth=1.2)
        show = self.legend if self.legend is not None else len(shown) >= 2
        if show and shown:
            ax.legend(loc="upper left", fontsize="small")
        limits = self._limits(shown)
        if limits is not None:
            if self.autoscale:
                ax.set_xlim(*limits[0])
            ax.set_ylim(*limits[1])
        return figure

    @property
    def figure(self) -> Figure:
        """The live figure (change labels, add lines; the next frame shows it)."""
        return self._figure

    @property
    def axes(self) -> Axes:
        """The live figure's axes."""
        return self._axes

    @property
    def widget(self) -> Any:
        """The widget that shows the plot (None with the ``"agg"`` renderer)."""
        return self._view.widget

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Stop listening, cancel the pending frame and close the widget."""
        if self._closed:
            return
        self.detach()
        self._closed = True
        self._stop_frames()
        for waiters in (self._drawn_waiters, self._sample_waiters):
            if waiters:
                _loop.call_soon_on(waiters.loop, waiters.wake)  # their waits end now
        self._view.close()

    # -- Display -------------------------------------------------------------------

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        widget = self._view.widget
        bundle: dict[str, Any] = {}
        if widget is not None:
            bundle = dict(widget._repr_mimebundle_(include=include, exclude=exclude) or {})
            if "image/png" in bundle:
                # ipympl also sends the same PNG inside an HTML <img>: once is enough.
                bundle.pop("text/html", None)
        elif (png := self._view.png()) is not None:
            bundle = {"image/png": png}
        # A stable text form: nbval compares it.
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        return (
            f"<LivePlot renderer={self.renderer!r} fps={self.fps:g} window={self.window}"
            f"{'' if self.timespan is None else f' timespan={self.timespan:g}'}"
            f"{' paused' if self._paused else ''}{' closed' if self._closed else ''}>"
        )


def _what(series: str | None, count: int) -> str:
    return f"{count} messages" if series is None else f"{count} samples of {series!r}"


def _pad(low: float, high: float, margin: float = 0.05) -> tuple[float, float]:
    """Limits around [low, high] with a margin; a flat range gets some height."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return (-1.0, 1.0)
    span = high - low
    if span <= 0:
        half = abs(low) * 0.05 or 0.5
        return low - half, high + half
    return low - span * margin, high + span * margin


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]
