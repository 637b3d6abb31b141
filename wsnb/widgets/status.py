"""Small widgets that show the state of a WebSocket.

Each one takes a ``wsnb.WebSocket`` (or the :class:`SocketWatcher` of a
panel, to share it) and stays up to date by itself:

- :class:`StatusBadge`: the readyState, name and number, in its colour;
- :class:`ConnectionInfo`: ``url``, ``protocol`` and ``extensions``;
- :class:`BufferGauge`: ``bufferedAmount`` as a bar and a number of bytes;
- :class:`Counters`: messages and bytes received and sent;
- :class:`StateTimeline`: each readyState and when it was entered.

They are standard ipywidgets (``HTML``, ``IntProgress``, ``HBox``), so they
render in JupyterLab, Notebook, VS Code and on Binder with no build step.
Their Python traits (``ready_state``, ``buffered_amount`` ...) change at most
20 times a second, whatever the rate of messages; ``observe`` them with
``names=`` to react in Python.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import traitlets

from ..codes import ReadyState
from ._format import FAILED_COLOUR, STATE_COLOURS, escape, human_bytes, seconds
from ._view import WatcherView
from .watcher import SocketWatcher

__all__ = ["BufferGauge", "ConnectionInfo", "Counters", "HandshakeInfo", "StateTimeline", "StatusBadge"]


class StatusBadge(WatcherView, widgets.HTML):
    """The socket's readyState as a coloured badge: ``OPEN (1)``.

    CONNECTING is amber, OPEN green, CLOSING orange, CLOSED grey; CLOSED
    after a failed connection is red.

    Args:
        source: The ``wsnb.WebSocket`` to show, or a panel's SocketWatcher.
    """

    ready_state = traitlets.Int(0, help="The readyState shown: 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED.")
    failed = traitlets.Bool(False, help="Whether the connection failed (see the socket's failure).")

    def __init__(self, source: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("wsnb-badge")
        self._draw()
        self._attach(source)

    def refresh(self, watcher: SocketWatcher) -> None:
        """Show the socket's readyState now."""
        ws = watcher.ws
        with self.hold_sync():
            self.ready_state = int(ws.readyState)
            self.failed = ws.failure is not None

    @traitlets.observe("ready_state", "failed")
    def _draw(self, change: Any = None) -> None:
        state = ReadyState(self.ready_state)
        colour = FAILED_COLOUR if self.failed and state is ReadyState.CLOSED else STATE_COLOURS[state]
        label = f"{state.name} ({state.value})"
        title = "readyState" + (" (the connection failed)" if self.failed else "")
        self.value = (
            f'<span class="wsnb-state" data-state="{state.name}" title="{title}" '
            f'style="display:inline-block;padding:1px 10px;border-radius:10px;'
            f'background:{colour};color:#fff;font-weight:600;font-family:monospace">{label}</span>'
        )


