"""Quality lab server: a stream at the quality level the client asks for.

Accepts::

    ws://127.0.0.1:PORT/     any path, any query string

and JSON text commands::

    {"type": "quality", "quality": "low" | "medium" | "high"}
    {"type": "bandwidth", "bytes_per_second": N}     simulate a link of N bytes/s
    {"type": "bandwidth", "bytes_per_second": null}  an unlimited link

answered with ``{"type": "quality", "quality": Q}``,
``{"type": "bandwidth", "bytes_per_second": N}`` or
``{"type": "error", "error": "..."}``.

From the moment a client connects the server streams binary frames: every
``tick`` seconds, one frame sized so that the level's data rate is met.
The levels need ``base_rate`` (low), 4 x ``base_rate`` (medium) and
16 x ``base_rate`` (high) bytes per second; with the default 16,000 they
match ``wsnb.patterns.adaptive.DEFAULT_LEVELS``. Each frame is an 8-byte
header, ``struct`` format ``"!IB3x"`` (``QUALITY_FRAME``: frame number, level 0-2,
padding), then filler bytes.

The simulated link: with a bandwidth set, frames pass a token bucket that
fills at that many bytes per second (holding at most one second's worth).
A frame the bucket cannot pay for is skipped, as a live stream drops
frames the network cannot carry. The client then receives about
``min(level rate, bandwidth)`` bytes per second, which is what an adaptive
client measures. Frames are counted in ``lab.sent`` and ``lab.skipped``.

Compression is off (it would shrink the filler and hide the rate).

"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from websockets.asyncio.server import ServerConnection

from .. import _json as peer_json
from ..checks import check_int, check_number
from ._base import Lab, stream_and_answer

__all__ = ["QUALITY_FRAME", "QUALITY_LEVELS", "QualityLab"]

QUALITY_FRAME = struct.Struct("!IB3x")
"""A frame's header: frame number (uint32), level index (0-2), 3 padding bytes."""

QUALITY_LEVELS = ("low", "medium", "high")
"""The quality levels, lowest first; level i needs ``base_rate * 4**i`` bytes per second."""


class QualityLab(Lab):
    """Stream frames at the requested quality, over an optionally slow link.

    Args:
        base_rate: Bytes per second of the "low" level (4x for medium, 16x for high).
        tick: Seconds between frames.
        quality: The level each connection starts at.
        bandwidth: The simulated link's bytes per second for new connections;
            None: unlimited.

    Attributes:
        connections: Connections opened since the server started.
        sent: Frames sent.
        skipped: Frames skipped because the simulated link was too slow.
        requests: Quality requests received, in order.

    """

    name = "quality"
    compression = None

    def __init__(
        self,
        *,
        base_rate: int = 16_000,
        tick: float = 0.05,
        quality: str = "low",
        bandwidth: int | None = None,
    ) -> None:
        super().__init__()
        check_int("base_rate", base_rate, minimum=100, maximum=10_000_000, unit="bytes per second")
        check_number("tick", tick, minimum=0.001, maximum=10, unit="seconds")
        if quality not in QUALITY_LEVELS:
            raise ValueError(f"quality must be one of {', '.join(QUALITY_LEVELS)}, not {quality!r}")
        _check_bandwidth(bandwidth)
        self.base_rate = base_rate
        self.tick = float(tick)
        self.quality = quality
        self.bandwidth = bandwidth
        self.sent = 0
        self.skipped = 0
        self.requests: list[str] = []

    def rate(self, quality: str) -> int:
        """Bytes per second the level ``quality`` needs."""
        return int(self.base_rate * 4 ** QUALITY_LEVELS.index(quality))

    async def handle(self, connection: ServerConnection) -> None:
        """Stream frames; obey quality and bandwidth commands meanwhile."""
        link: dict[str, Any] = {"quality": self.quality, "bandwidth": self.bandwidth}
        await stream_and_answer(
            connection, self._stream(connection, link), lambda message: self._command(message, link)
        )

    def _command(self, message: str | bytes, link: dict[str, Any]) -> dict[str, Any]:
        try:
            command = peer_json.loads(message)
        except ValueError:
            raise ValueError("commands are JSON objects") from None
        if not isinstance(command, dict):
            raise ValueError("the command is not a JSON object")
        kind = command.get("type")
        if kind == "quality":
            quality = command.get("quality")
            if quality not in QUALITY_LEVELS:
                raise ValueError(f"quality must be one of {', '.join(QUALITY_LEVELS)}, not {quality!r}")
            link["quality"] = quality
            self.requests.append(quality)
            return {"type": "quality", "quality": quality}
        if kind == "bandwidth":
            value = command.get("bytes_per_second")
            _check_bandwidth(value)
            link["bandwidth"] = value
            return {"type": "bandwidth", "bytes_per_second": value}
        raise ValueError(f'unknown type {kind!r}; use "quality" or "bandwidth"')

    async def _stream(self, connection: ServerConnection, link: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        number = 0
        tokens = 0.0
        owed = 0.0
        last = loop.time()
        deadline = last
        while True:
            deadline += self.tick
            delay = deadline - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                deadline = loop.time()
                await asyncio.sleep(0)
            now = loop.time()
            elapsed, last = min(now - last, 1.0), now
            quality = link["quality"]
            rate = self.rate(quality)
            # The bytes due since the last frame, so that a late tick does
            # not lower the rate.
            owed += rate * elapsed
            size = max(QUALITY_FRAME.size, int(owed))
            owed -= size
            bandwidth = link["bandwidth"]
            if bandwidth is not None:
                tokens = min(tokens + bandwidth * elapsed, float(max(bandwidth, size)))
                if tokens < size:
                    self.skipped += 1
                    continue
                tokens -= size
            number += 1
            frame = QUALITY_FRAME.pack(number % 2**32, QUALITY_LEVELS.index(quality)) + bytes(size - QUALITY_FRAME.size)
            await connection.send(frame)
            self.sent += 1


def _check_bandwidth(value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10**9):
        raise ValueError(f"bytes_per_second must be null or an int from 1 to 10**9, not {value!r}")
