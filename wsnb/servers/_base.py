"""Shared plumbing of the lab servers: the :class:`Lab` base class.

A lab is the behaviour of one lab server: what it does with each connection,
how it answers the opening handshake, which subprotocol it picks and which
counters and controls it exposes. :class:`~wsnb.servers.LabServer` runs a lab
on a real socket with :func:`websockets.asyncio.server.serve`.

A lab's options are the keyword-only parameters of its ``__init__``: this is
how ``serve("echo", ...)``, ``wsnb serve NAME --option key=value`` and
``spawn(NAME, key=value)`` reach it.

"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

__all__ = ["Lab"]


logger = logging.getLogger("wsnb.servers")
"""Logger of every lab server (``wsnb.servers``)."""


class Lab:
    """Behaviour of one lab server.

    Subclass it, give the subclass a ``name``, put its options in ``__init__``
    as keyword-only parameters with defaults, and implement :meth:`handle`.
    The class attributes below set the limits :class:`~wsnb.servers.LabServer`
    passes to :func:`websockets.asyncio.server.serve`.

    A lab never needs to catch :exc:`~websockets.exceptions.ConnectionClosed`
    or guard against its own bugs: the server swallows the former and logs the
    latter (closing that one connection with 1011), and keeps serving.

    Attributes:
        connections: How many connections completed the opening handshake
            since the server started.

    """

    name: ClassVar[str] = ""
    """Name of the lab in :data:`~wsnb.servers.SERVERS`, e.g. ``"echo"``."""

    max_connections: ClassVar[int] = 256
    """Open connections above which new clients get HTTP 503."""

    max_size: ClassVar[int | None] = 2**20
    """Largest incoming message in bytes; a larger one closes with 1009."""

    max_queue: ClassVar[int | None] = 16
    """Incoming frames buffered before websockets stops reading the socket."""

    ping_interval: ClassVar[float | None] = 20.0
    """Keepalive ping interval in seconds; :obj:`None` disables keepalive."""

    compression: ClassVar[str | None] = "deflate"
    """Offer permessage-deflate (``"deflate"``) or not (:obj:`None`)."""

    socket_options: ClassVar[Sequence[tuple[int, int, int]]] = ()
    """``(level, option, value)`` set on the listening socket before bind."""

    def __init__(self) -> None:
        self.connections = 0

    async def handle(self, connection: ServerConnection) -> None:
        """Serve one connection, from the end of the handshake to its close.

        When it returns, the connection is closed with 1000 unless it is
        already closed.

        Args:
            connection: The open WebSocket connection.

        """
        raise NotImplementedError

    def process_request(
        self,
        connection: ServerConnection,
        request: Request,
    ) -> Response | None:
        """Answer the opening handshake with an HTTP response, or let it go on.

        Return ``connection.respond(status, text)`` to refuse the WebSocket,
        :obj:`None` to accept it. The default accepts every request.

        Args:
            connection: The connection in its opening handshake.
            request: The client's HTTP request (``request.path`` holds the
                path and the query string).

        """
        return None

    def select_subprotocol(
        self,
        connection: ServerConnection,
        offered: Sequence[str],
    ) -> str | None:
        """Pick the subprotocol of a connection.

        The default picks none, whatever the client offers, as a server that
        knows no subprotocol does.

        Args:
            connection: The connection in its opening handshake.
            offered: Subprotocols the client offered, in its order.

        Returns:
            The value of the ``Sec-WebSocket-Protocol`` response header, or
            :obj:`None` to send none.

        """
        return None

    async def setup(self) -> None:
        """Prepare what the lab shares before the server listens (a broker connection).

        The default does nothing. An exception here (such as
        :class:`~wsnb.exceptions.BrokerUnavailable`) stops the server from
        starting.
        """

    async def teardown(self) -> None:
        """Release what :meth:`setup` prepared, once every connection closed."""

    async def shutdown(self) -> None:
        """Prepare for the server closing every connection.

        A lab that can hold a connection still (such as one that stopped
        reading) lets it go here, so that closing the server stays quick.

        """

    @classmethod
    def option_names(cls) -> list[str]:
        """Names of the options this lab accepts, in declaration order."""
        parameters = inspect.signature(cls.__init__).parameters.values()
        return [p.name for p in parameters if p.kind is p.KEYWORD_ONLY]


def query_params(connection: ServerConnection) -> dict[str, str]:
    """Query string of a connection's request, as a dict (last value wins).

    Args:
        connection: A connection whose request was received.

    """
    if connection.request is None:  # pragma: no cover - only during handshake
        return {}
    return dict(parse_qsl(urlsplit(connection.request.path).query))


async def close_discarding(connection: ServerConnection, code: int, reason: str) -> None:
    """Close with ``code`` and ``reason``, reading and dropping what the client still sends.

    A handler that stops reading to close a client that floods it (a rate
    limit, a refused login) must keep reading: otherwise websockets' incoming
    queue stays full (``max_queue``), reading the socket stays paused, the
    client's Close frame is never read, and the close waits for
    ``close_timeout`` (10 s) instead of a round trip. websockets' author
    calls that time-out the correct behaviour of ``close()`` with a
    saturated buffer (python-websockets/websockets#1555).
    """
    closing = asyncio.ensure_future(connection.close(code, reason))
    try:
        async for _ in connection:
            pass
    finally:
        await closing


async def stream_and_answer(
    connection: ServerConnection,
    stream: Coroutine[Any, Any, None],
    answer: Callable[[str | bytes], dict[str, Any]],
) -> None:
    """Run ``stream`` while answering each message with ``answer(message)`` as JSON.

    For labs that push data and take commands at the same time (ticker,
    quality). A command that raises ValueError gets
    ``{"type": "error", "error": ...}``; the stream stops with the connection.
    """
    streaming = asyncio.get_running_loop().create_task(stream)
    try:
        async for message in connection:
            try:
                reply = answer(message)
            except ValueError as exc:
                reply = {"type": "error", "error": str(exc)}
            await connection.send(json.dumps(reply))
    finally:
        streaming.cancel()
        try:
            await streaming
        except asyncio.CancelledError:
            pass
