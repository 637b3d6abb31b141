"""One scenario, two WebSockets: wsnb's mirror and the notebook page's own, traced side by side.

A scenario is an async function that receives the WebSocket class to use
and a :class:`Trace` to write what happens into::

    async def echo_and_close(WebSocket, trace):
        ws = trace.watch(WebSocket(echo.url))      # logs every event, with readyState inside the handler
        await trace.wait(ws, "open")
        await trace.call("send('hi')", lambda: ws.send("hi"))
        trace.read("bufferedAmount > 0", ws.bufferedAmount > 0)
        await trace.wait(ws, "message")
        await trace.call("close(4000)", lambda: ws.close(4000))
        await trace.wait(ws, "close")

    result = await compare(echo_and_close)
    result             # an HTML table, differing rows highlighted
    print(result)      # the same as text

:func:`compare` runs it with :class:`wsnb.WebSocket`, then with
:class:`wsnb.browser.BrowserWebSocket` if a page runs this kernel's widgets
(JupyterLab); without one (nbval, nbconvert) the browser column says so and
only the mirror's trace is there. A call is written the same way for both:
``trace.call`` runs it, awaits the browser's answer when there is one, and
writes what it returned or the name of what it threw.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .blob import Blob
from .browser import BrowserCall, BrowserWebSocket, page_attached
from .events import Event
from .websocket import WebSocket

__all__ = ["Comparison", "Scenario", "Trace", "compare"]

Scenario = Callable[[type, "Trace"], Awaitable[None]]
"""``async def scenario(WebSocket, trace)``: what to run with each class."""


def describe_data(data: Any) -> str:
    """A message's data as the trace shows it: text quoted, binary by type and bytes."""
    if isinstance(data, str):
        return repr(data)
    if isinstance(data, Blob):
        return f"Blob {bytes(data).hex(' ')}"
    return f"ArrayBuffer {bytes(data).hex(' ')}"


def outcome(text: str, error: BaseException | None) -> str:
    """A call's line in the trace: what it returned, or the DOM name of what it threw."""
    return f"{text} returned" if error is None else f"{text} threw {getattr(error, 'name', type(error).__name__)}"


def describe_event(event: Event, ready_state: str) -> str:
    """One event as the trace shows it, with the readyState a handler read."""
    line = f"{event.type} event (readyState {ready_state})"
    if event.type == "message":
        line += f": {describe_data(event.data)}"  # type: ignore[attr-defined]
    elif event.type == "close":
        line += f": code {event.code}, reason {event.reason!r}, wasClean {event.wasClean}"  # type: ignore[attr-defined]
    return line


@dataclass
class Trace:
    """What one run of a scenario did and saw, one line per step.

    Attributes:
        label: Which WebSocket ran it.
        lines: The steps, in order.
        skipped: Why the scenario did not run (no browser page), or None.
    """

    label: str
    lines: list[str] = field(default_factory=list)
    skipped: str | None = None
    _seen: dict[int, tuple[Any, dict[str, int]]] = field(default_factory=dict, repr=False, compare=False)

    def watch(self, ws: Any) -> Any:
        """Log every event of ``ws`` from now on, with ``readyState`` as its handler reads it; return ``ws``."""
        for type in ("open", "message", "error", "close"):
            ws.addEventListener(type, lambda event, ws=ws: self.lines.append(describe_event(event, ws.readyState.name)))
        self._seen[id(ws)] = (ws.record("open", "message", "error", "close"), {})
        return ws

    async def call(self, text: str, action: Callable[[], Any]) -> Any:
        """Run ``action`` (a call on a socket), await the browser's answer if any; log what it returned or threw."""
        try:
            result = action()
        except Exception as exc:  # the point is to see what each one throws
            self.lines.append(outcome(text, exc))
            return None
        if isinstance(result, BrowserCall):
            # Log the answer when the page's reply is read, before the
            # events that followed it, as the mirror logs at once.
            result.on_answer(lambda error: self.lines.append(outcome(text, error)))
            try:
                await result
            except Exception:
                pass  # logged by the callback
            return None
        self.lines.append(outcome(text, None))
        return result

    async def run(self, action: Callable[[], Any]) -> Any:
        """Run a call without logging it, awaiting the browser's answer if any (for repeated sends)."""
        result = action()
        if hasattr(result, "__await__"):
            result = await result
        return result

    def read(self, text: str, value: Any) -> None:
        """Log a value read from a socket, such as ``ws.protocol``."""
        self.lines.append(f"{text} = {value!r}")

    async def wait(self, ws: Any, type: str, timeout: float = 20.0) -> Event:
        """Wait for the first ``type`` event of ``ws`` not waited for yet, and return it.

        For a watched socket every event is kept from the start, so an event
        that came while the scenario awaited something else (the browser's
        answer to a call) is not missed; the mirror and the page then wait
        for the same event. An unwatched socket waits with ``wait_for``.
        """
        if id(ws) not in self._seen:
            event: Event = await ws.wait_for(type, timeout=timeout)
            return event
        recorder, consumed = self._seen[id(ws)]
        wanted = consumed.get(type, 0)
        while True:
            matching: list[Event] = [event for event in recorder if event.type == type]
            if len(matching) > wanted:
                consumed[type] = wanted + 1
                return matching[wanted]
            await recorder.wait(len(recorder) + 1, timeout=timeout)


