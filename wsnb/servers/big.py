"""Big lab server: a small largest-message size, and large messages on request.

Accepts::

    ws://127.0.0.1:PORT/     any path, any query string

Incoming messages larger than ``max_size`` bytes (64 KiB by default) fail
the connection with close code 1009 (Message Too Big), as any server with a
limit does. Below the limit:

- a text message that is a JSON command is obeyed::

      {"send": N}                          one binary message of N bytes
      {"send": N, "text": true}            one text message of N ASCII characters
      {"send": N, "chunk_size": K}         the same, split into chunks of at most
                                           K bytes in wsnb.patterns.chunking's
                                           format (add "text": true for text)

  N is at most ``max_send`` (16 MiB by default). The bytes are
  deterministic: byte i of a binary message is ``i % 251``; character i
  of a text message is ``"abcdefghijklmnopqrstuvwxyz"[i % 26]``;

- a chunk (wsnb.patterns.chunking's binary format) is collected until its
  message is complete (up to ``max_message`` bytes);

- any other message, and each completed chunked message, is answered with
  a JSON summary::

      {"type": "received", "kind": "text" | "binary", "bytes": B,
       "chunks": C, "sha256": HEX}

  (``chunks`` is 0 for a message that came whole; ``bytes`` counts UTF-8
  bytes for text.)

It shows the size limit and how chunking avoids it: a 200 KB message sent
whole is refused with 1009; the same message as chunks of 16 KiB arrives
and its hash matches.

"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from websockets.asyncio.server import ServerConnection

from .. import _json as peer_json
from ..exceptions import ChunkError
from ..patterns.chunking import Reassembler, parse_chunk, split_message
from ..checks import check_int
from ._base import Lab

__all__ = ["BigLab", "big_payload"]

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def big_payload(size: int, text: bool = False) -> str | bytes:
    """The deterministic message of ``size`` bytes (or ASCII characters) the server sends."""
    if text:
        return (_LETTERS * (size // 26 + 1))[:size]
    pattern = bytes(range(251))
    return (pattern * (size // 251 + 1))[:size]


class BigLab(Lab):
    """Refuse messages above a small size; send large messages when asked.

    Args:
        max_size: The largest incoming message in bytes; larger fails with 1009.
        max_send: The largest message a command may ask for.
        max_message: The largest message reassembled from chunks.

    Attributes:
        connections: Connections opened since the server started.
        received: Messages received whole or reassembled (commands excluded).

    """

    name = "big"
    ping_interval = None

    def __init__(self, *, max_size: int = 64 * 1024, max_send: int = 16 * 2**20, max_message: int = 16 * 2**20) -> None:
        super().__init__()
        for option, value in (("max_size", max_size), ("max_send", max_send), ("max_message", max_message)):
            check_int(option, value, minimum=1, maximum=256 * 2**20, unit="bytes")
        # An instance attribute shadows the class default that LabServer reads.
        self.max_size = max_size  # type: ignore[misc]
        self.max_send = max_send
        self.max_message = max_message
        self.received = 0
        self._next_id = 0

    async def handle(self, connection: ServerConnection) -> None:
        """Obey commands, reassemble chunks, and summarise every message."""
        reassembler = Reassembler(max_message_size=self.max_message)
        async for message in connection:
            if isinstance(message, str) and message.startswith("{"):
                handled, reply = await self._command(connection, message)
                if reply is not None:
                    await connection.send(json.dumps(reply))
                if handled:
                    continue
            chunks = 0
            if isinstance(message, bytes):
                try:
                    chunk = parse_chunk(message)
                    if chunk is not None:
                        whole = reassembler.feed(chunk)
                        if whole is None:
                            continue
                        message, chunks = whole, chunk.total
                except ChunkError as exc:
                    await connection.send(json.dumps({"type": "error", "error": str(exc)}))
                    continue
            self.received += 1
            data = message.encode() if isinstance(message, str) else message
            await connection.send(json.dumps({
                "type": "received",
                "kind": "text" if isinstance(message, str) else "binary",
                "bytes": len(data),
                "chunks": chunks,
                "sha256": hashlib.sha256(data).hexdigest(),
            }))

    async def _command(self, connection: ServerConnection, message: str) -> tuple[bool, dict[str, Any] | None]:
        """Obey a send command; return (whether it was one, an error reply or None)."""
        try:
            command = peer_json.loads(message)
        except ValueError:
            return False, None
        if not isinstance(command, dict) or "send" not in command:
            return False, None
        size, text, chunk_size = command["send"], command.get("text", False), command.get("chunk_size")
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= self.max_send:
            return True, {"type": "error", "error": f'"send" must be an int from 0 to {self.max_send}'}
        if not isinstance(text, bool):
            return True, {"type": "error", "error": '"text" must be true or false'}
        if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 64):
            return True, {"type": "error", "error": '"chunk_size" must be an int >= 64'}
        payload = big_payload(size, text)
        if chunk_size is None:
            await connection.send(payload)
        else:
            for chunk in split_message(payload, chunk_size, self._next_id):
                await connection.send(chunk)
            self._next_id = (self._next_id + 1) % 2**32
        return True, None
