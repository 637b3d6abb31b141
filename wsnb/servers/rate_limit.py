"""Rate-limit lab server: echoes, and closes a client that sends too fast.

Accepts::

    ws://127.0.0.1:PORT/     any path, any query string

Every message is echoed back. A connection that sends more than
``max_messages`` messages within any ``per`` seconds (a sliding window over
arrival times) is closed with ``code`` (1008 Policy Violation by default;
4003 is a common private-use choice) and a reason that states the limit,
such as ``"rate limit: more than 10 messages in 1.0 s"``. The message that
broke the limit is not echoed.

A server must enforce its limits itself: a client's own limiter
(``wsnb.patterns.RateLimited``) is a courtesy, not a protection.

"""

from __future__ import annotations

import collections
import time

from websockets.asyncio.server import ServerConnection

from ..checks import check_int, check_number
from ._base import Lab, close_discarding

__all__ = ["RateLimitLab"]


class RateLimitLab(Lab):
    """Echo messages; close with 1008 (or ``code``) when a client exceeds the rate.

    Args:
        max_messages: Messages allowed in any window of ``per`` seconds.
        per: The window, in seconds.
        code: The close code for a client over the limit: 1008, or
            3000-4999 (such as 4003).

    Attributes:
        connections: Connections opened since the server started.
        messages: Messages echoed.
        limited: Connections closed for exceeding the rate.

    """

    name = "rate-limit"

    def __init__(self, *, max_messages: int = 10, per: float = 1.0, code: int = 1008) -> None:
        super().__init__()
        check_int("max_messages", max_messages, minimum=1)
        check_number("per", per, above=0, maximum=3600, unit="seconds")
        if isinstance(code, bool) or not isinstance(code, int) or not (code == 1008 or 3000 <= code <= 4999):
            raise ValueError(f"code must be 1008 or 3000-4999, not {code!r}")
        self.max_messages = max_messages
        self.per = float(per)
        self.code = code
        self.messages = 0
        self.limited = 0

    @property
    def reason(self) -> str:
        """The close reason sent to a client over the limit."""
        return f"rate limit: more than {self.max_messages} messages in {self.per} s"

    async def handle(self, connection: ServerConnection) -> None:
        """Echo until the client exceeds the rate, then close with ``code``."""
        arrivals: collections.deque[float] = collections.deque()
        async for message in connection:
            now = time.monotonic()
            while arrivals and now - arrivals[0] >= self.per:
                arrivals.popleft()
            arrivals.append(now)
            if len(arrivals) > self.max_messages:
                self.limited += 1
                await close_discarding(connection, self.code, self.reason)
                return
            self.messages += 1
            await connection.send(message)
