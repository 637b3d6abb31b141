"""Message brokers of the fan-out lab servers (``chat``, ``ticker``): in-process or Redis.

A fan-out server sends each message to many clients. In one process that is
a loop over its connections. Once several processes share the clients
(behind a load balancer), a message that arrives at one process must reach
the clients of every other: the processes publish to and subscribe from a
*broker*, and keep what they share (who is in a room, its history, its
message counter) where all of them can see it. This module holds both
implementations behind one small interface, :class:`Broker`:

- :class:`InProcessBroker` (``broker=None``, the default): dictionaries and
  direct calls in the lab's own process. Nothing to install; one process.
- :class:`RedisBroker` (``broker="redis://HOST:PORT/DB"``): a real Redis
  server (see :class:`~wsnb.servers.LocalRedis`), used as Redis is meant
  to be used: pub/sub channels for the fan-out, and each change of shared
  state as one Lua script, which Redis runs atomically, so that processes
  never see half of one.

What Redis holds, for a lab called NAME (keys start with ``wsnb:NAME:``):

============================  ==============================================
``room:R`` (channel)           the room's events, for every process to deliver
``room:R:members`` (hash)      username -> id of the process holding it
``room:R:history`` (list)      the room's last events (RPUSH + LTRIM)
``room:R:seq`` (counter)       INCR: the room's sequence numbers
``process:P:members`` (set)    ``room\\nusername`` of process P's members
``processes`` (set)            the processes that registered
``alive:P``                    process P's heartbeat, expiring after PRESENCE_TTL
``process:P`` (channel)        subscribed by P: gone the moment P's connection is
``session:S``                  the highest message id delivered for session S
``lead:X``                     the holder of leadership X (SET NX PX, renewed)
``last:X``                     the last sequence number X's leader published
``epoch``                      a token; missing after Redis lost its memory
============================  ==============================================

Processes die. A process killed with SIGKILL leaves its members behind
(*ghosts*). Every process renews its heartbeat every ``HEARTBEAT`` seconds
and sweeps the others: the members of a process whose heartbeat expired are
removed, and the room hears ``user_left`` (one script, so exactly one
survivor announces each). A user who reconnects at once, before the sweep,
may take back a name held by a process whose subscription is gone (Redis
drops it when the process's TCP connection closes): the ghost leaves, the
user joins.

Redis dies too. Every command that fails raises
:class:`~wsnb.exceptions.BrokerUnavailable`, which the lab reports to the
client. The subscription reconnects with backoff (logged on the
``wsnb.servers`` logger), subscribes again and calls the lab's ``restored``
callback, which puts back what Redis forgot (presence, sessions) and
delivers what was published while the subscription was down (from the
history).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import secrets
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from ..exceptions import BrokerUnavailable
from ._base import logger

if TYPE_CHECKING:
    import redis.asyncio  # imported when a RedisBroker starts: in-process needs no redis

__all__ = [
    "HEARTBEAT",
    "PRESENCE_TTL",
    "SESSION_TTL",
    "Broker",
    "InProcessBroker",
    "Joined",
    "RedisBroker",
    "Said",
    "check_broker_url",
    "make_broker",
]

HEARTBEAT = 0.5
"""Seconds between a process's heartbeats (and its sweeps for ghosts)."""

PRESENCE_TTL = 2.0
"""Seconds after its last heartbeat when a process counts as dead and its members as ghosts."""

SESSION_TTL = 3600.0
"""Seconds Redis remembers an acknowledged-delivery session after its last message."""

MAX_SESSIONS = 256
"""Sessions an in-process broker (and each lab, for restoring Redis) remembers."""

Deliver = Callable[[str, bytes], None]
"""Called with (channel, payload) for each message published on a subscribed channel."""

Restored = Callable[[str], Awaitable[None]]
"""Called after the broker came back: with ``"reconnected"`` (the subscription
was lost and is back), ``"forgotten"`` (Redis lost its memory: a restart) or
``"reconcile"`` (a change the broker refused must be tried again)."""


@dataclass(frozen=True)
class Joined:
    """The answer to a join: who is in the room (sorted) and its history, as JSON texts."""

    members: list[str]
    history: list[str]


@dataclass(frozen=True)
class Said:
    """The answer to a chat message.

    Attributes:
        delivered: Whether it was published (False: a duplicate or a gap of its session).
        last: The highest id delivered for its session (0 without a session).
    """

    delivered: bool
    last: int


