"""Subprotocol lab server: picks a subprotocol the way you tell it to.

Accepts::

    ws://127.0.0.1:PORT/               choose as the ``choose`` option says
    ws://127.0.0.1:PORT/?choose=first  the first protocol the client offered
    ws://127.0.0.1:PORT/?choose=none   no protocol, even if some were offered
    ws://127.0.0.1:PORT/?choose=xyz    "xyz", even if the client did not offer it

Once open, the server sends one text message,
``{"offered": ["a", "b"], "selected": "a"}``, then echoes every message.

"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Sequence

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from ._base import Lab, query_params

__all__ = ["SubprotocolLab"]


# RFC 6455 subprotocols are HTTP tokens (RFC 9110, section 5.6.2).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def check_choice(choose: object) -> str:
    """Validate a ``choose`` value: "first", "none" or a token.

    :obj:`None` means "none" (``--option choose=none`` parses to None).

    Args:
        choose: The value to check.

    Raises:
        ValueError: If it is not a valid subprotocol name.

    """
    if choose is None:
        return "none"
    if not isinstance(choose, str) or not _TOKEN.fullmatch(choose):
        raise ValueError(
            f'choose must be "first", "none" or a subprotocol token, not {choose!r}'
        )
    return choose


class SubprotocolLab(Lab):
    """Select a subprotocol by rule, right or wrong, then report and echo.

    Use it to see ``ws.protocol`` after negotiation, an empty ``protocol``
    when the server picks none, and a failed connection when the server picks
    a protocol the client never offered (the standard says to fail it).

    Args:
        choose: ``"first"`` to select the first protocol offered, ``"none"``
            to select none, any other name to select it even if not offered.

    Attributes:
        connections: Connections opened since the server started.

    """

    name = "subprotocol"

    def __init__(self, *, choose: str | None = "first") -> None:
        super().__init__()
        self.choose = check_choice(choose)
        # What each connection offered, for its first message.
        self._offered: weakref.WeakKeyDictionary[ServerConnection, list[str]]
        self._offered = weakref.WeakKeyDictionary()

    def process_request(
        self,
        connection: ServerConnection,
        request: Request,
    ) -> Response | None:
        """Refuse a ``?choose=`` value that is not a token with HTTP 400."""
        try:
            self._choice(connection)
        except ValueError as exc:
            return connection.respond(400, f"subprotocol: {exc}\n")
        return None

    def select_subprotocol(
        self,
        connection: ServerConnection,
        offered: Sequence[str],
    ) -> str | None:
        """Apply the rule; an unoffered name is returned as it is.

        websockets' server puts whatever this returns in the
        ``Sec-WebSocket-Protocol`` response header without checking it against
        the offer, so no extra hook is needed to send an unoffered protocol.
        """
        self._offered[connection] = list(offered)
        choose = self._choice(connection)
        if choose == "first":
            return offered[0] if offered else None
        if choose == "none":
            return None
        return choose

    async def handle(self, connection: ServerConnection) -> None:
        """Report the negotiation, then echo until the client closes."""
        report = {
            "offered": self._offered.pop(connection, []),
            "selected": connection.subprotocol,
        }
        await connection.send(json.dumps(report))
        async for message in connection:
            await connection.send(message)

    def _choice(self, connection: ServerConnection) -> str:
        """The rule for this connection: its query, else the option."""
        query = query_params(connection)
        return check_choice(query["choose"]) if "choose" in query else self.choose
