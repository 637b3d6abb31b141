"""Ticker lab server: price updates for the symbols a client subscribes to.

Accepts::

    ws://127.0.0.1:PORT/     any path, any query string

and JSON text commands::

    {"action": "subscribe", "symbols": ["AAPL", "MSFT"]}
    {"action": "unsubscribe", "symbols": ["AAPL"]}
    {"action": "rate", "rate": 5000}          updates per second per symbol,
                                             for this connection

answered (always as JSON text) with::

    {"type": "subscriptions", "symbols": [...]}    the symbols now subscribed, sorted
    {"type": "rate", "rate": 5000.0}
    {"type": "error", "error": "..."}

Symbols are 1 to 8 characters from ``A-Z 0-9 . -``; at most 64 per
connection. For each subscribed symbol the server sends ``rate`` updates a
second. With ``format="json"`` each update is a text message::

    {"type": "price_update", "symbol": "AAPL", "seq": 0, "price": 123.4567}

With ``format="binary"`` each update is a 24-byte binary message, packed
little-endian with ``struct`` format ``"<8sQd"`` (``TICKER_UPDATE`` here)::

    offset  size  field
    0       8     symbol, ASCII, padded with NUL bytes
    8       8     seq, unsigned 64-bit integer
    16      8     price, IEEE 754 float64

In Python: ``symbol, seq, price = TICKER_UPDATE.unpack(data)`` (strip the NULs
from ``symbol``), or ``numpy.frombuffer(data, dtype=[("symbol", "S8"),
("seq", "<u8"), ("price", "<f8")])``. In JavaScript, pass
``littleEndian = true`` to ``DataView.getFloat64`` and ``getBigUint64``.

Determinism: each symbol's prices follow a random walk seeded with
``seed`` and the symbol, starting again at ``seq`` 0 on each subscription,
so the n-th update of a symbol has the same price on every connection and
every run. How updates of different symbols interleave depends on timing.
Prices move by a factor ``exp(volatility * N(0, 1))`` per update and are
rounded to 4 decimals (so JSON and binary carry the same value).

Rate: every ``tick`` seconds the server computes how many updates are due
(from the time that really passed) and writes all of them in one go, so
that tens of thousands of messages a second are real. When the client
does not read fast enough and more than 1 MiB waits in the server's write
buffer, the due updates of that tick are not generated (``lab.stalls``
counts it): the stream slows down rather than buffering without bound, and
``seq`` stays contiguous. Compression is off, so that sizes are what they
seem and the server can keep up.

"""

from __future__ import annotations

import asyncio
import math
import random
import re
import struct
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.protocol import State

from .. import _json as peer_json
from ..checks import check_int, check_number
from ._base import Lab, stream_and_answer

__all__ = ["TICKER_UPDATE", "TickerLab", "price_walk"]

TICKER_UPDATE = struct.Struct("<8sQd")
"""One binary update: symbol (8 bytes), seq (uint64), price (float64), little-endian."""

MAX_SYMBOLS = 64
MAX_RATE = 100_000.0
HIGH_WATER = 2**20
_SYMBOL = re.compile(r"[A-Z0-9.\-]{1,8}")


def price_walk(seed: int, symbol: str, volatility: float = 0.002) -> Any:
    """Yield ``(seq, price)`` for ``symbol``: the walk the ticker sends, from seq 0.

    Useful to check a stream, or to plot the same walk offline.
    """
    rng = random.Random(f"{seed}:{symbol}")
    price = round(50.0 + 150.0 * rng.random(), 4)
    seq = 0
    while True:
        yield seq, price
        seq += 1
        price = round(price * math.exp(volatility * rng.gauss(0.0, 1.0)), 4)


def _frame(payload: bytes, binary: bool) -> bytes:
    """One unmasked, unfragmented server frame (opcode text or binary, FIN set)."""
    head = 0x82 if binary else 0x81
    size = len(payload)
    if size < 126:
        return bytes((head, size)) + payload
    if size < 2**16:
        return bytes((head, 126)) + struct.pack("!H", size) + payload
    return bytes((head, 127)) + struct.pack("!Q", size) + payload


@dataclass
class _Subscription:
    walk: Any
    padded: bytes
    due: float = 0.0


