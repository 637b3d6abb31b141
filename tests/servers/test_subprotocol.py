"""Tests of wsnb.servers.subprotocol."""

from __future__ import annotations

import json
import unittest

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus, NegotiationError

from wsnb.servers import SubprotocolLab, serve

from .servers_support import bounded, with_timeouts


@with_timeouts
class SubprotocolTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.server = await serve("subprotocol")
        self.addAsyncCleanup(bounded(self.server.close))

    async def report(self, query="", subprotocols=None):
        """Connect, check the report against ws.subprotocol, return it."""
        async with connect(self.server.url + query, subprotocols=subprotocols) as ws:
            report = json.loads(await ws.recv())
            self.assertEqual(report["selected"], ws.subprotocol)
            await ws.send("echo?")
            self.assertEqual(await ws.recv(), "echo?")
            await ws.send(b"echo!")
            self.assertEqual(await ws.recv(), b"echo!")
        return report

    async def test_lab(self):
        """serve("subprotocol") runs a SubprotocolLab choosing "first"."""
        self.assertIsInstance(self.server.lab, SubprotocolLab)
        self.assertEqual(self.server.lab.choose, "first")

    async def test_first(self):
        """By default the first protocol offered is selected, then messages echo."""
        report = await self.report(subprotocols=["chat", "superchat"])
        self.assertEqual(report, {"offered": ["chat", "superchat"], "selected": "chat"})

    async def test_nothing_offered(self):
        """With no offer, nothing is selected."""
        self.assertEqual(await self.report(), {"offered": [], "selected": None})

    async def test_query_none(self):
        """?choose=none selects nothing even when protocols are offered."""
        report = await self.report("?choose=none", ["chat"])
        self.assertEqual(report, {"offered": ["chat"], "selected": None})

    async def test_query_offered_name(self):
        """?choose=NAME selects that name when it was offered."""
        report = await self.report("?choose=superchat", ["chat", "superchat"])
        self.assertEqual(report["selected"], "superchat")

    async def test_unoffered_name_is_refused_by_the_client(self):
        """A protocol the client did not offer is sent; the client refuses it."""
        with self.assertRaises(NegotiationError) as raised:
            await connect(self.server.url + "?choose=xyz", subprotocols=["chat"])
        self.assertIn("unsupported subprotocol: xyz", str(raised.exception))
        with self.assertRaises(NegotiationError) as raised:
            await connect(self.server.url + "?choose=xyz")
        self.assertIn("no subprotocols supported", str(raised.exception))

    async def test_option(self):
        """The choose option sets the rule for every connection."""
        async with (
            serve("subprotocol", choose="none") as server,
            connect(server.url, subprotocols=["chat"]) as ws,
        ):
            self.assertIsNone(ws.subprotocol)
        async with serve("subprotocol", choose=None) as server:
            self.assertEqual(server.lab.choose, "none")
        async with (
            serve("subprotocol", choose="v2.json") as server,
            connect(server.url, subprotocols=["v1.json", "v2.json"]) as ws,
        ):
            self.assertEqual(ws.subprotocol, "v2.json")
            self.assertEqual(
                json.loads(await ws.recv()),
                {"offered": ["v1.json", "v2.json"], "selected": "v2.json"},
            )

    async def test_bad_query(self):
        """A ?choose= that is not a token is refused with HTTP 400."""
        with self.assertRaises(InvalidStatus) as raised:
            await connect(self.server.url + "?choose=a%20b")
        self.assertEqual(raised.exception.response.status_code, 400)
        self.assertIn(b"subprotocol token", raised.exception.response.body)

    def test_bad_option(self):
        """A choose option that is not a token is refused."""
        for choose in ("a b", "", 3, "é"):
            with self.subTest(choose=choose), self.assertRaises(ValueError):
                serve("subprotocol", choose=choose)
