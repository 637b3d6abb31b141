"""Tests of wsnb.servers.game."""

from __future__ import annotations

import json
import unittest

from websockets.asyncio.client import connect

from wsnb.servers import GameLab, serve

from .servers_support import with_timeouts


async def say(ws, **message):
    await ws.send(json.dumps(message))


async def hear(ws):
    return json.loads(await ws.recv())


@with_timeouts
class GameTests(unittest.IsolatedAsyncioTestCase):
    async def test_play(self):
        """Join, move, act and leave: everyone sees each event and the state, in seq order."""
        async with serve("game", width=10, height=10) as server:
            self.assertIsInstance(server.lab, GameLab)
            async with connect(server.url) as p1:
                await say(p1, type="join", playerId="p1")
                self.assertEqual(await hear(p1), {"type": "player_joined", "playerId": "p1"})
                self.assertEqual(await hear(p1), {"type": "game_state", "seq": 1, "players": {"p1": {"x": 5, "y": 5}}})
                async with connect(server.url) as p2:
                    await say(p2, type="join", playerId="p2")
                    for ws in (p1, p2):
                        self.assertEqual((await hear(ws))["type"], "player_joined")
                        self.assertEqual((await hear(ws))["seq"], 2)
                    await say(p2, type="move", x=1, y=2.5)
                    move = {"type": "player_move", "playerId": "p2", "x": 1, "y": 2.5, "seq": 3}
                    self.assertEqual(await hear(p1), move)
                    self.assertEqual(await hear(p2), move)
                    await say(p1, type="action", action="jump", data={"h": 2})
                    action = {"type": "player_action", "playerId": "p1", "action": "jump", "data": {"h": 2}, "seq": 4}
                    self.assertEqual(await hear(p2), action)
                    await say(p2, type="state")
                    state = await hear(p2)
                    self.assertEqual(state["players"], {"p1": {"x": 5, "y": 5}, "p2": {"x": 1, "y": 2.5}})
                self.assertEqual(await hear(p1), action)
                self.assertEqual(await hear(p1), {"type": "player_left", "playerId": "p2"})
                self.assertEqual(await hear(p1), {"type": "game_state", "seq": 5, "players": {"p1": {"x": 5, "y": 5}}})
                self.assertEqual(list(server.lab.players), ["p1"])

    async def test_ping_pong(self):
        """A ping comes back as a pong to the sender only, with its timestamp and any other field."""
        async with serve("game") as server:
            async with connect(server.url) as ws:
                await say(ws, type="ping", timestamp=1234.5, id=9)
                self.assertEqual(await hear(ws), {"type": "pong", "timestamp": 1234.5, "id": 9})

    async def test_periodic_state(self):
        """With state_interval the state is broadcast without any event."""
        async with serve("game", state_interval=0.01) as server:
            async with connect(server.url) as ws:
                self.assertEqual(await hear(ws), {"type": "game_state", "seq": 0, "players": {}})

    async def test_errors(self):
        """Bad messages get an error answer; seq does not move."""
        async with serve("game", width=10, height=10) as server:
            async with connect(server.url) as ws, connect(server.url) as other:
                await say(other, type="join", playerId="taken")
                for client in (other, ws):  # everyone connected hears joins
                    self.assertEqual((await hear(client))["type"], "player_joined")
                    self.assertEqual((await hear(client))["type"], "game_state")
                for message, error in (
                    ("nope", "JSON objects"),
                    ("[]", "not a JSON object"),
                    (json.dumps({"type": "move", "x": 1, "y": 1}), "join first"),
                    (json.dumps({"type": "fly"}), "unknown type 'fly'"),
                    (json.dumps({"type": "join", "playerId": ""}), '"playerId" must be'),
                    (json.dumps({"type": "join", "playerId": "taken"}), "already in the game"),
                ):
                    await ws.send(message)
                    reply = await hear(ws)
                    self.assertIn(error, reply.get("error", ""), message)
                await say(ws, type="join", playerId="me")
                await hear(ws), await hear(ws)
                await hear(other), await hear(other)
                seq = server.lab.seq
                for message, error in (
                    ({"type": "join", "playerId": "again"}, "already joined"),
                    ({"type": "move", "x": 11, "y": 0}, "outside the 10 x 10 board"),
                    ({"type": "move", "x": True, "y": 0}, "must be numbers"),
                    ({"type": "action", "action": 3}, '"action" must be a string'),
                ):
                    await say(ws, **message)
                    self.assertIn(error, (await hear(ws))["error"])
                self.assertEqual(server.lab.seq, seq)

    def test_bad_options(self):
        """The board and interval are checked."""
        for options in ({"width": 0}, {"height": "big"}, {"state_interval": 0}):
            with self.subTest(**options), self.assertRaises(ValueError):
                serve("game", **options)
