"""Auth lab server: the ways a WebSocket client can prove who it is, each with a right and a wrong token.

Accepts::

    ws://127.0.0.1:PORT/                  the token in the first message (the default)
    ws://127.0.0.1:PORT/message           the same
    ws://127.0.0.1:PORT/query?token=T     the token in the query string
    ws://127.0.0.1:PORT/handshake         the token in a handshake header:
                                          ``Authorization: Bearer T`` or ``Cookie: token=T``
    ws://127.0.0.1:PORT/protocol          the token smuggled in as a subprotocol:
                                          offer ``["wsnb.auth", "token.T"]``

The token is the ``token`` option (``"let-me-in"`` by default). Tokens are
compared with :func:`hmac.compare_digest`, in time that does not depend on
how much of a guess was right.

**In the handshake** (``/query``, ``/handshake``, ``/protocol``): a missing
token is answered with HTTP 401, a wrong one with HTTP 403; no WebSocket
opens, and a browser's script sees only ``error`` then ``close`` 1006. On
``/protocol`` the server selects ``wsnb.auth``, never the token: echoing it
would put the secret in the response too.

**In the first message** (``/``, ``/message``): the connection opens, and
the first message must be ``{"type": "auth", "token": "T"}``, within
``deadline`` seconds and at most 4 KiB (the server reads nothing bigger
from a client it does not know yet). Then:

* no message in time: close 4408 ``"authentication timeout"``;
* a wrong token: close 4401 ``"invalid token"``;
* not an auth message (not JSON, another shape): close 1008;
* bigger than 4 KiB: close 1009.

Authenticated, a client gets ``{"type": "welcome", "user": "learner",
"via": "message"}`` (``via`` names the way it used) and every later message
is echoed back. The 44xx codes mirror HTTP 401 and 408 in the private-use
range (3000-4999 is for applications; graphql-ws uses the same numbers).

"""

from __future__ import annotations

import asyncio
import hmac
import http
import json
from collections.abc import Sequence
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from .. import _json
from ..checks import check_number
from ._base import Lab, close_discarding, logger, query_params

__all__ = ["AuthLab"]

AUTH_SUBPROTOCOL = "wsnb.auth"
"""The subprotocol the server selects on ``/protocol``."""

TOKEN_PREFIX = "token."
"""How a token is marked among the offered subprotocols: ``token.T``."""

CLOSE_BAD_TOKEN = 4401
"""Close code for a wrong or missing token in the first message (HTTP 401's number)."""

CLOSE_TIMEOUT = 4408
"""Close code when no auth message came within the deadline (HTTP 408's number)."""

AUTH_MESSAGE_LIMIT = 4096
"""Largest first message, in bytes, the server reads before it knows the client."""

WAYS = {"": "message", "message": "message", "query": "query", "handshake": "handshake", "protocol": "protocol"}
"""Path (without its slashes) -> the way of authenticating it takes."""


def way_of(path: str) -> str | None:
    """The way of authenticating a request path asks for, or None for an unknown path."""
    return WAYS.get(urlsplit(path).path.strip("/"))


