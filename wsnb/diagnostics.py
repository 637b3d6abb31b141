"""What a browser hides on purpose: why a connection failed, and the frames.

These are wsnb extras, not part of the WebSocket standard.

A browser's ``error`` event says nothing, and the ``close`` event after a
failure always says 1006: a page must not learn whether a host refused the
connection, answered 403 or spoke bad TLS, because a hostile page could map
a private network that way. A notebook on your own machine has no such
concern, so wsnb keeps the reason in ``WebSocket.failure``, readable after the
error event. Code that must also run in a browser should not rely on it.

The WebSocket API also hides the protocol's control frames (ping, pong,
close). ``WebSocket.frames`` records close frames always, and every frame
when the socket is made with ``record_frames=True``.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field

__all__ = ["Failure", "FrameRecord", "FrameRecords", "Handshake"]


@dataclass(frozen=True)
class Failure:
    """Why a connection failed (a wsnb extra; browsers hide this).

    Attributes:
        kind: A short stable name: ``"refused"``, ``"dns"``, ``"timeout"``,
            ``"tls"``, ``"http-status"``, ``"handshake"``, ``"subprotocol"``,
            ``"extension"``, ``"invalid-utf8"``, ``"protocol-error"``,
            ``"message-too-big"``, ``"connection-lost"``,
            ``"closed-while-connecting"``, ``"loop-ended"`` or ``"network"``.
        message: One sentence for a person.
        status: The HTTP status for ``"http-status"``, else None.
        close_code: The close code wsnb's end sent when it failed the
            connection (1002, 1007, 1009 ...), else None. The script still
            sees 1006, as the standard requires.
        exception: The underlying exception, for debugging.
    """

    kind: str
    message: str
    status: int | None = None
    close_code: int | None = None
    exception: BaseException | None = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@dataclass(frozen=True)
class FrameRecord:
    """One WebSocket frame as it crossed the wire (a wsnb extra).

    Attributes:
        direction: ``"sent"`` or ``"received"``.
        opcode: ``"text"``, ``"binary"``, ``"continuation"``, ``"ping"``,
            ``"pong"`` or ``"close"``.
        size: Payload length in bytes (after decompression).
        fin: Whether this frame ends its message.
        code: For a close frame, its code (1005 when it had none).
        reason: For a close frame, its reason.
        rtt: For a pong that answers one of wsnb's keepalive pings
            (``ping_interval``), the round-trip time in milliseconds.
        time: When the frame was sent or handled, in ms on the clock of
            ``Event.timeStamp`` (``events.performance_now()``), so frames
            interleave with a log's messages and events.
        compressed: The RSV1 bit: the frame's payload was compressed with
            permessage-deflate (only the first frame of a message carries it).
        wire_size: Payload length on the wire (compressed), or None when it
            equals ``size``.

    A client masks every frame it sends and a server never masks one (RFC
    6455, section 5.1): :attr:`masked` is therefore the direction.
    """

    direction: str
    opcode: str
    size: int
    fin: bool = True
    code: int | None = None
    reason: str | None = None
    rtt: float | None = field(default=None, compare=False)
    time: float | None = field(default=None, compare=False)
    compressed: bool = field(default=False, compare=False)
    wire_size: int | None = field(default=None, compare=False)

    @property
    def masked(self) -> bool:
        """Whether the payload was masked: every frame a client sends, none it receives."""
        return self.direction == "sent"

    @property
    def control(self) -> bool:
        """Whether this is a control frame (ping, pong or close), which DevTools often hides."""
        return self.opcode in ("ping", "pong", "close")

    @property
    def wire_length(self) -> int:
        """Payload length on the wire: ``wire_size`` if compressed, else ``size``."""
        return self.size if self.wire_size is None else self.wire_size

    def __str__(self) -> str:
        arrow = ">" if self.direction == "sent" else "<"
        if self.opcode == "close":
            if self.size == 0:
                return f"{arrow} close (no status: reported as {self.code})"
            return f"{arrow} close {self.code} {self.reason!r}"
        rtt = "" if self.rtt is None else f" (round trip {self.rtt:.1f} ms)"
        return f"{arrow} {self.opcode} {self.size} B{'' if self.fin else ' (fragment)'}{rtt}"


class FrameRecords(collections.deque[FrameRecord]):
    """The frames a connection recorded: at most ``maxlen``, the oldest dropped first and counted.

    Attributes:
        dropped: Records dropped to keep within ``maxlen``.
    """

    def __init__(self, maxlen: int) -> None:
        super().__init__(maxlen=maxlen)
        self.dropped = 0

    def append(self, record: FrameRecord) -> None:
        if len(self) == self.maxlen:
            self.dropped += 1
        super().append(record)


@dataclass(frozen=True)
class Handshake:
    """The opening handshake as it crossed the wire (a wsnb extra).

    A browser shows it in DevTools' Network panel, never to scripts: the
    request's headers (``Sec-WebSocket-Key``, ``Origin``, ``Cookie``,
    ``Sec-WebSocket-Protocol``, ``Sec-WebSocket-Extensions``) and the
    server's answer, ``101 Switching Protocols`` with ``Sec-WebSocket-Accept``,
    or the status and body of a refusal.

    Attributes:
        path: The request target: the URL's path and query.
        request_headers: The request's headers, in order, as (name, value).
        status: The response's HTTP status; None when no response came
            (the TCP or TLS connection failed first).
        reason: The response's reason phrase, such as ``"Forbidden"``.
        response_headers: The response's headers, in order.
        body: The body of a refusal (the server's explanation); empty for 101.
    """

    path: str
    request_headers: tuple[tuple[str, str], ...]
    status: int | None = None
    reason: str = ""
    response_headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def request_header(self, name: str) -> str | None:
        """The first request header called ``name`` (any case), or None."""
        return _first(self.request_headers, name)

    def response_header(self, name: str) -> str | None:
        """The first response header called ``name`` (any case), or None."""
        return _first(self.response_headers, name)

    def __str__(self) -> str:
        lines = [f"GET {self.path} HTTP/1.1", *(f"{name}: {value}" for name, value in self.request_headers), ""]
        if self.status is None:
            lines.append("(no response)")
        else:
            lines.append(f"HTTP/1.1 {self.status} {self.reason}".rstrip())
            lines += [f"{name}: {value}" for name, value in self.response_headers]
            if self.body:
                lines += ["", self.body.decode("utf-8", "replace").rstrip("\n")]
        return "\n".join(lines)


def _first(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    lowered = name.lower()
    return next((value for key, value in headers if key.lower() == lowered), None)
