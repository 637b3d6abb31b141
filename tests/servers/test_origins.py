"""The lab servers' Origin allow-list (wsnb/servers/origins.py): safe by default, in the kernel and as a process."""

from __future__ import annotations

import subprocess
import sys
import unittest

from wsnb import WebSocket
from wsnb.servers import SERVERS, EchoLab, LabServer, OriginPolicy, aspawn, is_loopback_host, serve

from ..support import TIMEOUT
from .servers_support import bounded, with_timeouts


class PolicyTests(unittest.TestCase):
    def test_default_accepts_no_origin_and_loopback_pages(self) -> None:
        """No Origin (not a browser) and pages on localhost, 127.0.0.1 or [::1] pass; other sites do not."""
        policy = OriginPolicy()
        for origin in (None, "http://localhost:8888", "http://127.0.0.1", "https://[::1]:9443"):
            with self.subTest(origin=origin):
                self.assertTrue(policy.allows(origin))
        for origin in ("https://evil.example", "http://localhost.evil.example", "http://127.0.0.1.evil.example",
                       "null", "http://10.0.0.5:8888", "file://"):
            with self.subTest(origin=origin):
                self.assertFalse(policy.allows(origin))

    def test_exact_and_any_port(self) -> None:
        """An exact origin matches only itself; 'host:*' matches the host on any port."""
        policy = OriginPolicy(["https://hub.example.org", "http://notebook.local:*"])
        self.assertTrue(policy.allows("https://hub.example.org"))
        self.assertFalse(policy.allows("https://hub.example.org:8443"))
        self.assertFalse(policy.allows("http://hub.example.org"))
        self.assertTrue(policy.allows("http://notebook.local:8888"))
        self.assertTrue(policy.allows("http://notebook.local"))
        self.assertFalse(policy.allows("http://notebook.local.evil:8888"))
        self.assertEqual(policy.command_line(), ["--origin=https://hub.example.org", "--origin=http://notebook.local:*"])

    def test_any_origin_warns(self) -> None:
        """any_origin=True accepts every page, and says what that risks."""
        with self.assertWarnsRegex(RuntimeWarning, "every web page"):
            policy = OriginPolicy(any_origin=True)
        self.assertTrue(policy.allows("https://evil.example"))
        self.assertEqual(policy.command_line(), ["--any-origin"])

    def test_bad_origins(self) -> None:
        """An origin with a path, no scheme or another scheme is refused with a clear error."""
        for bad in ("example.org", "https://example.org/", "ftp://example.org", "https://example.org:port"):
            with self.subTest(bad=bad), self.assertRaisesRegex(ValueError, "scheme://host"):
                OriginPolicy([bad])

    def test_non_loopback_bind_warns(self) -> None:
        """A server made to listen beyond loopback warns that other machines can connect (nothing is bound yet)."""
        self.assertTrue(is_loopback_host("127.0.0.1") and is_loopback_host("::1") and is_loopback_host("localhost"))
        self.assertFalse(is_loopback_host("0.0.0.0"))
        with self.assertWarnsRegex(RuntimeWarning, "other machines"):
            LabServer(EchoLab(), host="0.0.0.0")


@with_timeouts
class ServerTests(unittest.IsolatedAsyncioTestCase):
    async def test_foreign_page_gets_403(self) -> None:
        """A handshake from another site fails (403, as the browser's script sees 1006); the log says why."""
        async with serve("echo") as server:
            with self.assertLogs("wsnb.servers", "WARNING") as logs:
                ws = WebSocket(server.url, origin="https://evil.example")
                close = await ws.wait_for("close", timeout=TIMEOUT)
            self.assertEqual((close.code, close.wasClean), (1006, False))
            self.assertEqual((ws.failure.kind, ws.failure.status), ("http-status", 403))
            self.assertEqual((server.lab.connections, server.refused_origins), (0, 1))
            self.assertIn("refused a handshake from origin 'https://evil.example'", "\n".join(logs.output))

    async def test_every_lab_server_refuses_a_foreign_page(self) -> None:
        """Every server in the registry refuses another site's page with 403, and not a loopback page."""
        self.assertGreater(len(SERVERS), 15)
        for name in sorted(SERVERS):
            with self.subTest(server=name):
                async with serve(name) as server:
                    with self.assertLogs("wsnb.servers", "WARNING"):
                        foreign = WebSocket(server.url, origin="https://evil.example")
                        await foreign.wait_for("close", timeout=TIMEOUT)
                    self.assertEqual((foreign.failure.kind, foreign.failure.status), ("http-status", 403))
                    local = WebSocket(server.url, origin="http://localhost:8888")
                    first = local.record("open", "close")
                    await first.wait(1, timeout=TIMEOUT)
                    self.assertEqual(server.refused_origins, 1, "the loopback page was refused for its origin")
                    local.close()
                await local.wait_for("close", timeout=TIMEOUT)

    async def test_loopback_page_and_allowed_origin_connect(self) -> None:
        """A page on localhost connects by default; another site only once it is allowed."""
        async with serve("echo", origins=["https://hub.example.org"]) as server:
            for origin in ("http://localhost:8888", "https://hub.example.org"):
                with self.subTest(origin=origin):
                    ws = WebSocket(server.url, origin=origin)
                    await ws.wait_for("open", timeout=TIMEOUT)
                    ws.close()
                    await ws.wait_for("close", timeout=TIMEOUT)
            self.assertEqual(server.refused_origins, 0)

    async def test_process_takes_the_same_policy(self) -> None:
        """A server process gets the allow-list on its command line and enforces it."""
        process = await aspawn("echo", origins=["http://notebook.local:*"])
        self.addAsyncCleanup(bounded(process.aclose))
        allowed = WebSocket(process.url, origin="http://notebook.local:8888")
        await allowed.wait_for("open", timeout=TIMEOUT)
        allowed.close()
        await allowed.wait_for("close", timeout=TIMEOUT)
        refused = WebSocket(process.url, origin="https://evil.example")
        await refused.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(refused.failure.status, 403)

    def test_cli_refuses_a_bad_origin(self) -> None:
        """wsnb serve with a malformed --origin exits with status 2 and says what an origin looks like."""
        done = subprocess.run(
            [sys.executable, "-m", "wsnb.servers", "echo", "--origin", "example.org"],
            capture_output=True, text=True, timeout=TIMEOUT,
        )
        self.assertEqual(done.returncode, 2)
        self.assertIn("scheme://host", done.stderr)


if __name__ == "__main__":
    unittest.main()
