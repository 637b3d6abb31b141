"""Slow-reader lab server: a peer that stops reading, so your sends pile up.

Accepts::

    ws://127.0.0.1:PORT/     any path, any query string

and these text commands::

    "pause"    stop reading this connection for ``pause_seconds`` (option,
               default 2.0; None: until ``lab.resume()``), then read again
    "stats"    answered with {"messages": N, "bytes": B}: the data messages
               received so far (every message but the commands) and their
               size in bytes (UTF-8 bytes for text)

Every other message is counted and dropped. While a connection is paused the
server reads nothing from its socket, the kernel's small receive window fills
up, and the client's writes stop completing: ``bufferedAmount`` rises and
stays up until the pause ends. Counters are shared by all connections.

A paused server does not notice a client that goes away either (it reads
nothing, not even the end of the stream): it finds out when the pause ends.

"""

from __future__ import annotations

import asyncio
import json
import socket

from websockets.asyncio.server import ServerConnection

from ._base import Lab

__all__ = ["SlowReaderLab"]


class SlowReaderLab(Lab):
    """Stop reading on request, so that the client's ``bufferedAmount`` grows.

    Use it to watch back-pressure: a browser keeps accepting ``send()`` calls
    while the bytes queue up in ``bufferedAmount``; a careful client checks it
    before sending more.

    How reading really stops: on ``"pause"`` the server stops calling
    ``recv()`` and also pauses its transport (``transport.pause_reading()``),
    so not a single byte more is read from the socket, even inside a large
    frame. The listening socket has a 16 KiB ``SO_RCVBUF`` (inherited by each
    connection) so the kernel's window stays small, and ``max_queue`` is small
    so that after resuming websockets pauses again whenever frames pile up.
    Keepalive pings are off: a paused server cannot read the pongs.
    Compression is off, so the bytes that wait are the bytes you sent (with
    permessage-deflate, repetitive data would shrink and barely pile up).

    Args:
        pause_seconds: How long ``"pause"`` lasts; :obj:`None` pauses until
            :meth:`resume`.

    Attributes:
        connections: Connections opened since the server started.
        received_messages: Data messages received (commands excluded).
        received_bytes: Their total size in bytes, text counted in UTF-8.

    """

    name = "slow-reader"
    max_queue = 4
    ping_interval = None
    compression = None
    socket_options = ((socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024),)

    def __init__(self, *, pause_seconds: float | None = 2.0) -> None:
        super().__init__()
        if pause_seconds is not None and (
            not isinstance(pause_seconds, (int, float))
            or isinstance(pause_seconds, bool)
            or not 0 <= pause_seconds <= 3600
        ):
            raise ValueError(
                f"pause_seconds must be None or 0-3600, not {pause_seconds!r}"
            )
        self.pause_seconds = pause_seconds
        self.received_messages = 0
        self.received_bytes = 0
        self._paused: set[ServerConnection] = set()
        self._resume_waiters: set[asyncio.Future[None]] = set()
        self._pause_waiters: set[asyncio.Future[None]] = set()

    @property
    def paused(self) -> bool:
        """Whether some connection is paused right now."""
        return bool(self._paused)

    def resume(self) -> None:
        """End every pause now; the server reads everything that waited.

        Does nothing when no connection is paused. Call it from the loop that
        runs the server (a later ``"pause"`` starts a new pause).
        """
        for waiter in self._resume_waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_paused(self) -> None:
        """Return once a connection is paused, that is, no longer read at all."""
        if self._paused:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._pause_waiters.add(waiter)
        try:
            await waiter
        finally:
            self._pause_waiters.discard(waiter)

    async def shutdown(self) -> None:
        """Resume every paused connection so that it can be closed."""
        self.resume()

    async def handle(self, connection: ServerConnection) -> None:
        """Count messages, answer ``"stats"``, stop reading on ``"pause"``."""
        async for message in connection:
            if message == "pause":
                await self._pause(connection)
            elif message == "stats":
                stats = {
                    "messages": self.received_messages,
                    "bytes": self.received_bytes,
                }
                await connection.send(json.dumps(stats))
            else:
                self.received_messages += 1
                if isinstance(message, str):
                    self.received_bytes += len(message.encode())
                else:
                    self.received_bytes += len(message)

    async def _pause(self, connection: ServerConnection) -> None:
        """Read nothing from ``connection`` until resumed or timed out."""
        connection.transport.pause_reading()
        resumed = asyncio.get_running_loop().create_future()
        self._resume_waiters.add(resumed)
        self._paused.add(connection)
        for waiter in self._pause_waiters:
            if not waiter.done():
                waiter.set_result(None)
        try:
            await asyncio.wait([resumed], timeout=self.pause_seconds)
        finally:
            self._resume_waiters.discard(resumed)
            self._paused.discard(connection)
            # Idempotent; if websockets' own flow control paused the transport
            # too, the queue it holds drains quickly as the loop reads again.
            connection.transport.resume_reading()
