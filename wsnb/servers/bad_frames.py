"""Bad-frames lab server: sends frames that a client must refuse, on request.

Accepts, on connect (sent right after the opening handshake)::

    ws://127.0.0.1:PORT/?send=invalid-utf8              a Text frame b"\\xff\\xfe"
    ws://127.0.0.1:PORT/?send=oversized                 one Binary message of
    ws://127.0.0.1:PORT/?send=oversized&size=N          ``size`` bytes (option,
                                                        default 2 MiB) or N
    ws://127.0.0.1:PORT/?send=fragmented                "café" in two Text
                                                        frames, split inside "é"
    ws://127.0.0.1:PORT/?send=fragmented-invalid        two Text frames whose
                                                        joined bytes are not UTF-8

or the same as text commands once open: ``"invalid-utf8"``, ``"oversized"``,
``"oversized N"``, ``"fragmented"``, ``"fragmented-invalid"``. Anything else
is answered with a text message starting ``error:`` that lists the commands.

``fragmented`` is the well-behaved control: a character split across frames is
valid, and the client sees one message. The others make a client close the
connection: 1007 (invalid UTF-8) or 1009 (a message over its size limit).
Oversized content is deterministic: bytes 0, 1, ..., 255, 0, 1, ...

"""

from __future__ import annotations

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from ._base import Lab, query_params

__all__ = ["BadFramesLab"]


MAX_OVERSIZED = 64 * 2**20
"""Largest ``size`` the server agrees to send (64 MiB)."""

COMMANDS = ("invalid-utf8", "oversized", "fragmented", "fragmented-invalid")

_USAGE = (
    'commands: "invalid-utf8", "oversized", "oversized N" (N bytes, at most '
    f'{MAX_OVERSIZED}), "fragmented", "fragmented-invalid"'
)


def check_size(size: object) -> int:
    """Validate an oversized message size: an int from 0 to 64 MiB.

    Raises:
        ValueError: If it is not.

    """
    if type(size) is not int or not 0 <= size <= MAX_OVERSIZED:
        raise ValueError(f"size must be an int from 0 to {MAX_OVERSIZED}, not {size!r}")
    return size


def pattern(size: int) -> bytes:
    """Deterministic payload of ``size`` bytes: 0, 1, ..., 255, 0, 1, ..."""
    return (bytes(range(256)) * (size // 256 + 1))[:size]


class BadFramesLab(Lab):
    """Send invalid or oversized frames when asked to.

    Use it to see a client refuse what a server sends: invalid UTF-8 in a
    Text message (close 1007) and a message over the client's size limit
    (close 1009). A browser reports both as a failed connection, code 1006.

    Args:
        size: Size in bytes of the ``oversized`` message.

    Attributes:
        connections: Connections opened since the server started.
        sent: Misbehaviours performed, in order (the command names).

    """

    name = "bad-frames"

    def __init__(self, *, size: int = 2 * 2**20) -> None:
        super().__init__()
        self.size = check_size(size)
        self.sent: list[str] = []

    def process_request(
        self,
        connection: ServerConnection,
        request: Request,
    ) -> Response | None:
        """Refuse an unknown ``?send=`` or a bad ``?size=`` with HTTP 400."""
        try:
            self._query_command(connection)
        except ValueError as exc:
            return connection.respond(400, f"bad-frames: {exc}; {_USAGE}\n")
        return None

    async def handle(self, connection: ServerConnection) -> None:
        """Misbehave as the query asks, then obey text commands."""
        command = self._query_command(connection)
        if command is not None:
            await self._send(connection, *command)
        async for message in connection:
            try:
                command = self._text_command(message)
            except (TypeError, ValueError) as exc:
                await connection.send(f"error: {exc}; {_USAGE}")
                continue
            await self._send(connection, *command)

    def _query_command(self, connection: ServerConnection) -> tuple[str, int] | None:
        """Read ``(command, size)`` from the query, or None if absent."""
        query = query_params(connection)
        size = self.size
        if "size" in query:
            try:
                size = check_size(int(query["size"]))
            except ValueError:
                raise ValueError(f"size {query['size']!r} is not 0-{MAX_OVERSIZED}") from None
        if "send" not in query:
            return None
        if query["send"] not in COMMANDS:
            raise ValueError(f"unknown send={query['send']!r}")
        return query["send"], size

    def _text_command(self, message: str | bytes) -> tuple[str, int]:
        """Read ``(command, size)`` from a text command."""
        if not isinstance(message, str):
            raise TypeError("commands are text messages, not binary")
        words = message.split()
        if len(words) == 2 and words[0] == "oversized":
            try:
                return "oversized", check_size(int(words[1]))
            except ValueError:
                raise ValueError(f"size {words[1]!r} is not 0-{MAX_OVERSIZED}") from None
        if len(words) == 1 and words[0] in COMMANDS:
            return words[0], self.size
        raise ValueError(f"unknown command {message[:40]!r}")

    async def _send(
        self, connection: ServerConnection, command: str, size: int
    ) -> None:
        """Perform one misbehaviour."""
        self.sent.append(command)
        if command == "invalid-utf8":
            # websockets does not validate bytes sent with text=True.
            await connection.send(b"\xff\xfe", text=True)
        elif command == "oversized":
            await connection.send(pattern(size))
        elif command == "fragmented":
            # "é" is C3 A9 in UTF-8: split between the two frames.
            await connection.send([b"caf\xc3", b"\xa9"], text=True)
        else:
            # C3 must be followed by a continuation byte; "(" is not one.
            await connection.send([b"caf\xc3", b"("], text=True)
