"""Backpressure: refuse, or wait, when too much is already waiting to be sent.

``WebSocket.send()`` never blocks and never refuses: when the network (or
the peer) is slower than the sender, the data piles up in the socket and
``bufferedAmount`` grows without bound, until memory runs out. A careful
sender watches ``bufferedAmount``. This is the reference's ``safeSend``
(under "Common Gotchas"), as a socket:

- ``send(data)`` refuses (returns False) when ``bufferedAmount`` plus the
  message would exceed ``high_water``;
- ``await send_when_ready(data)`` sends at once if the message fits, and
  otherwise waits until ``bufferedAmount`` is down to ``low_water`` (and
  the message fits), then sends;
- ``await drain()`` waits until it is down to ``low_water``.

The WebSocket API has no event for "the buffer drained" (the newer
WebSocketStream API has real backpressure, through streams), so waiting
means looking at ``bufferedAmount`` every ``poll_interval`` seconds, as a
browser script does with ``setTimeout``. The ``slow-reader`` lab server
makes the buffer fill: it stops reading on command.

What was fixed relative to the reference, and why:

- **The message's own size counts.** The reference checks only whether
  ``bufferedAmount`` is already over the limit, so one large message can
  push it far beyond. Here ``bufferedAmount + size`` must fit (a message
  larger than ``high_water`` alone is allowed onto an empty buffer, else it
  could never be sent).
- **Refusal is explicit, and waiting is possible.** The reference logs
  "message dropped" and returns false; here the caller gets False (and a
  count in ``refused``) or awaits ``send_when_ready()``.
- **Closed sockets are not a black hole.** After ``close()``, a WebSocket
  accepts ``send()`` silently and discards the data (only
  ``bufferedAmount`` grows), so the reference's check passes until the
  threshold. Here ``send()`` on a closing or closed socket raises
  ``InvalidStateError``.
- **Two thresholds.** Waiting until the buffer is below ``low_water``
  rather than just below ``high_water`` avoids waking for every byte
  drained (hysteresis).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ..checks import check_number
from .. import loop as _loop
from .._text import encode_usv
from ..codes import ReadyState
from ..exceptions import InvalidStateError, SocketClosed
from ..websocket import binary_size
from ._socket import Factory, Wrapper


__all__ = ["Backpressure"]


def _size(data: Any) -> int:
    if isinstance(data, str):
        return len(encode_usv(data))
    return binary_size(data)


class Backpressure(Wrapper):
    """A socket whose ``send()`` refuses when ``bufferedAmount`` is too high.

    Args:
        url: The URL; the default factory makes ``WebSocket(url)``.
        factory: Instead of ``url``: a callable returning a new socket.
        high_water: Refuse a message that would take ``bufferedAmount``
            above this many bytes.
        low_water: ``drain()`` and ``send_when_ready()`` wait until
            ``bufferedAmount`` is at most this (half of ``high_water`` by
            default).
        poll_interval: Seconds between looks at ``bufferedAmount`` while
            waiting.
        sleep: ``await sleep(seconds)``; injectable.

    Attributes:
        sent: Messages sent.
        refused: Messages ``send()`` refused.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        factory: Factory | None = None,
        high_water: int = 1024 * 1024,
        low_water: int | None = None,
        poll_interval: float = 0.01,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        super().__init__(url, factory)
        check_number("high_water", high_water, minimum=0)
        low_water = high_water // 2 if low_water is None else low_water
        check_number("low_water", low_water, minimum=0)
        if low_water > high_water:
            raise ValueError(f"low_water ({low_water}) must not exceed high_water ({high_water})")
        check_number("poll_interval", poll_interval, minimum=0)
        self.high_water = high_water
        self.low_water = low_water
        self.poll_interval = float(poll_interval)
        self.sleep = sleep
        self.sent = 0
        self.refused = 0
        self._start()

    def send(self, data: Any) -> bool:
        """Send ``data`` unless the buffer is too full.

        Returns:
            True if sent; False if refused (nothing was sent).

        Raises:
            InvalidStateError: While CONNECTING, or once closing or closed.
            TypeError: For data of another type.
        """
        size = _size(data)
        return _loop.call_on(self._loop, self._send, data, size)

    def _check_state(self) -> None:
        state = self.readyState
        if state is ReadyState.CONNECTING:
            raise InvalidStateError("send() was called while the socket is CONNECTING; wait for the 'open' event")
        if state is not ReadyState.OPEN:
            raise InvalidStateError(
                f"send() was called on a {state.name} socket; a WebSocket would silently discard the data"
            )

    def _send(self, data: Any, size: int) -> bool:
        self._check_state()
        buffered = self._socket.bufferedAmount
        if buffered > 0 and buffered + size > self.high_water:
            self.refused += 1
            return False
        self._socket.send(data)
        self.sent += 1
        return True

    async def drain(self, *, timeout: float | None = None) -> None:
        """Wait until ``bufferedAmount`` is at most ``low_water``.

        Raises:
            TimeoutError: If ``timeout`` seconds passed first.
            SocketClosed: If the socket closed first.
        """
        await _loop.run_on(self._loop, self._drain(timeout))

    async def _drain(self, timeout: float | None, size: int = 0) -> None:
        # Wait until bufferedAmount <= low_water and, for a message of
        # ``size`` bytes, until it fits under high_water (or the buffer is
        # empty): otherwise send_when_ready() would spin without sleeping.
        socket = self._socket

        def waiting() -> bool:
            buffered = socket.bufferedAmount
            if buffered > self.low_water:
                return True
            return size > 0 and buffered > 0 and buffered + size > self.high_water

        async def drained() -> None:
            while waiting():
                closed = self._seen.get("close")
                if closed is not None:
                    raise SocketClosed("drain", closed)  # type: ignore[arg-type]
                await self.sleep(self.poll_interval)

        try:
            await asyncio.wait_for(drained(), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(
                f"bufferedAmount is still {socket.bufferedAmount} bytes after {timeout} s "
                f"(waiting for {self.low_water})"
            ) from None

    async def send_when_ready(self, data: Any, *, timeout: float | None = None) -> None:
        """Send ``data`` now if it fits; else wait until ``bufferedAmount`` is down to ``low_water``, then send.

        Raises:
            InvalidStateError: While CONNECTING, or once closing or closed.
            TimeoutError: If ``timeout`` seconds passed first.
            SocketClosed: If the socket closed while waiting.
        """
        size = _size(data)
        await _loop.run_on(self._loop, self._send_when_ready(data, size, timeout))

    async def _send_when_ready(self, data: Any, size: int, timeout: float | None) -> None:
        while not self._send(data, size):
            await self._drain(timeout, size)

    def __repr__(self) -> str:
        return (
            f"<Backpressure url={self.url!r} readyState={self.readyState.name} "
            f"bufferedAmount={self.bufferedAmount} high_water={self.high_water}>"
        )