def check_broker_url(url: Any) -> str | None:
    """Check the ``broker`` option: None (in-process) or a Redis URL.

    Raises:
        ValueError: Naming the option, for anything else.
    """
    if url is None:
        return None
    hint = "broker must be omitted (in-process) or a Redis URL such as redis://127.0.0.1:6379/0"
    if not isinstance(url, str):
        raise ValueError(f"{hint}, not {url!r}")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ValueError(f"{hint}, not {url!r}: {exc}") from None
    if parts.scheme not in ("redis", "rediss", "unix") or (parts.scheme != "unix" and not parts.hostname):
        raise ValueError(f"{hint}, not {url!r}")
    database = parts.path.strip("/")
    if database and not database.isdigit():
        raise ValueError(f"{hint}, not {url!r}: the database after the / is a number")
    return url


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def make_broker(url: str | None, name: str) -> Broker:
    """The broker for a lab called ``name``: in-process for None, else Redis at ``url``."""
    return InProcessBroker() if url is None else RedisBroker(url, name)


def _backoff(initial: float = 0.05, cap: float = 2.0) -> Iterator[float]:
    """Delays between reconnection attempts: doubling from ``initial`` up to ``cap``."""
    delay = initial
    while True:
        yield delay
        delay = min(cap, delay * 2)


def chat_payload(event: str, *, seq: int | str = "", token: str = "", skip: str = "") -> bytes:
    """A room channel's message: ``SEQ|TOKEN|SKIP|EVENT``.

    ``seq`` orders chat messages, ``token`` marks the announcement of a
    join (the joiner's process waits for it), ``skip`` names the member the
    event is not for (the one typing, the one who joined).
    """
    return f"{seq}|{token}|{skip}|{event}".encode()


class Broker(ABC):
    """What a fan-out lab shares with the other processes that serve the same clients.

    A lab calls :meth:`start` before it serves and :meth:`close` after its
    last connection closed. Every other method may raise
    :class:`~wsnb.exceptions.BrokerUnavailable`.

    Attributes:
        process_id: This process's id in the cluster (random).
        url: The broker's URL, None in-process.
    """

    url: str | None = None

    def __init__(self) -> None:
        self.process_id = secrets.token_hex(6)

    @abstractmethod
    async def start(self, deliver: Deliver, restored: Restored | None = None) -> None:
        """Connect; from now on ``deliver`` gets every message of the subscribed channels."""

    @abstractmethod
    async def close(self) -> None:
        """Disconnect; what this process holds (its members) is removed first."""

    # -- Pub/sub --------------------------------------------------------------------

    @abstractmethod
    async def subscribe(self, channel: str) -> None:
        """Subscribe to ``channel``; returns once messages published from now on are delivered."""

    @abstractmethod
    async def unsubscribe(self, channel: str) -> None:
        """Stop delivering ``channel``'s messages."""

    @abstractmethod
    async def publish(self, channel: str, payload: bytes) -> None:
        """Publish ``payload`` to every process subscribed to ``channel``."""

    # -- Chat rooms ----------------------------------------------------------------

    @abstractmethod
    async def join(self, room: str, username: str, announcement: bytes) -> Joined | None:
        """Add ``username`` to ``room`` and publish ``announcement`` on the room's channel.

        Atomic: every chat message is either in the returned history or
        published after the announcement. Returns None if the name is taken.
        """

    @abstractmethod
    async def say(self, room: str, head: str, history: int, session: str | None = None, message_id: int | None = None) -> Said:
        """Number a chat event, keep it in the history, publish it: at once.

        ``head`` is the event's JSON without its end: ``head + str(seq) +
        "}"`` is the event. With a ``session``, the event is delivered only
        if ``message_id`` is the next id of the session, and the id is
        recorded in the same step (so a resend after a crash is a duplicate).
        """

    @abstractmethod
    async def leave(self, room: str, username: str, announcement: bytes) -> None:
        """Remove ``username`` (held by this process) from ``room`` and publish ``announcement``."""

    @abstractmethod
    async def history(self, room: str) -> list[str]:
        """The room's history, oldest first, as JSON texts."""

    @abstractmethod
    async def delivered(self, session: str) -> int:
        """The highest message id delivered for ``session`` (0 if unknown)."""

    @abstractmethod
    async def record(self, session: str, message_id: int) -> int:
        """Record ``message_id`` as delivered if it is the session's next; return the session's last id."""

    @abstractmethod
    async def restore(self, members: Sequence[tuple[str, str]], sessions: dict[str, int], *, announce: bool) -> None:
        """Make the shared state hold this process's ``(room, username)`` members, and no others of it.

        Sessions' last ids are raised to ``sessions``. With ``announce``,
        each member put back is announced with ``user_joined``.
        """

    # -- Leadership (one process does a job for the cluster) ---------------------------

    @abstractmethod
    async def lead(self, name: str, ttl: float) -> bool:
        """Become or stay the leader of ``name`` for ``ttl`` seconds; whether this process leads."""

    @abstractmethod
    async def resign(self, name: str) -> None:
        """Stop leading ``name`` (if this process does), so that another may."""

    @abstractmethod
    async def publish_led(self, name: str, channel: str, payload: bytes, last: int) -> bool:
        """Publish as the leader of ``name``, recording ``last``; False (nothing published) if not the leader."""

    @abstractmethod
    async def last(self, name: str) -> int | None:
        """The last number recorded by ``name``'s leaders (None before any)."""