class AuthLab(Lab):
    """Authenticate each client one of four ways, then echo.

    Args:
        token: The secret a client must present.
        deadline: Seconds a client on ``/message`` has to send its auth message.

    Attributes:
        connections: Connections opened since the server started.
        authenticated: Clients that presented the right token, by way
            (``{"message": 2, "query": 1, ...}``).
        refused: Clients refused, by reason (``"missing token"``,
            ``"wrong token"``, ``"timeout"``, ``"not an auth message"``,
            ``"too big"``).

    """

    name = "auth"

    def __init__(self, *, token: str = "let-me-in", deadline: float = 2.0) -> None:
        super().__init__()
        if not isinstance(token, str) or not token or not token.isprintable() or " " in token:
            raise ValueError(f"token must be a non-empty printable str without spaces, not {token!r}")
        check_number("deadline", deadline, above=0, maximum=3600, unit="seconds")
        self.token = token
        self.deadline = float(deadline)
        self.authenticated: dict[str, int] = {}
        self.refused: dict[str, int] = {}

    def is_right(self, candidate: str | None) -> bool:
        """Whether ``candidate`` is the token, compared in constant time."""
        return candidate is not None and hmac.compare_digest(candidate.encode(), self.token.encode())

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Check a token carried by the handshake itself: 401 when missing, 403 when wrong."""
        way = way_of(request.path)
        if way is None:
            return connection.respond(http.HTTPStatus.NOT_FOUND, f"auth: no such path; try {', '.join(sorted(WAYS)[1:])}\n")
        if way == "message":
            return None
        candidate = handshake_token(way, connection, request)
        if candidate is None:
            return self.refuse(connection, way, "missing token", http.HTTPStatus.UNAUTHORIZED)
        if not self.is_right(candidate):
            return self.refuse(connection, way, "wrong token", http.HTTPStatus.FORBIDDEN)
        return None

    def refuse(self, connection: ServerConnection, way: str, reason: str, status: http.HTTPStatus) -> Response:
        """Count and log a refused handshake, and answer it with ``status``."""
        self.refused[reason] = self.refused.get(reason, 0) + 1
        logger.info("auth: refused a handshake on /%s with %d: %s", way, status, reason)
        return connection.respond(status, f"auth: {reason}\n")

    def select_subprotocol(self, connection: ServerConnection, offered: Sequence[str]) -> str | None:
        """On ``/protocol``, select ``wsnb.auth`` if offered (never the token)."""
        request = connection.request
        if request is not None and way_of(request.path) == "protocol" and AUTH_SUBPROTOCOL in offered:
            return AUTH_SUBPROTOCOL
        return None

    async def handle(self, connection: ServerConnection) -> None:
        request = connection.request
        way = way_of(request.path) if request is not None else None
        if way == "message" and not await self.first_message(connection):
            return
        assert way is not None
        self.authenticated[way] = self.authenticated.get(way, 0) + 1
        await connection.send(json.dumps({"type": "welcome", "user": "learner", "via": way}))
        async for message in connection:
            await connection.send(message)

    async def first_message(self, connection: ServerConnection) -> bool:
        """Wait for the auth message; close with the code that fits and return False if it is not right."""
        try:
            message = await asyncio.wait_for(connection.recv(), self.deadline)
        except asyncio.TimeoutError:  # TimeoutError from Python 3.11
            return await self.close(connection, "timeout", CLOSE_TIMEOUT, "authentication timeout")
        size = len(message.encode() if isinstance(message, str) else message)
        if size > AUTH_MESSAGE_LIMIT:
            return await self.close(connection, "too big", 1009, f"auth message over {AUTH_MESSAGE_LIMIT} bytes")
        try:
            parsed = _json.loads(message)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict) or parsed.get("type") != "auth":
            return await self.close(connection, "not an auth message", 1008, 'expected {"type": "auth", "token": ...}')
        token = parsed.get("token")
        if not isinstance(token, str) or not self.is_right(token):
            return await self.close(connection, "wrong token", CLOSE_BAD_TOKEN, "invalid token")
        return True

    async def close(self, connection: ServerConnection, reason: str, code: int, text: str) -> bool:
        """Count a refusal and close the connection with ``code``; return False."""
        self.refused[reason] = self.refused.get(reason, 0) + 1
        await close_discarding(connection, code, text)
        return False


def handshake_token(way: str, connection: ServerConnection, request: Request) -> str | None:
    """The token a handshake carries the ``way`` it should, or None."""
    if way == "query":
        return query_params(connection).get("token")
    if way == "protocol":
        offered = [part.strip() for part in request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
        tokens = [part[len(TOKEN_PREFIX):] for part in offered if part.startswith(TOKEN_PREFIX)]
        return tokens[0] if tokens else None
    authorization = request.headers.get("Authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip()
    cookie = SimpleCookie()
    try:
        cookie.load(request.headers.get("Cookie", ""))
    except CookieError:
        return None
    return cookie["token"].value if "token" in cookie else None
