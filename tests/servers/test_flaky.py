"""Tests of wsnb.servers.flaky."""

from __future__ import annotations

import json
import unittest

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError

from wsnb.servers import FlakyLab, FlakySession, serve

from .servers_support import with_timeouts


def envelope(session, message_id, data):
    return json.dumps({"session": session, "id": message_id, "data": data})


@with_timeouts
class FlakyTests(unittest.IsolatedAsyncioTestCase):
    async def test_echo_and_drop_command(self):
        """By default it echoes; "drop" ends the TCP connection without a Close frame."""
        async with serve("flaky") as server:
            self.assertIsInstance(server.lab, FlakyLab)
            async with connect(server.url) as ws:
                await ws.send("hello")
                self.assertEqual(await ws.recv(), "hello")
                await ws.send(b"\x00")
                self.assertEqual(await ws.recv(), b"\x00")
                await ws.send("drop")
                with self.assertRaises(ConnectionClosedError) as raised:
                    await ws.recv()
            self.assertIsNone(raised.exception.rcvd)  # no Close frame came
            self.assertEqual((server.lab.drops, server.lab.received), (1, 2))
            self.assertEqual(server.lab.inbox, ["hello", b"\x00"])  # commands are not kept

    async def test_drop_after(self):
        """drop_after=3 drops each connection after 3 messages, until max_drops; inbox keeps them in order."""
        async with serve("flaky", drop_after=3, max_drops=1) as server:
            async with connect(server.url) as ws:
                for i in range(3):
                    await ws.send(str(i))
                self.assertEqual([await ws.recv() for _ in range(3)], ["0", "1", "2"])
                with self.assertRaises(ConnectionClosedError):
                    await ws.recv()
            self.assertEqual(server.lab.inbox, ["0", "1", "2"])
            async with connect(server.url) as ws:  # max_drops reached: no more drops
                for i in range(5):
                    await ws.send(str(i))
                self.assertEqual([await ws.recv() for _ in range(5)], [str(i) for i in range(5)])
            self.assertEqual(server.lab.drops, 1)
            self.assertEqual(server.lab.inbox, ["0", "1", "2"] + [str(i) for i in range(5)])

    async def test_acknowledged_delivery(self):
        """In ack mode ids are delivered once, in order; duplicates and gaps are counted, not delivered."""
        async with serve("flaky", ack=True) as server:
            async with connect(server.url) as ws:
                answers = []
                for message_id, data in ((1, "a"), (2, "b"), (2, "b"), (1, "a"), (4, "d"), (3, "c")):
                    await ws.send(envelope("s1", message_id, data))
                    answers.append(json.loads(await ws.recv()))
                self.assertEqual([a["ack"] for a in answers], [1, 2, 2, 2, 2, 3])
                await ws.send(envelope("s2", 1, {"json": True}))
                self.assertEqual(json.loads(await ws.recv()), {"ack": 1})
                await ws.send("not an envelope")
                self.assertIn("error", json.loads(await ws.recv()))
                await ws.send(json.dumps({"session": 1, "id": 1, "data": 0}))
                self.assertIn("error", json.loads(await ws.recv()))
            lab = server.lab
            self.assertEqual(lab.inbox, [])  # ack mode keeps sessions instead
            self.assertEqual(lab.delivered("s1"), ["a", "b", "c"])
            self.assertEqual(lab.sessions["s1"], FlakySession(last_id=3, delivered=["a", "b", "c"], duplicates=2, gaps=1))
            self.assertEqual(lab.delivered("s2"), [{"json": True}])
            self.assertEqual(lab.delivered("nobody"), [])

    def test_bad_options(self):
        """Counts must be positive ints or None; ack a bool."""
        for options in ({"drop_after": 0}, {"max_drops": -1}, {"drop_after": 1.5}, {"ack": "yes"}):
            with self.subTest(**options), self.assertRaises(ValueError):
                serve("flaky", **options)
