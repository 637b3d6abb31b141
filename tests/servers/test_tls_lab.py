"""Lab servers on wss:// with a test CA (wsnb/servers/tls.py): trusted with the server's context, refused without."""

from __future__ import annotations

import ssl
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import websockets.sync.client as sync_client

from wsnb import WebSocket
from wsnb.servers import LabCertificate, LabServer, aspawn, make_lab, serve
from wsnb.servers._process import READY_LINE

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

    async def test_spawned_server_keeps_its_certificate_across_a_restart(self) -> None:
        """spawn(tls=True): the child serves the parent's certificate, so client_ssl works before and after restart."""
        process = await aspawn("echo", tls=True)
        try:
            self.assertTrue(process.url.startswith("wss://127.0.0.1:"))
            self.assertTrue(process.ca_pem and process.ca_pem.startswith(b"-----BEGIN CERTIFICATE-----"))
            for _ in range(2):
                ws = WebSocket(process.url, ssl=process.client_ssl)
                await ws.wait_for("open", timeout=TIMEOUT)
                replies = ws.record("message")
                ws.send("through a child")
                await replies.wait(1, timeout=TIMEOUT)
                self.assertEqual(replies.data, ["through a child"])
                ws.close()
                await ws.wait_for("close", timeout=TIMEOUT)
                untrusted = WebSocket(process.url)
                await untrusted.wait_for("close", timeout=TIMEOUT)
                self.assertEqual(untrusted.failure.kind, "tls")
                await process.arestart()
        finally:
            await process.aclose()

    def test_command_line_writes_the_ca_for_other_clients(self) -> None:
        """wsnb serve --tls --ca-file: a client trusting that file connects; bad option mixes exit 2."""
        with tempfile.TemporaryDirectory() as directory:
            ca_file = Path(directory) / "ca.pem"
            child = subprocess.Popen(
                [sys.executable, "-m", "wsnb.servers", "echo", "--tls", "--ca-file", str(ca_file)],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
            try:
                assert child.stdout is not None
                first = child.stdout.readline().strip()
                self.assertEqual(first, f"wsnb: trust the test CA in {ca_file} to connect to the wss:// URL")
                match = READY_LINE.fullmatch(child.stdout.readline().strip())
                assert match is not None
                self.assertTrue(match["url"].startswith("wss://"))
                trusted = ssl.create_default_context(cafile=str(ca_file))
                with self.subTest("a client of another kind trusts the file"):
                    with sync_client.connect(match["url"], ssl=trusted, open_timeout=TIMEOUT) as ws:
                        ws.send("hi")
                        self.assertEqual(ws.recv(timeout=TIMEOUT), "hi")
            finally:
                child.terminate()
                child.communicate(timeout=TIMEOUT * 3)
            self.assertTrue(ca_file.exists(), "a --ca-file the user named stays")
        for arguments, message in [
            (["--ca-file", "x.pem"], "--ca-file needs --tls"),
            (["--keyfile", "k.pem"], "--keyfile needs --certfile"),
            (["--tls", "--certfile", "c.pem"], "give one of them"),
            (["--certfile", "/nonexistent/c.pem"], "cannot serve TLS with /nonexistent/c.pem"),
        ]:
            with self.subTest(arguments=arguments):
                done = subprocess.run(
                    [sys.executable, "-m", "wsnb.servers", "echo", *arguments],
                    capture_output=True, text=True, timeout=TIMEOUT * 3,
                )
                self.assertEqual(done.returncode, 2)
                self.assertIn(message, done.stderr)

    async def test_a_certificate_of_your_own(self) -> None:
        """LabServer(tls=LabCertificate.load(file)) serves that certificate; the CA is then unknown here."""
        made = LabCertificate.make()
        assert made.server_pem is not None and made.ca_pem is not None
        with tempfile.TemporaryDirectory() as directory:
            certfile = Path(directory) / "server.pem"
            certfile.write_bytes(made.server_pem)
            loaded = LabCertificate.load(certfile)
        self.assertIsNone(loaded.ca_pem)
        async with LabServer(make_lab("echo", {}), tls=loaded) as server:
            ws = WebSocket(server.url, ssl=made.client_ssl)
            await ws.wait_for("open", timeout=TIMEOUT)
            ws.close()
            await ws.wait_for("close", timeout=TIMEOUT)
        with self.assertRaisesRegex(ValueError, "cannot serve TLS with"):
            LabCertificate.load("/nonexistent/server.pem")


if __name__ == "__main__":
    unittest.main()