class ConnectionInfo(WatcherView, widgets.HTML):
    """The socket's ``url``, ``protocol`` and ``extensions``.

    ``protocol`` and ``extensions`` are ``""`` until the socket opens, and
    stay ``""`` when the server chose none.

    Args:
        source: The ``wsnb.WebSocket`` to show, or a panel's SocketWatcher.
    """

    url = traitlets.Unicode("", help="The socket's url, as serialised by the constructor.")
    protocol = traitlets.Unicode("", help="The subprotocol the server selected, '' if none.")
    extensions = traitlets.Unicode("", help="The extensions the server accepted, '' if none.")

    def __init__(self, source: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("wsnb-info")
        self._draw()
        self._attach(source)

    def refresh(self, watcher: SocketWatcher) -> None:
        """Show the socket's url, protocol and extensions now."""
        ws = watcher.ws
        with self.hold_sync():
            self.url = ws.url
            self.protocol = ws.protocol
            self.extensions = ws.extensions

    @traitlets.observe("url", "protocol", "extensions")
    def _draw(self, change: Any = None) -> None:
        def show(value: str) -> str:
            return f"<code>{escape(value)}</code>" if value else '<i style="color:#57606a">""</i>'

        self.value = (
            f'<span style="font-size:90%">url {show(self.url)} · protocol {show(self.protocol)}'
            f" · extensions {show(self.extensions)}</span>"
        )


class HandshakeInfo(WatcherView, widgets.HTML):
    """The opening handshake, request and response, folded under one line: ``Handshake: 101 Switching Protocols``.

    What DevTools' Network panel shows and a script never sees: the
    request's ``Sec-WebSocket-Key``, ``Origin``, cookies and offers, the
    server's ``Sec-WebSocket-Accept`` and choices, or the status and body
    of a refusal (see :attr:`wsnb.WebSocket.handshake`). Empty for a source
    without one (a pattern), and until the handshake ends.

    Args:
        source: The ``wsnb.WebSocket`` to show, or a panel's SocketWatcher.
    """

    text = traitlets.Unicode("", help="The handshake as text: request, blank line, response.")
    summary = traitlets.Unicode("", help="Its one-line summary, such as '101 Switching Protocols'.")

    def __init__(self, source: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("wsnb-handshake")
        self._shown: Any = None
        self._attach(source)

    def refresh(self, watcher: SocketWatcher) -> None:
        """Show the handshake once it is known (drawn once: an open fold stays open)."""
        handshake = getattr(watcher.ws, "handshake", None)
        if handshake is None or handshake is self._shown:
            return
        self._shown = handshake
        status = "no response" if handshake.status is None else f"{handshake.status} {handshake.reason}".rstrip()
        with self.hold_sync():
            self.summary = status
            self.text = str(handshake)
        self.value = (
            f'<details style="font-size:90%"><summary>Handshake: {escape(status)}</summary>'
            f'<pre style="margin:2px 0 4px 12px">{escape(self.text)}</pre></details>'
        )


class BufferGauge(WatcherView, widgets.HBox):
    """``bufferedAmount``: bytes passed to ``send()`` and not yet handed to the network.

    The bar fills up to ``limit`` (1 MiB by default): a level past which a
    careful sender waits before sending more. It turns orange past half of
    it and red past it. The number next to it is exact.

    Args:
        source: The ``wsnb.WebSocket`` to show, or a panel's SocketWatcher.
        limit: Bytes at which the bar is full.
    """

    buffered_amount = traitlets.Int(0, help="The socket's bufferedAmount, in bytes.")
    peak = traitlets.Int(0, help="The highest bufferedAmount seen, in bytes.")
    limit = traitlets.Int(2**20, help="Bytes at which the bar is full: a level past which a careful sender waits.")

    def __init__(self, source: Any, *, limit: int = 2**20, **kwargs: Any) -> None:
        self._bar = widgets.IntProgress(
            value=0, min=0, max=limit, layout=widgets.Layout(width="140px"), bar_style="info"
        )
        self._number = widgets.HTML()
        label = widgets.HTML('<span title="Bytes queued by send() and not yet sent">bufferedAmount</span>')
        super().__init__(children=[label, self._bar, self._number], limit=limit, **kwargs)
        self.add_class("wsnb-gauge")
        self._draw()
        self._attach(source)

    def refresh(self, watcher: SocketWatcher) -> None:
        """Show the socket's bufferedAmount now."""
        amount = watcher.ws.bufferedAmount
        # One front-end message per child, however many traits change.
        with self._bar.hold_sync(), self._number.hold_sync():
            self.buffered_amount = amount
            self.peak = max(self.peak, amount)

    @traitlets.validate("limit")
    def _check_limit(self, proposal: Any) -> int:
        value = proposal["value"]
        if value < 1:
            raise traitlets.TraitError(f"limit must be at least 1 byte, not {value}")
        return int(value)

    @traitlets.observe("buffered_amount", "peak", "limit")
    def _draw(self, change: Any = None) -> None:
        amount, limit = self.buffered_amount, self.limit
        style = "danger" if amount >= limit else "warning" if amount * 2 >= limit else "info"
        with self._bar.hold_sync():
            self._bar.max = limit
            self._bar.value = min(amount, limit)
            self._bar.bar_style = style
        peak = f" · peak {human_bytes(self.peak)}" if self.peak else ""
        self._number.value = (
            f'<span class="wsnb-buffered" data-bytes="{amount}" style="font-family:monospace">'
            f"{human_bytes(amount)}</span><span style=\"color:#57606a\">{peak}</span>"
        )


class Counters(WatcherView, widgets.HTML):
    """How many messages and bytes were received and sent.

    "Sent" counts what ``send()`` accepted while OPEN. A ``send()`` while
    CLOSING or CLOSED is counted apart, as dropped: the standard discards it.

    Args:
        source: The ``wsnb.WebSocket`` to show, or a panel's SocketWatcher.
    """

    messages_in = traitlets.Int(0, help="Messages received.")
    bytes_in = traitlets.Int(0, help="Bytes received (UTF-8 bytes for text).")
    messages_out = traitlets.Int(0, help="Messages passed to send() while OPEN.")
    bytes_out = traitlets.Int(0, help="Bytes passed to send() while OPEN.")
    dropped_out = traitlets.Int(0, help="Messages passed to send() while CLOSING or CLOSED: never sent.")

    def __init__(self, source: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("wsnb-counters")
        self._draw()
        self._attach(source)

    def refresh(self, watcher: SocketWatcher) -> None:
        """Show the watcher's counts now."""
        with self.hold_sync():
            self.messages_in = watcher.messages_in
            self.bytes_in = watcher.bytes_in
            self.messages_out = watcher.messages_out
            self.bytes_out = watcher.bytes_out
            self.dropped_out = watcher.dropped_out

    @traitlets.observe("messages_in", "bytes_in", "messages_out", "bytes_out", "dropped_out")
    def _draw(self, change: Any = None) -> None:
        dropped = (
            f' · <span style="color:{FAILED_COLOUR}">{self.dropped_out:,} send() after close: dropped</span>'
            if self.dropped_out
            else ""
        )
        self.value = (
            f'<span style="font-family:monospace">'
            f'<span class="wsnb-in" data-messages="{self.messages_in}">↓ received {self.messages_in:,} '
            f"{_plural(self.messages_in)}, {human_bytes(self.bytes_in)}</span> · "
            f'<span class="wsnb-out" data-messages="{self.messages_out}">↑ sent {self.messages_out:,} '
            f"{_plural(self.messages_out)}, {human_bytes(self.bytes_out)}</span>{dropped}</span>"
        )


class StateTimeline(WatcherView, widgets.HTML):
    """Each readyState the socket went through, and when.

    Times are seconds since the ``open`` event (negative before it); for a
    socket that never opened, since the timeline started watching. A state
    entered before the widget started watching shows ``?``.

    Args:
        source: The ``wsnb.WebSocket`` to show, or a panel's SocketWatcher.
    """

    entries: traitlets.List[Any] = traitlets.List(
        help="(state name, seconds since open or None) for each state, in order.",
    )

    def __init__(self, source: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("wsnb-timeline")
        self._draw()
        self._attach(source)

    def refresh(self, watcher: SocketWatcher) -> None:
        """Show the watcher's timeline now."""
        origin = watcher.origin
        self.entries = [
            (state.name, None if when is None else round((when - origin) / 1000.0, 6))
            for state, when in watcher.timeline
        ]

    @traitlets.observe("entries")
    def _draw(self, change: Any = None) -> None:
        steps = [
            f'<span class="wsnb-step" data-state="{name}" style="color:{STATE_COLOURS[ReadyState[name]]}">'
            f"{name}</span> {seconds(None if when is None else when * 1000.0)}"
            for name, when in self.entries
        ]
        self.value = (
            '<span style="font-size:90%;font-family:monospace">readyState: '
            + (" → ".join(steps) if steps else "…")
            + "</span>"
        )


def _plural(count: int) -> str:
    return "message" if count == 1 else "messages"
