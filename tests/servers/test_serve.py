"""Tests of wsnb.servers._serve: serve(), LabServer, SERVERS; and the exports."""

from __future__ import annotations

import asyncio
import socket
import unittest

from websockets.asyncio.client import connect
from websockets.exceptions import (
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidStatus,
)

import wsnb.servers
from wsnb.servers import SERVERS, EchoLab, Lab, LabServer, make_lab, serve
from wsnb.servers._serve import listening_socket

from .servers_support import bounded, with_timeouts


class FailingLab(Lab):
    """A lab with a bug: it raises on the message "boom"."""

    name = "test-failing"

    async def handle(self, connection):
        async for message in connection:
            if message == "boom":
                raise RuntimeError("boom")
            await connection.send(message)


class TinyLab(EchoLab):
    """An echo lab that takes one connection at a time."""

    name = "test-tiny"
    max_connections = 1


class ExportsTests(unittest.TestCase):
    def test_package_exports_its_modules(self):
        """wsnb.servers.__all__ is the union of its modules' __all__, once each."""
        import importlib
        import pkgutil

        modules = [
            importlib.import_module(f"wsnb.servers.{info.name}")
            for info in pkgutil.iter_modules(wsnb.servers.__path__)
            if not info.name.startswith("_") or info.name in ("_base", "_serve", "_process")
        ]
        names = [name for module in modules for name in getattr(module, "__all__", [])]
        self.assertEqual(len(names), len(set(names)))
        self.assertEqual(sorted(wsnb.servers.__all__), sorted(names))
        for name in names:
            self.assertTrue(hasattr(wsnb.servers, name), name)

    def test_registry(self):
        """SERVERS maps each lab's name to its class, and every exported lab is registered."""
        labs = {
            getattr(wsnb.servers, name)
            for name in wsnb.servers.__all__
            if isinstance(getattr(wsnb.servers, name), type)
            and issubclass(getattr(wsnb.servers, name), Lab)
            and getattr(wsnb.servers, name) is not Lab
        }
        self.assertEqual(set(SERVERS.values()), labs)
        self.assertTrue({"bad-frames", "close-lab", "echo", "reject", "slow-reader", "subprotocol", "stream"} <= set(SERVERS))
        for name, lab in SERVERS.items():
            self.assertEqual(lab.name, name)
            self.assertTrue(issubclass(lab, Lab))


class MakeLabTests(unittest.TestCase):
    def test_unknown_name(self):
        """An unknown server name raises ValueError listing the valid names."""
        with self.assertRaises(ValueError) as raised:
            serve("nope")
        self.assertIn("'nope'", str(raised.exception))
        self.assertIn("close-lab", str(raised.exception))
        self.assertIn("echo", str(raised.exception))

    def test_unknown_option(self):
        """An unknown option raises TypeError naming it and the valid ones."""
        with self.assertRaises(TypeError) as raised:
            serve("reject", code=404)
        self.assertIn("'code'", str(raised.exception))
        self.assertIn("status", str(raised.exception))
        with self.assertRaises(TypeError) as raised:
            make_lab("echo", {"x": 1})
        self.assertIn("its options: none", str(raised.exception))

    def test_invalid_option_value(self):
        """An invalid option value raises ValueError."""
        with self.assertRaises(ValueError):
            serve("reject", status="teapot")


