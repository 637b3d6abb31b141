"""Tests of wsnb.servers.ticker."""

from __future__ import annotations

import itertools
import json
import unittest

from websockets.asyncio.client import connect

from wsnb.servers import TICKER_UPDATE, TickerLab, price_walk, serve

from .servers_support import with_timeouts


async def command(ws, **message):
    """Send a command; return its answer (updates that arrive first are skipped)."""
    await ws.send(json.dumps(message))
    while True:
        reply = await ws.recv()
        if isinstance(reply, str) and '"price_update"' not in reply:
            return json.loads(reply)


async def updates(ws, count):
    """Receive ``count`` price updates (skipping command answers)."""
    received = []
    while len(received) < count:
        message = await ws.recv()
        if isinstance(message, bytes) or '"price_update"' in message:
            received.append(message)
    return received


async def stop(ws):
    """Unsubscribe from everything and read up to the answer, so the connection closes promptly.

    A client that stops reading while updates keep coming (websockets pauses
    reading after ``max_queue`` messages) would never see the server's Close
    frame behind them.
    """
    reply = await command(ws, action="unsubscribe", symbols=[f"{s}" for s in ("AAPL", "MSFT", "BRK.B", "FAST", "A", "B")])
    assert reply == {"type": "subscriptions", "symbols": []}, reply


@with_timeouts
class TickerTests(unittest.IsolatedAsyncioTestCase):
    async def test_json_updates_are_deterministic(self):
        """Two connections see the same seeded walk for a symbol, the one price_walk gives."""
        async with serve("ticker", seed=42, rate=200, tick=0.01) as server:
            self.assertIsInstance(server.lab, TickerLab)
            async with connect(server.url) as a, connect(server.url) as b:
                self.assertEqual(await command(a, action="subscribe", symbols=["AAPL"]), {"type": "subscriptions", "symbols": ["AAPL"]})
                await command(b, action="subscribe", symbols=["AAPL"])
                first = [json.loads(m) for m in await updates(a, 5)]
                second = [json.loads(m) for m in await updates(b, 5)]
                await stop(a)
                await stop(b)
            expected = [
                {"type": "price_update", "symbol": "AAPL", "seq": seq, "price": price}
                for seq, price in itertools.islice(price_walk(42, "AAPL"), 5)
            ]
            self.assertEqual(first, expected)
            self.assertEqual(second, expected)
            self.assertGreaterEqual(server.lab.updates, 10)

    async def test_binary_records(self):
        """format="binary" sends 24-byte little-endian records: symbol, seq, price."""
        async with serve("ticker", format="binary", rate=500, tick=0.01) as server:
            async with connect(server.url) as ws:
                await command(ws, action="subscribe", symbols=["MSFT", "BRK.B"])
                records = [TICKER_UPDATE.unpack(m) for m in await updates(ws, 40)]
                await stop(ws)
            self.assertEqual(TICKER_UPDATE.size, 24)
            walks = {s: dict(itertools.islice(price_walk(0, s), 40)) for s in ("MSFT", "BRK.B")}
            seen = {"MSFT": [], "BRK.B": []}
            for symbol, seq, price in records:
                name = symbol.rstrip(b"\0").decode()
                seen[name].append(seq)
                self.assertEqual(price, walks[name][seq])
            for seqs in seen.values():
                self.assertEqual(seqs, list(range(len(seqs))))  # contiguous, from 0

    async def test_high_rate(self):
        """A rate of 20,000 updates a second is delivered as contiguous sequence numbers."""
        async with serve("ticker", format="binary", rate=20_000) as server:
            async with connect(server.url) as ws:
                await command(ws, action="subscribe", symbols=["FAST"])
                records = [TICKER_UPDATE.unpack(m) for m in await updates(ws, 5000)]
                await stop(ws)
            self.assertEqual([seq for _, seq, _ in records], list(range(5000)))

    async def test_unsubscribe_and_rate(self):
        """Unsubscribing and changing the rate are answered; re-subscribing starts again at seq 0."""
        async with serve("ticker", rate=1000, tick=0.01) as server:
            async with connect(server.url) as ws:
                await command(ws, action="subscribe", symbols=["A", "B", "A"])
                self.assertEqual(await command(ws, action="unsubscribe", symbols=["A", "Z"]), {"type": "subscriptions", "symbols": ["B"]})
                self.assertEqual(await command(ws, action="rate", rate=50), {"type": "rate", "rate": 50.0})
                await command(ws, action="unsubscribe", symbols=["B"])
                await command(ws, action="subscribe", symbols=["B"])
                # Updates sent before the re-subscription may still be on their way.
                while (fresh := json.loads((await updates(ws, 1))[0]))["seq"] != 0:
                    pass
                self.assertEqual(fresh["symbol"], "B")
                await stop(ws)

    async def test_errors(self):
        """Bad commands are answered with an error and change nothing."""
        async with serve("ticker") as server:
            async with connect(server.url) as ws:
                for message in (
                    "nope",
                    "[]",
                    json.dumps({"action": "buy"}),
                    json.dumps({"action": "subscribe", "symbols": ["lower"]}),
                    json.dumps({"action": "subscribe", "symbols": "AAPL"}),
                    json.dumps({"action": "rate", "rate": 0}),
                    json.dumps({"action": "subscribe", "symbols": [f"S{i}" for i in range(65)]}),
                ):
                    await ws.send(message)
                    self.assertEqual(json.loads(await ws.recv())["type"], "error", message)

    def test_bad_options(self):
        """Options are checked."""
        for options in ({"rate": 0}, {"rate": 10**6}, {"tick": 0}, {"format": "xml"}, {"seed": "x"}, {"volatility": 2}):
            with self.subTest(**options), self.assertRaises(ValueError):
                serve("ticker", **options)
