"""How the widgets write numbers, bytes, text and states for a person.

Plain functions with no ipywidgets import, shared by every widget so that a
size or a time reads the same everywhere in a panel.
"""

from __future__ import annotations

import html
import re

from ..codes import ReadyState

__all__ = [
    "ARROWS",
    "STATE_COLOURS",
    "display_url",
    "escape",
    "hex_preview",
    "human_bytes",
    "seconds",
    "text_preview",
]

ARROWS = {"sent": "↑", "received": "↓", "event": "•"}
"""The arrow a row of the log, the frame view or the HAR tab shows for each direction."""

PREVIEW_CHARS = 80
"""Characters of a text message shown in a log row before it is cut."""

PREVIEW_BYTES = 32
"""Bytes of a binary message shown (as hex) in a log row before it is cut."""

STATE_COLOURS: dict[ReadyState, str] = {
    ReadyState.CONNECTING: "#9a6700",
    ReadyState.OPEN: "#1a7f37",
    ReadyState.CLOSING: "#bc4c00",
    ReadyState.CLOSED: "#57606a",
}
"""Badge colour of each readyState (white text on it stays readable)."""

FAILED_COLOUR = "#cf222e"
"""Badge colour of a CLOSED socket whose connection failed."""


_LOOPBACK_PORT = re.compile(r"^(wss?://(?:127\.0\.0\.1|localhost|\[::1\])):\d+(?=/|$)")


def display_url(url: str) -> str:
    """``url`` as a saved notebook shows it: the port of a loopback host written ``PORT``.

    A lab server in the kernel listens on a port the OS picks, different on
    every run and every machine. The text a notebook saves for a widget (its
    ``text/plain`` form, shown where widgets cannot render, and compared by
    nbval) should not depend on it. Other URLs are returned unchanged.
    """
    return _LOOPBACK_PORT.sub(r"\1:PORT", url)


def escape(text: str) -> str:
    """Escape text for HTML, quotes included."""
    return html.escape(text, quote=True)


def human_bytes(size: int) -> str:
    """Write a size in bytes with thousands separators: ``"12,345 B"``."""
    return f"{size:,} B"


def seconds(ms: float | None) -> str:
    """Write a time in milliseconds as signed seconds: ``"+1.234 s"``; ``"?"`` when unknown."""
    if ms is None:
        return "?"
    value = ms / 1000.0
    if abs(value) < 0.0005:
        value = 0.0
    return f"{value:+.3f} s"


def text_preview(text: str, limit: int = PREVIEW_CHARS, *, cut: bool = False) -> str:
    """Show text on one line: control characters escaped, cut at ``limit`` with ``…``.

    Args:
        text: The message, or its first characters.
        limit: Characters kept.
        cut: True when ``text`` is already only the start of the message, so
            the preview ends with ``…`` even if it fits.
    """
    shown = text.translate(_CONTROL)
    if len(shown) > limit:
        return shown[:limit] + "…"
    return shown + "…" if cut else shown


def hex_preview(data: bytes, limit: int = PREVIEW_BYTES, *, cut: bool = False) -> str:
    """Show bytes as hex pairs, ``"48 65 6c 6c 6f"``, cut after ``limit`` bytes with ``…``."""
    shown = data[:limit].hex(" ")
    if len(data) > limit or cut:
        return shown + " …" if shown else "…"
    return shown


# Newlines and other C0 controls would break a one-line preview; show them
# as the escapes a programmer would type.
_CONTROL = {code: f"\\x{code:02x}" for code in range(32)}
_CONTROL.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", 0x7F: "\\x7f"})
