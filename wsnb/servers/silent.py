"""Silent lab server: answers pings for a while, then stops answering.

Accepts::

    ws://127.0.0.1:PORT/     any path, any query string

and these text messages::

    "ping"                       answered with "pong" while not silent
    {"type": "ping", ...}        answered with the same JSON object, "type": "pong"
    "silence"                    go silent now (this connection)

Every other message is counted and ignored (never answered). A connection
goes silent after ``answer`` pings (None: only on "silence"). A silent
connection answers nothing more, so a client's application-level heartbeat
times out.

With ``deaf=True`` a silent connection also stops *reading*
(``transport.pause_reading()``): the protocol-level Ping frames a client
sends (wsnb's ``ping_interval`` engine option) then get no Pong either, and
a Close frame gets no answer, as with a server whose machine froze or whose
network path died. The client's keepalive fails the connection (1006), and
a closing handshake it starts waits for its ``close_timeout``.

"""

from __future__ import annotations

import json

from websockets.asyncio.server import ServerConnection

from .. import _json as peer_json
from ..checks import check_int
from ._base import Lab

__all__ = ["SilentLab"]


class SilentLab(Lab):
    """Answer application pings, then fall silent (and, with ``deaf``, stop reading).

    Use it to watch a heartbeat detect a dead peer: an application-level
    heartbeat (``wsnb.patterns.Heartbeat``) stops getting pongs; with
    ``deaf=True`` protocol pings (the ``ping_interval`` engine option) go
    unanswered too.

    Keepalive pings from the server are off, so that the server itself never
    closes a deaf connection.

    Args:
        answer: Pings answered on each connection before it goes silent;
            None: until the "silence" command.
        deaf: Stop reading a silent connection altogether.

    Attributes:
        connections: Connections opened since the server started.
        pongs: Pings answered.
        ignored: Messages received and not answered while silent (pings
            included) or not pings at all.
        silenced: Connections that went silent.

    """

    name = "silent"
    ping_interval = None

    def __init__(self, *, answer: int | None = None, deaf: bool = False) -> None:
        super().__init__()
        check_int("answer", answer, minimum=0, allow_none=True)
        if not isinstance(deaf, bool):
            raise ValueError(f"deaf must be true or false, not {deaf!r}")
        self.answer = answer
        self.deaf = deaf
        self.pongs = 0
        self.ignored = 0
        self.silenced = 0
        self._deaf: set[ServerConnection] = set()

    async def handle(self, connection: ServerConnection) -> None:
        """Answer pings until silent; then ignore everything, or stop reading."""
        answered = 0
        silent = self.answer == 0
        if silent:
            self._silence(connection)
        try:
            async for message in connection:
                if message == "silence":
                    if not silent:
                        silent = True
                        self._silence(connection)
                    continue
                pong = None if silent else _pong(message)
                if pong is None:
                    self.ignored += 1
                    continue
                await connection.send(pong)
                self.pongs += 1
                answered += 1
                if self.answer is not None and answered >= self.answer:
                    silent = True
                    self._silence(connection)
        finally:
            self._deaf.discard(connection)

    def _silence(self, connection: ServerConnection) -> None:
        self.silenced += 1
        if self.deaf:
            self._deaf.add(connection)
            connection.transport.pause_reading()

    async def shutdown(self) -> None:
        """Read deaf connections again, so that the server can close them."""
        for connection in self._deaf:
            connection.transport.resume_reading()


def _pong(message: str | bytes) -> str | None:
    """The answer to a ping, or None if ``message`` is not one."""
    if message == "ping":
        return "pong"
    if isinstance(message, str) and message.startswith("{"):
        try:
            value = peer_json.loads(message)
        except ValueError:
            return None
        if isinstance(value, dict) and value.get("type") == "ping":
            return json.dumps({**value, "type": "pong"})
    return None