# ---------------------------------------------------------------------------
# In-process


@dataclass
class _Room:
    members: dict[str, str]
    history: collections.deque[str]
    seq: int = 0


class InProcessBroker(Broker):
    """A broker inside one process: the default, with nothing to install.

    :meth:`publish` calls the lab's ``deliver`` at once, before it returns,
    so events reach the lab's connections in the order they happen, as
    they did before brokers existed. It cannot span processes.
    """

    def __init__(self) -> None:
        super().__init__()
        self._deliver: Deliver | None = None
        self._channels: set[str] = set()
        self._rooms: dict[str, _Room] = {}
        self._sessions: collections.OrderedDict[str, int] = collections.OrderedDict()
        self._last: dict[str, int] = {}

    async def start(self, deliver: Deliver, restored: Restored | None = None) -> None:
        self._deliver = deliver

    async def close(self) -> None:
        self._deliver = None

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)

    async def publish(self, channel: str, payload: bytes) -> None:
        if channel in self._channels and self._deliver is not None:
            self._deliver(channel, payload)

    async def join(self, room: str, username: str, announcement: bytes) -> Joined | None:
        state = self._rooms.setdefault(room, _Room({}, collections.deque()))
        if username in state.members:
            return None
        state.members[username] = self.process_id
        await self.publish(f"room:{room}", announcement)
        return Joined(sorted(state.members), list(state.history))

    async def say(self, room: str, head: str, history: int, session: str | None = None, message_id: int | None = None) -> Said:
        last = 0
        if session is not None:
            last = self._sessions.get(session, 0)
            if message_id != last + 1:
                return Said(False, last)
        state = self._rooms.setdefault(room, _Room({}, collections.deque()))
        state.seq += 1
        event = f"{head}{state.seq}}}"
        if history:
            state.history.append(event)
            while len(state.history) > history:
                state.history.popleft()
        await self.publish(f"room:{room}", chat_payload(event, seq=state.seq))
        if session is not None and message_id is not None:
            last = self._remember(session, message_id)
        return Said(True, last)

    async def leave(self, room: str, username: str, announcement: bytes) -> None:
        state = self._rooms.get(room)
        if state is None or state.members.get(username) != self.process_id:
            return
        del state.members[username]
        await self.publish(f"room:{room}", announcement)
        if not state.members:
            del self._rooms[room]  # the room and its history end with its last member

    async def history(self, room: str) -> list[str]:
        state = self._rooms.get(room)
        return [] if state is None else list(state.history)

    async def delivered(self, session: str) -> int:
        return self._sessions.get(session, 0)

    async def record(self, session: str, message_id: int) -> int:
        last = self._sessions.get(session, 0)
        return self._remember(session, message_id) if message_id == last + 1 else last

    def _remember(self, session: str, message_id: int) -> int:
        self._sessions[session] = message_id
        self._sessions.move_to_end(session)
        if len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return message_id

    async def restore(self, members: Sequence[tuple[str, str]], sessions: dict[str, int], *, announce: bool) -> None:
        """Nothing to restore: an in-process broker never forgets."""

    async def lead(self, name: str, ttl: float) -> bool:
        return True

    async def resign(self, name: str) -> None:
        pass

    async def publish_led(self, name: str, channel: str, payload: bytes, last: int) -> bool:
        self._last[name] = last
        await self.publish(channel, payload)
        return True

    async def last(self, name: str) -> int | None:
        return self._last.get(name)


