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
    {"type": "missed", "room": R, "first": A, "last": B, "count": K, "reason": "..."}
                                        with a broker only: chat messages A to B
                                        of R were published while this process
                                        could not hear the broker and are no
                                        longer in the history, so they cannot
                                        be delivered (told, never dropped in silence)

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

Scale-out (``broker="redis://HOST:PORT/DB"``): several chat processes
given the same Redis URL serve one set of rooms. A room's events go through
a Redis channel, so members connected to different processes hear each
other; presence, history (bounded to ``history``) and ``seq`` live in Redis
and are the same from every process (see :mod:`~wsnb.servers.broker`). The
members of a process that dies are removed within seconds, and the room
hears ``user_left``. When Redis cannot be reached, a command that needs it
is answered with ``{"type": "error", "error": "the message broker ... is
unreachable: ... not delivered ..."}``: never dropped in silence. Without a
broker everything stays in the process, as before.

Acknowledged delivery (``ack=True``), for ``wsnb.patterns.Robust(ack=True)``:
a message may also be an envelope ``{"session": S, "id": N, "data": D}``
whose ``data`` is one of the commands above (as a JSON object, or as JSON
text). The server acts on it once per id, in order, and answers ``{"ack":
LAST}`` (see :mod:`~wsnb.servers._acks`); the highest id delivered per
session is kept in the broker, so a client whose process died resends to
another process and each message is still delivered exactly once (a chat
message is numbered, stored and recorded in one atomic step). Plain
commands are still accepted (a reconnecting client's ``join``). When the
broker is unreachable, a connection that sent envelopes gets the error
reply and then a close with 1013 (Try Again Later): the client reconnects
and resends what was not acknowledged.

"""

from __future__ import annotations

import collections
import itertools
import json
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast

from .. import _json as peer_json
from ..checks import check_int
from ..exceptions import BrokerUnavailable
from ._acks import ack, classify, parse_envelope
from ._base import Lab, logger
from .broker import MAX_SESSIONS, Broker, Said, chat_payload, check_broker_url, make_broker

__all__ = ["ChatLab"]

MAX_NAME = 64
MAX_ROOMS_PER_CONNECTION = 32
MAX_QUOTE = 40
"""Characters of a client's value quoted in an error reply, at most."""


class ChatError(ValueError):
    """Raised for a message the chat server cannot act on."""


@dataclass
class _Joining:
    """A join between the broker's answer and its announcement passing through this process.

    The broker announces a join (``user_joined``) on the room's channel in
    the same atomic step as it reads the history. Events published before
    the announcement are in the joiner's history; events after it must be
    delivered live. So the joiner becomes a local member when both the
    announcement went by (``announced``) and its ``joined`` reply was sent
    (``answered``); what arrives in between waits in ``backlog``.
    """

    connection: ServerConnection
    room: str
    username: str
    member: str
    announced: bool = False
    answered: bool = False
    backlog: list[str] = field(default_factory=list)


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
        broker: None to keep rooms in this process, or a Redis URL
            (``redis://127.0.0.1:6379/0``) shared with other chat processes.
        ack: Accept ``Robust(ack=True)`` envelopes and acknowledge them.

    Attributes:
        connections: Connections opened since the server started.
        messages: Chat messages this process received and broadcast.
        rooms: Room name -> sorted usernames of its members connected to
            this process (with no broker: all of them).
        broker: The :class:`~wsnb.servers.broker.Broker`.

    """

    name = "chat"

    def __init__(self, *, history: int = 20, max_text: int = 4096, broker: str | None = None, ack: bool = False) -> None:
        super().__init__()
        for option, value in (("history", history), ("max_text", max_text)):
            check_int(option, value, minimum=0)
        if not isinstance(ack, bool):
            raise ValueError(f"ack must be true or false, not {ack!r}")
        self.history = history
        self.max_text = max_text
        self.ack = ack
        self.broker: Broker = make_broker(check_broker_url(broker), self.name)
        self.messages = 0
        self._local: dict[str, dict[ServerConnection, str]] = {}
        self._usernames: dict[ServerConnection, str] = {}
        self._member_ids: dict[ServerConnection, str] = {}
        self._joining: dict[str, _Joining] = {}
        self._interest: collections.Counter[str] = collections.Counter()
        self._last_seq: dict[str, int] = {}
        self._sessions: collections.OrderedDict[str, int] = collections.OrderedDict()
        self._ids = itertools.count(1)

    @property
    def rooms(self) -> dict[str, list[str]]:
        """Each room's members connected to this process, sorted."""
        return {name: sorted(members.values()) for name, members in sorted(self._local.items())}

    async def setup(self) -> None:
        """Connect to the broker (raises BrokerUnavailable if Redis cannot be reached)."""
        await self.broker.start(self._deliver, self._restored)

    async def teardown(self) -> None:
        """Disconnect from the broker."""
        await self.broker.close()

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
        member = self._member_ids[connection] = f"{self.broker.process_id}.{next(self._ids)}"
        state: dict[str, Any] = {"username": None, "rooms": set(), "member": member}
        try:
            async for message in connection:
                try:
                    if self.ack and isinstance(message, str) and '"session"' in message:
                        state["acknowledged"] = True
                        await self._enveloped(connection, state, message)
                    else:
                        try:
                            await self._act(connection, state, self._parse(message))
                        except ChatError as exc:
                            await connection.send(json.dumps({"type": "error", "error": str(exc)}))
                except BrokerUnavailable as exc:
                    logger.warning("chat: %s", exc)
                    await connection.send(json.dumps({
                        "type": "error",
                        "error": f"{exc}; your message was not delivered: send it again once the broker is back",
                    }))
                    if state.get("acknowledged") or (self.ack and state.pop("joining", False)):
                        # The client rejoins, and resends what was not
                        # acknowledged, when it reconnects. (A failed join
                        # counts too: the envelopes that follow it would
                        # be refused as "not in room".)
                        await connection.close(1013, "message broker unavailable")
                        return
        finally:
            self._usernames.pop(connection, None)
            self._member_ids.pop(connection, None)
            for token, joining in list(self._joining.items()):
                if joining.connection is connection:
                    del self._joining[token]
                    await self._lose_interest(joining.room)
            for room_name in sorted(state["rooms"]):
                await self._leave(connection, state, room_name, notify_self=False)

    async def _enveloped(self, connection: ServerConnection, state: dict[str, Any], raw: str) -> None:
        """Act on an acknowledged-delivery envelope once per id, then acknowledge."""
        try:
            session, message_id, data = parse_envelope(raw)
        except ValueError as exc:
            await connection.send(json.dumps({"type": "error", "error": str(exc)}))
            return
        last = await self.broker.delivered(session)
        if classify(last, message_id) == "next":
            try:
                command = self._parse(data) if isinstance(data, str) else self._check_object(data)
                said = await self._act(connection, state, command, session, message_id)
            except ChatError as exc:
                await connection.send(json.dumps({"type": "error", "error": str(exc)}))
                said = None
            # A chat message records its id in the same step as it is
            # published; anything else (or an error) is recorded now.
            last = said.last if said is not None else await self.broker.record(session, message_id)
        self._sessions[session] = last
        self._sessions.move_to_end(session)
        if len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        await connection.send(ack(last))

    @staticmethod
    def _parse(raw: str | bytes) -> dict[str, Any]:
        if not isinstance(raw, str):
            raise ChatError("messages are JSON text, not binary")
        try:
            message = peer_json.loads(raw)
        except ValueError:
            raise ChatError("the message is not JSON") from None
        return ChatLab._check_object(message)

    @staticmethod
    def _check_object(message: Any) -> dict[str, Any]:
        if not isinstance(message, dict):
            raise ChatError("the message is not a JSON object")
        return message

    async def _act(
        self,
        connection: ServerConnection,
        state: dict[str, Any],
        message: dict[str, Any],
        session: str | None = None,
        message_id: int | None = None,
    ) -> Said | None:
        """Carry out one command; a chat message's answer from the broker, else None."""
        kind = message.get("type")
        if kind == "join":
            await self._join(connection, state, message)
            return None
        if kind not in ("leave", "chat", "typing"):
            raise ChatError(f'unknown type {_quote(kind)}; use "join", "leave", "chat" or "typing"')
        room_name = _name(message, "room")
        if room_name not in state["rooms"]:
            raise ChatError(f"you are not in room {room_name!r}; join it first")
        username = state["username"]
        if kind == "leave":
            state["rooms"].discard(room_name)
            await self._leave(connection, state, room_name, notify_self=True)
            return None
        if kind == "typing":
            event = json.dumps({"type": "typing", "room": room_name, "username": username})
            await self.broker.publish(f"room:{room_name}", chat_payload(event, skip=state["member"]))
            return None
        text = _text(message, self.max_text)
        # The broker appends the room's next seq and the closing brace.
        head = json.dumps({"type": "chat", "room": room_name, "username": username, "text": text, "seq": 0})[:-2]
        said = await self.broker.say(room_name, head, self.history, session, message_id)
        if said.delivered:
            self.messages += 1
        return said

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
        state["joining"] = True
        token = f"{state['member']}/{next(self._ids)}"
        joining = self._joining[token] = _Joining(connection, room_name, username, state["member"])
        self._interest[room_name] += 1
        announcement = json.dumps({"type": "user_joined", "room": room_name, "username": username})
        try:
            # Subscribed before the join: the announcement cannot be missed.
            await self.broker.subscribe(f"room:{room_name}")
            joined = await self.broker.join(room_name, username, chat_payload(announcement, token=token, skip=state["member"]))
        except BaseException:
            self._joining.pop(token, None)
            await self._lose_interest(room_name)
            raise
        state.pop("joining", None)
        if joined is None:
            self._joining.pop(token, None)
            await self._lose_interest(room_name)
            raise ChatError(f"{username!r} is already in room {room_name!r}")
        state["rooms"].add(room_name)
        members = json.dumps(joined.members)
        history = ", ".join(joined.history)
        await connection.send(
            f'{{"type": "joined", "room": {json.dumps(room_name)}, "username": {json.dumps(username)}, '
            f'"members": {members}, "history": [{history}]}}'
        )
        joining.answered = True
        for event in joining.backlog:
            broadcast([connection], event)
        if joining.announced:
            self._admit(token)

    def _admit(self, token: str) -> None:
        joining = self._joining.pop(token, None)
        if joining is not None:
            self._local.setdefault(joining.room, {})[joining.connection] = joining.username

    async def _leave(self, connection: ServerConnection, state: dict[str, Any], room_name: str, *, notify_self: bool) -> None:
        members = self._local.get(room_name)
        if members is None or connection not in members:
            return
        username = members.pop(connection)
        if not members:
            del self._local[room_name]
        if notify_self:
            await connection.send(json.dumps({"type": "left", "room": room_name}))
        event = json.dumps({"type": "user_left", "room": room_name, "username": username})
        try:
            await self.broker.leave(room_name, username, chat_payload(event, skip=state["member"]))
        except BrokerUnavailable as exc:
            # Done locally; the broker catches up when it is back (see _restored).
            logger.warning("chat: %s left %s while the broker was away (%s); it will be told later", username, room_name, exc)
        finally:
            await self._lose_interest(room_name)

    async def _lose_interest(self, room_name: str) -> None:
        self._interest[room_name] -= 1
        if self._interest[room_name] <= 0:
            del self._interest[room_name]
            self._last_seq.pop(room_name, None)
            try:
                await self.broker.unsubscribe(f"room:{room_name}")
            except BrokerUnavailable:  # pragma: no cover - unsubscribing never needs Redis to answer
                pass

    def _deliver(self, channel: str, payload: bytes) -> None:
        """Send an event of a room's channel to this process's members of the room."""
        if not channel.startswith("room:"):
            return
        room_name = channel[5:]
        seq, token, skip, event = payload.decode().split("|", 3)
        members = self._local.get(room_name, {})
        if seq:
            number = int(seq)
            last = self._last_seq.get(room_name, 0)
            if number <= last:
                return  # delivered already (a gap was filled from the history)
            self._last_seq[room_name] = number
            if last and number > last + 1:
                # Published while this process could not hear the broker, and
                # older than the history it caught up from: say so.
                missed = number - last - 1
                broadcast(list(members), json.dumps({
                    "type": "missed", "room": room_name, "first": last + 1, "last": number - 1, "count": missed,
                    "reason": f"{missed} chat message(s) were published while this server could not reach the "
                              f"message broker, and the room's history (the last {self.history}) no longer holds them",
                }))
                logger.warning("chat: room %r missed messages %d to %d during a broker outage", room_name, last + 1, number - 1)
        # websockets' broadcast() writes to every open member at once without
        # waiting, so one slow member cannot hold up the room.
        broadcast([c for c in members if self._member_ids.get(c) != skip], event)
        for joining in self._joining.values():
            if joining.room == room_name and joining.announced and not joining.answered:
                joining.backlog.append(event)
        if token in self._joining:
            joining = self._joining[token]
            joining.announced = True
            if joining.answered:
                self._admit(token)

    async def _restored(self, reason: str) -> None:
        """The broker is back: put back what Redis forgot, deliver what was missed."""
        if reason == "forgotten":
            self._last_seq = dict.fromkeys(self._last_seq, 0)
        members = sorted((room, name) for room, connections in self._local.items() for name in connections.values())
        await self.broker.restore(members, dict(self._sessions), announce=reason == "swept")
        if reason in ("reconnected", "forgotten"):
            for room_name in sorted(self._local):
                for event in await self.broker.history(room_name):
                    seq = json.loads(event)["seq"]
                    self._deliver(f"room:{room_name}", chat_payload(event, seq=seq))
