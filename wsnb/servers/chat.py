"""Chat lab server: rooms, join and leave, typing notices, broadcast.

Accepts::

    ws://127.0.0.1:PORT/     any path, any query string

and JSON text messages (one object per message)::

    {"type": "join", "room": R, "username": U}   join room R as U
    {"type": "leave", "room": R}                  leave room R
    {"type": "chat", "room": R, "text": T}        say T in room R
    {"type": "typing", "room": R}                 tell R you are typing

and answers with::

    {"type": "joined", "room": R, "username": U, "members": [...], "history": [...]}
                                        to the one who joined: who is there
                                        (sorted) and the room's last messages
    {"type": "user_joined", "room": R, "username": U}   to the others in R
    {"type": "left", "room": R}                         to the one who left
    {"type": "user_left", "room": R, "username": U}     to the others in R
    {"type": "chat", "room": R, "username": U, "text": T, "seq": N}
                                        to everyone in R, sender included;
                                        N counts the room's messages from 1
    {"type": "typing", "room": R, "username": U}        to the others in R
    {"type": "error", "error": "..."}                   to the sender of a bad message

A connection has one username, given with its first join (later joins may
omit it). A username is unique in a room. A connection that closes leaves
every room it was in. Output is deterministic: no timestamps, sequence
numbers instead.

Limits and checks: ``max_text`` characters per chat message (and at
least one that is not whitespace; no control characters but newline and
tab), room names and usernames of 1 to 64 characters with no control or
invisible format characters (such as U+200B ZERO WIDTH SPACE, which would
let "ann" followed by it pass for "ann") and no spaces at either end, at most 32
rooms per connection, ``history`` messages kept per room. A ``username``
in a chat message is ignored: the server names the sender. Names are not
HTML-escaped or restricted to "safe" characters: ``<b>`` is a valid
username, and escaping is the job of whoever renders it, who alone knows
the output format (HTML, JSON, a terminal). Error replies quote at most
``MAX_QUOTE`` characters of what the client sent.

For fault demos, ``lab.disconnect(username)`` drops that user's
connections without a Close frame (the client sees 1006), as a network
failure would.

"""

from __future__ import annotations

import collections
import json
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast

from .. import _json as peer_json
from ..checks import check_int
from ._base import Lab

__all__ = ["ChatLab"]

MAX_NAME = 64
MAX_ROOMS_PER_CONNECTION = 32
MAX_QUOTE = 40
"""Characters of a client's value quoted in an error reply, at most."""


class ChatError(ValueError):
    """Raised for a message the chat server cannot act on."""


@dataclass
class _Room:
    members: dict[ServerConnection, str] = field(default_factory=dict)
    history: collections.deque[dict[str, Any]] = field(default_factory=collections.deque)
    seq: int = 0


def _quote(value: Any) -> str:
    """repr() of a client's value, cut to MAX_QUOTE characters for an error reply."""
    text = repr(value)
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 3] + "..."


def _name(message: dict[str, Any], key: str) -> str:
    value = message.get(key)
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_NAME:
        raise ChatError(f'"{key}" must be a string of 1 to {MAX_NAME} characters')
    if value != value.strip():
        raise ChatError(f'"{key}" must not start or end with spaces')
    # Category C: control (Cc), format (Cf: zero-width and bidi marks),
    # surrogate, private use and unassigned characters.
    hidden = next((c for c in value if unicodedata.category(c).startswith("C")), None)
    if hidden is not None:
        raise ChatError(f'"{key}" must not contain control or invisible characters such as U+{ord(hidden):04X}')
    return value


