"""Echo lab server: sends every message back as it came.

Accepts::

    ws://127.0.0.1:PORT/          any path, any query string

Every message comes back unchanged: a Text message as text, a Binary message
as binary. Start here to see ``send()`` and ``onmessage`` work, and to see
``binaryType`` decide what a binary echo becomes in the browser.

"""

from __future__ import annotations

from websockets.asyncio.server import ServerConnection

from ._base import Lab

__all__ = ["EchoLab"]


class EchoLab(Lab):
    """Echo every message back to its sender, text as text, binary as binary.

    Use it for a first connection, to watch ``bufferedAmount`` fall as the
    loop runs, and to compare ``binaryType = "blob"`` with ``"arraybuffer"``.

    Attributes:
        connections: Connections opened since the server started.
        messages: Messages echoed since the server started.

    """

    name = "echo"

    def __init__(self) -> None:
        super().__init__()
        self.messages = 0

    async def handle(self, connection: ServerConnection) -> None:
        """Echo messages until the client closes."""
        async for message in connection:
            self.messages += 1
            await connection.send(message)