# ---------------------------------------------------------------------------
# Redis

# Each script is one atomic step. KEYS are the keys it touches that the
# caller can name; keys found on the way (a dead holder's) are built from
# ARGV[1], the lab's prefix "wsnb:NAME:", which is fine on a single Redis.

_JOIN = """
local prefix, room, user, pid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local members = KEYS[1]
local holder = redis.call('HGET', members, user)
if holder then
  if holder == pid then return {0} end
  local alive = redis.call('EXISTS', prefix .. 'alive:' .. holder) == 1
  if alive then alive = redis.call('PUBSUB', 'NUMSUB', prefix .. 'process:' .. holder)[2] > 0 end
  if alive then return {0} end
  -- The holder's process is gone (its connection closed): its member is a ghost.
  redis.call('SREM', prefix .. 'process:' .. holder .. ':members', room .. '\\n' .. user)
  redis.call('PUBLISH', prefix .. 'room:' .. room, ARGV[6])
end
redis.call('HSET', members, user, pid)
redis.call('SADD', KEYS[3], room .. '\\n' .. user)
redis.call('PUBLISH', prefix .. 'room:' .. room, ARGV[5])
return {1, redis.call('HKEYS', members), redis.call('LRANGE', KEYS[2], 0, -1)}
"""

_SAY = """
local last = 0
if ARGV[4] ~= '' then
  last = tonumber(redis.call('GET', KEYS[3]) or '0')
  if tonumber(ARGV[4]) ~= last + 1 then return {0, last} end
end
local seq = redis.call('INCR', KEYS[1])
local event = ARGV[2] .. seq .. '}'
local limit = tonumber(ARGV[3])
if limit > 0 then
  redis.call('RPUSH', KEYS[2], event)
  redis.call('LTRIM', KEYS[2], -limit, -1)
end
redis.call('PUBLISH', ARGV[1], seq .. '|||' .. event)
if ARGV[4] ~= '' then
  redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
  last = tonumber(ARGV[4])
end
return {1, last}
"""

_LEAVE = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[5])
redis.call('PUBLISH', ARGV[3], ARGV[4])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[2], KEYS[3]) end
return 1
"""

# Lua shared by the scripts that change presence: an entry of a process's
# member set is "room\nusername"; a member is removed only if the process
# still holds the name, the room hears it, and the room ends with its last
# member (its history and counter too), as in-process.
_PRESENCE = """
local function split(entry)
  local cut = string.find(entry, '\\n', 1, true)
  return string.sub(entry, 1, cut - 1), string.sub(entry, cut + 1)
end
local function announce(prefix, kind, room, user)
  local event = '{"type": "' .. kind .. '", "room": ' .. cjson.encode(room) .. ', "username": ' .. cjson.encode(user) .. '}'
  redis.call('PUBLISH', prefix .. 'room:' .. room, '|||' .. event)
end
local function remove(prefix, pid, room, user)
  local members = prefix .. 'room:' .. room .. ':members'
  if redis.call('HGET', members, user) ~= pid then return end
  redis.call('HDEL', members, user)
  announce(prefix, 'user_left', room, user)
  if redis.call('HLEN', members) == 0 then
    redis.call('DEL', prefix .. 'room:' .. room .. ':history', prefix .. 'room:' .. room .. ':seq')
  end
end
"""

# Removes the members of a dead process (its heartbeat expired), announcing
# each departure once.
_REAP = _PRESENCE + """
local prefix, pid = ARGV[1], ARGV[2]
if redis.call('EXISTS', prefix .. 'alive:' .. pid) == 1 then return -1 end
local entries = redis.call('SMEMBERS', prefix .. 'process:' .. pid .. ':members')
for _, entry in ipairs(entries) do
  local room, user = split(entry)
  remove(prefix, pid, room, user)
