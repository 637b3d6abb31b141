"""The panel's HAR bar: record a session, export it as HAR, import a HAR to browse and replay.

Chrome's DevTools export a page's traffic as a HAR file, WebSockets
included (``_webSocketMessages``); :mod:`wsnb.har` reads and writes the same.
This bar puts it under the panel's buttons, as DevTools does:

- **record**: start a :class:`~wsnb.har.HarRecorder` on the socket (off by
  default: it keeps every message whole, which a long stream should not pay
  for unasked). The panel's ``record_har=True`` starts it with the panel.
- **export HAR**: a link to download what was recorded as a ``.har`` file
  (:meth:`HarBar.export` writes it from code).
- **import HAR**: choose a ``.har`` file (from Chrome, Firefox or wsnb); its
  WebSocket sessions are listed, and the chosen one's messages are shown.
- **replay**: send the chosen session's client messages to the server in
  the "replay to" box (the panel's socket's URL at first), with their
  recorded timing, and say whether the replies match the recording.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import traitlets

from .. import loop as _loop
from ..har import HarRecorder, HarSession, ReplayResult, load_har, replay
from ..websocket import SocketTarget, WebSocket
from ._format import ARROWS, escape, hex_preview, text_preview

__all__ = ["HarBar"]

MAX_BROWSED = 500
"""Messages of an imported session drawn in the bar at most (a HAR may hold a long session)."""


class HarBar(widgets.VBox):
    """Record, export, import, browse and replay WebSocket sessions as HAR.

    Args:
        ws: The socket the panel watches. Recording needs a ``wsnb.WebSocket``
            (a pattern changes sockets: record one of them with HarRecorder).
        record: Start recording now.

    Attributes:
        recorder: The HarRecorder while recording or after, else None.
        sessions: The sessions of the last imported HAR.
        result: The last replay's :class:`~wsnb.har.ReplayResult`, or None.
    """

    status = traitlets.Unicode("", help="What the bar last did, as text (an import, an export, a replay).")
    recording = traitlets.Bool(False, help="Whether the socket's messages are being recorded for HAR.")

    def __init__(self, ws: SocketTarget, *, record: bool = False, **kwargs: Any) -> None:
        self.ws = ws
        self.recorder: HarRecorder | None = None
        self.sessions: list[HarSession] = []
        self.result: ReplayResult | None = None
        can_record = isinstance(ws, WebSocket)
        self._record_button = widgets.ToggleButton(
            description="record", icon="circle", disabled=not can_record, layout=widgets.Layout(width="auto"),
            tooltip="Record every message for HAR" if can_record else "Recording needs a wsnb.WebSocket, not a pattern",
        )
        self._export_button = widgets.Button(description="export HAR", icon="download", layout=widgets.Layout(width="auto"))
        self._export_button.add_class("wsnb-har-export")
        self._download = widgets.HTML()
        self.upload = widgets.FileUpload(description="import HAR", accept=".har,.json", multiple=False,
                                         layout=widgets.Layout(width="auto"))
        self.upload.add_class("wsnb-har-import")
        self._session_list = widgets.Dropdown(options=[], layout=widgets.Layout(width="260px"))
        self._target = widgets.Text(value=ws.url, description="replay to", layout=widgets.Layout(width="300px"))
        self._replay_button = widgets.Button(description="replay", icon="play", layout=widgets.Layout(width="auto"),
                                             disabled=True)
        self._replay_button.add_class("wsnb-har-replay")
        self._messages = widgets.HTML(layout=widgets.Layout(max_height="200px", overflow="auto"))
        self._messages.add_class("wsnb-har-messages")
        self._status = widgets.HTML()
        row = widgets.Layout(flex_flow="row wrap", align_items="center")
        super().__init__(
            children=[
                widgets.HBox([self._record_button, self._export_button, self._download, self.upload], layout=row),
                widgets.HBox([self._session_list, self._target, self._replay_button], layout=row),
                self._messages,
                self._status,
            ],
            **kwargs,
        )
        self.add_class("wsnb-har-bar")
        traitlets.link((self._record_button, "value"), (self, "recording"))
        self._export_button.on_click(lambda _: self._offer_download())
        self._replay_button.on_click(lambda _: self.start_replay())
        self.upload.observe(self._file_chosen, "value")
        self._session_list.observe(lambda change: self._show_session(), "value")
        if record:
            self.recording = True

    # -- Recording and export ------------------------------------------------

    @traitlets.validate("recording")
    def _check_recordable(self, proposal: Any) -> bool:
        if proposal["value"] and not isinstance(self.ws, WebSocket):
            raise traitlets.TraitError(
                "recording needs a wsnb.WebSocket; a pattern changes sockets (record one with wsnb.har.HarRecorder)"
            )
        return bool(proposal["value"])

    @traitlets.observe("recording")
    def _record_changed(self, change: Any) -> None:
        if change["new"]:
            assert isinstance(self.ws, WebSocket)  # _check_recordable
            if self.recorder is None:
                self.recorder = HarRecorder(self.ws)
            else:  # recording again: go on with the same session
                self.recorder.resume()
            self.status = "recording"
        elif self.recorder is not None:
            self.recorder.stop()
            self.status = f"recording stopped: {len(self.recorder.messages):,} messages"

    def har(self) -> dict[str, Any]:
        """The recorded session as a HAR 1.2 document.

        Raises:
            ValueError: If nothing was recorded (press record first, or make the panel with ``record_har=True``).
        """
        return self._recorded().to_har()

    def export(self, path: str | Path) -> Path:
        """Write the recorded session to ``path`` as HAR (``HarRecorder.save``); return the path."""
        return self._recorded().save(path)

    def _recorded(self) -> HarRecorder:
        if self.recorder is None:
            raise ValueError("nothing recorded: press record (or make the panel with record_har=True) first")
        return self.recorder

    def _offer_download(self) -> None:
        try:
            text = json.dumps(self.har(), indent=1)
        except ValueError as exc:
            self.status = str(exc)
            return
        encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
        count = len(self.recorder.messages) if self.recorder is not None else 0
        self._download.value = (
            f'<a class="wsnb-har-download" download="wsnb-session.har" '
            f'href="data:application/json;charset=utf-8;base64,{encoded}">download HAR ({count:,} messages)</a>'
        )
        self.status = f"HAR ready: {count:,} messages"

    # -- Import and browsing ---------------------------------------------------

    def load(self, source: str | Path | dict[str, Any] | bytes) -> list[HarSession]:
        """Import a HAR (a path, the parsed document, or the file's bytes); list its WebSocket sessions.

        Raises:
            ValueError: If it is not a HAR document, saying why.
        """
        document: str | Path | dict[str, Any]
        if isinstance(source, bytes):
            try:
                document = json.loads(source.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ValueError(f"not a HAR file: it is not JSON ({exc})") from None
        else:
            document = source
        sessions = load_har(document)
        self.sessions = sessions
        self._session_list.options = [
            (f"{index}: {session.url} ({len(session.messages)} messages)", index) for index, session in enumerate(sessions)
        ]
        if sessions:
            self._session_list.value = 0
        self._replay_button.disabled = not sessions
        self.status = f"{len(sessions)} WebSocket session{'s' if len(sessions) != 1 else ''} imported"
        self._show_session()
        return sessions

    @property
    def session(self) -> HarSession | None:
        """The imported session chosen in the list, or None."""
        index = self._session_list.value
        return self.sessions[index] if isinstance(index, int) and index < len(self.sessions) else None

    def _file_chosen(self, change: Any) -> None:
        for upload in change["new"]:
            try:
                self.load(bytes(upload["content"]))
            except ValueError as exc:
                self.status = f"{upload['name']}: {exc}"

    def _show_session(self) -> None:
        session = self.session
        if session is None:
            self._messages.value = ""
            return
        start = session.messages[0].time if session.messages else 0.0
        rows = []
        for number, message in enumerate(session.messages[:MAX_BROWSED]):
            payload = message.payload
            if isinstance(payload, str):
                kind, size, preview = "text", len(payload.encode("utf-8")), text_preview(payload)
            else:
                kind, size, preview = "binary", len(payload), hex_preview(payload)
            direction = "sent" if message.type == "send" else "received"
            rows.append(
                f'<tr data-direction="{direction}"><td class="wsnb-num">{number}</td>'
                f'<td class="wsnb-num">{message.time - start:+.3f} s</td><td>{ARROWS[direction]}</td><td>{kind}</td>'
                f'<td class="wsnb-num">{size:,} B</td><td class="wsnb-preview">{escape(preview)}</td></tr>'
            )
        more = len(session.messages) - MAX_BROWSED
        note = (
            f'<div class="wsnb-har-more" style="font-size:85%;color:#57606a">the first {MAX_BROWSED:,} of '
            f"{len(session.messages):,} messages are shown; replay sends them all</div>"
            if more > 0 else ""
        )
        self._messages.value = (
            '<table class="wsnb-log-table wsnb-har-table"><thead><tr><th>#</th><th>time</th><th></th><th>kind</th>'
            '<th style="text-align:right">size</th><th>data</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>{note}"
        )

    # -- Replay ------------------------------------------------------------------

    def start_replay(
        self, url: str | None = None, *, speed: float = 1.0
    ) -> asyncio.Future[ReplayResult] | concurrent.futures.Future[ReplayResult]:
        """Replay the chosen session against ``url`` (the "replay to" box by default), as the button does.

        Returns the task (on the socket's loop; from another thread, a
        ``concurrent.futures.Future``); await it for the
        :class:`~wsnb.har.ReplayResult` (also kept in :attr:`result` and
        summed up in the bar).

        Raises:
            ValueError: If no HAR was imported.
        """
        session = self.session
        if session is None:
            raise ValueError("no session to replay: import a HAR first")
        loop = self.ws.loop
        if loop is None:  # pragma: no cover - every SocketTarget has a loop
            raise RuntimeError("the panel's socket has no event loop to replay on")
        target = url or self._target.value
        self.status = f"replaying {len(session.sent())} messages to {target}"
        self._replay_button.disabled = True
        if _loop.in_loop_thread(loop):
            task: asyncio.Future[ReplayResult] | concurrent.futures.Future[ReplayResult] = loop.create_task(
                replay(session, target, speed=speed)
            )
        else:  # the socket runs on wsnb's background loop (no running loop where it was made)
            task = asyncio.run_coroutine_threadsafe(replay(session, target, speed=speed), loop)
        task.add_done_callback(self._replayed)
        return task

    def _replayed(self, task: asyncio.Future[ReplayResult] | concurrent.futures.Future[ReplayResult]) -> None:
        self._replay_button.disabled = not self.sessions
        if task.cancelled():
            self.status = "replay cancelled"
            return
        error = task.exception()
        if error is not None:
            self.status = f"replay failed: {error.__class__.__name__}: {error}"
            return
        result = self.result = task.result()
        if result.same:
            self.status = f"replayed {len(result.sent)} messages: all {len(result.received)} replies as recorded"
        else:
            self.status = (
                f"replayed {len(result.sent)} messages: {len(result.differences())} of "
                f"{max(len(result.expected), len(result.received))} replies differ from the recording"
            )

    @traitlets.observe("status")
    def _show_status(self, change: Any) -> None:
        text = change["new"]
        self._status.value = f'<span class="wsnb-har-status" style="font-size:85%;color:#57606a">{escape(text)}</span>' if text else ""

    def close(self) -> None:
        """Stop recording and close the bar's widgets."""
        if self.recorder is not None:
            self.recorder.stop()
        super().close()
