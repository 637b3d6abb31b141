"""RateLimited: at most N messages in any window of T seconds, and say so when refused.

A server that limits its clients (the ``rate-limit`` lab server closes the
connection with 1008 or 4003) is best met by a client that limits itself.
This is the reference's ``RateLimitedWebSocket`` (under "Security
Considerations") with a sliding window: a message is allowed when fewer
than ``max_messages`` were sent in the last ``per`` seconds.

Keep the client's limit *below* the server's. The server counts arrival
times, not send times: messages the client spaced out can arrive bunched
together (they waited in a buffer, the network or the server's loop), and
a client exactly at the limit is then over it.

What was fixed relative to the reference, and why:

- **A monotonic clock.** The reference uses ``Date.now()``, wall-clock
  time, which jumps when the system clock is set; a jump backwards blocks
  sending until the clock catches up. Here the clock is
  ``time.monotonic`` by default and injectable, so tests run in
  microseconds without sleeping.
- **No slot spent on a message that was not sent.** The reference records
  the timestamp, then calls ``ws.send()``, which throws while CONNECTING:
  the slot is used up and the caller gets an exception instead of
  ``false``. Here the state is checked first.
- **Refusals are visible.** Besides ``False`` from ``send()``, the pattern
  counts refusals and ``retry_after()`` says how long until the next slot;
  ``await send_when_allowed(data)`` waits for it instead of dropping.
- **O(1) per message.** The reference filters its whole timestamp array on
  every send; here old timestamps leave a deque from the left.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .. import loop as _loop
from ..checks import check_int, check_number
from ..codes import ReadyState
from ..exceptions import InvalidStateError
from ._socket import Factory, Wrapper


__all__ = ["RateLimited"]


class RateLimited(Wrapper):
    """A socket that sends at most ``max_messages`` in any ``per`` seconds.

    Args:
        url: The URL; the default factory makes ``WebSocket(url)``.
        factory: Instead of ``url``: a callable returning a new socket.
        max_messages: Messages allowed in any window of ``per`` seconds.
        per: The window, in seconds.
        clock: Returns seconds (monotonic); injectable for tests.
        sleep: ``await sleep(seconds)``; used by ``send_when_allowed``.

    Attributes:
        sent: Messages sent.
        refused: Times ``send()`` refused a message, including the
            attempts ``send_when_allowed()`` makes before its message goes
            (so it counts refusals, not lost messages).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        factory: Factory | None = None,
        max_messages: int = 10,
        per: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        super().__init__(url, factory)
        check_int("max_messages", max_messages, minimum=1)
        check_number("per", per, minimum=0)
        if per <= 0:
            raise ValueError(f"per must be > 0 seconds, not {per!r}")
        self.max_messages = max_messages
        self.per = float(per)
        self.clock = clock
        self.sleep = sleep
        self.sent = 0
        self.refused = 0
        self._times: collections.deque[float] = collections.deque()
        self._start()

    def _forget(self, now: float) -> None:
        times = self._times
        while times and now - times[0] >= self.per:
            times.popleft()

    def retry_after(self) -> float:
        """Seconds until ``send()`` would accept a message (0.0: now)."""
        now = self.clock()
        self._forget(now)
        if len(self._times) < self.max_messages:
            return 0.0
        return max(0.0, self._times[0] + self.per - now)

    def send(self, data: Any) -> bool:
        """Send ``data`` if the rate allows it.

        Returns:
            True if it was sent; False if it was refused because
            ``max_messages`` were sent in the last ``per`` seconds (nothing
            was sent; ``retry_after()`` says when to try again).

        Raises:
            InvalidStateError: While CONNECTING (no slot is used).
        """
        return _loop.call_on(self._loop, self._send, data)

    def _send(self, data: Any) -> bool:
        if self.readyState is ReadyState.CONNECTING:
            raise InvalidStateError(
                "send() was called while the socket is CONNECTING; wait for the 'open' event"
            )
        now = self.clock()
        self._forget(now)
        if len(self._times) >= self.max_messages:
            self.refused += 1
            return False
        self._socket.send(data)
        self._times.append(now)
        self.sent += 1
        return True

    async def send_when_allowed(self, data: Any) -> None:
        """Wait until the rate allows a message, then send ``data``.

        Raises:
            InvalidStateError: While CONNECTING.
        """
        while not self.send(data):
            await self.sleep(self.retry_after())

    def __repr__(self) -> str:
        return (
            f"<RateLimited url={self.url!r} readyState={self.readyState.name} "
            f"limit={self.max_messages}/{self.per}s sent={self.sent} refused={self.refused}>"
        )