end
redis.call('DEL', prefix .. 'process:' .. pid .. ':members')
redis.call('SREM', prefix .. 'processes', pid)
return #entries
"""

# A heartbeat: renew alive:P; register P; returns 1 if P had been swept
# away (a stall longer than the TTL) and must put its members back.
_HEARTBEAT = """
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
return redis.call('SADD', KEYS[2], ARGV[1])
"""

# Puts back a process's members (ARGV[4..]: room, user, room, user ...) and
# removes those of its members it no longer has, announcing each change if
# asked (ARGV[3] == '1'; removals are always announced).
_RESTORE = _PRESENCE + """
local prefix, pid, loud = ARGV[1], ARGV[2], ARGV[3] == '1'
local mine = prefix .. 'process:' .. pid .. ':members'
local wanted = {}
local conflicts = {}
for i = 4, #ARGV, 2 do
  local room, user = ARGV[i], ARGV[i + 1]
  wanted[room .. '\\n' .. user] = true
  local members = prefix .. 'room:' .. room .. ':members'
  if redis.call('HSETNX', members, user, pid) == 1 then
    redis.call('SADD', mine, room .. '\\n' .. user)
    if loud then announce(prefix, 'user_joined', room, user) end
  elseif redis.call('HGET', members, user) ~= pid then
    table.insert(conflicts, room .. '\\n' .. user)
  end
end
for _, entry in ipairs(redis.call('SMEMBERS', mine)) do
  if not wanted[entry] then
    redis.call('SREM', mine, entry)
    local room, user = split(entry)
    remove(prefix, pid, room, user)
  end
end
return conflicts
"""

_RECORD = """
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) == last + 1 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return tonumber(ARGV[1])
end
return last
"""

_RAISE = """
for i = 1, #KEYS do
  local last = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tonumber(ARGV[i + 1]) > last then redis.call('SET', KEYS[i], ARGV[i + 1], 'PX', ARGV[1]) end
end
return #KEYS
"""

_LEAD = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

_RESIGN = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# Only the holder of the lock publishes: an old leader that lost the lock
# (it stalled past the TTL) cannot interleave its stream with the new one's.
_PUBLISH_LED = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[2], ARGV[4])
return 1
"""