@dataclass(repr=False)
class Comparison:
    """Two traces of one scenario, row by row.

    Attributes:
        name: The scenario's name.
        mirror: The trace with ``wsnb.WebSocket``.
        browser: The trace with ``BrowserWebSocket``.
    """

    name: str
    mirror: Trace
    browser: Trace

    def rows(self) -> list[tuple[str, str, bool]]:
        """``(mirror line, browser line, same)`` for each step; a missing line is ``""``."""
        if self.browser.skipped is not None:
            return [(line, "", True) for line in self.mirror.lines]
        pairs = itertools.zip_longest(self.mirror.lines, self.browser.lines, fillvalue="")
        return [(left, right, left == right) for left, right in pairs]

    @property
    def same(self) -> bool | None:
        """Whether both traces are the same; None when the browser did not run."""
        if self.browser.skipped is not None:
            return None
        return all(same for _, _, same in self.rows())

    def verdict(self) -> str:
        """One word for the table of scenarios: same, differs, or mirror only."""
        return {None: "mirror only", True: "same", False: "differs"}[self.same]

    def __repr__(self) -> str:
        return f"<Comparison {self.name}: {self.verdict()}>"

    def __str__(self) -> str:
        width = max([len(self.mirror.label)] + [len(left) for left, _, _ in self.rows()])
        lines = [f"{self.name}: {self.verdict()}", f"  {self.mirror.label:<{width}} | {self.browser.label}"]
        for left, right, same in self.rows():
            lines.append(f"{' ' if same else '≠'} {left:<{width}} | {right}")
        if self.browser.skipped is not None:
            lines.append(f"  (browser: {self.browser.skipped})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cells = []
        for left, right, same in self.rows():
            style = "" if same else ' style="background: #fde2e1"'
            cells.append(f"<tr{style}><td>{html.escape(left)}</td><td>{html.escape(right)}</td></tr>")
        skipped = (
            f'<tr><td colspan="2"><i>browser: {html.escape(self.browser.skipped)}</i></td></tr>'
            if self.browser.skipped is not None else ""
        )
        return (
            f'<table class="wsnb-side-by-side" style="font-family: monospace; font-size: 12px">'
            f"<caption style='text-align: left'><b>{html.escape(self.name)}</b>: {self.verdict()}</caption>"
            f"<tr><th style='text-align: left'>{html.escape(self.mirror.label)}</th>"
            f"<th style='text-align: left'>{html.escape(self.browser.label)}</th></tr>"
            f"{''.join(cells)}{skipped}</table>"
        )


async def compare(scenario: Scenario, *, name: str | None = None, page_timeout: float = 5.0) -> Comparison:
    """Run ``scenario`` with wsnb's WebSocket, then with the page's; return both traces.

    Args:
        scenario: ``async def scenario(WebSocket, trace)``.
        name: A title; the scenario's function name by default.
        page_timeout: Seconds to wait, once per kernel, for a browser page
            to answer (see :func:`wsnb.browser.page_attached`).
    """
    mirror = Trace("wsnb.WebSocket")
    browser = Trace("BrowserWebSocket (this page)")
    await _run(scenario, WebSocket, mirror)
    if await page_attached(page_timeout) is None:
        browser.skipped = "no page runs this kernel's widgets (nbval, nbconvert or a console): open it in JupyterLab"
    else:
        await _run(scenario, BrowserWebSocket, browser)
    title = name if name is not None else str(getattr(scenario, "__name__", "scenario"))
    return Comparison(title, mirror, browser)


async def _run(scenario: Scenario, cls: type, trace: Trace) -> None:
    """Run one half; a scenario that fails says so in its trace instead of hiding the other half."""
    try:
        await scenario(cls, trace)
    except Exception as exc:
        trace.lines.append(f"the scenario failed: {type(exc).__name__}: {exc}")
