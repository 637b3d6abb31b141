"""The send bar: type a message and send it, as text, or as binary written in hex or base64, or from a file.

Like Postman's and Insomnia's message composers, it keeps named **message
templates**: save what the box holds under a name, pick it again from the
list, and keep the whole set in a JSON file that a notebook reloads
(``bar.save_templates("chat.json")``, ``SendBar(ws, templates="chat.json")``)::

    {"join": {"mode": "text", "data": "{\"type\": \"join\"}"},
     "hello": {"mode": "binary", "data": "48 65 6c 6c 6f"}}

A file chosen with the upload button is sent at once as one binary message,
its bytes as they are.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import traitlets

from ..exceptions import DOMException
from ..websocket import SocketTarget
from ._format import escape

__all__ = ["SendBar", "parse_base64", "parse_hex"]

MODES = ("text", "binary", "base64")
"""How the box is read: text, binary written in hex, or binary written in base64."""


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


def parse_base64(text: str) -> bytes:
    """Read bytes written in base64 (standard or URL-safe alphabet; spaces, newlines and missing padding allowed).

    Raises:
        ValueError: If ``text`` is not base64, naming the first wrong character.
    """
    cleaned = "".join(text.split())
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_="
    bad = next((char for char in cleaned if char not in alphabet), None)
    if bad is not None:
        raise ValueError(f"{bad!r} is not a base64 character (use A-Z, a-z, 0-9, + and /, such as SGVsbG8=)")
    cleaned = cleaned.rstrip("=").replace("-", "+").replace("_", "/")
    if len(cleaned) % 4 == 1:
        raise ValueError(f"{len(cleaned)} base64 characters cannot end a message: one is missing or one too many")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"not base64: {exc}") from None


class SendBar(widgets.VBox):
    """A text box and a Send button that call ``ws.send()``.

    In ``"text"`` mode the box is sent as a text message; in ``"binary"``
    mode it is read as hex and in ``"base64"`` mode as base64, and sent as
    a binary message; a file chosen with the upload button is sent as one
    binary message. What ``send()``
    raises (InvalidStateError while CONNECTING, for example) is shown next
    to the button, as a browser console would show it, instead of a
    traceback; the socket is not changed.

    A pattern's refusal (an exception such as ``QueueFull``, or ``False``
    returned, as ``RateLimited.send()`` does) is shown the same way: the
    message was not sent, and the bar says so.

    Args:
        ws: The socket to send on (a ``WebSocket`` or a pattern). The bar
            never owns it.
        templates: Named messages to start with: a dict ``{name: {"mode":
            ..., "data": ...}}`` or the path of a JSON file holding one.
    """

    mode = traitlets.Enum(MODES, "text", help="Send the box as text, or as binary written in hex or base64.")
    error = traitlets.Unicode("", help="What the last Send raised, as 'Name: message'; '' after a success.")
    templates = traitlets.Dict(help="Saved messages: name -> {'mode': text|binary|base64, 'data': what the box held}.")
    sent_files = traitlets.Int(0, help="Files sent with the upload button.")

    def __init__(self, ws: SocketTarget, *, templates: dict[str, Any] | str | Path | None = None, **kwargs: Any) -> None:
        if not isinstance(ws, SocketTarget):
            raise TypeError(
                f"SendBar sends on a wsnb.WebSocket or a wsnb.patterns socket, not {ws.__class__.__name__}"
            )
        self.ws = ws
        self._mode_buttons = widgets.ToggleButtons(
            options=[("text", "text"), ("binary (hex)", "binary"), ("binary (base64)", "base64")],
            value="text",
            tooltips=["send a text message", "send a binary message written in hex, such as 48 69",
                      "send a binary message written in base64, such as SGk="],
            style={"button_width": "auto"},
        )
        self.text = widgets.Text(placeholder="message to send", layout=widgets.Layout(width="280px"))
        self.text.add_class("wsnb-send-text")
        self.button = widgets.Button(description="Send", button_style="primary", icon="paper-plane",
                                     layout=widgets.Layout(width="auto", flex="0 0 auto"))  # never shrunk
        self.button.add_class("wsnb-send-button")
        self.upload = widgets.FileUpload(description="send file", multiple=False, layout=widgets.Layout(width="auto"))
        self.upload.add_class("wsnb-send-file")
        self._message = widgets.HTML()
        self._template_list = widgets.Dropdown(options=[("templates…", "")], value="", layout=widgets.Layout(width="150px"))
        self._template_list.add_class("wsnb-template-list")
        self._template_name = widgets.Text(placeholder="template name", layout=widgets.Layout(width="130px"))
        self._template_name.add_class("wsnb-template-name")
        self._save_button = widgets.Button(description="save", icon="save", tooltip="Keep the box as a named template",
                                           layout=widgets.Layout(width="auto"))
        self._save_button.add_class("wsnb-template-save")
        row = widgets.Layout(flex_flow="row wrap", align_items="center")
        super().__init__(
            children=[
                widgets.HBox([self._mode_buttons, self.text, self.button, self.upload, self._message], layout=row),
                widgets.HBox([self._template_list, self._template_name, self._save_button], layout=row),
            ],
            **kwargs,
        )
        self.add_class("wsnb-send-bar")
        traitlets.link((self._mode_buttons, "value"), (self, "mode"))
        self.button.on_click(lambda _: self.submit())
        self._save_button.on_click(lambda _: self._save_from_box())
        self._template_list.observe(self._pick_template, "value")
        self.upload.observe(self._file_chosen, "value")
        if isinstance(templates, (str, Path)):
            self.load_templates(templates)
        elif templates is not None:
            self.templates = {name: _check_template(name, value) for name, value in templates.items()}

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
        elif self.mode == "base64":
            try:
                data = parse_base64(value)
            except ValueError as exc:
                self.error = f"not base64: {exc}"
                return False
        else:
            data = value
        return self._send_message(data)

    def send_file(self, content: bytes, name: str = "file") -> bool:
        """Send ``content`` as one binary message, as the upload button does; return True if ``send()`` accepted it."""
        if self._send_message(bytes(content)):
            self.sent_files += 1
            self._message.value = (
                f'<span class="wsnb-sent-file" style="color:#57606a">sent {escape(name)} ({len(content):,} B)</span>'
            )
            return True
        return False

    # -- Templates ----------------------------------------------------------------

    def save_template(self, name: str, data: str | None = None, mode: str | None = None) -> None:
        """Keep ``data`` (the box's text by default) in ``mode`` (the bar's by default) as template ``name``."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a template needs a name that is not empty")
        template = _check_template(name, {"mode": self.mode if mode is None else mode,
                                          "data": self.text.value if data is None else data})
        self.templates = {**self.templates, name.strip(): template}

    def use_template(self, name: str) -> None:
        """Put template ``name`` in the box and switch to its mode (it is not sent: press Send)."""
        try:
            template = self.templates[name]
        except KeyError:
            known = ", ".join(sorted(self.templates)) or "none yet"
            raise KeyError(f"no template named {name!r}; the templates: {known}") from None
        self.mode = template["mode"]
        self.text.value = template["data"]

    def save_templates(self, path: str | Path) -> Path:
        """Write the templates to a JSON file (UTF-8, sorted by name); return its path."""
        target = Path(path)
        target.write_text(json.dumps(self.templates, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        return target

    def load_templates(self, path: str | Path) -> None:
        """Add the templates of a JSON file written by :meth:`save_templates` (same names are replaced).

        Raises:
            ValueError: If the file is not JSON or a template is malformed, naming it.
        """
        try:
            loaded = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not a JSON file of templates ({exc})") from None
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: templates are a JSON object {{name: {{mode, data}}}}, not {type(loaded).__name__}")
        self.templates = {**self.templates, **{name: _check_template(name, value) for name, value in loaded.items()}}

    @traitlets.observe("templates")
    def _list_templates(self, change: Any) -> None:
        names = sorted(change["new"])
        self._template_list.options = [("templates…", ""), *((name, name) for name in names)]

    def _save_from_box(self) -> None:
        try:
            self.save_template(self._template_name.value)
        except ValueError as exc:
            self.error = str(exc)
            return
        self.error = ""
        self._template_name.value = ""

    def _pick_template(self, change: Any) -> None:
        if change["new"]:
            self.use_template(change["new"])
            self._template_list.value = ""

    def _file_chosen(self, change: Any) -> None:
        for upload in change["new"]:
            self.send_file(bytes(upload["content"]), upload["name"])

    def _send_message(self, data: str | bytes) -> bool:
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


def _check_template(name: str, template: Any) -> dict[str, str]:
    """A template as ``{"mode", "data"}``, checked: a clear error names what is wrong."""
    if not isinstance(template, dict) or set(template) != {"mode", "data"}:
        raise ValueError(f"template {name!r} must be {{'mode': ..., 'data': ...}}, not {template!r}")
    mode, data = template["mode"], template["data"]
    if mode not in MODES:
        raise ValueError(f"template {name!r}: mode must be one of {', '.join(MODES)}, not {mode!r}")
    if not isinstance(data, str):
        raise ValueError(f"template {name!r}: data must be text (binary is written in hex or base64)")
    return {"mode": mode, "data": data}