class RedisBroker(Broker):
    """A broker on a Redis server, shared by every process given the same URL.

    Uses two connections (from ``redis.asyncio``): one for commands and
    scripts, one subscribed to the channels. Commands fail fast when Redis
    is gone (:class:`~wsnb.exceptions.BrokerUnavailable`); the subscription
    reconnects with backoff on its own.

    Args:
        url: ``redis://HOST:PORT/DB``.
        name: The lab's name; its keys and channels start with ``wsnb:NAME:``.
    """

    def __init__(self, url: str, name: str) -> None:
        super().__init__()
        self.url = url
        self.prefix = f"wsnb:{name}:"
        self._client: redis.asyncio.Redis | None = None
        self._subscriber: redis.asyncio.Redis | None = None
        self._pubsub: Any = None
        self._connected = False
        # Serving: connected, and (after an outage) registered and restored.
        # Until then the lab's commands fail fast, so that none runs against
        # a Redis that has not been given back what it forgot.
        self._available = False
        self._deliver: Deliver | None = None
        self._restored: Restored | None = None
        self._channels: set[str] = set()
        self._confirmations: dict[str, asyncio.Future[None]] = {}
        self._epoch: str | None = None
        self._reconcile = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._scripts: dict[str, Any] = {}

    # -- Connection ---------------------------------------------------------------------

    def _unavailable(self, exc: BaseException) -> BrokerUnavailable:
        return BrokerUnavailable(redacted(self.url or ""), f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)

    def _check_available(self) -> None:
        if not self._available:
            raise BrokerUnavailable(redacted(self.url or ""), "reconnecting to Redis")

    def _errors(self) -> tuple[type[BaseException], ...]:
        import redis.exceptions

        return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError, asyncio.TimeoutError)

    async def _call(self, script: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """Run one of the module's Lua scripts (EVALSHA, loading it again after a Redis restart)."""
        if self._client is None:
            raise BrokerUnavailable(redacted(self.url or ""), "the broker is closed")
        runner = self._scripts.get(script)
        if runner is None:
            runner = self._scripts[script] = self._client.register_script(script)
        try:
            return await runner(keys=list(keys), args=list(args))
        except self._errors() as exc:
            self._reconcile = True  # what failed may have to be redone once Redis is back
            raise self._unavailable(exc) from exc

    async def _command(self, command: Callable[[redis.asyncio.Redis], Any]) -> Any:
        """Run ``command(client)``: one Redis command, its failure as BrokerUnavailable."""
        if self._client is None:
            raise BrokerUnavailable(redacted(self.url or ""), "the broker is closed")
        try:
            return await command(self._client)
        except self._errors() as exc:
            raise self._unavailable(exc) from exc

    async def start(self, deliver: Deliver, restored: Restored | None = None) -> None:
        """Connect, register this process, subscribe; raise BrokerUnavailable if Redis cannot be reached."""
        import redis.asyncio
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialBackoff, NoBackoff

        self._deliver, self._restored = deliver, restored
        self._client = redis.asyncio.Redis.from_url(
            self.url or "",
            socket_connect_timeout=2.0,
            socket_timeout=5.0,
            # Named in Redis's CLIENT LIST: which lab, which OS process, which broker id.
            client_name=f"{self.prefix.replace(':', '-')}pid{os.getpid()}-{self.process_id}",
            # Two quick retries ride out a dropped connection; an outage
            # then fails the command fast, to be reported to the client.
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
        )
        # The subscription gets a client of its own that never retries: redis-py
        # would otherwise reconnect a lost subscription and resubscribe without a
        # word, and what was published in between would be lost unseen. Here the
        # loss reaches _listen, which resubscribes and catches up from the history.
        self._subscriber = redis.asyncio.Redis.from_url(
            self.url or "",
            socket_connect_timeout=2.0,
            client_name=f"{self.prefix.replace(':', '-')}pid{os.getpid()}-{self.process_id}-sub",
            retry=Retry(NoBackoff(), 0),
        )
        try:
            await self._command(lambda r: r.ping())
            self._epoch = await self._check_epoch()
            await self._heartbeat()
        except BaseException:
            await self._client.aclose()
            await self._subscriber.aclose()
            self._client = self._subscriber = None
            raise
        ready = asyncio.get_running_loop().create_future()
        self._spawn(self._listen(ready))
        self._spawn(self._beat())
        await ready

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("broker %s: a background task failed", redacted(self.url or ""), exc_info=task.exception())

    async def close(self) -> None:
        """Stop the background tasks, remove this process's registration, disconnect."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            try:
                await task
            except asyncio.CancelledError:
                pass
        if self._client is None:
            return
        try:
            await self._call(_RESTORE, [], [self.prefix, self.process_id, "0"])  # no members left
            await self._command(lambda r: r.delete(f"{self.prefix}alive:{self.process_id}"))
            await self._command(lambda r: r.srem(f"{self.prefix}processes", self.process_id))
        except BrokerUnavailable as exc:
            logger.warning("broker: could not unregister process %s: %s", self.process_id, exc)
        await self._close_pubsub()
        await self._client.aclose()
        self._client = None
        if self._subscriber is not None:
            await self._subscriber.aclose()
            self._subscriber = None

    async def _check_epoch(self) -> str:
        """The epoch token, created if missing: a new one means Redis lost its memory."""
        await self._command(lambda r: r.set(f"{self.prefix}epoch", secrets.token_hex(8), nx=True))
        epoch = await self._command(lambda r: r.get(f"{self.prefix}epoch"))
        return bytes(epoch).decode() if epoch is not None else ""

    # -- Heartbeat and sweep -----------------------------------------------------------------

    async def _heartbeat(self) -> bool:
        added = await self._call(
            _HEARTBEAT,
            [f"{self.prefix}alive:{self.process_id}", f"{self.prefix}processes"],
            [self.process_id, int(PRESENCE_TTL * 1000)],
        )
        return bool(added)

    async def _beat(self) -> None:
        """Every HEARTBEAT seconds: renew this process's heartbeat, sweep the dead, redo what failed."""
        while True:
            await asyncio.sleep(HEARTBEAT)  # a period, not a wait for an event
            if not self._connected:
                continue  # the subscription's reconnection restores everything
            try:
                swept = await self._heartbeat()
                if swept or self._reconcile:
                    reason = "reconcile"
                    if swept:
                        logger.warning("broker: process %s had been swept away (a stall?); putting its members back", self.process_id)
                        reason = "swept"
                    self._reconcile = False
                    if self._restored is not None:
                        await self._restored(reason)
                for pid in await self._command(lambda r: r.smembers(f"{self.prefix}processes")):
                    other = bytes(pid).decode()
                    if other != self.process_id:
                        removed = await self._call(_REAP, [], [self.prefix, other])
                        if removed >= 0:
                            logger.warning(
                                "broker: process %s stopped answering (its heartbeat expired); removed its %d member(s)", other, removed
                            )
            except BrokerUnavailable as exc:
                logger.debug("broker: heartbeat failed: %s", exc)

    # -- Pub/sub ----------------------------------------------------------------------

    async def _listen(self, ready: asyncio.Future[None]) -> None:
        """Read the subscription for ever, reconnecting with backoff when it is lost."""
        import redis.exceptions

        assert self._subscriber is not None
        delays = _backoff()
        outage_started: float | None = None
        attempts = 0
        loop = asyncio.get_running_loop()
        while True:
            liveness = f"{self.prefix}process:{self.process_id}"
            channels = [liveness, *sorted(self._channels)]
            pubsub = self._pubsub = self._subscriber.pubsub()
            try:
                await pubsub.subscribe(*channels)
                pending = set(channels)
                restored = outage_started is None  # nothing to restore on the first connection
                while True:
                    message = await pubsub.get_message(timeout=None)
                    if message is None:
                        continue
                    kind = message["type"]
                    channel = bytes(message["channel"]).decode()
                    if kind == "subscribe":
                        if self._connected and channel not in self._confirmations:
                            # Subscribed again without being asked: the connection
                            # was re-made under us, and messages may have been lost.
                            raise redis.exceptions.ConnectionError(f"the subscription to {channel} was re-made without a catch-up")
                        self._confirm(channel)
                        pending.discard(channel)
                        if not pending and not self._connected:
                            self._connected = True
                            if not restored:
                                restored = True
                                await self._after_outage(outage_started, attempts, loop.time())
                                outage_started, attempts, delays = None, 0, _backoff()
                            self._available = True
                            if not ready.done():
                                ready.set_result(None)
                    elif kind == "message" and self._deliver is not None and channel.startswith(self.prefix):
                        self._deliver(channel[len(self.prefix):], bytes(message["data"]))
            except self._errors() as exc:
                if self._connected or outage_started is None:
                    logger.warning("broker %s: connection lost (%s); reconnecting", redacted(self.url or ""), exc or type(exc).__name__)
                    outage_started = loop.time() if outage_started is None else outage_started
                self._connected = self._available = False
                attempts += 1
                for future in self._confirmations.values():
                    if not future.done():
                        future.set_exception(self._unavailable(exc))
                self._confirmations.clear()
                await self._close_pubsub()
                await asyncio.sleep(next(delays))  # backoff between attempts

    async def _after_outage(self, started: float | None, attempts: int, now: float) -> None:
        """Back after an outage: register again and let the lab restore what Redis forgot."""
        reason = "reconnected"
        try:
            epoch = await self._check_epoch()
            if epoch != self._epoch:
                reason = "forgotten"
                self._epoch = epoch
            await self._heartbeat()
        except BrokerUnavailable as exc:
            logger.warning("broker: reconnected, but could not register again: %s", exc)
            self._reconcile = True
            return
        seconds = 0.0 if started is None else now - started
        logger.warning(
            "broker %s: reconnected after %.1f s and %d attempt(s)%s",
            redacted(self.url or ""), seconds, attempts,
            "; Redis had lost its data (a restart): restoring presence" if reason == "forgotten" else "",
        )
        if self._restored is not None:
            try:
                await self._restored(reason)
            except BrokerUnavailable as exc:
                logger.warning("broker: could not restore after reconnecting: %s", exc)
                self._reconcile = True

    def _confirm(self, channel: str) -> None:
        future = self._confirmations.pop(channel, None)
        if future is not None and not future.done():
            future.set_result(None)

    async def _close_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            try:
                await pubsub.aclose()
            except self._errors():
                pass

    async def subscribe(self, channel: str) -> None:
        channel = self.prefix + channel
        self._channels.add(channel)
        self._check_available()
        if self._pubsub is None:  # pragma: no cover - available implies subscribed
            raise BrokerUnavailable(redacted(self.url or ""), "reconnecting to Redis")
        future = self._confirmations.get(channel)
        if future is None:
            future = self._confirmations[channel] = asyncio.get_running_loop().create_future()
            try:
                await self._pubsub.subscribe(channel)
            except self._errors() as exc:
                self._confirmations.pop(channel, None)
                raise self._unavailable(exc) from exc
        try:
            await asyncio.wait_for(asyncio.shield(future), 10.0)
        except asyncio.TimeoutError as exc:
            raise self._unavailable(exc) from exc

    async def unsubscribe(self, channel: str) -> None:
        channel = self.prefix + channel
        self._channels.discard(channel)
        if self._connected and self._pubsub is not None:
            try:
                await self._pubsub.unsubscribe(channel)
            except self._errors():
                pass  # a new subscription will not include it

    async def publish(self, channel: str, payload: bytes) -> None:
        self._check_available()
        await self._command(lambda r: r.publish(self.prefix + channel, payload))

    # -- Chat rooms ---------------------------------------------------------------------

    def _room(self, room: str) -> str:
        return f"{self.prefix}room:{room}"

    async def join(self, room: str, username: str, announcement: bytes) -> Joined | None:
        self._check_available()
        ghost_left = chat_payload(_event("user_left", room, username))
        result = await self._call(
            _JOIN,
            [f"{self._room(room)}:members", f"{self._room(room)}:history", f"{self.prefix}process:{self.process_id}:members"],
            [self.prefix, room, username, self.process_id, announcement, ghost_left],
        )
        if not result[0]:
            return None
        members = sorted(bytes(name).decode() for name in result[1])
        return Joined(members, [bytes(event).decode() for event in result[2]])

    async def say(self, room: str, head: str, history: int, session: str | None = None, message_id: int | None = None) -> Said:
        self._check_available()
        result = await self._call(
            _SAY,
            [f"{self._room(room)}:seq", f"{self._room(room)}:history", f"{self.prefix}session:{session or ''}"],
            [self._room(room), head, history, "" if message_id is None else message_id, int(SESSION_TTL * 1000)],
        )
        return Said(bool(result[0]), int(result[1]))

    async def leave(self, room: str, username: str, announcement: bytes) -> None:
        self._check_available()
        base = self._room(room)
        await self._call(
            _LEAVE,
            [f"{base}:members", f"{base}:history", f"{base}:seq", f"{self.prefix}process:{self.process_id}:members"],
            [username, self.process_id, base, announcement, f"{room}\n{username}"],
        )

    async def history(self, room: str) -> list[str]:
        events = await self._command(lambda r: r.lrange(f"{self._room(room)}:history", 0, -1))
        return [bytes(event).decode() for event in events]

    async def delivered(self, session: str) -> int:
        self._check_available()
        value = await self._command(lambda r: r.get(f"{self.prefix}session:{session}"))
        return 0 if value is None else int(value)

    async def record(self, session: str, message_id: int) -> int:
        self._check_available()
        return int(await self._call(_RECORD, [f"{self.prefix}session:{session}"], [message_id, int(SESSION_TTL * 1000)]))

    async def restore(self, members: Sequence[tuple[str, str]], sessions: dict[str, int], *, announce: bool) -> None:
        flat = [value for pair in members for value in pair]
        conflicts = await self._call(_RESTORE, [], [self.prefix, self.process_id, "1" if announce else "0", *flat])
        for entry in conflicts:
            room, _, user = bytes(entry).decode().partition("\n")
            logger.warning("broker: %r in room %r was taken by another process while Redis was away", user, room)
        if sessions:
            keys = [f"{self.prefix}session:{session}" for session in sessions]
            await self._call(_RAISE, keys, [int(SESSION_TTL * 1000), *sessions.values()])

    # -- Leadership ---------------------------------------------------------------------

    async def lead(self, name: str, ttl: float) -> bool:
        self._check_available()
        return bool(await self._call(_LEAD, [f"{self.prefix}lead:{name}"], [self.process_id, max(1, int(ttl * 1000))]))

    async def resign(self, name: str) -> None:
        await self._call(_RESIGN, [f"{self.prefix}lead:{name}"], [self.process_id])

    async def publish_led(self, name: str, channel: str, payload: bytes, last: int) -> bool:
        self._check_available()
        keys = [f"{self.prefix}lead:{name}", f"{self.prefix}last:{name}"]
        return bool(await self._call(_PUBLISH_LED, keys, [self.process_id, self.prefix + channel, last, payload]))

    async def last(self, name: str) -> int | None:
        self._check_available()
        value = await self._command(lambda r: r.get(f"{self.prefix}last:{name}"))
        return None if value is None else int(value)

    def __repr__(self) -> str:
        state = "connected" if self._connected else "not connected"
        return f"<RedisBroker {redacted(self.url or '')} {state}>"


def _event(kind: str, room: str, username: str) -> str:
    """A presence event's JSON, as the chat server writes it."""
    return json.dumps({"type": kind, "room": room, "username": username})

