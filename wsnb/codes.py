"""The numbers of the WebSocket API: ready states and close codes.

``ReadyState`` is what ``WebSocket.readyState`` returns. ``CloseCode`` lists
every code registered for the range 1000-1015 (RFC 6455 section 7.4 and the
IANA registry), each with what it means, who may put it on the wire and what
an application should do when it sees it. Codes 3000-3999 are registered with
IANA by libraries and frameworks; 4000-4999 are for private use by
applications. ``classify()`` says which range any code falls in.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "CloseCode",
    "CloseCodeInfo",
    "ReadyState",
    "can_send_from_script",
    "classify",
    "describe",
    "is_private",
    "is_registered",
]


class ReadyState(enum.IntEnum):
    """The four states of a WebSocket, with the numbers a browser uses.

    The state only moves forward: CONNECTING -> OPEN -> CLOSING -> CLOSED
    (a connection that fails goes from CONNECTING to CLOSED directly).
    """

    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3


@dataclass(frozen=True)
class CloseCodeInfo:
    """What one close code means.

    Attributes:
        name: The constant's name, such as ``"GOING_AWAY"``.
        title: The registry's short title, such as ``"Going Away"``.
        meaning: What the code says about why the connection closed.
        sent_by: Who may send it in a Close frame: ``"either"``,
            ``"server"``, ``"client"`` or ``"never"`` (a code reserved to
            report something locally, which must not appear on the wire).
        action: What an application that receives it should do.
    """

    name: str
    title: str
    meaning: str
    sent_by: str
    action: str


_INFO: dict[int, tuple[str, str, str, str, str]] = {
    1000: ("NORMAL_CLOSURE", "Normal Closure", "The purpose of the connection was fulfilled; both ends agreed to close.", "either", "Nothing to fix; do not reconnect unless the application wants a new session."),
    1001: ("GOING_AWAY", "Going Away", "An endpoint is leaving: a server shutting down or a page being navigated away from.", "either", "Reconnect after a delay; the server may be restarting."),
    1002: ("PROTOCOL_ERROR", "Protocol Error", "An endpoint received frames that break the WebSocket protocol.", "either", "A bug in one of the two ends; reconnecting will usually fail the same way."),
    1003: ("UNSUPPORTED_DATA", "Unsupported Data", "An endpoint received a kind of data it cannot accept, such as binary when it only handles text.", "either", "Change what is sent; do not retry the same data."),
    1004: ("RESERVED", "Reserved", "Reserved; no meaning has been defined.", "never", "Should never be seen; treat as a protocol error."),
    1005: ("NO_STATUS_RCVD", "No Status Received", "The Close frame carried no status code. Reported locally; never sent.", "never", "The peer closed without saying why; often a normal close from close() with no arguments."),
    1006: ("ABNORMAL_CLOSURE", "Abnormal Closure", "The connection was lost or failed without a Close frame. Reported locally; never sent.", "never", "Network loss, a refused or failed handshake, or a protocol failure: reconnect with backoff."),
    1007: ("INVALID_FRAME_PAYLOAD_DATA", "Invalid Frame Payload Data", "A message's data was inconsistent with its type, such as invalid UTF-8 in a text message.", "either", "Fix the encoding of what is sent; retrying the same data fails again."),
    1008: ("POLICY_VIOLATION", "Policy Violation", "A message broke the endpoint's policy (a generic code when no other fits: authentication, rate limits).", "either", "Do not retry blindly; check credentials or behaviour first."),
    1009: ("MESSAGE_TOO_BIG", "Message Too Big", "A message was larger than the endpoint will process.", "either", "Send smaller messages, for example by splitting them into chunks."),
    1010: ("MANDATORY_EXTENSION", "Mandatory Extension", "The client wanted an extension that the server did not negotiate.", "client", "Configure the server to offer the extension or stop requiring it."),
    1011: ("INTERNAL_ERROR", "Internal Error", "The server met an unexpected condition that prevented it from fulfilling the request.", "either", "Reconnect with backoff; report the error if it repeats."),
    1012: ("SERVICE_RESTART", "Service Restart", "The service is restarting.", "server", "Reconnect after a short, jittered delay."),
    1013: ("TRY_AGAIN_LATER", "Try Again Later", "The server is overloaded or temporarily unable to serve; the client may try again later.", "server", "Reconnect after a longer delay with backoff."),
    1014: ("BAD_GATEWAY", "Bad Gateway", "A gateway or proxy received an invalid response from the upstream server.", "server", "Reconnect with backoff; the upstream may recover."),
    1015: ("TLS_HANDSHAKE", "TLS Handshake", "The TLS handshake failed, for example a certificate could not be verified. Reported locally; never sent.", "never", "Fix the certificate or TLS configuration; retrying will not help."),
}


class CloseCode(enum.IntEnum):
    """The close codes registered for 1000-1015, with what each one means.

    Every member has ``title``, ``meaning``, ``sent_by`` and ``action``
    attributes (see ``CloseCodeInfo``). ``describe(code)`` works for any
    integer, including 3000-4999.
    """

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    RESERVED = 1004
    NO_STATUS_RCVD = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_FRAME_PAYLOAD_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    TLS_HANDSHAKE = 1015

    @property
    def info(self) -> CloseCodeInfo:
        """Everything wsnb knows about this code."""
        return CloseCodeInfo(*_INFO[self.value])

    @property
    def title(self) -> str:
        """The registry's short title, such as ``"Going Away"``."""
        return _INFO[self.value][1]

    @property
    def meaning(self) -> str:
        """Why a connection closed with this code."""
        return _INFO[self.value][2]

    @property
    def sent_by(self) -> str:
        """Who may send it: ``"either"``, ``"server"``, ``"client"`` or ``"never"``."""
        return _INFO[self.value][3]

    @property
    def action(self) -> str:
        """What an application receiving this code should do."""
        return _INFO[self.value][4]

    @property
    def on_the_wire(self) -> bool:
        """Whether the code may appear in a Close frame at all."""
        return self.sent_by != "never"


def is_registered(code: int) -> bool:
    """Return True for 3000-3999: codes registered with IANA by libraries and frameworks."""
    return 3000 <= code <= 3999


def is_private(code: int) -> bool:
    """Return True for 4000-4999: codes for an application's private use."""
    return 4000 <= code <= 4999


def can_send_from_script(code: int) -> bool:
    """Return True for the codes ``WebSocket.close()`` accepts: 1000 and 3000-4999."""
    return code == 1000 or 3000 <= code <= 4999


def classify(code: int) -> str:
    """Name the range a close code falls in.

    Returns one of ``"standard"`` (1000-1015, registered in RFC 6455 and the
    IANA registry), ``"reserved"`` (0-999 and 1016-2999: not to be used),
    ``"registered"`` (3000-3999), ``"private"`` (4000-4999) or
    ``"invalid"`` (5000 and above, or negative).
    """
    if code in _INFO:
        return "standard"
    if 0 <= code <= 2999:
        return "reserved"
    if is_registered(code):
        return "registered"
    if is_private(code):
        return "private"
    return "invalid"


def describe(code: int) -> str:
    """Return one line that says what a close code means, for any integer."""
    kind = classify(code)
    if kind == "standard":
        member = CloseCode(code)
        return f"{code} {member.title}: {member.meaning}"
    if kind == "registered":
        return f"{code}: registered with IANA for a library or framework; its meaning is theirs."
    if kind == "private":
        return f"{code}: private use; its meaning is agreed between your client and server."
    if kind == "reserved":
        return f"{code}: reserved by the protocol; no endpoint may send it."
    return f"{code}: not a valid close code (codes stop at 4999)."
