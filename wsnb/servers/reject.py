"""Reject lab server: refuses the opening handshake with an HTTP error.

Accepts::

    ws://127.0.0.1:PORT/                 answered with the ``status`` option (403)
    ws://127.0.0.1:PORT/?status=404      answered with 404

The answer is an HTTP response with that status (instead of 101 Switching
Protocols) and a short plain-text body. No WebSocket connection ever opens.

"""

from __future__ import annotations

import http
from typing import NoReturn

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from ._base import Lab, query_params

__all__ = ["RejectLab"]


def check_status(status: object) -> int:
    """Validate an HTTP status for a rejection: a standard status, 200 to 599.

    websockets sends only the statuses :class:`http.HTTPStatus` knows.

    Args:
        status: The status to check.

    Raises:
        ValueError: If it is not one.

    """
    if (
        type(status) is not int
        or not 200 <= status <= 599
        or status not in http.HTTPStatus.__members__.values()
    ):
        raise ValueError(
            f"status must be a standard HTTP status from 200 to 599, not {status!r}"
        )
    return status


def body(status: int) -> str:
    """Plain-text body sent with ``status``."""
    phrase = http.HTTPStatus(status).phrase
    return f"{status} {phrase}: the wsnb reject lab refuses every WebSocket.\n"


class RejectLab(Lab):
    """Answer every opening handshake with an HTTP error instead of 101.

    Use it to see what a browser reports when a server refuses a WebSocket:
    an ``error`` event then a ``close`` event with code 1006, and no way for
    the script to read the status (the browser hides it on purpose).

    Args:
        status: HTTP status sent when the query has no ``status``.

    Attributes:
        connections: Always 0: no connection ever opens.
        rejected: Handshakes refused since the server started.

    """

    name = "reject"

    def __init__(self, *, status: int = 403) -> None:
        super().__init__()
        self.status = check_status(status)
        self.rejected = 0

    def process_request(
        self,
        connection: ServerConnection,
        request: Request,
    ) -> Response | None:
        """Refuse the handshake with the chosen status."""
        self.rejected += 1
        text = query_params(connection).get("status")
        if text is None:
            status = self.status
        else:
            try:
                status = check_status(int(text))
            except ValueError:
                return connection.respond(
                    400,
                    "reject: ?status= wants a standard HTTP status from 200 to 599\n",
                )
        return connection.respond(status, body(status))

    async def handle(self, connection: ServerConnection) -> NoReturn:
        """Never runs: every handshake is refused."""
        raise AssertionError("the reject lab opened a connection")  # pragma: no cover