class TickerLab(Lab):
    """Stream seeded random-walk prices for subscribed symbols.

    Use it for the reference's live data streaming example, for live plots,
    and to measure how many messages a second a client can take.

    Args:
        seed: Seeds every symbol's walk.
        rate: Updates per second per symbol (a connection can change its own).
        tick: Seconds between batches of writes.
        format: ``"json"`` (text messages) or ``"binary"`` (24-byte records).
        volatility: The standard deviation of each update's log-return.

    Attributes:
        connections: Connections opened since the server started.
        updates: Updates sent.
        stalls: Ticks skipped because a client was not reading fast enough.

    """

    name = "ticker"
    compression = None

    def __init__(
        self,
        *,
        seed: int = 0,
        rate: float = 10.0,
        tick: float = 0.05,
        format: str = "json",
        volatility: float = 0.002,
    ) -> None:
        super().__init__()
        check_int("seed", seed)
        _check_rate(rate)
        check_number("tick", tick, minimum=0.001, maximum=10, unit="seconds")
        if format not in ("json", "binary"):
            raise ValueError(f"format must be 'json' or 'binary', not {format!r}")
        check_number("volatility", volatility, minimum=0, maximum=1)
        self.seed = seed
        self.rate = float(rate)
        self.tick = float(tick)
        self.format = format
        self.volatility = float(volatility)
        self.updates = 0
        self.stalls = 0

    async def handle(self, connection: ServerConnection) -> None:
        """Act on commands; stream updates for the subscribed symbols meanwhile."""
        subscriptions: dict[str, _Subscription] = {}
        settings = {"rate": self.rate}
        await stream_and_answer(
            connection,
            self._stream(connection, subscriptions, settings),
            lambda message: self._command(message, subscriptions, settings),
        )

    def _command(
        self, message: str | bytes, subscriptions: dict[str, _Subscription], settings: dict[str, float]
    ) -> dict[str, Any]:
        try:
            command = peer_json.loads(message)
        except ValueError:
            raise ValueError('commands are JSON objects such as {"action": "subscribe", "symbols": ["AAPL"]}') from None
        if not isinstance(command, dict):
            raise ValueError("the command is not a JSON object")
        action = command.get("action")
        if action == "rate":
            _check_rate(command.get("rate"))
            settings["rate"] = float(command["rate"])
            return {"type": "rate", "rate": settings["rate"]}
        if action not in ("subscribe", "unsubscribe"):
            raise ValueError(f'unknown action {action!r}; use "subscribe", "unsubscribe" or "rate"')
        symbols = command.get("symbols")
        if not isinstance(symbols, list) or not all(isinstance(s, str) and _SYMBOL.fullmatch(s) for s in symbols):
            raise ValueError('"symbols" must be a list of 1-8 character symbols from A-Z 0-9 . -')
        if action == "subscribe":
            new = [s for s in dict.fromkeys(symbols) if s not in subscriptions]
            if len(subscriptions) + len(new) > MAX_SYMBOLS:
                raise ValueError(f"at most {MAX_SYMBOLS} symbols per connection")
            for symbol in new:
                subscriptions[symbol] = _Subscription(
                    price_walk(self.seed, symbol, self.volatility), symbol.encode().ljust(8, b"\0")
                )
        else:
            for symbol in symbols:
                subscriptions.pop(symbol, None)
        return {"type": "subscriptions", "symbols": sorted(subscriptions)}

    async def _stream(
        self, connection: ServerConnection, subscriptions: dict[str, _Subscription], settings: dict[str, float]
    ) -> None:
        loop = asyncio.get_running_loop()
        binary = self.format == "binary"
        last = loop.time()
        deadline = last
        while True:
            deadline += self.tick
            delay = deadline - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                deadline = loop.time()  # late: carry on from now, without a burst
                await asyncio.sleep(0)
            now = loop.time()
            elapsed, last = min(now - last, 1.0), now
            if connection.state is not State.OPEN or not subscriptions:
                continue
            if connection.transport.get_write_buffer_size() > HIGH_WATER:
                self.stalls += 1
                continue
            frames = []
            rate = settings["rate"]
            for symbol in sorted(subscriptions):
                subscription = subscriptions[symbol]
                subscription.due += rate * elapsed
                count = int(subscription.due)
                subscription.due -= count
                for _ in range(count):
                    seq, price = next(subscription.walk)
                    if binary:
                        frames.append(_frame(TICKER_UPDATE.pack(subscription.padded, seq, price), True))
                    else:
                        text = (
                            f'{{"type":"price_update","symbol":"{symbol}","seq":{seq},"price":{price!r}}}'
                        )
                        frames.append(_frame(text.encode(), False))
            if frames:
                # One write for the whole tick; the frames are complete, so
                # they never interleave with websockets' own frames.
                connection.transport.write(b"".join(frames))
                self.updates += len(frames)


def _check_rate(rate: Any) -> None:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= MAX_RATE:
        raise ValueError(f"rate must be a number of updates per second in (0, {MAX_RATE:.0f}], not {rate!r}")
