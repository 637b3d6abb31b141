"""The auth lab server (wsnb/servers/auth.py): each way accepts the right token and refuses others with its documented code."""

from __future__ import annotations

import unittest

from wsnb import WebSocket
from wsnb.exceptions import DOMSyntaxError
from wsnb.servers import serve
from wsnb.servers.auth import AUTH_MESSAGE_LIMIT, AUTH_SUBPROTOCOL, CLOSE_BAD_TOKEN, CLOSE_TIMEOUT

from .servers_support import TIMEOUT, with_timeouts

TOKEN = "s3cret-token"


async def outcome(ws: WebSocket) -> list[object]:
    """The socket's events from now until the first message or the close, as (type, detail) pairs; then it is closed."""
    events = ws.record("open", "message", "error", "close")
    while not any(event.type in ("message", "close") for event in events):
        await events.wait(len(events) + 1, timeout=TIMEOUT)
    if ws.readyState != WebSocket.CLOSED:
        ws.close()
        await ws.wait_for("close", timeout=TIMEOUT)
    details = []
    for event in events:
        if event.type == "message":
            details.append(("message", event.data))
        elif event.type == "close":
            details.append(("close", (event.code, event.reason)))
        else:
            details.append((event.type, None))
    return details[: 1 + next(i for i, (kind, _) in enumerate(details) if kind in ("message", "close"))]


@with_timeouts
class HandshakeWaysTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        self.server = await serve("auth", token=TOKEN)
        self.addAsyncCleanup(self.server.close)

    def handshake(self, path: str, **options: object) -> WebSocket:
        return WebSocket(self.server.url + path, **options)  # type: ignore[arg-type]

    async def assert_welcome(self, ws: WebSocket, via: str) -> None:
        replies = ws.record("message")
        await replies.wait(1, timeout=TIMEOUT)
        ws.send("echo me")
        await replies.wait(2, timeout=TIMEOUT)
        self.assertEqual(replies.data, [f'{{"type": "welcome", "user": "learner", "via": "{via}"}}', "echo me"])
        ws.close()
        await ws.wait_for("close", timeout=TIMEOUT)

    async def assert_refused(self, ws: WebSocket, status: int) -> None:
        events = ws.record("open", "error", "close")
        await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual([event.type for event in events], ["error", "close"])
        self.assertEqual((ws.failure.kind, ws.failure.status), ("http-status", status))

    async def test_query_string(self) -> None:
        """?token= right opens; missing is 401, wrong is 403 (the script sees 1006 either way)."""
        await self.assert_welcome(self.handshake(f"query?token={TOKEN}"), "query")
        await self.assert_refused(self.handshake("query"), 401)
        await self.assert_refused(self.handshake("query?token=guess"), 403)
        self.assertEqual(self.server.lab.authenticated, {"query": 1})
        self.assertEqual(self.server.lab.refused, {"missing token": 1, "wrong token": 1})

    async def test_authorization_header_and_cookie(self) -> None:
        """A Bearer header or a token cookie on the handshake; wrong ones get 403, none 401."""
        await self.assert_welcome(
            self.handshake("handshake", headers={"Authorization": f"Bearer {TOKEN}"}), "handshake"
        )
        await self.assert_welcome(
            self.handshake("handshake", headers={"Cookie": f"theme=dark; token={TOKEN}"}), "handshake"
        )
        await self.assert_refused(self.handshake("handshake"), 401)
        await self.assert_refused(self.handshake("handshake", headers={"Authorization": "Bearer guess"}), 403)
        await self.assert_refused(self.handshake("handshake", headers={"Cookie": "token=guess"}), 403)
        await self.assert_refused(self.handshake("handshake", headers={"Authorization": f"Basic {TOKEN}"}), 401)

    async def test_subprotocol_trick(self) -> None:
        """The token offered as a subprotocol: the server selects wsnb.auth, never the token."""
        ws = self.handshake("protocol", protocols=[AUTH_SUBPROTOCOL, f"token.{TOKEN}"])
        await self.assert_welcome(ws, "protocol")
        self.assertEqual(ws.protocol, AUTH_SUBPROTOCOL)
        await self.assert_refused(self.handshake("protocol", protocols=[AUTH_SUBPROTOCOL]), 401)
        await self.assert_refused(self.handshake("protocol", protocols=[AUTH_SUBPROTOCOL, "token.guess"]), 403)
        with self.assertRaises(DOMSyntaxError):  # a token with "/" or "=" is not a valid subprotocol name
            WebSocket(self.server.url + "protocol", [AUTH_SUBPROTOCOL, "token.abc/def="])

    async def test_unknown_path(self) -> None:
        """Any other path is 404."""
        await self.assert_refused(self.handshake("admin"), 404)


@with_timeouts
class FirstMessageTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        self.server = await serve("auth", token=TOKEN, deadline=0.3)
        self.addAsyncCleanup(self.server.close)

    async def attempt(self, *messages: str | bytes, path: str = "") -> list[object]:
        ws = WebSocket(self.server.url + path)
        await ws.wait_for("open", timeout=TIMEOUT)
        for message in messages:
            ws.send(message)
        return await outcome(ws)

    async def test_right_token(self) -> None:
        """The auth message with the right token gets the welcome, on / and /message alike."""
        for path in ("", "message"):
            with self.subTest(path=path):
                events = await self.attempt(f'{{"type": "auth", "token": "{TOKEN}"}}', path=path)
                self.assertEqual(events[0], ("message", '{"type": "welcome", "user": "learner", "via": "message"}'))
        self.assertEqual(self.server.lab.authenticated, {"message": 2})

    async def test_refusals(self) -> None:
        """Wrong token 4401, no message in time 4408, not an auth message 1008, too big 1009."""
        cases: list[tuple[tuple[str | bytes, ...], tuple[int, str]]] = [
            (('{"type": "auth", "token": "guess"}',), (CLOSE_BAD_TOKEN, "invalid token")),
            (('{"type": "auth"}',), (CLOSE_BAD_TOKEN, "invalid token")),
            (('{"type": "auth", "token": 42}',), (CLOSE_BAD_TOKEN, "invalid token")),
            ((), (CLOSE_TIMEOUT, "authentication timeout")),
            (("hello",), (1008, 'expected {"type": "auth", "token": ...}')),
            (("[" * 100_000,), (1009, f"auth message over {AUTH_MESSAGE_LIMIT} bytes")),
            (("[" * 4000,), (1008, 'expected {"type": "auth", "token": ...}')),
            ((b"\x00" * 10,), (1008, 'expected {"type": "auth", "token": ...}')),
        ]
        for messages, close in cases:
            with self.subTest(messages=[m[:40] for m in messages]):
                events = await self.attempt(*messages)
                self.assertEqual(events, [("close", close)])
        self.assertEqual(
            self.server.lab.refused,
            {"wrong token": 3, "timeout": 1, "not an auth message": 3, "too big": 1},
        )
        self.assertEqual(self.server.lab.authenticated, {})

    def test_options(self) -> None:
        """A token must be a printable word; the deadline a positive number of seconds."""
        for bad in ("", "two words", 42, "tab\there"):
            with self.subTest(token=bad), self.assertRaisesRegex(ValueError, "token must be"):
                serve("auth", token=bad)
        with self.assertRaises(ValueError):
            serve("auth", deadline=0)


if __name__ == "__main__":
    unittest.main()
