"""Lab servers on wss:// with a test CA (wsnb/servers/tls.py): trusted with the server's context, refused without."""

from __future__ import annotations

import ssl
import unittest

from wsnb import WebSocket
from wsnb.servers import serve

from ..support import TIMEOUT
from .servers_support import with_timeouts


@with_timeouts
class TlsLabTests(unittest.IsolatedAsyncioTestCase):
    async def test_wss_with_the_test_ca(self) -> None:
        """tls=True serves wss://; a client trusting server.client_ssl talks to it, text and binary."""
        async with serve("echo", tls=True) as server:
            self.assertTrue(server.url.startswith("wss://127.0.0.1:"))
            self.assertIsInstance(server.client_ssl, ssl.SSLContext)
            self.assertTrue(server.ca_pem and server.ca_pem.startswith(b"-----BEGIN CERTIFICATE-----"))
            ws = WebSocket(server.url, ssl=server.client_ssl)
            await ws.wait_for("open", timeout=TIMEOUT)
            replies = ws.record("message")
            ws.binaryType = "arraybuffer"
            ws.send("over TLS")
            ws.send(b"\x00\xff")
            await replies.wait(2, timeout=TIMEOUT)
            self.assertEqual(replies.data, ["over TLS", b"\x00\xff"])
            ws.close(1000)
            close = await ws.wait_for("close", timeout=TIMEOUT)
            self.assertEqual((close.code, close.wasClean), (1000, True))

    async def test_untrusted_certificate_fails_as_in_a_browser(self) -> None:
        """Without the test CA the TLS handshake fails: error, then close 1006; wsnb's failure says tls."""
        async with serve("echo", tls=True) as server:
            ws = WebSocket(server.url)  # the system's trust store knows nothing of the test CA
            events = ws.record("error", "close")
            await ws.wait_for("close", timeout=TIMEOUT)
            self.assertEqual([event.type for event in events], ["error", "close"])
            self.assertEqual((events[1].code, events[1].wasClean), (1006, False))
            self.assertEqual(ws.failure.kind, "tls")
            self.assertIn("CERTIFICATE_VERIFY_FAILED", ws.failure.message)
            self.assertEqual(server.lab.connections, 0)

    async def test_each_server_its_own_ca(self) -> None:
        """Two TLS servers have different CAs: one server's context does not trust the other."""
        async with serve("echo", tls=True) as first, serve("echo", tls=True) as second:
            self.assertNotEqual(first.ca_pem, second.ca_pem)
            ws = WebSocket(second.url, ssl=first.client_ssl)
            await ws.wait_for("close", timeout=TIMEOUT)
            self.assertEqual(ws.failure.kind, "tls")

    def test_plain_server_has_no_certificate(self) -> None:
        """Without tls the URL is ws:// and there is nothing to trust; tls must be a bool."""
        server = serve("echo")
        self.assertIsNone(server.client_ssl)
        self.assertIsNone(server.ca_pem)
        with self.assertRaises(TypeError):
            serve("echo", tls="yes")  # type: ignore[arg-type]


if __name__ == "__main__":
    unittest.main()