@with_timeouts
class LabServerTests(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        for lab in (FailingLab, TinyLab):
            SERVERS[lab.name] = lab
            self.addCleanup(SERVERS.pop, lab.name)

    async def test_await(self):
        """await serve(...) starts a server on 127.0.0.1 and a free port."""
        server = await serve("echo")
        try:
            self.assertIsInstance(server, LabServer)
            self.assertEqual(server.host, "127.0.0.1")
            self.assertNotEqual(server.port, 0)
            self.assertEqual(server.url, f"ws://127.0.0.1:{server.port}/")
            self.assertEqual(repr(server), f"<LabServer echo {server.url}>")
            async with connect(server.url) as ws:
                await ws.send("hi")
                self.assertEqual(await ws.recv(), "hi")
        finally:
            await server.close()

    async def test_async_with(self):
        """async with serve(...) starts the server and closes it at the end."""
        async with serve("echo") as server, connect(server.url) as ws:
            await ws.send(b"hi")
            self.assertEqual(await ws.recv(), b"hi")
        with self.assertRaises(OSError):
            await connect(server.url)

    async def test_not_started(self):
        """A server that was not awaited has no URL; closing it does nothing."""
        server = serve("echo", port=0)
        self.assertEqual(server.port, 0)
        self.assertEqual(repr(server), "<LabServer echo not started>")
        with self.assertRaises(RuntimeError):
            _ = server.url
        await server.close()

    async def test_start_twice(self):
        """Starting a started server does nothing."""
        server = await serve("echo")
        self.addAsyncCleanup(bounded(server.close))
        port = server.port
        self.assertIs(await server, server)
        self.assertEqual(server.port, port)

    async def test_fixed_port(self):
        """A server listens on the port it is given."""
        with socket.create_server(("127.0.0.1", 0)) as probe:
            port = probe.getsockname()[1]
        async with serve("echo", port=port) as server:
            self.assertEqual(server.url, f"ws://127.0.0.1:{port}/")
            async with connect(server.url):
                pass

    async def test_ipv6_url(self):
        """An IPv6 host is written in brackets in the URL."""
        try:
            server = await serve("echo", host="::1")
        except OSError:  # pragma: no cover - no IPv6 loopback
            self.skipTest("no IPv6 loopback")
        async with server:
            self.assertEqual(server.url, f"ws://[::1]:{server.port}/")
            async with connect(server.url) as ws:
                await ws.send("v6")
                self.assertEqual(await ws.recv(), "v6")

    async def test_close_closes_connections_with_1001(self):
        """close() closes every connection with 1001, stops listening, is idempotent."""
        server = await serve("echo")
        ws1 = await connect(server.url)
        ws2 = await connect(server.url)
        self.assertEqual(server.open_connections, 2)
        await asyncio.gather(server.close(), server.close())
        for ws in (ws1, ws2):
            with self.assertRaises(ConnectionClosedOK) as raised:
                await ws.recv()
            self.assertEqual(raised.exception.rcvd.code, 1001)
        self.assertEqual(server.open_connections, 0)
        await server.close()
        with self.assertRaises(OSError):
            await connect(server.url)

    async def test_failing_handler(self):
        """A lab that raises closes that connection with 1011 and keeps serving."""
        async with serve("test-failing") as server:
            with self.assertLogs("wsnb.servers", "ERROR") as logs:
                async with connect(server.url) as ws:
                    await ws.send("boom")
                    with self.assertRaises(ConnectionClosedError) as raised:
                        await ws.recv()
            self.assertEqual(raised.exception.rcvd.code, 1011)
            self.assertIn("test-failing: connection handler failed", logs.output[0])
            async with connect(server.url) as ws:
                await ws.send("fine")
                self.assertEqual(await ws.recv(), "fine")

    async def test_client_drop_is_quiet(self):
        """A client that drops its TCP connection is not an error."""
        async with serve("echo") as server:
            ws = await connect(server.url)
            await ws.send("x")
            self.assertEqual(await ws.recv(), "x")
            ws.transport.abort()
            await ws.wait_closed()
            async with connect(server.url) as ws:
                await ws.send("y")
                self.assertEqual(await ws.recv(), "y")
            self.assertEqual(server.lab.connections, 2)

    async def test_connection_cap(self):
        """Beyond max_connections open connections, new clients get HTTP 503."""
        async with serve("test-tiny") as server:
            async with connect(server.url):
                with self.assertRaises(InvalidStatus) as raised:
                    await connect(server.url)
                self.assertEqual(raised.exception.response.status_code, 503)
            # The first connection is closed and its handler returned.
            async with connect(server.url) as ws:
                await ws.send("room again")
                self.assertEqual(await ws.recv(), "room again")


class BrokenLab(EchoLab):
    """A lab asking websockets for a compression it does not know."""

    name = "test-broken"
    compression = "zstd"


class StartFailureTests(unittest.IsolatedAsyncioTestCase):
    async def test_start_failure_closes_the_socket(self):
        """If websockets refuses the settings, start() fails and leaks no socket."""
        server = LabServer(BrokenLab())
        with self.assertRaises(ValueError):
            await server
        with self.assertRaises(RuntimeError):
            _ = server.url
        await server.close()


class ListeningSocketTests(unittest.TestCase):
    def test_options(self):
        """listening_socket sets SO_REUSEADDR and the lab's options, then listens."""
        options = [(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)]
        with listening_socket("127.0.0.1", 0, options) as sock:
            self.assertTrue(sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
            # Linux doubles the value for its own bookkeeping.
            self.assertLessEqual(
                sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), 32 * 1024
            )
            self.assertFalse(sock.getblocking())

    def test_port_in_use(self):
        """listening_socket fails on a port that is in use and leaks nothing."""
        with listening_socket("127.0.0.1", 0) as sock:
            port = sock.getsockname()[1]
            with self.assertRaises(OSError):
                listening_socket("127.0.0.1", port)
