"""The close controls: pick a close code, type a reason, press Close."""

from __future__ import annotations

import re
from typing import Any

import ipywidgets as widgets
import traitlets

from ..codes import CloseCode, can_send_from_script, describe
from ..exceptions import DOMException
from ..websocket import SocketTarget
from ._format import escape

__all__ = ["CODE_CHOICES", "CloseBar", "parse_code"]

CODE_CHOICES: tuple[str, ...] = (
    *(f"{code.value} {code.title}" for code in CloseCode),
    "3000 registered (a library's code)",
    "4000 private use",
    "4999 private use",
)
"""What the code picker suggests: every standard code (only 1000 may be
sent by a script: the others show what ``close()`` raises), then 3000-3999
and 4000-4999. Any other number can be typed."""

_NUMBER = re.compile(r"\s*(-?\d+)")


def parse_code(text: str) -> int | None:
    """Read a close code from the picker: its leading number, or None when empty.

    Raises:
        ValueError: If ``text`` does not start with a number.
    """
    if not text.strip():
        return None
    match = _NUMBER.match(text)
    if match is None:
        raise ValueError(f"{text.strip()!r} is not a close code: type a number such as 1000 or 4000")
    return int(match.group(1))


class CloseBar(widgets.HBox):
    """A close-code picker, a reason box and a Close button that call ``ws.close()``.

    The picker suggests the standard codes and the 3000-4999 ranges and
    accepts any typed number; empty means "no code" (the Close frame then
    carries none and the event reports 1005). What ``close()`` raises
    (InvalidAccessError for a code a script may not send, SyntaxError for a
    reason over 123 UTF-8 bytes) is shown in the bar instead of a
    traceback, and the socket is not closed: ``close()`` checks its
    arguments before it changes anything.

    Args:
        ws: The socket to close. The bar never owns it.
    """

    error = traitlets.Unicode("", help="What the last Close raised, as 'Name: message'; '' after a success.")
    hint = traitlets.Unicode("", help="What the picked code means, and whether close() accepts it.")

    def __init__(self, ws: SocketTarget, **kwargs: Any) -> None:
        if not isinstance(ws, SocketTarget):
            raise TypeError(
                f"CloseBar closes a wsnb.WebSocket or a wsnb.patterns socket, not {ws.__class__.__name__}"
            )
        self.ws = ws
        self.code = widgets.Combobox(
            value="1000 Normal Closure",
            options=list(CODE_CHOICES),
            placeholder="code (empty: none)",
            ensure_option=False,
            layout=widgets.Layout(width="220px"),
        )
        self.code.add_class("wsnb-close-code")
        self.reason = widgets.Text(placeholder="reason (≤ 123 UTF-8 bytes)", layout=widgets.Layout(width="200px"))
        self.reason.add_class("wsnb-close-reason")
        self.button = widgets.Button(description="Close", button_style="danger", icon="times",
                                     layout=widgets.Layout(width="auto", flex="0 0 auto"))  # never shrunk to "C…"
        self.button.add_class("wsnb-close-button")
        self._message = widgets.HTML()
        super().__init__(children=[self.code, self.reason, self.button, self._message], **kwargs)
        self.add_class("wsnb-close-bar")
        self.button.on_click(lambda _: self.submit())
        self.code.observe(self._show_hint, names="value")
        self._show_hint()

    def submit(self) -> bool:
        """Call ``ws.close()`` with the picked code and reason, as the Close button does.

        Returns:
            True if ``close()`` accepted its arguments (whatever the state:
            on a socket already CLOSING or CLOSED it does nothing).
        """
        try:
            code = parse_code(self.code.value)
        except ValueError as exc:
            self.error = f"not a number: {exc}"
            return False
        reason = self.reason.value or None
        try:
            self.ws.close(code, reason)
        except DOMException as exc:
            self.error = f"{exc.name}: {exc.message}"  # as a console shows it
            return False
        self.error = ""
        return True

    def _show_hint(self, change: Any = None) -> None:
        try:
            code = parse_code(self.code.value)
        except ValueError as exc:
            hint = str(exc)
        else:
            if code is None:
                hint = "no code: the Close frame carries none and the close event reports 1005"
            else:
                hint = describe(code)
                if not can_send_from_script(code):
                    hint += " close() refuses it: a script may send 1000 or 3000-4999."
        with self._message.hold_sync():
            self.error = ""
            self.hint = hint

    @traitlets.observe("error", "hint")
    def _draw(self, change: Any = None) -> None:
        if self.error:
            self._message.value = f'<span class="wsnb-error" style="color:#cf222e">{escape(self.error)}</span>'
        else:
            self._message.value = (
                f'<span class="wsnb-hint" style="color:#57606a;font-size:85%">{escape(self.hint)}</span>'
            )

    def __repr__(self) -> str:
        return f"CloseBar(url={self.ws.url!r})"
