"""The opening handshake as recorded by the engine (wsnb.WebSocket.handshake, wsnb/diagnostics.py)."""

from __future__ import annotations

import base64
import hashlib
import unittest

from wsnb import WebSocket
from wsnb.diagnostics import Handshake
from wsnb.servers import serve

from .support import TIMEOUT, closed_port_url

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3


class HandshakeTests(unittest.IsolatedAsyncioTestCase):
    async def test_accepted(self) -> None:
        """Request headers as sent (key, origin, cookie, offers) and the 101 whose Accept answers the key."""
        async with serve("subprotocol") as server:
            ws = WebSocket(server.url + "?choose=first", ["chat.v2"], origin="http://localhost:8888",
                           headers={"Cookie": "token=x"})
            self.assertIsNone(ws.handshake)
            await ws.wait_for("open", timeout=TIMEOUT)
            handshake = ws.handshake
            assert handshake is not None
            self.assertEqual(handshake.path, "/?choose=first")
            self.assertEqual(handshake.request_header("origin"), "http://localhost:8888")
            self.assertEqual(handshake.request_header("Cookie"), "token=x")
            self.assertEqual(handshake.request_header("Sec-WebSocket-Protocol"), "chat.v2")
            self.assertEqual((handshake.status, handshake.reason, handshake.body), (101, "Switching Protocols", b""))
            key = handshake.request_header("Sec-WebSocket-Key")
            assert key is not None
            expected = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
            self.assertEqual(handshake.response_header("Sec-WebSocket-Accept"), expected)
            self.assertEqual(handshake.response_header("sec-websocket-protocol"), "chat.v2")
            text = str(handshake)
            self.assertTrue(text.startswith("GET /?choose=first HTTP/1.1\n"))
            self.assertIn("\n\nHTTP/1.1 101 Switching Protocols\n", text)
            ws.close()
            await ws.wait_for("close", timeout=TIMEOUT)

    async def test_refused(self) -> None:
        """A refusal keeps its status, reason and body: what DevTools shows and the script never sees."""
        async with serve("reject", status=403) as server:
            ws = WebSocket(server.url)
            await ws.wait_for("close", timeout=TIMEOUT)
            handshake = ws.handshake
            assert handshake is not None
            self.assertEqual((handshake.status, handshake.reason), (403, "Forbidden"))
            self.assertIn(b"the wsnb reject lab refuses every WebSocket", handshake.body)
            self.assertIn("403 Forbidden: the wsnb reject lab", str(handshake))

    async def test_failed_negotiation_keeps_the_response(self) -> None:
        """An answer that selects no subprotocol fails the connection; the 101 it sent is kept."""
        async with serve("subprotocol") as server:
            ws = WebSocket(server.url + "?choose=none", ["chat.v2"])
            await ws.wait_for("close", timeout=TIMEOUT)
            handshake = ws.handshake
            assert handshake is not None and ws.failure is not None
            self.assertEqual((ws.failure.kind, handshake.status), ("subprotocol", 101))
            self.assertIsNone(handshake.response_header("Sec-WebSocket-Protocol"))

    async def test_no_response(self) -> None:
        """Nothing listening: the request is known, there is no response."""
        ws = WebSocket(closed_port_url())
        await ws.wait_for("close", timeout=TIMEOUT)
        handshake = ws.handshake
        assert handshake is not None
        self.assertIsNone(handshake.status)
        self.assertEqual(handshake.request_header("Upgrade"), "websocket")
        self.assertTrue(str(handshake).endswith("(no response)"))

    def test_record_alone(self) -> None:
        """Header lookups ignore case and take the first; the text form puts the body after a blank line."""
        record = Handshake("/", (("A", "1"), ("a", "2")), 400, "Bad Request", (("X", "y"),), b"why\n")
        self.assertEqual(record.request_header("a"), "1")
        self.assertIsNone(record.response_header("Z"))
        self.assertEqual(str(record), "GET / HTTP/1.1\nA: 1\na: 2\n\nHTTP/1.1 400 Bad Request\nX: y\n\nwhy")


if __name__ == "__main__":
    unittest.main()
