"""Connecting through a real proxy process (pproxy): HTTP CONNECT and SOCKS5, and a proxy that refuses."""

from __future__ import annotations

import asyncio
import socket
import sys
import unittest
from typing import Any

from wsnb import WebSocket
from wsnb.servers import serve

from .support import TIMEOUT, closed_port_url, with_timeouts


def free_port() -> int:
    """A loopback port nothing listens on now (the proxy binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class ProxyProcess:
    """``python -m pproxy`` listening on a loopback port, its verbose log read line by line."""

    def __init__(self, scheme: str, auth: str = "") -> None:
        self.port = free_port()
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        # pproxy writes the credentials it demands after a "#".
        self.listen = self.url + (f"#{auth}" if auth else "")
        self.log: list[str] = []

    async def __aenter__(self) -> ProxyProcess:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "pproxy", "-l", self.listen, "-v",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        await self.line_with("Serving on")
        return self

    async def line_with(self, text: str) -> str:
        """Wait for the next log line that contains ``text``."""
        assert self.process.stdout is not None
        while True:
            line = (await asyncio.wait_for(self.process.stdout.readline(), TIMEOUT)).decode()
            if not line:
                raise AssertionError(f"pproxy exited before logging {text!r}: {self.log}")
            self.log.append(line)
            if text in line:
                return line

    async def __aexit__(self, *exc: Any) -> None:
        self.process.kill()
        await self.process.wait()


@with_timeouts
class ProxyTests(unittest.IsolatedAsyncioTestCase):
    async def echo_through(self, proxy_url: str, server: Any) -> list[Any]:
        ws = WebSocket(server.url, proxy=proxy_url)
        await ws.wait_for("open", timeout=TIMEOUT)
        replies = ws.record("message")
        ws.send("through the proxy")
        ws.send(b"\x00\x01")
        await replies.wait(2, timeout=TIMEOUT)
        ws.close(1000)
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual((close.code, close.wasClean), (1000, True))
        return [bytes(data) if not isinstance(data, str) else data for data in replies.data]

    async def test_http_connect(self) -> None:
        """Through an HTTP proxy (CONNECT), messages travel both ways and the proxy logs the tunnel."""
        async with serve("echo") as server, ProxyProcess("http") as proxy:
            self.assertEqual(await self.echo_through(proxy.url, server), ["through the proxy", b"\x00\x01"])
            await proxy.line_with(f"-> 127.0.0.1:{server.port}")

    async def test_socks5(self) -> None:
        """Through a SOCKS5 proxy (python-socks on wsnb's side), the same."""
        async with serve("echo") as server, ProxyProcess("socks5") as proxy:
            self.assertEqual(await self.echo_through(proxy.url, server), ["through the proxy", b"\x00\x01"])
            await proxy.line_with(f"-> 127.0.0.1:{server.port}")

    async def test_proxy_refuses_the_tunnel(self) -> None:
        """A proxy that wants credentials answers 407: the connection fails, and failure says why."""
        async with serve("echo") as server, ProxyProcess("http", auth="user:secret") as proxy:
            ws = WebSocket(server.url, proxy=f"http://127.0.0.1:{proxy.port}")
            close = await ws.wait_for("close", timeout=TIMEOUT)
            self.assertEqual((close.code, close.wasClean), (1006, False))
            self.assertEqual((ws.failure.kind, ws.failure.status), ("network", 407))
            self.assertIn("proxy", ws.failure.message)
            self.assertEqual(server.lab.connections, 0)

    async def test_proxy_credentials(self) -> None:
        """With the credentials in the proxy URL, the same proxy opens the tunnel."""
        async with serve("echo") as server, ProxyProcess("http", auth="user:secret") as proxy:
            replies = await self.echo_through(f"http://user:secret@127.0.0.1:{proxy.port}", server)
            self.assertEqual(replies[0], "through the proxy")

    async def test_no_proxy_listening(self) -> None:
        """A proxy address where nothing listens: refused, like a server that is down."""
        async with serve("echo") as server:
            ws = WebSocket(server.url, proxy=closed_port_url().replace("ws://", "http://"))
            await ws.wait_for("close", timeout=TIMEOUT)
            self.assertEqual(ws.failure.kind, "refused")


if __name__ == "__main__":
    unittest.main()
