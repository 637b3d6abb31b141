"""wss:// connections: a TLS context as an engine option, and TLS failures."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import tempfile
import unittest
from pathlib import Path
from typing import Any

from websockets.asyncio.server import serve as raw_serve

from wsnb import WebSocket

from .support import TIMEOUT

OPENSSL = shutil.which("openssl")


@unittest.skipIf(OPENSSL is None, "the openssl command is not installed: cannot make a test certificate")
class TLSTests(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.folder = tempfile.TemporaryDirectory()
        cert, key = Path(cls.folder.name, "cert.pem"), Path(cls.folder.name, "key.pem")
        subprocess.run(
            [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )
        cls.server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cls.server_context.load_cert_chain(cert, key)
        cls.client_context = ssl.create_default_context(cafile=str(cert))

    @classmethod
    def tearDownClass(cls) -> None:
        cls.folder.cleanup()

    async def asyncSetUp(self) -> None:
        async def echo(connection: Any) -> None:
            async for message in connection:
                await connection.send(message)

        self.server = await raw_serve(echo, "127.0.0.1", 0, ssl=self.server_context)
        self.url = f"wss://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/"

    async def asyncTearDown(self) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def test_wss_with_context(self) -> None:
        """A wss URL connects through the given TLS context and echoes."""
        ws = WebSocket(self.url.replace("wss:", "https:"), ssl=self.client_context)
        self.assertTrue(ws.url.startswith("wss://"))
        replies = ws.record("message")
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.send("over TLS")
        await replies.wait(1, timeout=TIMEOUT)
        self.assertEqual(replies.data, ["over TLS"])
        ws.close()
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual((close.code, close.wasClean), (1005, True))

    async def test_untrusted_certificate(self) -> None:
        """An untrusted certificate fails the connection: error, close 1006, failure 'tls'."""
        ws = WebSocket(self.url)
        types: list[str] = []
        ws.onerror = ws.onclose = lambda event: types.append(event.type)
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(types, ["error", "close"])
        self.assertEqual((close.code, close.wasClean), (1006, False))
        self.assertEqual(ws.failure.kind, "tls", repr(ws.failure.exception))
        self.assertIn("CERTIFICATE_VERIFY_FAILED", ws.failure.message)

    async def test_ssl_option_type(self) -> None:
        """ssl= must be an SSLContext."""
        with self.assertRaisesRegex(TypeError, "SSLContext"):
            WebSocket(self.url, ssl=True)
