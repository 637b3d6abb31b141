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

Scale-out (``broker="redis://HOST:PORT/DB"``): several ticker processes
given the same Redis URL share one stream per symbol, as a market feed
does. For each symbol that has subscribers, one process of the cluster
holds a Redis lock (``SET NX PX``, renewed every tick) and generates the
walk, ``rate`` updates a second; it publishes each tick's updates (the
24-byte records) on the symbol's channel, and every process relays them
to its own subscribers in their format. A subscription joins the stream
where it is (not at ``seq`` 0), so clients on different processes see the
same ``seq`` with the same price, the one :func:`price_walk` gives. When
the leader dies or its last subscriber leaves, the lock expires or is
released and another process takes over, from the last published
``seq``. A client that does not read fast enough misses updates (counted
in ``lab.stalls``) instead of slowing the shared stream, and the ``rate``
command is refused: the cluster's rate is the ``rate`` option. When Redis
is away no update flows; the stream resumes when it is back.

"""

from __future__ import annotations

import asyncio
import json
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
from ..exceptions import BrokerUnavailable
from ._base import Lab, logger, stream_and_answer
from .broker import Broker, check_broker_url, make_broker

__all__ = ["TICKER_UPDATE", "TickerLab", "price_walk"]

TICKER_UPDATE = struct.Struct("<8sQd")
"""One binary update: symbol (8 bytes), seq (uint64), price (float64), little-endian."""

MAX_SYMBOLS = 64
MAX_RATE = 100_000.0
HIGH_WATER = 2**20
LEAD_TICKS = 20
"""A leader's lock lasts this many ticks (at least 0.5 s) unless renewed."""
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


