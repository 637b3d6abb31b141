"""Request lab server: answers JSON requests by id, in an order you can choose.

Accepts::

    ws://127.0.0.1:PORT/            answers each request at once
    ws://127.0.0.1:PORT/?batch=N    this connection holds N requests, then
                                    answers them in reverse order (1-1000;
                                    another value is closed with 1008)

Each text message is a request: a JSON object with an ``"id"`` (an integer
or a string of at most 64 characters) and an ``"op"``. The reply copies the
id, so that a client can match it to its request (a *correlation id*)::

    {"id": 1, "op": "add", "a": 2, "b": 3}           -> {"id": 1, "result": 5}
    {"id": 2, "op": "get", "key": "apples"}          -> {"id": 2, "result": 3}
    {"id": 3, "op": "set", "key": "kiwis", "value": 7}
                                                     -> {"id": 3, "result": 7}
    {"id": 4, "op": "echo", "value": [1, "two"]}     -> {"id": 4, "result": [1, "two"]}
    {"id": 5, "op": "never"}                         -> no reply, ever

``get`` and ``set`` use a small store shared by every connection; it starts
as ``{"apples": 3, "pears": 5, "plums": 8}``. ``never`` is counted in
``lab.unanswered`` and never answered, to show what a client does when a
reply does not come (a timeout).

Replies that overtake each other: with ``batch=N`` (the lab option, or the
``?batch=N`` query string of one connection) the server holds requests
until N are waiting and then answers them newest first, so with two
overlapping requests the second one's reply arrives first. This is
deterministic: it depends on counts, never on timing. Requests still
waiting when the connection closes are not answered.

Messages that are not replies: with ``push_every=N`` the server sends a
*push* ``{"type": "push", "seq": K}`` (no id; K counts from 1 per
connection) just before answering every N-th request of a connection, as a
server that also sends notifications does. A client that takes "the next
message" as its answer takes the push.

Bad input never crashes the server: a request that is not JSON, not an
object, has no valid id, an unknown op or wrong arguments is answered at
once (batch or not) with ``{"id": ID, "error": "..."}`` (``"id": null``
when the request had no usable id). Binary messages get an error reply too.
Limits: numbers for ``add`` up to 2**53 in size, values for ``set`` up to
1,000 characters of JSON, 1,000 keys in the store, messages up to 1 MiB.

"""

from __future__ import annotations

import json
import math
from typing import Any

from websockets.asyncio.server import ServerConnection

from .. import _json as peer_json
from ..checks import check_int
from ._base import Lab, query_params

__all__ = ["REQUEST_STORE", "RequestLab"]

REQUEST_STORE: dict[str, Any] = {"apples": 3, "pears": 5, "plums": 8}
"""What the key/value store holds when the server starts."""

MAX_BATCH = 1000
"""The largest ``batch``: requests one connection may hold at once."""

MAX_KEYS = 1000
"""Keys the store holds at most; ``set`` of a new key beyond it is an error."""

MAX_NUMBER = 2**53
"""The largest size of a number ``add`` accepts (so that sums stay exact and finite)."""

MAX_VALUE = 1000
"""The longest JSON text of a value ``set`` stores."""

OPS = ("add", "get", "set", "echo", "never")
"""The operations a request may ask for."""


class RequestError(ValueError):
    """Raised when a request cannot be answered; its message goes in the error reply."""


def _check_positive(name: str, value: Any, *, allow_none: bool = False, maximum: int = MAX_BATCH) -> None:
    check_int(name, value, minimum=1, maximum=maximum, allow_none=allow_none)


def _reject_constant(name: str) -> Any:
    raise RequestError(f"{name} is not valid JSON")


def _number(request: dict[str, Any], field: str) -> int | float:
    value = request.get(field)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or abs(value) > MAX_NUMBER
    ):
        raise RequestError(f'"add" needs numbers "a" and "b" of at most 2**53 in size; {field!r} is {value!r}'[:200])
    return value


