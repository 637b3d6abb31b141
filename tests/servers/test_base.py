"""Tests of wsnb.servers._base: the Lab base class."""

from __future__ import annotations

import unittest

from websockets.asyncio.client import connect

from wsnb.servers import SERVERS, Lab, serve
from wsnb.servers._base import query_params

from .servers_support import with_timeouts


class PlainLab(Lab):
    """A lab that only answers the query string it was opened with."""

    name = "test-plain"

    def __init__(self, *, first: int = 1, second: str = "x") -> None:
        super().__init__()
        self.first, self.second = first, second

    async def handle(self, connection):
        await connection.send(repr(sorted(query_params(connection).items())))


@with_timeouts
class LabTests(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        SERVERS[PlainLab.name] = PlainLab
        self.addCleanup(SERVERS.pop, PlainLab.name)

    def test_options_are_keyword_only_parameters(self):
        """A lab's options are its keyword-only __init__ parameters, in order."""
        self.assertEqual(PlainLab.option_names(), ["first", "second"])
        self.assertEqual(Lab.option_names(), [])

    def test_defaults(self):
        """The base class accepts every request and selects no subprotocol."""
        lab = Lab()
        self.assertEqual(lab.connections, 0)
        self.assertIsNone(lab.process_request(None, None))
        self.assertIsNone(lab.select_subprotocol(None, ["chat"]))
        self.assertEqual(lab.max_connections, 256)
        self.assertEqual(lab.max_size, 2**20)

    async def test_handle_is_abstract(self):
        """Lab.handle must be overridden."""
        with self.assertRaises(NotImplementedError):
            await Lab().handle(None)

    async def test_shutdown_does_nothing_by_default(self):
        """Lab.shutdown is an optional hook."""
        self.assertIsNone(await Lab().shutdown())

    async def test_query_params(self):
        """query_params gives the request's query, last value winning."""
        async with serve("test-plain", first=2) as server:
            self.assertEqual(server.lab.first, 2)
            async with connect(server.url + "path?a=1&b=two&a=3&c=") as ws:
                self.assertEqual(await ws.recv(), "[('a', '3'), ('b', 'two')]")
            async with connect(server.url) as ws:
                self.assertEqual(await ws.recv(), "[]")