def _frames(symbol: str, padded: bytes, updates: Any, binary: bool) -> list[bytes]:
    """The frames of ``(seq, price)`` updates of one symbol, in the lab's format."""
    if binary:
        return [_frame(TICKER_UPDATE.pack(padded, seq, price), True) for seq, price in updates]
    return [
        _frame(f'{{"type":"price_update","symbol":"{symbol}","seq":{seq},"price":{price!r}}}'.encode(), False)
        for seq, price in updates
    ]


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
        broker: None for a walk per connection in this process, or a Redis
            URL shared with other ticker processes (one stream per symbol).

    Attributes:
        connections: Connections opened since the server started.
        updates: Updates sent.
        stalls: Ticks (with a broker: batches) skipped because a client was
            not reading fast enough.
        leading: With a broker, the symbols whose walk this process generates.

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
        broker: str | None = None,
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
        url = check_broker_url(broker)
        self.broker: Broker | None = None if url is None else make_broker(url, self.name)
        self._feeds: dict[str, set[ServerConnection]] = {}
        self._walks: dict[str, _Subscription] = {}
        self._leading: asyncio.Task[None] | None = None

    @property
    def leading(self) -> list[str]:
        """The symbols whose walk this process generates for the cluster (with a broker)."""
        return sorted(self._walks)

    async def setup(self) -> None:
        """With a broker: connect, and start generating the walks this process leads."""
        if self.broker is not None:
            await self.broker.start(self._relay)
            self._leading = asyncio.get_running_loop().create_task(self._lead())
            self._leading.add_done_callback(_report_failure)

    async def teardown(self) -> None:
        """With a broker: stop leading (so another process takes over at once) and disconnect."""
        if self.broker is None:
            return
        if self._leading is not None:
            self._leading.cancel()
            try:
                await self._leading
            except asyncio.CancelledError:
                pass
            self._leading = None
        for symbol in list(self._walks):
            try:
                await self.broker.resign(f"ticker:{symbol}")
            except BrokerUnavailable:
                pass
        self._walks.clear()
        await self.broker.close()

    async def handle(self, connection: ServerConnection) -> None:
        """Act on commands; stream updates for the subscribed symbols meanwhile."""
        if self.broker is not None:
            await self._handle_shared(connection, self.broker)
            return
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
        command = _parse_command(message)
        action = command.get("action")
        if action == "rate":
            _check_rate(command.get("rate"))
            settings["rate"] = float(command["rate"])
            return {"type": "rate", "rate": settings["rate"]}
        symbols = _check_symbols(action, command.get("symbols"))
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
                updates = [next(subscription.walk) for _ in range(count)]
                frames += _frames(symbol, subscription.padded, updates, binary)
            if frames:
                # One write for the whole tick; the frames are complete, so
                # they never interleave with websockets' own frames.
                connection.transport.write(b"".join(frames))
                self.updates += len(frames)


    # -- With a broker: one stream per symbol for the whole cluster --------------------

    async def _handle_shared(self, connection: ServerConnection, broker: Broker) -> None:
        """Answer commands; the relay writes the updates of the subscribed symbols."""
        subscribed: set[str] = set()
        try:
            async for message in connection:
                try:
                    reply = await self._shared_command(connection, broker, message, subscribed)
                except ValueError as exc:
                    reply = {"type": "error", "error": str(exc)}
                await connection.send(json.dumps(reply))
        finally:
            for symbol in sorted(subscribed):
                await self._unfeed(connection, broker, symbol)

    async def _shared_command(
        self, connection: ServerConnection, broker: Broker, message: str | bytes, subscribed: set[str]
    ) -> dict[str, Any]:
        command = _parse_command(message)
        action = command.get("action")
        if action == "rate":
            raise ValueError(
                "with a broker the stream of a symbol is shared by every client: its rate is the servers' "
                f"rate option ({self.rate:g} per second), not a client's"
            )
        symbols = _check_symbols(action, command.get("symbols"))
        if action == "subscribe":
            new = [s for s in dict.fromkeys(symbols) if s not in subscribed]
            if len(subscribed) + len(new) > MAX_SYMBOLS:
                raise ValueError(f"at most {MAX_SYMBOLS} symbols per connection")
            for symbol in new:
                subscribed.add(symbol)
                feed = self._feeds.setdefault(symbol, set())
                feed.add(connection)
                if len(feed) == 1:
                    try:
                        await broker.subscribe(f"ticker:{symbol}")
                    except BrokerUnavailable as exc:
                        # Kept: the broker subscribes again when it is back.
                        logger.warning("ticker: %s; updates of %s start when the broker is back", exc, symbol)
        else:
            for symbol in symbols:
                if symbol in subscribed:
                    subscribed.discard(symbol)
                    await self._unfeed(connection, broker, symbol)
        return {"type": "subscriptions", "symbols": sorted(subscribed)}

    async def _unfeed(self, connection: ServerConnection, broker: Broker, symbol: str) -> None:
        feed = self._feeds.get(symbol)
        if feed is None:
            return
        feed.discard(connection)
        if feed:
            return
        del self._feeds[symbol]
        await broker.unsubscribe(f"ticker:{symbol}")
        if self._walks.pop(symbol, None) is not None:
            try:
                await broker.resign(f"ticker:{symbol}")  # another process with subscribers takes over
            except BrokerUnavailable:
                pass  # the lock expires on its own

    async def _lead(self) -> None:
        """Every tick: for each symbol with subscribers here, lead it if no one else does, and publish."""
        assert self.broker is not None
        broker = self.broker
        loop = asyncio.get_running_loop()
        last = loop.time()
        deadline = last
        ttl = max(0.5, LEAD_TICKS * self.tick)
        outage = False
        while True:
            deadline += self.tick
            delay = deadline - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # the tick's period, as in the in-process stream
            else:
                deadline = loop.time()
                await asyncio.sleep(0)
            now = loop.time()
            elapsed, last = min(now - last, 1.0), now
            try:
                for symbol in sorted(self._feeds):
                    await self._lead_symbol(broker, symbol, elapsed, ttl)
                if outage:
                    logger.warning("ticker: the broker is back; streams resume")
                    outage = False
            except BrokerUnavailable as exc:
                if not outage:
                    logger.warning("ticker: %s; no updates until it is back", exc)
                    outage = True
                self._walks.clear()  # whoever holds the locks when it is back leads

    async def _lead_symbol(self, broker: Broker, symbol: str, elapsed: float, ttl: float) -> None:
        name = f"ticker:{symbol}"
        if not await broker.lead(name, ttl):
            self._walks.pop(symbol, None)
            return
        walk = self._walks.get(symbol)
        if walk is None:
            previous = await broker.last(name)
            start = 0 if previous is None else previous + 1
            walk = _Subscription(price_walk(self.seed, symbol, self.volatility), symbol.encode().ljust(8, b"\0"))
            for _ in range(start):  # the walk is deterministic: replay it up to where the last leader stopped
                next(walk.walk)
            self._walks[symbol] = walk
            logger.info("ticker: this process now leads %s, from seq %d", symbol, start)
        walk.due += self.rate * elapsed
        count = int(walk.due)
        walk.due -= count
        if not count:
            return
        updates = [next(walk.walk) for _ in range(count)]
        records = b"".join(TICKER_UPDATE.pack(walk.padded, seq, price) for seq, price in updates)
        if not await broker.publish_led(name, name, records, updates[-1][0]):
            self._walks.pop(symbol, None)  # lost the lock meanwhile: the new leader goes on from the stored seq

    def _relay(self, channel: str, payload: bytes) -> None:
        """Write a published batch of updates to this process's subscribers of its symbol."""
        symbol = channel.partition(":")[2]
        feed = self._feeds.get(symbol)
        if not feed:
            return
        updates = [(seq, price) for _, seq, price in TICKER_UPDATE.iter_unpack(payload)]
        data = b"".join(_frames(symbol, symbol.encode().ljust(8, b"\0"), updates, self.format == "binary"))
        for connection in list(feed):
            if connection.state is not State.OPEN:
                continue
            if connection.transport.get_write_buffer_size() > HIGH_WATER:
                self.stalls += 1
                continue
            connection.transport.write(data)
            self.updates += len(updates)


def _report_failure(task: asyncio.Task[None]) -> None:
    """Log a leader loop that failed (a bug): its symbols then stop until another process leads."""
    if not task.cancelled() and task.exception() is not None:
        logger.error("ticker: the leader loop failed", exc_info=task.exception())


def _parse_command(message: str | bytes) -> dict[str, Any]:
    try:
        command = peer_json.loads(message)
    except ValueError:
        raise ValueError('commands are JSON objects such as {"action": "subscribe", "symbols": ["AAPL"]}') from None
    if not isinstance(command, dict):
        raise ValueError("the command is not a JSON object")
    return command


def _check_symbols(action: Any, symbols: Any) -> list[str]:
    if action not in ("subscribe", "unsubscribe"):
        raise ValueError(f'unknown action {action!r}; use "subscribe", "unsubscribe" or "rate"')
    if not isinstance(symbols, list) or not all(isinstance(s, str) and _SYMBOL.fullmatch(s) for s in symbols):
        raise ValueError('"symbols" must be a list of 1-8 character symbols from A-Z 0-9 . -')
    return symbols


def _check_rate(rate: Any) -> None:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= MAX_RATE:
        raise ValueError(f"rate must be a number of updates per second in (0, {MAX_RATE:.0f}], not {rate!r}")
