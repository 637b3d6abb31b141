"""Game lab server: players join, move and act; everyone sees the state.

Accepts::

    ws://127.0.0.1:PORT/     any path, any query string

and JSON text messages::

    {"type": "join", "playerId": P}              enter the game as P
    {"type": "move", "x": X, "y": Y}             move to (X, Y), numbers within the board
    {"type": "action", "action": A, "data": D}   anything else a player does
    {"type": "ping", "timestamp": T, ...}        latency probe (any extra fields)
    {"type": "state"}                            ask for the whole state

and answers::

    {"type": "player_joined", "playerId": P}                  to everyone
    {"type": "player_move", "playerId": P, "x": X, "y": Y, "seq": N}
                                                              to everyone
    {"type": "player_action", "playerId": P, "action": A, "data": D, "seq": N}
                                                              to everyone
    {"type": "player_left", "playerId": P}                    to everyone, when P's
                                                              connection closes
    {"type": "game_state", "seq": N, "players": {P: {"x": X, "y": Y}, ...}}
                                                              to everyone after a join
                                                              or a leave, every
                                                              ``state_interval`` s if
                                                              set, and on "state"
    {"type": "pong", "timestamp": T, ...}                     to the sender only: the
                                                              ping with its type changed
    {"type": "error", "error": "..."}                         to the sender of a bad message

``seq`` counts the game's events from 1: it orders moves and actions and
says which state a ``game_state`` reflects. The server adds no time of its
own: a pong carries back the client's own ``timestamp``, so the client
measures its round-trip time with its own clock (the reference's
``Date.now() - message.timestamp``). Any other field of a ping (an ``id``,
say) comes back too, so ``RequestResponse`` can use pings as requests.

New players start at the centre of the ``width`` x ``height`` board.

"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast

from .. import _json as peer_json
from ..checks import check_number
from ._base import Lab

__all__ = ["GameLab"]

MAX_PLAYER_ID = 64


class GameError(ValueError):
    """Raised for a message the game cannot act on."""


class GameLab(Lab):
    """A shared board for the reference's gaming example.

    Args:
        width: Board width; x goes from 0 to width.
        height: Board height; y goes from 0 to height.
        state_interval: Seconds between periodic ``game_state`` broadcasts;
            None: only after joins and leaves, and on request.

    Attributes:
        connections: Connections opened since the server started.
        players: Player id -> ``{"x": X, "y": Y}``.
        seq: The number of the last game event.

    """

    name = "game"

    def __init__(self, *, width: float = 100.0, height: float = 100.0, state_interval: float | None = None) -> None:
        super().__init__()
        for option, value in (("width", width), ("height", height)):
            check_number(option, value, above=0, maximum=1e9)
        check_number("state_interval", state_interval, minimum=0.001, maximum=3600, unit="seconds", allow_none=True)
        self.width = width
        self.height = height
        self.state_interval = state_interval
        self.players: dict[str, dict[str, float]] = {}
        self.seq = 0
        self._members: dict[ServerConnection, str | None] = {}
        self._ticker: asyncio.Task[None] | None = None

    def _state(self) -> str:
        players = {p: self.players[p] for p in sorted(self.players)}
        return json.dumps({"type": "game_state", "seq": self.seq, "players": players})

    def _broadcast(self, event: dict[str, Any] | str) -> None:
        text = event if isinstance(event, str) else json.dumps(event)
        broadcast(list(self._members), text)

    async def handle(self, connection: ServerConnection) -> None:
        """Play until the client leaves; then tell the others."""
        self._members[connection] = None
        if self.state_interval is not None and self._ticker is None:
            self._ticker = asyncio.get_running_loop().create_task(self._tick())
        try:
            async for message in connection:
                try:
                    reply = self._command(connection, message)
                except GameError as exc:
                    reply = json.dumps({"type": "error", "error": str(exc)})
                if reply is not None:
                    await connection.send(reply)
        finally:
            player = self._members.pop(connection, None)
            if player is not None:
                del self.players[player]
                self._broadcast({"type": "player_left", "playerId": player})
                self.seq += 1
                self._broadcast(self._state())

    def _command(self, connection: ServerConnection, raw: str | bytes) -> str | None:
        """Act on one message; return the reply to the sender, if any."""
        try:
            message = peer_json.loads(raw)
        except ValueError:
            raise GameError("messages are JSON objects") from None
        if not isinstance(message, dict):
            raise GameError("the message is not a JSON object")
        kind = message.get("type")
        if kind == "ping":
            return json.dumps({**message, "type": "pong"})
        if kind == "state":
            return self._state()
        if kind == "join":
            player = message.get("playerId")
            if not isinstance(player, str) or not 1 <= len(player) <= MAX_PLAYER_ID:
                raise GameError(f'"playerId" must be a string of 1 to {MAX_PLAYER_ID} characters')
            if self._members.get(connection) is not None:
                raise GameError("this connection already joined")
            if player in self.players:
                raise GameError(f"player {player!r} is already in the game")
            self._members[connection] = player
            self.players[player] = {"x": self.width / 2, "y": self.height / 2}
            self._broadcast({"type": "player_joined", "playerId": player})
            self.seq += 1
            self._broadcast(self._state())
            return None
        player = self._members.get(connection)
        if kind not in ("move", "action"):
            raise GameError(f'unknown type {kind!r}; use "join", "move", "action", "ping" or "state"')
        if player is None:
            raise GameError('join first: {"type": "join", "playerId": "..."}')
        if kind == "move":
            x, y = message.get("x"), message.get("y")
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (x, y)):
                raise GameError('"x" and "y" must be numbers')
            if not (0 <= x <= self.width and 0 <= y <= self.height):  # type: ignore[operator]
                raise GameError(f"({x}, {y}) is outside the {self.width} x {self.height} board")
            self.seq += 1
            self.players[player] = {"x": x, "y": y}  # type: ignore[dict-item]
            self._broadcast({"type": "player_move", "playerId": player, "x": x, "y": y, "seq": self.seq})
        else:
            action = message.get("action")
            if not isinstance(action, str):
                raise GameError('"action" must be a string')
            self.seq += 1
            self._broadcast({
                "type": "player_action", "playerId": player, "action": action,
                "data": message.get("data"), "seq": self.seq,
            })
        return None

    async def _tick(self) -> None:
        assert self.state_interval is not None
        while True:
            await asyncio.sleep(self.state_interval)
            if self._members:
                self._broadcast(self._state())

    async def shutdown(self) -> None:
        """Stop the periodic state broadcast."""
        if self._ticker is not None:
            self._ticker.cancel()
            try:
                await self._ticker
            except asyncio.CancelledError:
                pass
            self._ticker = None
