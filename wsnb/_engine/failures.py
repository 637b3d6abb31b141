"""Why a connection failed, as a ``Failure`` record: from websockets' exceptions and close state."""

from __future__ import annotations

import asyncio
import socket
import ssl

from websockets.exceptions import InvalidHandshake, InvalidStatus, NegotiationError, SecurityError
from websockets.frames import Close

from ..diagnostics import Failure, Handshake

__all__ = ["EngineFailure", "failure_from_close", "failure_from_handshake"]


class EngineFailure(Exception):
    """Raised by ``open_connection`` with the Failure that describes why, and the handshake so far."""

    def __init__(self, failure: Failure, handshake: Handshake | None = None) -> None:
        super().__init__(failure)
        self.failure = failure
        self.handshake = handshake


def failure_from_handshake(exc: BaseException) -> Failure:
    """Explain an exception raised while opening a connection."""
    if isinstance(exc, InvalidStatus):
        code = exc.response.status_code
        return Failure(
            "http-status",
            f"the server answered the handshake with HTTP {code} {exc.response.reason_phrase}".rstrip(),
            status=code,
            exception=exc,
        )
    if isinstance(exc, NegotiationError):
        text = str(exc)
        kind = "subprotocol" if "subprotocol" in text else "extension"
        return Failure(kind, text, exception=exc)
    if isinstance(exc, SecurityError) and "redirect" in str(exc):
        return Failure(
            "handshake",
            "the server redirected the handshake; WebSocket connections do not follow redirects",
            exception=exc,
        )
    if isinstance(exc, InvalidHandshake):
        return Failure("handshake", f"the opening handshake failed: {exc}", exception=exc)
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


def failure_from_close(
    rcvd: Close | None,
    sent: Close | None,
    rcvd_then_sent: bool | None,
    cause: BaseException | None,
    closing: bool,
) -> Failure | None:
    """Return the Failure behind a closed connection, or None for a clean close.

    ``rcvd`` and ``sent`` are the Close frames received and sent,
    ``rcvd_then_sent`` their order (None unless both exist), ``cause`` what
    ended the connection at wsnb's end (a parse error, a timeout), and
    ``closing`` whether the script had called ``close()``.
    """
    if rcvd is None:
        if sent is not None and not closing:
            return _local_failure(sent.code, sent.reason, cause)
        if closing and sent is not None:
            return Failure(
                "connection-lost",
                "the server dropped the TCP connection before answering the Close frame",
                exception=cause,
            )
        return Failure("connection-lost", "the TCP connection was lost without a closing handshake", exception=cause)
    if sent is None:
        return Failure(
            "connection-lost",
            "the TCP connection ended before wsnb could answer the server's Close frame",
            exception=cause,
        )
    if rcvd_then_sent is False and not closing:
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
    return Failure(
        "protocol-error",
        f"the server broke the WebSocket protocol ({reason or code})",
        close_code=code,
        exception=cause,
    )
