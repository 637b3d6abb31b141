"""Flaky lab server: drops connections, after N messages or on command.

Accepts::

    ws://127.0.0.1:PORT/          any path, any query string

and, on every connection, the text command::

    "drop"     drop this TCP connection now: no Close frame (the client sees 1006)

With ``drop_after=N`` the server drops each connection after it received N
messages (commands excluded), until it has dropped ``max_drops`` in all
(None: no limit). A drop is ``transport.abort()``: the TCP connection ends
at once and whatever the server had not written yet is lost, as when a
server crashes or a network path dies.

What it does with messages:

- by default (``ack=False``) it echoes each one back, text as text and
  binary as binary, and keeps it in ``lab.inbox`` (in arrival order), so
  that a notebook can compare what a client sent with what arrived;
- with ``ack=True`` it speaks the acknowledged-delivery protocol of
  ``wsnb.patterns.Robust``: each message is a JSON text envelope
  ``{"session": S, "id": N, "data": D}``. Ids count up from 1 per session.
  An id one above the session's last delivered id is delivered (appended
  to ``lab.sessions[S].delivered``); an id at or below it is a duplicate
  (a resend after a drop) and is counted, not delivered. Either way the
  server answers ``{"ack": LAST}``, LAST being the highest id delivered for
  that session. An id further ahead (a gap) is counted and not delivered.
  Anything else is answered with ``{"error": "..."}``.

To restart the server, run it in a process (``spawn("flaky")``, then
``kill()`` and ``restart()``), or, in the kernel, close it and serve the same
lab object again on the same port, which keeps its sessions::

    server = await serve("flaky", ack=True)
    await server.close()
    server = await LabServer(server.lab, port=server.port)

"""

from __future__ import annotations

import collections
import json
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection

from ..checks import check_int
from ._acks import ack, classify, parse_envelope
from ._base import Lab

__all__ = ["FlakyLab", "FlakySession"]

MAX_SESSIONS = 256
"""Sessions remembered in ack mode; the oldest is forgotten beyond this."""

MAX_DELIVERED = 100_000
"""Messages kept per session in ``delivered``, and in ``inbox`` (later ones are only counted)."""


@dataclass
class FlakySession:
    """What the server received from one client session (``ack=True``).

    Attributes:
        last_id: The highest id delivered, in order (0 before any).
        delivered: The ``data`` of each delivered message, in order (the
            first ``MAX_DELIVERED`` of them).
        duplicates: Messages received again after they were delivered.
        gaps: Messages whose id skipped ahead (never delivered).
    """

    last_id: int = 0
    delivered: list[Any] = field(default_factory=list)
    duplicates: int = 0
    gaps: int = 0


class FlakyLab(Lab):
    """Drop connections on purpose, to prove that a client survives it.

    Use it with ``Reconnecting`` (each drop is a close with 1006), and with
    ``Robust(ack=True)`` to show that no message is lost or duplicated.

    Args:
        drop_after: Drop each connection after it received this many
            messages (commands excluded); None: only on command.
        max_drops: Stop dropping after this many drops in all; None: no limit.
        ack: Speak the acknowledged-delivery protocol instead of echoing.

    Attributes:
        connections: Connections opened since the server started.
        received: Messages received (commands excluded), duplicates included.
        inbox: With ``ack=False``, the messages received (commands
            excluded), in arrival order: the first ``MAX_DELIVERED`` of them.
        drops: Connections dropped.
        sessions: With ``ack=True``, each session's :class:`FlakySession`.

    """

    name = "flaky"
    ping_interval = None

    def __init__(
        self,
        *,
        drop_after: int | None = None,
        max_drops: int | None = None,
        ack: bool = False,
    ) -> None:
        super().__init__()
        check_int("drop_after", drop_after, minimum=1, allow_none=True)
        check_int("max_drops", max_drops, minimum=1, allow_none=True)
        if not isinstance(ack, bool):
            raise ValueError(f"ack must be true or false, not {ack!r}")
        self.drop_after = drop_after
        self.max_drops = max_drops
        self.ack = ack
        self.received = 0
        self.drops = 0
        self.inbox: list[str | bytes] = []
        self.sessions: collections.OrderedDict[str, FlakySession] = collections.OrderedDict()

    def delivered(self, session: str) -> list[Any]:
        """The messages delivered for ``session``, in order ([] if unknown)."""
        found = self.sessions.get(session)
        return list(found.delivered) if found is not None else []

    async def handle(self, connection: ServerConnection) -> None:
        """Echo or acknowledge messages; drop the connection when due."""
        count = 0
        async for message in connection:
            if message == "drop":
                self._drop(connection)
                return
            count += 1
            self.received += 1
            if self.ack:
                await connection.send(self._acknowledge(message))
            else:
                if len(self.inbox) < MAX_DELIVERED:
                    self.inbox.append(message)
                await connection.send(message)
            if (
                self.drop_after is not None
                and count >= self.drop_after
                and (self.max_drops is None or self.drops < self.max_drops)
            ):
                self._drop(connection)
                return

    def _drop(self, connection: ServerConnection) -> None:
        self.drops += 1
        connection.transport.abort()

    def _acknowledge(self, message: str | bytes) -> str:
        """Deliver or deduplicate one envelope; return the answer."""
        try:
            session_id, message_id, data = parse_envelope(message)
        except ValueError as exc:
            return json.dumps({"error": str(exc)})
        session = self.sessions.get(session_id)
        if session is None:
            session = self.sessions[session_id] = FlakySession()
            if len(self.sessions) > MAX_SESSIONS:
                self.sessions.popitem(last=False)
        verdict = classify(session.last_id, message_id)
        if verdict == "duplicate":
            session.duplicates += 1
        elif verdict == "next":
            session.last_id = message_id
            if len(session.delivered) < MAX_DELIVERED:
                session.delivered.append(data)
        else:
            session.gaps += 1
        return ack(session.last_id)
