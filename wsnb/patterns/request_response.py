"""RequestResponse: ``await request(...)`` that matches each reply to its request.

WebSocket has no requests and replies, only messages in both directions.
To ask something and await the answer, each request carries an id that the
server copies into its reply (a *correlation id*, as JSON-RPC's ``id``)::

    > {"action": "get", "key": "a", "id": 1}
    > {"action": "get", "key": "b", "id": 2}
    < {"value": 20, "id": 2}
    < {"value": 10, "id": 1}

``request()`` sends the message with a fresh id and returns the reply with
the same id, whatever order replies come in and whatever other messages
arrive in between. Messages that are not replies to a pending request are
ordinary ``message`` events.

What was fixed relative to the reference, and why:

- **Concurrent requests no longer steal each other's replies.** The
  reference's ``AsyncWebSocket.receive()`` sets ``ws.onmessage`` anew for
  every call, so with two requests in flight the second replaces the first
  one's handler: the first reply resolves the *second* request, and the
  first request never settles. Here replies are matched by id; the tests
  show the reference's behaviour losing replies and this one answering
  100 concurrent requests correctly.
- **Any message is not a reply.** The reference takes the next message,
  whatever it is (a server push, a heartbeat), as the answer.
- **Timeouts.** The reference's promise can wait forever; here each
  request has a timeout and raises ``TimeoutError`` naming its id.
- **Connection loss settles requests.** When the connection is lost (a
  ``reconnect`` event) or closes, pending requests raise
  ``ConnectionError`` at once instead of hanging; whether to retry is the
  caller's decision, since the server may have acted on the request.
- **connect() that cannot hang.** The reference's ``connect()`` attaches
  ``onopen`` after the socket may already be open, and then never
  resolves. ``await rr.wait_for("open")`` remembers the open event.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from .. import _json as peer_json
from ..checks import check_number
from .. import loop as _loop
from ..codes import ReadyState
from ..events import Event, MessageEvent
from ..exceptions import InvalidStateError, SocketClosed
from ._socket import Factory, Wrapper

__all__ = ["RequestResponse"]


class RequestResponse(Wrapper):
    """A socket with an awaitable ``request()`` that uses correlation ids.

    Args:
        url: The URL; the default factory makes ``WebSocket(url)``.
        factory: Instead of ``url``: a callable returning a new socket.
        timeout: Default seconds to wait for a reply.
        id_field: The field that carries the id in requests and replies.

    Attributes:
        requests: Requests sent.
        replies: Replies matched to a request.
        late: Replies that came after their request timed out (dropped).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        factory: Factory | None = None,
        timeout: float = 10.0,
        id_field: str = "id",
    ) -> None:
        super().__init__(url, factory)
        check_number("timeout", timeout, minimum=0)
        if not isinstance(id_field, str) or not id_field:
            raise TypeError("id_field must be a non-empty str")
        self.timeout = float(timeout)
        self.id_field = id_field
        self.requests = 0
        self.replies = 0
        self.late = 0
        self._next_id = 1
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._timed_out: set[int] = set()
        self._start()

    @property
    def pending(self) -> int:
        """Requests waiting for their reply."""
        return len(self._pending)

    async def request(self, message: dict[str, Any], *, timeout: float | None = None) -> Any:
        """Send ``message`` with a new id and return the reply that carries the same id.

        Args:
            message: A JSON object (dict) without the id field.
            timeout: Seconds to wait; the pattern's ``timeout`` if None.

        Returns:
            The reply, decoded from JSON (the id field included).

        Raises:
            InvalidStateError: The socket is not OPEN.
            TimeoutError: No reply came in time.
            ConnectionError: The connection was lost or closed first
                (``SocketClosed`` for a close).
            TypeError, ValueError: ``message`` is not a dict, or already has
                the id field.
        """
        return await _loop.run_on(self._loop, self._request(message, timeout))

    async def _request(self, message: dict[str, Any], timeout: float | None) -> Any:
        if not isinstance(message, dict):
            raise TypeError(f"request() takes a dict, not {message.__class__.__name__}")
        if self.id_field in message:
            raise ValueError(f"the message already has a {self.id_field!r} field; request() sets it")
        if self.readyState is not ReadyState.OPEN:
            raise InvalidStateError(
                f"request() needs an OPEN socket, not {self.readyState.name}; wait for the 'open' event"
            )
        request_id = self._next_id
        self._next_id += 1
        text = json.dumps({**message, self.id_field: request_id}, separators=(",", ":"), ensure_ascii=False)
        future: asyncio.Future[Any] = self._loop.create_future()
        self._pending[request_id] = future
        self._socket.send(text)
        self.requests += 1
        wait = self.timeout if timeout is None else timeout
        try:
            return await asyncio.wait_for(future, wait)
        except asyncio.TimeoutError:
            if len(self._timed_out) >= 1024:  # keep the bookkeeping bounded
                self._timed_out.clear()
            self._timed_out.add(request_id)
            raise TimeoutError(f"no reply to request {request_id} within {wait} s") from None
        finally:
            self._pending.pop(request_id, None)

    def _on_message(self, event: Event) -> None:
        assert isinstance(event, MessageEvent)
        data = event.data
        if isinstance(data, str) and self.id_field in data:
            try:
                value = peer_json.loads(data)
            except ValueError:
                value = None
            if isinstance(value, dict):
                reply_id = value.get(self.id_field)
                if not isinstance(reply_id, bool) and isinstance(reply_id, int):
                    future = self._pending.get(reply_id)
                    if future is not None and not future.done():
                        self.replies += 1
                        future.set_result(value)
                        return
                    if reply_id in self._timed_out:
                        self._timed_out.discard(reply_id)
                        self.late += 1
                        return
        self._forward(event)

    def _fail_pending(self, make_error: Callable[[], BaseException]) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(make_error())

    def _on_reconnect(self, event: Event) -> None:
        self._fail_pending(lambda: ConnectionError(
            "the connection was lost before the reply came; the server may or may not have handled the request"
        ))
        super()._on_reconnect(event)

    def _on_close(self, event: Event) -> None:
        super()._on_close(event)
        self._fail_pending(lambda: SocketClosed("reply", event))  # type: ignore[arg-type]
