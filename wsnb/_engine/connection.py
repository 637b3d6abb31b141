"""One WebSocket connection: an ``asyncio.Protocol`` driving websockets' Sans-I/O ``ClientProtocol``.

The browser API is push-based, and so is an ``asyncio.Protocol``: each
``data_received`` feeds websockets' ``receive_data()``, and every event
``events_received()`` returns is handled at once, in order:

- the handshake's ``Response`` completes (or fails) the opening handshake;
- a whole message (one frame, or fragments joined) is handed to the mirror
  (``on_message``), text decoded from UTF-8 (invalid UTF-8 fails the
  connection with 1007, as a browser does);
- the server's Close frame is reported (``on_close_frame``), after the
  messages that came before it: the moment readyState becomes CLOSING;
- pings are answered by websockets itself; pongs answer wsnb's keepalive.

What ``data_to_send()`` returns is written to the transport at once.
Every frame can be recorded as a ``FrameRecord`` (``record_frames``; close
frames always), with no logging and no cost when not recorded.

Only websockets' public API is used: ``ClientProtocol`` and its documented
methods and attributes, ``Frame``, ``Close``, ``Opcode``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from websockets.client import ClientProtocol
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State

from .. import loop as _loop
from ..diagnostics import Failure, FrameRecord, FrameRecords, Handshake
from ..clock import performance_now
from .failures import failure_from_close
from .wiretap import WireTap

__all__ = ["ClosedInfo", "EngineConnection"]

_TEXT, _BINARY, _CONT = Opcode.TEXT, Opcode.BINARY, Opcode.CONT
_PING, _PONG, _CLOSE = Opcode.PING, Opcode.PONG, Opcode.CLOSE
_OPEN = State.OPEN

_OPCODE_NAMES = {
    Opcode.CONT: "continuation",
    Opcode.TEXT: "text",
    Opcode.BINARY: "binary",
    Opcode.CLOSE: "close",
    Opcode.PING: "ping",
    Opcode.PONG: "pong",
}

WRITE_LIMIT = 2**15
"""Bytes the transport may buffer before ``send()`` waits for it to drain (websockets' default)."""

_MESSAGE, _CLOSE_FRAME = 0, 1


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


def _close_record(direction: str, close: Close) -> FrameRecord:
    code = int(close.code)
    size = 0 if code == 1005 else 2 + len(close.reason.encode())
    return FrameRecord(direction, "close", size, True, code, close.reason, time=performance_now())


class EngineConnection(asyncio.Protocol):
    """The asyncio side of one connection, and what the mirror calls on it.

    Made by ``open_connection``, which completes the opening handshake
    (``handshake``) before handing the connection to the mirror. Until the
    mirror calls :meth:`pump`, received messages and the Close frame are
    kept in order, so that none is lost or reordered between the handshake
    and the ``open`` event.

    Attributes:
        protocol: websockets' ``ClientProtocol``.
        frames: The frames recorded (every frame with ``record_frames``,
            else the close frames).
        subprotocol: The subprotocol the server chose, "" if none.
        extensions: The ``Sec-WebSocket-Extensions`` the server answered.
        handshake: Resolved with the server's response, or failed with why
            the opening handshake did not complete.
    """

    def __init__(
        self,
        protocol: ClientProtocol,
        request: Any,
        *,
        record_frames: bool,
        close_timeout: float | None,
        ping_interval: float | None,
        ping_timeout: float | None,
        wire_tap: WireTap | None = None,
        max_frames: int = 100_000,
    ) -> None:
        self.protocol = protocol
        self._tap = wire_tap
        self.frames = FrameRecords(max_frames)
        self.subprotocol = ""
        self.extensions = ""
        self._request = request
        self._record_all = record_frames
        self._close_timeout = close_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._loop = asyncio.get_running_loop()
        self.handshake: asyncio.Future[Response] = self._loop.create_future()
        self.response: Response | None = None  # the server's answer, once read, accepted or not
        self.handshake_record: Handshake | None = None  # set by open_connection once open
        # Read the outcome even if nobody awaits it (open_timeout cancelled
        # the wait): a failed handshake is reported once, by open_connection.
        self.handshake.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._lost: asyncio.Future[None] = self._loop.create_future()
        self._transport: asyncio.Transport | None = None
        self._on_message: Callable[[str | bytes], None] | None = None
        self._on_close_frame: Callable[[int, str], None] | None = None
        self._pending: list[tuple[int, Any]] | None = []
        self._parts: list[bytes] = []
        self._fragmented_text = False
        self._paused = False
        self._drained = _loop.Waiters(self._loop)  # drain(): the transport's buffer below its limit
        self._cause: BaseException | None = None
        self._failing = False
        self._close_timer: asyncio.TimerHandle | None = None
        self._close_recorded = {"sent": False, "received": False}
        # Payload of each keepalive ping waiting for its pong: (waiter, loop time sent).
        self._pings: dict[bytes, tuple[asyncio.Future[None], float]] = {}
        self._keepalive: asyncio.Task[None] | None = None

    # -- asyncio.Protocol ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.set_write_buffer_limits(WRITE_LIMIT)
        self.protocol.send_request(self._request)
        self._send_data()

    def data_received(self, data: bytes) -> None:
        protocol = self.protocol
        protocol.receive_data(data)
        events = protocol.events_received()
        self._send_data()
        # The common case inline: a whole text or binary message, not
        # recorded, dispatched straight to the mirror.
        on_message = self._on_message if not self._record_all else None
        for event in events:
            if event.__class__ is not Frame:
                self._response(event)  # type: ignore[arg-type]
                continue
            frame: Frame = event
            payload = frame.data  # a bytearray as websockets parses it
            if on_message is not None and frame.fin and not self._failing and not isinstance(payload, memoryview):
                opcode = frame.opcode
                if opcode is _TEXT:
                    try:
                        text = payload.decode()
                    except UnicodeDecodeError:
                        self._frame(frame)  # fails the connection with 1007
                        continue
                    on_message(text)
                    continue
                if opcode is _BINARY:
                    on_message(bytes(payload))
                    continue
            self._frame(frame)
        if protocol.close_expected():
            self._expect_close()

    def eof_received(self) -> None:
        protocol = self.protocol
        protocol.receive_eof()
        for event in protocol.events_received():  # only a handshake response read to EOF
            if isinstance(event, Response):
                self._response(event)
        self._send_data()

    def connection_lost(self, exc: Exception | None) -> None:
        self.protocol.receive_eof()  # idempotent: the protocol's state becomes CLOSED
        if self._cause is None:
            self._cause = exc
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        if self._keepalive is not None:
            self._keepalive.cancel()
            self._keepalive = None
        for waiter, _ in self._pings.values():
            if not waiter.done():
                waiter.cancel()
        self._drained.wake()
        if not self.handshake.done():
            why = self.protocol.handshake_exc or exc or ConnectionResetError(
                "the server closed the connection during the opening handshake"
            )
            self.handshake.set_exception(why)
        if not self._lost.done():
            self._lost.set_result(None)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._drained.wake()

    # -- Receiving -------------------------------------------------------------

    def _response(self, response: Response) -> None:
        if self.handshake.done():
            return
        self.response = response
        protocol = self.protocol
        if protocol.handshake_exc is not None:
            self.handshake.set_exception(protocol.handshake_exc)
            return
        # websockets checked both headers against what was offered.
        self.subprotocol = response.headers.get("Sec-WebSocket-Protocol", "")
        self.extensions = ", ".join(response.headers.get_all("Sec-WebSocket-Extensions"))
        self.handshake.set_result(response)
        if self._ping_interval is not None:
            self._keepalive = self._loop.create_task(self._keep_alive(self._ping_interval))

    def _frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if self._record_all:  # nothing more per frame when not recording
            tap = self._tap  # one entry per frame received, pongs included
            wire = tap.received.popleft() if tap is not None and tap.received else (False, 0)
            if opcode is not _PONG:
                self._record("received", frame, wire)
        if opcode is _TEXT or opcode is _BINARY:
            data = frame.data
            if frame.fin:
                if opcode is _TEXT:
                    self._deliver_text(data)
                else:
                    self._deliver(data if data.__class__ is bytes else bytes(data))
            else:
                self._parts = [bytes(data)]
                self._fragmented_text = opcode is _TEXT
        elif opcode is _CONT:
            self._parts.append(bytes(frame.data))
            if frame.fin:
                whole, self._parts = b"".join(self._parts), []
                if self._fragmented_text:
                    self._deliver_text(whole)
                else:
                    self._deliver(whole)
        elif opcode is _PING:
            if self._record_all:  # websockets answered it with a pong
                self.frames.append(FrameRecord("sent", "pong", len(frame.data), True, time=performance_now()))
        elif opcode is _PONG:
            ping = self._pings.pop(bytes(frame.data), None)
            rtt = None
            if ping is not None:
                waiter, sent_at = ping
                rtt = (self._loop.time() - sent_at) * 1000.0
                if not waiter.done():
                    waiter.set_result(None)
            if self._record_all:
                self.frames.append(
                    FrameRecord("received", "pong", len(frame.data), True, rtt=rtt, time=performance_now())
                )
        elif opcode is _CLOSE:
            self._closing_frames(frame)

    def _deliver_text(self, data: Any) -> None:
        try:
            text = data.decode() if data.__class__ is bytes else bytes(data).decode()
        except UnicodeDecodeError as exc:
            self._fail(1007, f"{exc.reason} at position {exc.start}", exc)
            return
        self._deliver(text)

    def _deliver(self, data: str | bytes) -> None:
        # Not the protocol's state: it is CLOSING already when messages read
        # together with the server's Close frame are handled, and those were
        # sent before the Close frame.
        if self._failing:
            return  # wsnb failed the connection: nothing after that is delivered
        on_message = self._on_message
        if on_message is not None:
            on_message(data)
        else:
            assert self._pending is not None
            self._pending.append((_MESSAGE, data))

    def _closing_frames(self, frame: Frame) -> None:
        """Record the Close frames (the server's, and websockets' answer) and report the server's."""
        received = Close.parse(frame.data)  # 1005 for a Close frame without a status
        if not self._record_all:
            self._record_close("received", received)
        if not self._close_recorded["sent"]:
            self._record_close("sent", received)  # websockets echoed it, as RFC 6455 asks
        code, reason = int(received.code), received.reason
        on_close_frame = self._on_close_frame
        if on_close_frame is not None:
            on_close_frame(code, reason)
        elif self._pending is not None:
            self._pending.append((_CLOSE_FRAME, (code, reason)))

    # -- Frames ----------------------------------------------------------------

    def _record(self, direction: str, frame: Frame, wire: tuple[bool, int] = (False, 0)) -> None:
        opcode = _OPCODE_NAMES[frame.opcode]
        if opcode == "close":
            self._record_close(direction, Close.parse(frame.data))
        else:
            compressed, wire_size = wire
            self.frames.append(FrameRecord(
                direction, opcode, len(frame.data), frame.fin, time=performance_now(),
                compressed=compressed, wire_size=wire_size if compressed else None,
            ))

    def _record_close(self, direction: str, close: Close) -> None:
        if not self._close_recorded[direction]:
            self._close_recorded[direction] = True
            self.frames.append(_close_record(direction, close))

    # -- Sending ---------------------------------------------------------------

    def _send_data(self) -> None:
        transport = self._transport
        if transport is None:
            return
        for data in self.protocol.data_to_send():
            if data:
                transport.write(data)
            elif transport.can_write_eof():
                try:
                    transport.write_eof()
                except (OSError, RuntimeError):  # pragma: no cover - closed meanwhile
                    pass
            else:
                transport.close()

    def _expect_close(self) -> None:
        """The server should close the TCP connection now; abort it after close_timeout."""
        if self._close_timer is None and self._close_timeout is not None and not self._lost.done():
            self._close_timer = self._loop.call_later(self._close_timeout, self._close_timed_out)

    def _close_timed_out(self) -> None:
        self._close_timer = None
        if self._cause is None:
            self._cause = TimeoutError("timed out while closing the connection")
        self.abort()

    def _fail(self, code: int, reason: str, cause: BaseException | None) -> None:
        """Fail the connection from wsnb's end: a Close frame with ``code``, then wait for the TCP close."""
        protocol = self.protocol
        self._failing = True
        if self._cause is None:
            self._cause = cause
        if protocol.state is _OPEN:
            protocol.fail(code, reason)
            self._record_close("sent", Close(code, reason))
            self._send_data()
        self._expect_close()

    async def _keep_alive(self, interval: float) -> None:
        """Ping every ``interval`` seconds; fail with 1011 if a pong is late (a wsnb extra; browsers do not ping)."""
        protocol = self.protocol
        while True:
            await asyncio.sleep(interval)  # a timer, not a wait for an event
            if protocol.state is not _OPEN:
                return
            data = os.urandom(4)
            waiter: asyncio.Future[None] = self._loop.create_future()
            self._pings[data] = (waiter, self._loop.time())
            protocol.send_ping(data)
            if self._record_all:
                self.frames.append(FrameRecord("sent", "ping", len(data), True, time=performance_now()))
            self._send_data()
            try:
                await asyncio.wait_for(waiter, self._ping_timeout)
            except asyncio.TimeoutError:
                self._fail(1011, "keepalive ping timeout", TimeoutError("the server did not answer a ping"))
                return

    # -- What the mirror calls -----------------------------------------------

    def on_close_frame(self, callback: Callable[[int, str], None]) -> None:
        """Call ``callback(code, reason)`` once the server's Close frame is handled (1005: no status).

        The call comes after the messages received before the frame are
        handed to ``pump``'s ``on_message``.
        """
        self._on_close_frame = callback

    async def pump(self, on_message: Callable[[str | bytes], None], closing: Callable[[], bool]) -> ClosedInfo:
        """Pass every received message to ``on_message``, in order, until the connection closes.

        Messages (and the Close frame) that arrived before this call are
        passed on first. ``closing()`` tells whether the script asked to
        close, which decides whether an engine-initiated close counts as a
        failure.
        """
        self._on_message = on_message
        pending, self._pending = self._pending or [], None
        for kind, value in pending:
            if kind == _MESSAGE:
                on_message(value)
            elif self._on_close_frame is not None:
                self._on_close_frame(*value)
        await asyncio.shield(self._lost)
        return self._closed_info(closing())

    def _closed_info(self, closing: bool) -> ClosedInfo:
        # The protocol is CLOSED now: close_exc tells both Close frames,
        # their order, and (as its cause) what websockets failed to parse.
        ended = self.protocol.close_exc
        rcvd, sent = ended.rcvd, ended.sent
        if sent is not None:
            self._record_close("sent", sent)  # one websockets sent on its own (a protocol error)
        return ClosedInfo(
            rcvd_code=int(rcvd.code) if rcvd is not None else None,
            rcvd_reason=rcvd.reason if rcvd is not None else "",
            sent_code=int(sent.code) if sent is not None else None,
            failure=failure_from_close(rcvd, sent, ended.rcvd_then_sent, self._cause or ended.__cause__, closing),
        )

    @property
    def paused(self) -> bool:
        """Whether the transport's buffer is above its limit: wait for ``drain()`` before writing more."""
        return self._paused

    def write_now(self, payload: bytes, text: bool) -> bool:
        """Write one message to the transport now; return False (nothing written) if the connection is not OPEN."""
        protocol = self.protocol
        transport = self._transport
        if protocol.state is not _OPEN or transport is None or transport.is_closing():
            return False
        if text:
            protocol.send_text(payload)
        else:
            protocol.send_binary(payload)
        if self._record_all:
            tap = self._tap
            compressed, wire_size = tap.sent.popleft() if tap is not None and tap.sent else (False, 0)
            self.frames.append(FrameRecord(
                "sent", "text" if text else "binary", len(payload), True, time=performance_now(),
                compressed=compressed, wire_size=wire_size if compressed else None,
            ))
        self._send_data()
        return True

    async def drain(self) -> None:
        """Wait until the transport's buffer is below its limit again (or the connection is lost)."""
        if not self._paused:
            return  # the common case: nothing to wait for
        await self._drained.until(
            lambda: not self._paused or self._lost.done(),
            timeout=None,
            ended=lambda: None,
            describe=lambda: "the transport's buffer is still full",
        )

    async def send(self, payload: bytes, text: bool) -> bool:
        """Send one message and wait for the transport to drain; return False if the connection is not OPEN."""
        if not self.write_now(payload, text):
            return False
        await self.drain()
        return True

    async def close(self, code: int | None, reason: str) -> None:
        """Start the closing handshake (code None: a Close frame with no status); wait for the end."""
        protocol = self.protocol
        if protocol.state is _OPEN:
            protocol.send_close(code, reason)
            self._record_close("sent", Close(1005, "") if code is None else Close(code, reason))
            self._send_data()
            self._expect_close()
        await asyncio.shield(self._lost)

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake (nothing to do once it is lost)."""
        if self._transport is not None and not self._lost.done():
            self._transport.abort()
