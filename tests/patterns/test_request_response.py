"""Tests of wsnb.patterns.request_response, and of the reference's AsyncWebSocket it fixes."""

from __future__ import annotations

import asyncio
import json
import unittest

from wsnb import InvalidStateError, SocketClosed, WebSocket
from wsnb.patterns import Reconnecting, RequestResponse
from wsnb.servers import serve

from .patterns_support import TIMEOUT, bounded, closed, next_event, quick, with_timeouts


class ReferenceAsyncWebSocket:
    """The reference's AsyncWebSocket.request(), ported line for line: receive() replaces onmessage."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws

    async def request(self, data: dict) -> dict:
        self.ws.send(json.dumps(data))
        future = asyncio.get_running_loop().create_future()

        def onmessage(event):
            if not future.done():
                future.set_result(json.loads(event.data))

        self.ws.onmessage = onmessage  # replaces the previous call's handler
        return await future


@with_timeouts
class RequestResponseTests(unittest.IsolatedAsyncioTestCase):
    async def test_reference_loses_replies(self):
        """Two concurrent requests with the reference's pattern: the first gets no reply at all."""
        async with serve("echo") as echo:
            ws = WebSocket(echo.url)
            await ws.wait_for("open", timeout=TIMEOUT)
            reference = ReferenceAsyncWebSocket(ws)
            first = asyncio.ensure_future(reference.request({"n": 1}))
            second = asyncio.ensure_future(reference.request({"n": 2}))
            self.assertEqual(await second, {"n": 1})  # the second call got the FIRST reply
            done, _ = await asyncio.wait([first], timeout=0.1)
            self.assertEqual(done, set())  # and the first never settles
            first.cancel()
            ws.close()
            await ws.wait_for("close", timeout=TIMEOUT)

    async def test_100_concurrent_requests(self):
        """100 concurrent requests, answered in reverse order, each get their own reply."""
        async with serve("request", batch=100) as server:
            rr = RequestResponse(server.url)
            await rr.wait_for("open", timeout=TIMEOUT)
            replies = await asyncio.gather(*(rr.request({"op": "echo", "value": n}) for n in range(100)))
            self.assertEqual([reply["result"] for reply in replies], list(range(100)))
            self.assertEqual(len({reply["id"] for reply in replies}), 100)
            self.assertEqual((rr.requests, rr.replies, rr.pending), (100, 100, 0))
            await closed(rr)

    async def test_game_pings(self):
        """The game server's pings are requests: the pong carries back the id and the timestamp."""
        async with serve("game") as game:
            rr = RequestResponse(game.url)
            await rr.wait_for("open", timeout=TIMEOUT)
            pong = await rr.request({"type": "ping", "timestamp": 12.5})
            self.assertEqual(pong, {"type": "pong", "timestamp": 12.5, "id": 1})
            await closed(rr)

    async def test_other_messages_are_events(self):
        """Messages that answer no pending request are ordinary message events."""
        async with serve("echo") as echo:
            rr = RequestResponse(echo.url)
            await rr.wait_for("open", timeout=TIMEOUT)
            messages = rr.record("message")
            for text in ('{"push": 1}', '{"id": 99}', '{"id": "x"}', "{id", b"id"):
                rr.socket.send(text)
            await messages.wait(5, timeout=TIMEOUT)
            self.assertEqual(messages.data[:4], ['{"push": 1}', '{"id": 99}', '{"id": "x"}', "{id"])
            await closed(rr)

    async def test_timeout_and_late_reply(self):
        """No reply in time raises TimeoutError naming the request; a late reply is counted and dropped."""
        async with serve("request", batch=2) as server:
            rr = RequestResponse(server.url, timeout=0.02)
            await rr.wait_for("open", timeout=TIMEOUT)
            with self.assertRaisesRegex(TimeoutError, "no reply to request 1 within 0.02 s"):
                await rr.request({"op": "echo", "value": 1})
            messages = rr.record("message")
            second = await rr.request({"op": "echo", "value": 2}, timeout=TIMEOUT)  # completes the batch
            self.assertEqual(second["result"], 2)
            self.assertEqual(rr.late, 1)
            self.assertEqual(len(messages), 0)
            await closed(rr)

    async def test_loss_and_close_settle_requests(self):
        """Pending requests fail at once when the connection is lost (ConnectionError) or closes (SocketClosed)."""
        server = await serve("silent")
        rr = RequestResponse(factory=lambda: Reconnecting(server.url, delays=quick))
        await rr.wait_for("open", timeout=TIMEOUT)
        lost = asyncio.ensure_future(rr.request({"never": "answered"}))
        reconnect = next_event(rr, "reconnect")
        await server.close()
        await reconnect
        with self.assertRaisesRegex(ConnectionError, "lost before the reply"):
            await lost
        self.assertNotIsInstance(lost.exception(), SocketClosed)
        server = await serve("silent", port=server.port)
        self.addAsyncCleanup(bounded(server.close))
        await rr.wait_for("open", timeout=TIMEOUT)
        # The request is sent before the loop runs the queued close().
        asyncio.get_running_loop().call_soon(rr.close)
        with self.assertRaises(SocketClosed):
            await rr.request({"never": "answered"})

    async def test_bad_requests(self):
        """request() needs an OPEN socket and a dict without the id field."""
        async with serve("echo") as echo:
            rr = RequestResponse(echo.url, id_field="rid")
            with self.assertRaises(InvalidStateError):
                await rr.request({"n": 1})
            await rr.wait_for("open", timeout=TIMEOUT)
            with self.assertRaises(TypeError):
                await rr.request(["n"])
            with self.assertRaisesRegex(ValueError, "already has a 'rid' field"):
                await rr.request({"rid": 1})
            self.assertEqual((await rr.request({"n": 1}))["rid"], 1)
            await closed(rr)

    def test_bad_arguments(self):
        """id_field must be a non-empty str; timeout a number."""
        with self.assertRaises(TypeError):
            RequestResponse(factory=lambda: None, id_field="")
        with self.assertRaises(ValueError):
            RequestResponse(factory=lambda: None, timeout=-1)
