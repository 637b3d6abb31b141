"""A WebSocket session as HAR, the format DevTools export: record it, save it, load one, replay it.

Chrome's DevTools save a page's network activity as a HAR file (HTTP
Archive 1.2). A WebSocket is one entry: the opening handshake as its
request and response, ``"_resourceType": "websocket"``, and every message
in ``"_webSocketMessages"`` as ``{"type": "send" | "receive", "time":
seconds since the epoch, "opcode": 1 (text) | 2 (binary), "data": text, or
base64 for binary}``. wsnb writes the same, so a session recorded in a
notebook opens in a HAR viewer, and a HAR saved by Chrome loads here::

    recorder = HarRecorder(ws)          # right after the constructor
    ...                                 # use the socket
    recorder.save("session.har")

    session = load_har("session.har")[0]
    result = await replay(session, server.url)   # the client's messages, with their timing
    result.same                                  # did the server answer as recorded?

Only messages are recorded: browsers put no ping, pong or close frame in
``_webSocketMessages`` either.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import __version__
from .codes import ReadyState
from .events import MessageEvent
from .websocket import WebSocket

__all__ = ["HarMessage", "HarRecorder", "HarSession", "ReplayResult", "har_document", "load_har", "replay"]

TEXT, BINARY = 1, 2
"""The opcodes of ``_webSocketMessages``: a text or a binary message."""


@dataclass(frozen=True)
class HarMessage:
    """One message of a session, as ``_webSocketMessages`` holds it.

    Attributes:
        type: ``"send"`` (from the client) or ``"receive"``.
        time: When, in seconds since the epoch.
        opcode: 1 for text, 2 for binary.
        data: The text, or the bytes base64-encoded.
    """

    type: str
    time: float
    opcode: int
    data: str

    @property
    def payload(self) -> str | bytes:
        """The message as the socket saw it: ``str`` for text, ``bytes`` for binary."""
        return self.data if self.opcode == TEXT else base64.b64decode(self.data)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "time": self.time, "opcode": self.opcode, "data": self.data}

    @classmethod
    def of(cls, type: str, payload: str | bytes, when: float) -> HarMessage:
        """A message from a payload: text stays text, bytes become base64."""
        if isinstance(payload, str):
            return cls(type, when, TEXT, payload)
        return cls(type, when, BINARY, base64.b64encode(payload).decode("ascii"))


@dataclass
class HarSession:
    """One WebSocket entry of a HAR file.

    Attributes:
        url: The socket's URL.
        messages: Its messages, in order.
        started: When the handshake started, as HAR writes it (ISO 8601).
        status: The handshake response's HTTP status (101 for an opened socket).
        request_headers: The handshake request's headers, as (name, value).
        response_headers: The handshake response's headers.
    """

    url: str
    messages: list[HarMessage] = field(default_factory=list)
    started: str = ""
    status: int = 0
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    response_headers: list[tuple[str, str]] = field(default_factory=list)

    def sent(self) -> list[str | bytes]:
        """What the client sent, in order."""
        return [message.payload for message in self.messages if message.type == "send"]

    def received(self) -> list[str | bytes]:
        """What the client received, in order."""
        return [message.payload for message in self.messages if message.type == "receive"]


class HarRecorder:
    """Record a socket's handshake and every message it sends and receives, for HAR.

    Make it right after the socket's constructor: it records from then on.
    A message that ``send()`` drops (the socket was CLOSING or CLOSED) is not
    recorded, as it never went out.

    Args:
        ws: A ``wsnb.WebSocket``.
    """

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.started = time.time()
        self.messages: list[HarMessage] = []
        ws.watch_calls(self._on_call)
        ws.addEventListener("message", self._on_message)

    def stop(self) -> None:
        """Stop recording (what was recorded stays)."""
        self.ws.unwatch_calls(self._on_call)
        self.ws.removeEventListener("message", self._on_message)

    def resume(self) -> None:
        """Record again after :meth:`stop`, into the same session (the gap is simply not recorded)."""
        self.stop()  # never subscribed twice
        self.ws.watch_calls(self._on_call)
        self.ws.addEventListener("message", self._on_message)

    def _on_call(self, call: str, *details: Any) -> None:
        if call != "send":
            return
        payload, is_text, ready_state = details
        if ready_state is ReadyState.OPEN:
            self.messages.append(HarMessage.of("send", payload.decode("utf-8") if is_text else bytes(payload), time.time()))

    def _on_message(self, event: MessageEvent) -> None:
        data = event.data  # str, bytes, or a Blob
        self.messages.append(HarMessage.of("receive", data if isinstance(data, str) else bytes(data), time.time()))

    def session(self) -> HarSession:
        """What was recorded, as a :class:`HarSession`."""
        handshake = self.ws.handshake
        return HarSession(
            url=self.ws.url,
            messages=list(self.messages),
            started=datetime.fromtimestamp(self.started, timezone.utc).isoformat(timespec="milliseconds"),
            status=(handshake.status or 0) if handshake is not None else 0,
            request_headers=list(handshake.request_headers) if handshake is not None else [],
            response_headers=list(handshake.response_headers) if handshake is not None else [],
        )

    def to_har(self) -> dict[str, Any]:
        """The session as a HAR 1.2 document (a dict ready for ``json.dump``)."""
        return har_document([self.session()])

    def save(self, path: str | Path) -> Path:
        """Write the HAR document to ``path`` (UTF-8 JSON); return the path."""
        target = Path(path)
        target.write_text(json.dumps(self.to_har(), indent=1), encoding="utf-8")
        return target


def har_document(sessions: Iterable[HarSession]) -> dict[str, Any]:
    """A HAR 1.2 document with one WebSocket entry per session, as Chrome writes them."""
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "wsnb", "version": __version__},
            "pages": [],
            "entries": [_entry(session) for session in sessions],
        }
    }


def _entry(session: HarSession) -> dict[str, Any]:
    http_url = "http" + session.url[2:] if session.url.startswith("ws") else session.url
    last = session.messages[-1].time if session.messages else None
    # DevTools write "…Z", which datetime.fromisoformat reads only from Python 3.11.
    first = datetime.fromisoformat(session.started.replace("Z", "+00:00")).timestamp() if session.started else None
    duration = (last - first) * 1000 if last is not None and first is not None else 0
    return {
        "startedDateTime": session.started,
        "time": duration,
        "request": {
            "method": "GET",
            "url": http_url,
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": name, "value": value} for name, value in session.request_headers],
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": session.status,
            "statusText": "Switching Protocols" if session.status == 101 else "",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": name, "value": value} for name, value in session.response_headers],
            "cookies": [],
            "content": {"size": 0, "mimeType": "x-unknown"},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": 0,
        },
        "cache": {},
        "timings": {"send": 0, "wait": 0, "receive": duration},
        "_resourceType": "websocket",
        "_webSocketMessages": [message.to_json() for message in session.messages],
    }


def load_har(source: str | Path | dict[str, Any]) -> list[HarSession]:
    """The WebSocket entries of a HAR document (a path or the parsed dict), from wsnb or from DevTools.

    Entries that are not WebSockets (the page's other requests) are skipped.

    Raises:
        ValueError: If it is not a HAR document, or a WebSocket message is malformed, saying where.
    """
    document = source if isinstance(source, dict) else json.loads(Path(source).read_text(encoding="utf-8"))
    try:
        entries = document["log"]["entries"]
    except (KeyError, TypeError):
        raise ValueError("not a HAR document: it has no log.entries") from None
    sessions = []
    for index, entry in enumerate(entries):
        raw = entry.get("_webSocketMessages")
        if raw is None and entry.get("_resourceType") != "websocket":
            continue
        request, response = entry.get("request", {}), entry.get("response", {})
        url = request.get("url", "")
        if url.startswith("http"):
            url = "ws" + url[4:]
        messages = []
        for number, message in enumerate(raw or []):
            try:
                kind, when, opcode, data = message["type"], float(message["time"]), int(message["opcode"]), message["data"]
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"entry {index}, message {number}: expected type, time, opcode and data") from None
            if kind not in ("send", "receive") or opcode not in (TEXT, BINARY) or not isinstance(data, str):
                raise ValueError(f"entry {index}, message {number}: type {kind!r}, opcode {opcode!r} is not a message")
            messages.append(HarMessage(kind, when, opcode, data))
        sessions.append(HarSession(
            url=url,
            messages=messages,
            started=entry.get("startedDateTime", ""),
            status=int(response.get("status", 0) or 0),
            request_headers=[(h["name"], h["value"]) for h in request.get("headers", [])],
            response_headers=[(h["name"], h["value"]) for h in response.get("headers", [])],
        ))
    return sessions


@dataclass
class ReplayResult:
    """What a replay sent and what came back, against the recording.

    Attributes:
        sent: What the replay sent (the recording's client messages).
        expected: What the recording received.
        received: What the replay received.
    """

    sent: list[str | bytes]
    expected: list[str | bytes]
    received: list[str | bytes]

    @property
    def same(self) -> bool:
        """Whether the server answered the replay exactly as recorded."""
        return self.received == self.expected

    def differences(self) -> list[tuple[int, str | bytes | None, str | bytes | None]]:
        """``(index, expected, received)`` for each reply that differs (None where one is missing)."""
        pairs = itertools.zip_longest(self.expected, self.received)
        return [(index, left, right) for index, (left, right) in enumerate(pairs) if left != right]


async def replay(
    session: HarSession,
    url: str | None = None,
    *,
    speed: float = 1.0,
    timeout: float = 30.0,
    **options: Any,
) -> ReplayResult:
    """Send a recorded session's client messages again, with their timing, and collect the replies.

    Args:
        session: A recorded or loaded session.
        url: Where to replay it; the recorded URL by default.
        speed: How much faster than recorded to go (2.0: twice as fast; the
            pauses between messages shrink, the order stays).
        timeout: Seconds to wait for the open event and, after the last
            send, for as many replies as were recorded.
        **options: Passed to ``WebSocket`` (``headers``, ``ssl``, ...).

    Raises:
        TimeoutError: If the socket does not open in time.
    """
    if not speed > 0:
        raise ValueError(f"speed must be above 0, not {speed!r}")
    ws = WebSocket(url or session.url, **options)
    ws.binaryType = "arraybuffer"  # binary replies as bytes, to compare with the recording
    replies = ws.record("message")
    await ws.wait_for("open", timeout=timeout)
    outgoing = [message for message in session.messages if message.type == "send"]
    start = outgoing[0].time if outgoing else 0.0
    began = asyncio.get_running_loop().time()
    for message in outgoing:
        delay = (message.time - start) / speed - (asyncio.get_running_loop().time() - began)
        if delay > 0:
            await asyncio.sleep(delay)  # the recorded pace, not a wait for an event
        ws.send(message.payload)
    expected = session.received()
    try:
        if expected:
            await replies.wait(len(expected), timeout=timeout)
    except (TimeoutError, asyncio.TimeoutError):
        pass  # fewer replies than recorded: the result shows which
    finally:
        ws.close()
        await ws.wait_for("close", timeout=timeout)
    received = [data if isinstance(data, str) else bytes(data) for data in replies.data]
    return ReplayResult(sent=[message.payload for message in outgoing], expected=expected, received=received)