class RequestLab(Lab):
    """Answer requests by id: arithmetic, a key/value store, echo, or never.

    Args:
        batch: Requests each connection holds before answering them in
            reverse order (1: answer at once). A connection's ``?batch=N``
            query string overrides it.
        push_every: Send a push (not a reply) before every N-th reply on a
            connection; None: no pushes.

    Attributes:
        connections: Connections opened since the server started.
        requests: Valid requests received (``never`` ones included).
        replies: Replies sent (error replies excluded).
        errors: Error replies sent.
        unanswered: ``never`` requests (not answered, on purpose).
        pushes: Push messages sent.
        store: The key/value store of ``get`` and ``set``.

    """

    name = "request"

    def __init__(self, *, batch: int = 1, push_every: int | None = None) -> None:
        super().__init__()
        _check_positive("batch", batch)
        _check_positive("push_every", push_every, allow_none=True, maximum=1_000_000)
        self.batch = batch
        self.push_every = push_every
        self.requests = 0
        self.replies = 0
        self.errors = 0
        self.unanswered = 0
        self.pushes = 0
        self.store: dict[str, Any] = dict(REQUEST_STORE)

    async def handle(self, connection: ServerConnection) -> None:
        """Answer requests, holding them in batches when asked to."""
        batch = self._connection_batch(connection)
        if isinstance(batch, str):
            await connection.close(1008, batch)
            return
        waiting: list[dict[str, Any]] = []
        answered = 0
        pushed = 0
        async for message in connection:
            try:
                request = self._parse(message)
            except RequestError as exc:
                self.errors += 1
                await connection.send(json.dumps({"id": _id_of(message), "error": str(exc)}))
                continue
            self.requests += 1
            if request["op"] == "never":
                self.unanswered += 1
                continue
            waiting.append(request)
            if len(waiting) < batch:
                continue
            for held in reversed(waiting):
                answered += 1
                if self.push_every is not None and answered % self.push_every == 0:
                    pushed += 1
                    self.pushes += 1
                    await connection.send(json.dumps({"type": "push", "seq": pushed}))
                await connection.send(json.dumps(self._answer(held)))
            waiting.clear()

    def _connection_batch(self, connection: ServerConnection) -> int | str:
        """The connection's batch size, or the reason to refuse its query string."""
        text = query_params(connection).get("batch")
        if text is None:
            return self.batch
        try:
            value = int(text)
            _check_positive("batch", value)
        except ValueError:
            return f"batch must be an int from 1 to {MAX_BATCH}"
        return value

    def _parse(self, message: str | bytes) -> dict[str, Any]:
        """Check one request; raise RequestError with what is wrong."""
        if not isinstance(message, str):
            raise RequestError("requests are JSON text messages, not binary")
        try:
            request = peer_json.loads(message, parse_constant=_reject_constant)
        except ValueError as exc:
            if isinstance(exc, RequestError):
                raise
            raise RequestError("the request is not valid JSON") from None
        if not isinstance(request, dict):
            raise RequestError('a request is a JSON object such as {"id": 1, "op": "get", "key": "apples"}')
        if _valid_id(request.get("id")) is None:
            raise RequestError('the request needs an "id": an integer or a string of at most 64 characters')
        op = request.get("op")
        if op not in OPS:
            raise RequestError(f'unknown op {op!r}; use one of {", ".join(OPS)}')
        if op == "add":
            _number(request, "a")
            _number(request, "b")
        elif op in ("get", "set"):
            key = request.get("key")
            if not isinstance(key, str) or not 1 <= len(key) <= 100:
                raise RequestError(f'"{op}" needs a "key": a string of 1 to 100 characters')
            if op == "get" and key not in self.store:
                raise RequestError(f"no key {key!r}; known keys: {', '.join(sorted(self.store)[:20])}")
            if op == "set":
                if "value" not in request:
                    raise RequestError('"set" needs a "value"')
                if len(json.dumps(request["value"])) > MAX_VALUE:
                    raise RequestError(f"the value is longer than {MAX_VALUE} characters of JSON")
                if key not in self.store and len(self.store) >= MAX_KEYS:
                    raise RequestError(f"the store is full ({MAX_KEYS} keys)")
        elif op == "echo" and "value" not in request:
            raise RequestError('"echo" needs a "value"')
        return request

    def _answer(self, request: dict[str, Any]) -> dict[str, Any]:
        """The reply to a checked request."""
        op = request["op"]
        if op == "add":
            result: Any = request["a"] + request["b"]
        elif op == "get":
            result = self.store.get(request["key"])
        elif op == "set":
            if request["key"] not in self.store and len(self.store) >= MAX_KEYS:
                self.errors += 1
                return {"id": request["id"], "error": f"the store is full ({MAX_KEYS} keys)"}
            result = self.store[request["key"]] = request["value"]
        else:
            result = request["value"]
        self.replies += 1
        return {"id": request["id"], "result": result}


def _valid_id(value: Any) -> int | str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and len(value) <= 64):
        return value
    return None


def _id_of(message: str | bytes) -> int | str | None:
    """The id of a request that could not be answered, when it has a usable one."""
    try:
        value = peer_json.loads(message)
    except ValueError:
        return None
    return _valid_id(value.get("id")) if isinstance(value, dict) else None
