"""The send bar: type a message and send it, as text or as binary written in hex."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import traitlets

from ..exceptions import DOMException
from ..websocket import SocketTarget
from ._format import escape

__all__ = ["SendBar", "parse_hex"]


def parse_hex(text: str) -> bytes:
    """Read bytes written in hex: ``"48 65 6c 6c 6f"``, ``"48656c6c6f"`` or ``"0x48 0x65"``.

    Raises:
        ValueError: If ``text`` is not an even number of hex digits (spaces,
            commas, colons and ``0x`` prefixes aside).
    """
    cleaned = text.replace(",", " ").replace(":", " ")
    cleaned = " ".join(part[2:] if part[:2].lower() == "0x" else part for part in cleaned.split())
    digits = cleaned.replace(" ", "")
    if len(digits) % 2:
        raise ValueError(f"an odd number of hex digits ({len(digits)}): each byte needs two, such as 0a")
    try:
        return bytes.fromhex(digits)
    except ValueError:
        bad = next((char for char in digits if char not in "0123456789abcdefABCDEF"), "?")
        raise ValueError(f"{bad!r} is not a hex digit (use 0-9 and a-f, such as 48 65 6c 6c 6f)") from None


class SendBar(widgets.HBox):
    """A text box and a Send button that call ``ws.send()``.

    In ``"text"`` mode the box is sent as a text message; in ``"binary"``
    mode it is read as hex and sent as a binary message. What ``send()``
    raises (InvalidStateError while CONNECTING, for example) is shown next
    to the button, as a browser console would show it, instead of a
    traceback; the socket is not changed.

    A pattern's refusal (an exception such as ``QueueFull``, or ``False``
    returned, as ``RateLimited.send()`` does) is shown the same way: the
    message was not sent, and the bar says so.

    Args:
        ws: The socket to send on (a ``WebSocket`` or a pattern). The bar
            never owns it.
    """

    mode = traitlets.Enum(("text", "binary"), "text", help="Send the box as text, or as binary written in hex.")
    error = traitlets.Unicode("", help="What the last Send raised, as 'Name: message'; '' after a success.")

    def __init__(self, ws: SocketTarget, **kwargs: Any) -> None:
        if not isinstance(ws, SocketTarget):
            raise TypeError(
                f"SendBar sends on a wsnb.WebSocket or a wsnb.patterns socket, not {ws.__class__.__name__}"
            )
        self.ws = ws
        self._mode_buttons = widgets.ToggleButtons(
            options=[("text", "text"), ("binary (hex)", "binary")],
            value="text",
            tooltips=["send a text message", "send a binary message written in hex, such as 48 69"],
            style={"button_width": "auto"},
        )
        self.text = widgets.Text(placeholder="message to send", layout=widgets.Layout(width="280px"))
        self.text.add_class("wsnb-send-text")
        self.button = widgets.Button(description="Send", button_style="primary", icon="paper-plane",
                                     layout=widgets.Layout(width="auto", flex="0 0 auto"))  # never shrunk
        self.button.add_class("wsnb-send-button")
        self._message = widgets.HTML()
        super().__init__(children=[self._mode_buttons, self.text, self.button, self._message], **kwargs)
        self.add_class("wsnb-send-bar")
        traitlets.link((self._mode_buttons, "value"), (self, "mode"))
        self.button.on_click(lambda _: self.submit())

    def submit(self) -> bool:
        """Send what the box holds, as the Send button does; return True if ``send()`` accepted it."""
        value = self.text.value
        data: str | bytes
        if self.mode == "binary":
            try:
                data = parse_hex(value)
            except ValueError as exc:
                self.error = f"not hex: {exc}"
                return False
        else:
            data = value
        try:
            result = self.ws.send(data)
        except DOMException as exc:
            self.error = f"{exc.name}: {exc.message}"  # as a console shows it
            return False
        except Exception as exc:  # a pattern's own refusal, such as QueueFull
            self.error = f"{exc.__class__.__name__}: {exc}"
            return False
        if result is False:  # a pattern that refuses by returning False (RateLimited)
            self.error = f"refused: {self.ws.__class__.__name__}.send() returned False"
            return False
        self.error = ""
        return True

    @traitlets.observe("error")
    def _show_error(self, change: Any) -> None:
        error = change["new"]
        self._message.value = (
            f'<span class="wsnb-error" style="color:#cf222e">{escape(error)}</span>' if error else ""
        )

    def __repr__(self) -> str:
        return f"SendBar(url={self.ws.url!r})"
