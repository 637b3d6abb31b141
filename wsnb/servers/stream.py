"""The stream lab: pushes many small messages as fast as the network takes them.

Commands (text messages from the client)::

    stream N SIZE           send N text messages of SIZE bytes each
    stream N SIZE binary    the same as binary messages

Any other message is echoed. Message k (from 0) is SIZE bytes of the digit
``k % 10``, so a client can check order and content.

The frames are built once and written straight to the transport in one
go, so that the server costs almost nothing per message: a benchmark then
measures the client, not this server. At most 64 MiB are queued per command.
"""

from __future__ import annotations

import struct

from websockets.asyncio.server import ServerConnection

from ._base import Lab

__all__ = ["StreamLab"]

_LIMIT = 64 * 2**20


def frame(payload: bytes, binary: bool) -> bytes:
    """Serialise one unmasked, unfragmented server frame."""
    head = 0x82 if binary else 0x81
    size = len(payload)
    if size < 126:
        return bytes([head, size]) + payload
    if size < 2**16:
        return bytes([head, 126]) + struct.pack("!H", size) + payload
    return bytes([head, 127]) + struct.pack("!Q", size) + payload


class StreamLab(Lab):
    """Push a burst of N messages of a chosen size on request.

    Use it to measure how fast a client can receive, or to watch a panel
    keep up with a fast stream.

    Attributes:
        streamed: Messages pushed since the server started.
    """

    name = "stream"
    compression = None

    def __init__(self) -> None:
        super().__init__()
        self.streamed = 0

    async def handle(self, connection: ServerConnection) -> None:
        """Answer stream commands; echo everything else."""
        async for message in connection:
            if isinstance(message, str) and message.startswith("stream "):
                await connection.send(self._stream(connection, message))
            else:
                await connection.send(message)

    def _stream(self, connection: ServerConnection, command: str) -> str:
        parts = command.split()
        try:
            count, size = int(parts[1]), int(parts[2])
            binary = parts[3:] == ["binary"]
            if count < 0 or size < 0 or len(parts) > 4 or (len(parts) == 4 and not binary):
                raise ValueError
        except (IndexError, ValueError):
            return "error: send 'stream N SIZE' or 'stream N SIZE binary' with N, SIZE >= 0"
        if count * (size + 10) > _LIMIT:
            return f"error: {count} x {size} B is more than the 64 MiB a command may queue"
        frames = [frame(str(k % 10).encode() * size, binary) for k in range(10)]
        whole, rest = divmod(count, 10)
        connection.transport.write(b"".join(frames) * whole + b"".join(frames[:rest]))
        self.streamed += count
        return f"streamed {count}"
