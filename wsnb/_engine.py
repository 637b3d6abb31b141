"""The adapter over websockets: the only module that imports it.

The mirror (``websocket.py``) speaks in bytes, strings, close codes and
``Failure`` records; this module turns them into calls on websockets' public
asyncio client API (``websockets.asyncio.client.connect`` and
``ClientConnection``) and turns websockets' exceptions back into plain data,
so that no engine exception or state ever leaks to a script.

Two things reach past that API, both kept here and both tested: the moment
the server's Close frame arrives (``_ClientConnection``, for readyState
CLOSING), and taking whole messages from websockets' frame queue without a
``recv()`` each (``_frame_queue``, for throughput).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    NegotiationError,
    SecurityError,
)
from websockets.frames import Frame, Opcode
from websockets.typing import Subprotocol

from .diagnostics import Failure, FrameRecord

__all__ = ["ClosedInfo", "EngineConnection", "EngineOptions", "open_connection"]

log = logging.getLogger("wsnb.engine")


@dataclass(frozen=True)
class EngineOptions:
    """Connection settings beyond the browser API (wsnb extras).

    Browsers choose these themselves; a notebook may want to change them.

    Attributes:
        headers: Extra HTTP headers for the opening handshake (a mapping or a
            list of pairs), for example an ``Authorization`` header.
        origin: The ``Origin`` header to send; None sends none (a browser
            always sends the page's origin).
        ssl: An ``ssl.SSLContext`` for wss URLs (a self-signed test server,
            a client certificate); None uses the system's defaults.
        max_size: The largest message accepted, in bytes; a larger one fails
            the connection with 1009. None means no limit. Browsers have no
            fixed limit; the default, 64 MiB, keeps a runaway server from
            filling a notebook's memory.
        max_queue: How many received frames may wait for dispatch before
            wsnb stops reading from the network (backpressure towards the
            server). The default, 128, lets a fast stream of small messages
            flow without pausing the socket every few frames; lower it when
            messages are large.
        compression: ``"deflate"`` offers permessage-deflate, as browsers do;
            None offers no extension.
        open_timeout: Seconds allowed for the TCP, TLS and HTTP handshakes.
        close_timeout: Seconds to wait for the closing handshake to finish.
        ping_interval: Seconds between protocol-level pings sent by wsnb, or
            None (the default, like a browser) for none. Pings from the
            server are always answered.
        ping_timeout: Seconds to wait for a pong before failing.
        user_agent: The ``User-Agent`` header; None sends none.
        record_frames: Record every frame in ``WebSocket.frames`` (costs
            time per frame; close frames are always recorded).
        proxy: As websockets' ``proxy``: True follows the system's proxy
            settings, None connects directly, a URL uses that proxy.
    """

    headers: Mapping[str, str] | list[tuple[str, str]] | None = None
    origin: str | None = None
    ssl: ssl.SSLContext | None = None
    max_size: int | None = 64 * 2**20
    max_queue: int = 128
    compression: str | None = "deflate"
    open_timeout: float | None = 10.0
    close_timeout: float | None = 10.0
    ping_interval: float | None = None
    ping_timeout: float | None = 20.0
    user_agent: str | None = "wsnb (Python; websockets)"
    record_frames: bool = False
    proxy: Any = True

    @classmethod
    def from_keywords(cls, options: Mapping[str, Any]) -> EngineOptions:
        """Build options from the constructor's keywords, naming any unknown one."""
        known = cls.__dataclass_fields__
        unknown = [name for name in options if name not in known]
        if unknown:
            raise TypeError(
                f"unknown WebSocket option(s): {', '.join(sorted(unknown))}; "
                f"known options are {', '.join(known)}"
            )
        made = cls(**options)
        if made.compression not in ("deflate", None):
            raise ValueError(f"compression must be 'deflate' or None, not {made.compression!r}")
        if made.ssl is not None and not isinstance(made.ssl, ssl.SSLContext):
            raise TypeError(f"ssl must be an ssl.SSLContext, not {made.ssl.__class__.__name__}")
        return made


@dataclass(frozen=True)
class ClosedInfo:
    """How a connection ended, as plain data.

    Attributes:
        rcvd_code: Code of the Close frame received (1005: it had none), or
            None when none was received.
        rcvd_reason: Reason of the Close frame received.
        sent_code: Code of the Close frame sent, or None.
        failure: Set when the connection ended by failing (wsnb's end failed
            it, or the TCP connection was lost), None after a closing
            handshake the script or the server started on purpose.
    """

    rcvd_code: int | None
    rcvd_reason: str
    sent_code: int | None
    failure: Failure | None
    frames: list[FrameRecord] = field(default_factory=list)


class _FrameRecorder(logging.Handler):
    """Collect the frames websockets logs at DEBUG level for one connection."""

    def __init__(self, frames: list[FrameRecord]) -> None:
        super().__init__(logging.DEBUG)
        self.frames = frames

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if isinstance(args, tuple) and len(args) == 1 and isinstance(args[0], Frame):
            direction = "sent" if record.msg.startswith(">") else "received"
            self.frames.append(frame_record(direction, args[0]))
        elif record.levelno >= logging.WARNING:
            logging.getLogger("websockets.client").handle(record)


_TEXT, _BINARY = Opcode.TEXT, Opcode.BINARY

_OPCODE_NAMES = {
    Opcode.CONT: "continuation",
    Opcode.TEXT: "text",
    Opcode.BINARY: "binary",
    Opcode.CLOSE: "close",
    Opcode.PING: "ping",
    Opcode.PONG: "pong",
}


def frame_record(direction: str, frame: Frame) -> FrameRecord:
    """Describe a websockets Frame as a FrameRecord."""
    opcode = _OPCODE_NAMES[frame.opcode]
    if opcode == "close":
        data = frame.data
        code = int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005
        reason = bytes(data[2:]).decode("utf-8", "replace")
        return FrameRecord(direction, opcode, len(data), frame.fin, code, reason)
    return FrameRecord(direction, opcode, len(frame.data), frame.fin)


class _Connect(connect):
    """websockets' connect, except that a redirect fails the connection.

    The WHATWG standard fetches the handshake with redirect mode "error": a
    3xx answer fails the connection instead of being followed.
    """

    def process_redirect(self, exc: Exception) -> Exception | str:
        return exc


class _ClientConnection(ClientConnection):
    """websockets' ClientConnection, also telling wsnb when the peer's Close frame arrives.

    The WHATWG standard sets readyState to CLOSING when the closing handshake
    starts, including when the *server* starts it with a Close frame.
    websockets reports the end of the connection only once the TCP
    connection is closed, so wsnb watches the incoming data: after each read
    (not each frame, so a fast stream pays nothing per message) it checks
    whether the Close frame has arrived. websockets' ``connect`` takes this
    class through its ``create_connection`` argument, which exists for such
    customisation.
    """

    _close_frame_callback: Callable[[int, str], None] | None = None

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._close_frame_callback is not None and self.protocol.close_rcvd is not None:
            self._report_close_frame()

    def _report_close_frame(self) -> None:
        callback, self._close_frame_callback = self._close_frame_callback, None
        close = self.protocol.close_rcvd
        assert callback is not None and close is not None
        # Queued, not called: messages that arrived before the Close frame
        # were handed to the reader first and are dispatched before it.
        self.loop.call_soon(callback, int(close.code), close.reason)


async def open_connection(url: str, protocols: list[str], options: EngineOptions) -> EngineConnection:
    """Open a WebSocket connection; raise an ``EngineFailure`` if it fails."""
    frames: list[FrameRecord] = []
    logger: logging.Logger | None = None
    if options.record_frames:
        logger = logging.Logger("wsnb.frames", logging.DEBUG)
        logger.propagate = False
        logger.addHandler(_FrameRecorder(frames))
    # websockets makes its own default TLS context for wss URLs, but only
    # when ssl is not passed at all.
    tls: dict[str, Any] = {} if options.ssl is None else {"ssl": options.ssl}
    try:
        conn = await _Connect(
            url,
            subprotocols=[Subprotocol(p) for p in protocols] or None,
            additional_headers=options.headers,
            origin=options.origin,  # type: ignore[arg-type]
            compression=options.compression,
            max_size=options.max_size,
            max_queue=options.max_queue,
            open_timeout=options.open_timeout,
            close_timeout=options.close_timeout,
            ping_interval=options.ping_interval,
            ping_timeout=options.ping_timeout,
            user_agent_header=options.user_agent,
            proxy=options.proxy,
            logger=logger,
            create_connection=_ClientConnection,
            **tls,
        )
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        raise EngineFailure(failure_from_handshake(exc)) from exc
    if protocols and conn.subprotocol is None:
        # The standard (unlike RFC 6455) fails the connection when the client
        # offered subprotocols and the server's answer names none.
        conn.transport.abort()
        raise EngineFailure(Failure(
            "subprotocol",
            f"the server selected no subprotocol, but the client offered {', '.join(protocols)}",
        ))
    assert isinstance(conn, _ClientConnection)
    return EngineConnection(conn, frames)


class EngineFailure(Exception):
    """Raised by open_connection with the Failure that describes why."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure)
        self.failure = failure


def failure_from_handshake(exc: BaseException) -> Failure:
    """Explain an exception raised while opening a connection."""
    if isinstance(exc, InvalidStatus):
        code = exc.response.status_code
        return Failure("http-status", f"the server answered the handshake with HTTP {code} {exc.response.reason_phrase}".rstrip(), status=code, exception=exc)
    if isinstance(exc, NegotiationError):
        text = str(exc)
        kind = "subprotocol" if "subprotocol" in text else "extension"
        return Failure(kind, text, exception=exc)
    if isinstance(exc, SecurityError) and "redirect" in str(exc):
        return Failure("handshake", "the server redirected the handshake; WebSocket connections do not follow redirects", exception=exc)
    if isinstance(exc, InvalidHandshake):
        text = str(exc)
        status: int | None = None
        response = getattr(exc, "response", None)
        if response is not None and getattr(response, "status_code", None):
            status = response.status_code
            if 300 <= status < 400:
                return Failure("http-status", f"the server answered the handshake with a redirect (HTTP {status}); WebSocket connections do not follow redirects", status=status, exception=exc)
        return Failure("handshake", f"the opening handshake failed: {text}", status=status, exception=exc)
    if isinstance(exc, ssl.SSLError):
        return Failure("tls", f"the TLS handshake failed: {exc.reason or exc}", exception=exc)
    if isinstance(exc, ConnectionRefusedError):
        return Failure("refused", "the host refused the TCP connection (nothing listens on that port)", exception=exc)
    if isinstance(exc, socket.gaierror):
        return Failure("dns", f"the host name could not be resolved: {exc.strerror}", exception=exc)
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return Failure("timeout", "the opening handshake did not finish within open_timeout", exception=exc)
    if isinstance(exc, OSError):
        return Failure("network", f"the TCP connection failed: {exc.strerror or exc}", exception=exc)
    return Failure("network", f"the connection failed: {exc!r}", exception=exc)


def _failure_from_close(exc: ConnectionClosed, closing: bool) -> Failure | None:
    """Return the Failure behind a closed connection, or None for a clean close."""
    rcvd, sent = exc.rcvd, exc.sent
    cause = exc.__cause__
    if rcvd is None:
        if sent is not None and not closing:
            return _local_failure(sent.code, sent.reason, cause)
        if closing and sent is not None:
            return Failure("connection-lost", "the server dropped the TCP connection before answering the Close frame", exception=cause)
        return Failure("connection-lost", "the TCP connection was lost without a closing handshake", exception=cause)
    if sent is None:
        return Failure("connection-lost", "the TCP connection ended before wsnb could answer the server's Close frame", exception=cause)
    if exc.rcvd_then_sent is False and not closing:
        # wsnb's end sent the first Close frame without the script asking:
        # the engine failed the connection (protocol error, bad UTF-8 ...).
        return _local_failure(sent.code, sent.reason, cause)
    return None


def _local_failure(code: int, reason: str, cause: BaseException | None) -> Failure:
    code = int(code)  # websockets' own CloseCode enum must not leak out
    if code == 1007:
        return Failure("invalid-utf8", f"a text message was not valid UTF-8 ({reason})", close_code=code, exception=cause)
    if code == 1009:
        return Failure("message-too-big", f"a message was larger than max_size ({reason})", close_code=code, exception=cause)
    if code == 1011 and "keepalive" in reason:
        return Failure("timeout", "the server did not answer a ping in time", close_code=code, exception=cause)
    if code == 1006:
        return Failure("connection-lost", "the TCP connection was lost without a closing handshake", exception=cause)
    return Failure("protocol-error", f"the server broke the WebSocket protocol ({reason or code})", close_code=code, exception=cause)


def _frame_queue(conn: ClientConnection) -> tuple[Any, Any]:
    """Return websockets' message assembler and its queue of received frames, or (None, ()).

    Not public websockets API: ``recv_messages`` (an ``Assembler``) and its
    ``frames.queue`` (a deque of data frames), as in websockets 15 to 17.
    If a version lacks them, the pump uses ``recv()`` alone: slower, with
    the same messages in the same order.
    """
    assembler = getattr(conn, "recv_messages", None)
    queue = getattr(getattr(assembler, "frames", None), "queue", None)
    if isinstance(queue, collections.deque) and callable(getattr(assembler, "maybe_resume", None)):
        return assembler, queue
    return None, ()


class EngineConnection:
    """One open connection, as the mirror needs it."""

    __slots__ = ("_conn", "_assembler", "_queued", "frames", "subprotocol", "extensions")

    def __init__(self, conn: _ClientConnection, frames: list[FrameRecord]) -> None:
        self._conn = conn
        self.frames = frames
        self._assembler, self._queued = _frame_queue(conn)
        self.subprotocol: str = conn.subprotocol or ""
        response = conn.response
        self.extensions: str = ""
        if response is not None:
            self.extensions = ", ".join(response.headers.get_all("Sec-WebSocket-Extensions"))

    def on_close_frame(self, callback: Callable[[int, str], None]) -> None:
        """Call ``callback(code, reason)`` once, soon after the peer's Close frame arrives.

        The code is 1005 for a Close frame without a status. If the frame
        arrived already, the call is queued at once. The callback runs
        after the messages received before the frame are handed to
        ``pump``'s ``on_message``.
        """
        self._conn._close_frame_callback = callback
        if self._conn.protocol.close_rcvd is not None:
            self._conn._report_close_frame()

    @property
    def takes_queued_frames(self) -> bool:
        """Whether ``pump`` takes whole messages straight from websockets' frame queue."""
        return self._assembler is not None

    async def pump(self, on_message: Callable[[str | bytes], None], closing: Callable[[], bool]) -> ClosedInfo:
        """Pass every received message to ``on_message``, in order, until the connection closes.

        ``closing()`` tells whether the script asked to close, which decides
        whether an engine-initiated close counts as a failure.

        After each ``recv()``, the messages that already wait whole in
        websockets' frame queue (one frame each: the common case) are taken
        from it directly, as ``recv()`` would return them, without a
        ``recv()`` call each: those calls cost as much per message as all of
        wsnb's dispatch. A fragmented message, or text that is not valid
        UTF-8, is left to ``recv()``, which assembles the one and fails the
        connection for the other.
        """
        recv = self._conn.recv
        assembler, queued = self._assembler, self._queued
        try:
            while True:
                on_message(await recv())
                while queued:
                    frame = queued[0]
                    opcode = frame.opcode
                    if not frame.fin or (opcode is not _TEXT and opcode is not _BINARY):
                        break
                    data = frame.data
                    if data.__class__ is not bytes:
                        data = bytes(data)
                    if opcode is _TEXT:
                        try:
                            data = data.decode()
                        except UnicodeDecodeError:
                            break
                    queued.popleft()
                    assembler.maybe_resume()
                    on_message(data)
        except ConnectionClosed as exc:
            return self._closed_info(exc, closing())

    def _closed_info(self, exc: ConnectionClosed, closing: bool) -> ClosedInfo:
        rcvd, sent = exc.rcvd, exc.sent
        if not self.frames or self.frames[-1].opcode != "close":
            # Without record_frames, still keep the close frames.
            order = [("sent", sent), ("received", rcvd)] if not exc.rcvd_then_sent else [("received", rcvd), ("sent", sent)]
            for direction, close in order:
                if close is not None:
                    self.frames.append(FrameRecord(direction, "close", 0 if close.code == 1005 else 2 + len(close.reason.encode()), True, int(close.code), close.reason))
        return ClosedInfo(
            rcvd_code=int(rcvd.code) if rcvd is not None else None,
            rcvd_reason=rcvd.reason if rcvd is not None else "",
            sent_code=int(sent.code) if sent is not None else None,
            failure=_failure_from_close(exc, closing),
        )

    async def send(self, payload: bytes, text: bool) -> bool:
        """Send one message; return False if the connection closed first."""
        try:
            await self._conn.send(payload, text=text)
        except ConnectionClosed:
            return False
        return True

    async def close(self, code: int | None, reason: str) -> None:
        """Start the closing handshake (code None: a Close frame with no status)."""
        await self._conn.close(code, reason)  # type: ignore[arg-type]

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake."""
        self._conn.transport.abort()

    async def wait_closed(self) -> None:
        """Wait until the TCP connection is closed."""
        await self._conn.wait_closed()