def _text(message: dict[str, Any], max_text: int) -> str:
    text = message.get("text")
    if not isinstance(text, str) or len(text) > max_text:
        raise ChatError(f'"text" must be a string of at most {max_text} characters')
    if not text.strip():
        raise ChatError('"text" must not be empty or only spaces')
    control = next((c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"), None)
    if control is not None:
        raise ChatError(f'"text" must not contain control characters such as U+{ord(control):04X}')
    return text


class ChatLab(Lab):
    """A chat server with rooms, for the reference's chat application.

    Args:
        history: Messages kept per room and replayed to whoever joins.
        max_text: The longest chat text, in characters.

    Attributes:
        connections: Connections opened since the server started.
        messages: Chat messages broadcast.
        rooms: Room name -> sorted usernames of its members.

    """

    name = "chat"

    def __init__(self, *, history: int = 20, max_text: int = 4096) -> None:
        super().__init__()
        for option, value in (("history", history), ("max_text", max_text)):
            check_int(option, value, minimum=0)
        self.history = history
        self.max_text = max_text
        self.messages = 0
        self._rooms: dict[str, _Room] = {}
        self._usernames: dict[ServerConnection, str] = {}

    @property
    def rooms(self) -> dict[str, list[str]]:
        """Each room's members, sorted."""
        return {name: sorted(room.members.values()) for name, room in sorted(self._rooms.items())}

    def disconnect(self, username: str) -> int:
        """Drop every connection of ``username`` as a network failure would.

        The TCP connection is aborted: no Close frame, so the client sees an
        unclean close with code 1006, and whatever the server had not yet
        written is lost. The server then removes the user from every room
        (the others get ``user_left``), as for any closed connection.

        Args:
            username: A username given in a join.

        Returns:
            How many connections were dropped (0 if nobody has that name).
        """
        doomed = [c for c, name in self._usernames.items() if name == username]
        for connection in doomed:
            connection.transport.abort()
        return len(doomed)

    async def handle(self, connection: ServerConnection) -> None:
        """Act on chat commands until the client leaves; then leave every room."""
        state: dict[str, Any] = {"username": None, "rooms": set()}
        try:
            async for message in connection:
                try:
                    await self._command(connection, state, message)
                except ChatError as exc:
                    await connection.send(json.dumps({"type": "error", "error": str(exc)}))
        finally:
            self._usernames.pop(connection, None)
            for room_name in sorted(state["rooms"]):
                await self._leave(connection, room_name, notify_self=False)

    async def _command(self, connection: ServerConnection, state: dict[str, Any], raw: str | bytes) -> None:
        if not isinstance(raw, str):
            raise ChatError("messages are JSON text, not binary")
        try:
            message = peer_json.loads(raw)
        except ValueError:
            raise ChatError("the message is not JSON") from None
        if not isinstance(message, dict):
            raise ChatError("the message is not a JSON object")
        kind = message.get("type")
        if kind == "join":
            await self._join(connection, state, message)
            return
        if kind not in ("leave", "chat", "typing"):
            raise ChatError(f'unknown type {_quote(kind)}; use "join", "leave", "chat" or "typing"')
        room_name = _name(message, "room")
        if room_name not in state["rooms"]:
            raise ChatError(f"you are not in room {room_name!r}; join it first")
        room = self._rooms[room_name]
        username = state["username"]
        if kind == "leave":
            state["rooms"].discard(room_name)
            await self._leave(connection, room_name, notify_self=True)
        elif kind == "typing":
            self._broadcast(room, {"type": "typing", "room": room_name, "username": username}, skip=connection)
        else:
            text = _text(message, self.max_text)
            room.seq += 1
            event = {"type": "chat", "room": room_name, "username": username, "text": text, "seq": room.seq}
            if self.history:
                room.history.append(event)
                while len(room.history) > self.history:
                    room.history.popleft()
            self.messages += 1
            self._broadcast(room, event)

    async def _join(self, connection: ServerConnection, state: dict[str, Any], message: dict[str, Any]) -> None:
        room_name = _name(message, "room")
        if state["username"] is None or "username" in message:
            username = _name(message, "username")
            if state["username"] is not None and username != state["username"]:
                raise ChatError(f"this connection is {state['username']!r}; usernames cannot change")
            state["username"] = username
            self._usernames[connection] = username
        username = state["username"]
        if room_name in state["rooms"]:
            raise ChatError(f"you are already in room {room_name!r}")
        if len(state["rooms"]) >= MAX_ROOMS_PER_CONNECTION:
            raise ChatError(f"a connection can be in at most {MAX_ROOMS_PER_CONNECTION} rooms")
        room = self._rooms.setdefault(room_name, _Room())
        if username in room.members.values():
            raise ChatError(f"{username!r} is already in room {room_name!r}")
        self._broadcast(room, {"type": "user_joined", "room": room_name, "username": username})
        room.members[connection] = username
        state["rooms"].add(room_name)
        await connection.send(json.dumps({
            "type": "joined",
            "room": room_name,
            "username": username,
            "members": sorted(room.members.values()),
            "history": list(room.history),
        }))

    async def _leave(self, connection: ServerConnection, room_name: str, *, notify_self: bool) -> None:
        room = self._rooms.get(room_name)
        if room is None or connection not in room.members:
            return
        username = room.members.pop(connection)
        if notify_self:
            await connection.send(json.dumps({"type": "left", "room": room_name}))
        self._broadcast(room, {"type": "user_left", "room": room_name, "username": username})
        if not room.members:
            del self._rooms[room_name]

    @staticmethod
    def _broadcast(room: _Room, event: dict[str, Any], skip: ServerConnection | None = None) -> None:
        # websockets' broadcast() writes to every open member at once without
        # waiting, so one slow member cannot hold up the room.
        broadcast([m for m in room.members if m is not skip], json.dumps(event))
