"""The server side of acknowledged delivery (``wsnb.patterns.Robust(ack=True)``).

A client sends each message in an envelope ``{"session": S, "id": N,
"data": D}`` (ids count up from 1 per session) and the server answers
``{"ack": LAST}``, LAST being the highest id it delivered for S. Used by
the ``flaky`` lab (sessions in its own memory) and by ``chat`` with
``ack=True`` (sessions in its broker, so that any process of a cluster can
deduplicate a message resent after another process died).
"""

from __future__ import annotations

import json
from typing import Any

from .. import _json as peer_json

__all__ = ["ENVELOPE", "ack", "classify", "parse_envelope"]

ENVELOPE = 'expected {"session": STRING, "id": INTEGER, "data": ANY} as JSON text'
"""What an envelope looks like, for error replies."""


def parse_envelope(message: str | bytes) -> tuple[str, int, Any]:
    """Return ``(session, id, data)`` of an envelope.

    Raises:
        ValueError: If ``message`` is not an envelope (the text says what one is).
    """
    try:
        envelope = peer_json.loads(message)
        session, message_id, data = envelope["session"], envelope["id"], envelope["data"]
    except (ValueError, TypeError, KeyError):
        raise ValueError(ENVELOPE) from None
    if not isinstance(session, str) or isinstance(message_id, bool) or not isinstance(message_id, int):
        raise ValueError(ENVELOPE)
    return session, message_id, data


def classify(last: int, message_id: int) -> str:
    """What to do with ``message_id`` when ``last`` was delivered: ``"next"``, ``"duplicate"`` or ``"gap"``."""
    if message_id <= last:
        return "duplicate"
    return "next" if message_id == last + 1 else "gap"


def ack(last: int) -> str:
    """The acknowledgement of every id up to ``last``, as JSON text."""
    return json.dumps({"ack": last})
