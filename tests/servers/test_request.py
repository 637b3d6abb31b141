"""Tests of wsnb.servers.request."""

from __future__ import annotations

import json
import unittest

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError

from wsnb.servers import REQUEST_STORE, SERVERS, RequestLab, serve

from .servers_support import with_timeouts


async def ask(ws, request):
    """Send one request (a dict or raw text/bytes) and return the next reply, decoded."""
    await ws.send(request if isinstance(request, (str, bytes)) else json.dumps(request))
    return json.loads(await ws.recv())


@with_timeouts
class RequestTests(unittest.IsolatedAsyncioTestCase):
    async def test_operations(self):
        """add, get, set and echo are answered with the request's id; the store is shared."""
        async with serve("request") as server:
            self.assertIs(SERVERS["request"], RequestLab)
            async with connect(server.url) as ws:
                self.assertEqual(await ask(ws, {"id": 1, "op": "add", "a": 2, "b": 3.5}), {"id": 1, "result": 5.5})
                self.assertEqual(await ask(ws, {"id": "x", "op": "get", "key": "apples"}), {"id": "x", "result": 3})
                self.assertEqual(await ask(ws, {"id": 3, "op": "set", "key": "kiwis", "value": [7]}), {"id": 3, "result": [7]})
                self.assertEqual(await ask(ws, {"id": 4, "op": "echo", "value": {"é": None}}), {"id": 4, "result": {"é": None}})
            async with connect(server.url) as other:
                self.assertEqual(await ask(other, {"id": 1, "op": "get", "key": "kiwis"}), {"id": 1, "result": [7]})
            lab = server.lab
            self.assertEqual((lab.requests, lab.replies, lab.errors), (5, 5, 0))
            self.assertEqual(lab.store, {**REQUEST_STORE, "kiwis": [7]})
            self.assertNotIn("kiwis", REQUEST_STORE)  # each server starts from the same store

    async def test_batch_reverses_replies(self):
        """With batch=3 the server holds 3 requests and answers the newest first."""
        async with serve("request", batch=3) as server:
            async with connect(server.url) as ws:
                for n in range(6):
                    await ws.send(json.dumps({"id": n, "op": "echo", "value": n}))
                replies = [json.loads(await ws.recv()) for _ in range(6)]
                self.assertEqual([r["id"] for r in replies], [2, 1, 0, 5, 4, 3])
                self.assertTrue(all(r["result"] == r["id"] for r in replies))

    async def test_batch_per_connection(self):
        """?batch=2 overrides the lab's batch for one connection; a bad value closes with 1008."""
        async with serve("request") as server:
            async with connect(server.url + "?batch=2") as ws:
                await ws.send(json.dumps({"id": 1, "op": "add", "a": 1, "b": 1}))
                await ws.send(json.dumps({"id": 2, "op": "add", "a": 2, "b": 2}))
                self.assertEqual([json.loads(await ws.recv())["id"] for _ in range(2)], [2, 1])
            async with connect(server.url + "?batch=0") as ws:
                with self.assertRaises(ConnectionClosedError) as raised:
                    await ws.recv()
            self.assertEqual(raised.exception.rcvd.code, 1008)
            self.assertIn("batch", raised.exception.rcvd.reason)

    async def test_never_is_not_answered(self):
        """A "never" request gets no reply: the next reply answers the next request."""
        async with serve("request", batch=2) as server:
            async with connect(server.url) as ws:
                await ws.send(json.dumps({"id": 1, "op": "never"}))
                await ws.send(json.dumps({"id": 2, "op": "echo", "value": "b"}))
                await ws.send(json.dumps({"id": 3, "op": "echo", "value": "c"}))  # completes a batch of 2
                self.assertEqual([json.loads(await ws.recv())["id"] for _ in range(2)], [3, 2])
            self.assertEqual((server.lab.requests, server.lab.unanswered, server.lab.replies), (3, 1, 2))

    async def test_pushes(self):
        """push_every=2 sends a push (no id) before every second reply of a connection."""
        async with serve("request", push_every=2) as server:
            async with connect(server.url) as ws:
                received = []
                for n in range(1, 5):
                    await ws.send(json.dumps({"id": n, "op": "echo", "value": n}))
                for _ in range(6):
                    received.append(json.loads(await ws.recv()))
            self.assertEqual(received, [
                {"id": 1, "result": 1},
                {"type": "push", "seq": 1},
                {"id": 2, "result": 2},
                {"id": 3, "result": 3},
                {"type": "push", "seq": 2},
                {"id": 4, "result": 4},
            ])
            self.assertEqual(server.lab.pushes, 2)

    async def test_bad_requests_get_error_replies(self):
        """Malformed requests are answered at once with an error (id copied when usable); the server goes on."""
        async with serve("request", batch=5) as server:
            async with connect(server.url) as ws:
                cases = [
                    ("not json", None, "not valid JSON"),
                    (b"\x00", None, "binary"),
                    ("[1, 2]", None, "JSON object"),
                    ('{"id": 1, "op": "add", "a": NaN, "b": 1}', 1, "not valid JSON"),
                    ('{"id": true, "op": "echo", "value": 1}', None, '"id"'),
                    ({"id": "x" * 65, "op": "echo", "value": 1}, None, '"id"'),
                    ({"id": 7, "op": "fly"}, 7, "unknown op"),
                    ({"id": 8, "op": "add", "a": "1", "b": 2}, 8, "numbers"),
                    ({"id": 9, "op": "add", "a": 2**60, "b": 2}, 9, "2**53"),
                    ('{"id": 10, "op": "add", "a": 1e999, "b": 2}', 10, "numbers"),
                    ({"id": 11, "op": "get", "key": "bananas"}, 11, "no key"),
                    ({"id": 12, "op": "get"}, 12, '"key"'),
                    ({"id": 13, "op": "set", "key": "k"}, 13, '"value"'),
                    ({"id": 14, "op": "set", "key": "k", "value": "v" * 2000}, 14, "longer"),
                    ({"id": 15, "op": "echo"}, 15, '"value"'),
                    ("[" * 100_000, None, "not valid JSON"),
                ]
                for request, expected_id, words in cases:
                    with self.subTest(request=str(request)[:40]):
                        reply = await ask(ws, request)
                        self.assertEqual(reply["id"], expected_id)
                        self.assertIn(words, reply["error"])
                await ws.send(json.dumps({"id": 99, "op": "never"}))
                self.assertIn("error", await ask(ws, "after the never"))  # answered in order, after it
            self.assertEqual(server.lab.errors, len(cases) + 1)
            self.assertEqual(server.lab.requests, 1)  # only the "never" one was valid

    async def test_store_is_bounded(self):
        """Beyond MAX_KEYS keys, "set" of a new key is refused; existing keys can change."""
        async with serve("request") as server:
            lab = server.lab
            lab.store.update({f"k{i}": i for i in range(1000 - len(lab.store))})
            async with connect(server.url) as ws:
                reply = await ask(ws, {"id": 1, "op": "set", "key": "one-too-many", "value": 1})
                self.assertIn("full", reply["error"])
                self.assertEqual(await ask(ws, {"id": 2, "op": "set", "key": "k0", "value": -1}), {"id": 2, "result": -1})

    async def test_store_fills_within_a_batch(self):
        """Two new keys held in one batch when one slot is left: the second is refused when answered."""
        async with serve("request", batch=2) as server:
            lab = server.lab
            lab.store.update({f"k{i}": i for i in range(999 - len(lab.store))})
            async with connect(server.url) as ws:
                await ws.send(json.dumps({"id": 1, "op": "set", "key": "a1", "value": 1}))
                await ws.send(json.dumps({"id": 2, "op": "set", "key": "a2", "value": 2}))
                replies = [json.loads(await ws.recv()) for _ in range(2)]
            self.assertEqual(replies[0], {"id": 2, "result": 2})
            self.assertEqual(replies[1]["id"], 1)
            self.assertIn("full", replies[1]["error"])
            self.assertEqual(len(lab.store), 1000)

    def test_bad_options(self):
        """batch must be an int from 1 to 1000; push_every None or a positive int."""
        for options in ({"batch": 0}, {"batch": 1001}, {"batch": True}, {"push_every": 0}, {"push_every": 1.5}):
            with self.subTest(**options), self.assertRaises(ValueError):
                serve("request", **options)
