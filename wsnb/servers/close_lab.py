"""Close lab server: closes the connection the way the client asks.

Accepts, on connect (the server closes right after the opening handshake)::

    ws://127.0.0.1:PORT/?code=4000&reason=bye    Close frame with 4000 "bye"
    ws://127.0.0.1:PORT/?code=none               Close frame with no status
    ws://127.0.0.1:PORT/?code=1004               raw Close frame, reserved code
    ws://127.0.0.1:PORT/?drop=1                  TCP drop, no Close frame

or, once open, one JSON text command per message::

    {"close": 1001, "reason": "going away"}      Close frame with that code
    {"close": null}                              Close frame with no status
    {"close": 1004}                              raw Close frame, reserved code
    {"drop": true}                               TCP drop, no Close frame

Any other message is answered with a text message that starts with
``error:`` and explains the format; the connection stays open.

A code the protocol lets a server send (1000–1003, 1007–1014, 3000–4999) goes
through a normal closing handshake. Any other code from 0 to 65535 (1004,
1005, 1006, 1015, 1016–2999, 5000 and up, ...) is one websockets refuses to
send, so the lab writes the Close frame bytes itself and then closes the TCP
connection: this shows what a client does when a server breaks the rules (a
browser fails the connection and reports 1006). A reason is at most 123 UTF-8
bytes, as a Close frame holds at most 125.

"""

from __future__ import annotations

import struct
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from .. import _json as peer_json
from ._base import Lab, query_params

__all__ = ["CloseLab"]


MAX_REASON_BYTES = 123

# Codes RFC 6455 lets an endpoint put in a Close frame and websockets sends.
_SENDABLE = frozenset(
    {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}
)

_USAGE = (
    'send {"close": CODE, "reason": TEXT}, {"close": null} or {"drop": true}'
    " (CODE from 0 to 65535, TEXT at most 123 UTF-8 bytes)"
)


class CommandError(ValueError):
    """Raised when a close request is malformed."""


def is_sendable(code: int) -> bool:
    """Tell whether websockets sends ``code`` in a normal closing handshake.

    Args:
        code: A close code.

    """
    return code in _SENDABLE or 3000 <= code <= 4999


def raw_close_frame(code: int | None, reason: str = "") -> bytes:
    """Build an unmasked Close frame as a server writes it on the wire.

    Args:
        code: Status code, or :obj:`None` for an empty payload.
        reason: Close reason; it needs a code.

    """
    payload = b"" if code is None else struct.pack("!H", code) + reason.encode()
    # FIN + opcode 0x8; payload length under 126 fits in the second byte.
    return bytes([0x88, len(payload)]) + payload


def parse_request(code: Any, reason: Any) -> tuple[int | None, str]:
    """Validate a requested close code and reason.

    Args:
        code: An int from 0 to 65535, or :obj:`None` for "no status".
        reason: A str of at most 123 UTF-8 bytes ("" when no code).

    Raises:
        CommandError: If either one is malformed.

    """
    if code is not None and (type(code) is not int or not 0 <= code <= 65535):
        raise CommandError(f"close code {code!r} is not null or 0-65535")
    if not isinstance(reason, str):
        raise CommandError(f"reason {reason!r} is not a string")
    if len(reason.encode()) > MAX_REASON_BYTES:
        raise CommandError("reason is longer than 123 UTF-8 bytes")
    if code is None and reason:
        raise CommandError("a reason needs a close code")
    return code, reason


class CloseLab(Lab):
    """Close each connection as its client asks: any code, no code, or a drop.

    Use it to see every CloseEvent a browser can report: the code and reason
    a server chose, 1005 when the Close frame had no status, 1006 when the TCP
    connection dropped or when the server sent a code it must not send.

    Attributes:
        connections: Connections opened since the server started.
        closes: Closes performed, in order, as ``"code 4000"``,
            ``"no status"``, ``"raw 1004"`` or ``"drop"``.

    """

    name = "close-lab"

    def __init__(self) -> None:
        super().__init__()
        self.closes: list[str] = []

    def process_request(
        self,
        connection: ServerConnection,
        request: Request,
    ) -> Response | None:
        """Refuse a malformed close request in the query with HTTP 400."""
        try:
            self._query_request(connection)
        except CommandError as exc:
            return connection.respond(400, f"close-lab: {exc}; {_USAGE}\n")
        return None

    async def handle(self, connection: ServerConnection) -> None:
        """Close as the query asks, else obey JSON commands until closed."""
        request = self._query_request(connection)
        if request is not None:
            await self._close(connection, *request)
            return
        async for message in connection:
            try:
                action = self._command(message)
            except CommandError as exc:
                await connection.send(f"error: {exc}; {_USAGE}")
                continue
            await self._close(connection, *action)
            return

    def _query_request(
        self, connection: ServerConnection
    ) -> tuple[bool, int | None, str] | None:
        """Read ``(drop, code, reason)`` from the query, or None if absent."""
        query = query_params(connection)
        if query.get("drop", "0") not in ("", "0", "false"):
            return True, None, ""
        if "code" not in query:
            if "reason" in query:
                raise CommandError("a reason needs a close code")
            return None
        text = query["code"]
        if text.lower() in ("none", "null", ""):
            code = None
        else:
            try:
                code = int(text)
            except ValueError:
                raise CommandError(f"close code {text!r} is not none or a number") from None
        return (False, *parse_request(code, query.get("reason", "")))

    def _command(self, message: str | bytes) -> tuple[bool, int | None, str]:
        """Read ``(drop, code, reason)`` from a JSON text command."""
        if not isinstance(message, str):
            raise CommandError("commands are text messages, not binary")
        try:
            command = peer_json.loads(message)
        except ValueError:
            raise CommandError("the message is not JSON") from None
        if not isinstance(command, dict):
            raise CommandError("the command is not a JSON object")
        if set(command) == {"drop"}:
            if command["drop"] is not True:
                raise CommandError('"drop" must be true')
            return True, None, ""
        if "close" not in command or not set(command) <= {"close", "reason"}:
            raise CommandError(f"unknown command {sorted(command)}")
        return (False, *parse_request(command["close"], command.get("reason", "")))

    async def _close(
        self,
        connection: ServerConnection,
        drop: bool,
        code: int | None,
        reason: str,
    ) -> None:
        """Drop, close normally, or write a raw Close frame."""
        if drop:
            self.closes.append("drop")
            connection.transport.abort()
        elif code is None:
            self.closes.append("no status")
            # websockets sends a Close frame with an empty payload when the
            # code is None (Protocol.send_close(None)); its type hint says int.
            await connection.close(None)  # type: ignore[arg-type]
        elif is_sendable(code):
            self.closes.append(f"code {code}")
            await connection.close(code, reason)
        else:
            # websockets refuses to send this code: write the frame ourselves.
            # Nothing else is queued in websockets (it writes each frame to
            # the transport at once), so the frame lands after every message
            # already sent. Then end the TCP connection, as a server that broke
            # the protocol has nothing more to say.
            self.closes.append(f"raw {code}")
            connection.transport.write(raw_close_frame(code, reason))
            connection.transport.close()
            await connection.wait_closed()
