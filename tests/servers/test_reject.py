"""Tests of wsnb.servers.reject."""

from __future__ import annotations

import unittest

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from wsnb.servers import RejectLab, serve

from .servers_support import with_timeouts


@with_timeouts
class RejectTests(unittest.IsolatedAsyncioTestCase):
    async def rejection(self, url):
        """Connect to ``url`` and return the HTTP response that refused it."""
        with self.assertRaises(InvalidStatus) as raised:
            await connect(url)
        return raised.exception.response

    async def test_default_403(self):
        """By default the handshake is refused with 403 and a short text."""
        async with serve("reject") as server:
            self.assertIsInstance(server.lab, RejectLab)
            response = await self.rejection(server.url)
            self.assertEqual(response.status_code, 403)
            self.assertEqual(
                response.body,
                b"403 Forbidden: the wsnb reject lab refuses every WebSocket.\n",
            )
            self.assertEqual(
                response.headers["Content-Type"], "text/plain; charset=utf-8"
            )
            self.assertEqual(server.lab.rejected, 1)
            self.assertEqual(server.lab.connections, 0)

    async def test_status_option(self):
        """The status option picks the status."""
        async with serve("reject", status=401) as server:
            response = await self.rejection(server.url)
            self.assertEqual(response.status_code, 401)
            self.assertTrue(response.body.startswith(b"401 Unauthorized: "))

    async def test_status_query(self):
        """?status=N overrides the option for one connection."""
        async with serve("reject", status=401) as server:
            for status in (404, 418, 429, 500, 503, 200, 511):
                with self.subTest(status=status):
                    response = await self.rejection(f"{server.url}?status={status}")
                    self.assertEqual(response.status_code, status)
            self.assertEqual(server.lab.rejected, 7)

    async def test_bad_status_query(self):
        """A ?status= that is not 200-599 gets 400 with an explanation."""
        async with serve("reject") as server:
            for text in ("abc", "101", "599", "600"):
                with self.subTest(status=text):
                    response = await self.rejection(f"{server.url}?status={text}")
                    self.assertEqual(response.status_code, 400)
                    self.assertIn(b"200 to 599", response.body)

    def test_bad_status_option(self):
        """A status option that is not an int from 200 to 599 is refused."""
        for status in (101, 599, 600, "404", 404.0, True):
            with self.subTest(status=status), self.assertRaises(ValueError):
                serve("reject", status=status)
