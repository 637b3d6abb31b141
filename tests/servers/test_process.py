"""Tests of wsnb.servers._process (spawn), wsnb.servers._main and wsnb.cli."""

from __future__ import annotations

import argparse
import asyncio
import io
import signal
import socket
import subprocess
import sys
import unittest
from contextlib import redirect_stderr, redirect_stdout
from unittest import mock

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK

from wsnb import cli
from wsnb.servers import EchoLab, LabServer, ServerProcess, aspawn, spawn
from wsnb.servers._main import (
    convert_value,
    format_value,
    parse_option,
    serve_until_stopped,
)
from wsnb.servers._process import READY_LINE

from .servers_support import MS, with_timeouts

TIMEOUT_S = 20_000 * MS


def run(args, **kwargs):
    """Start ``python -m ...args`` with its output in a pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


@with_timeouts
class SpawnTests(unittest.IsolatedAsyncioTestCase):
    async def test_spawn(self):
        """spawn() starts a child that serves at its url; close() stops it."""
        process = spawn("echo")
        try:
            self.assertTrue(process.running)
            self.assertIsNotNone(process.pid)
            self.assertEqual(process.url, f"ws://127.0.0.1:{process.port}/")
            self.assertEqual(
                repr(process), f"<ServerProcess echo port {process.port} running>"
            )
            async with connect(process.url) as ws:
                await ws.send("hello")
                self.assertEqual(await ws.recv(), "hello")
        finally:
            process.close()
        self.assertFalse(process.running)
        self.assertEqual(process.returncode, 0)
        self.assertEqual(
            list(process.output),
            [f"wsnb: echo listening on {process.url}", "wsnb: echo stopped"],
        )

    async def test_options_reach_the_child(self):
        """Options go through the command line with their types."""
        with spawn("reject", status=418) as process:
            self.assertIn("status=418", process.command())
            with self.assertRaises(Exception) as raised:
                await connect(process.url)
            self.assertEqual(raised.exception.response.status_code, 418)

    async def test_kill_drops_connections(self):
        """kill() is abrupt: a connected client sees the TCP connection drop."""
        with spawn("echo") as process:
            async with connect(process.url) as ws:
                process.kill()
                with self.assertRaises(ConnectionClosedError) as raised:
                    await ws.recv()
            self.assertIsNone(raised.exception.rcvd)
            self.assertEqual(process.returncode, -signal.SIGKILL)

    async def test_restart_on_the_same_port(self):
        """restart() after kill() serves again on the same port and url."""
        with spawn("echo") as process:
            url, pid = process.url, process.pid
            async with connect(url) as ws:
                process.kill()
                with self.assertRaises(ConnectionClosedError):
                    await ws.recv()
            process.restart()
            self.assertEqual(process.url, url)
            self.assertNotEqual(process.pid, pid)
            async with connect(url) as ws:
                await ws.send("again")
                self.assertEqual(await ws.recv(), "again")

    async def test_graceful_restart(self):
        """arestart() closes clients with 1001, then serves on the same port."""
        process = await aspawn("echo")
        async with process:
            url = process.url
            async with connect(url) as ws:
                await process.arestart()
                with self.assertRaises(ConnectionClosedOK) as raised:
                    await ws.recv()
            self.assertEqual(raised.exception.rcvd.code, 1001)
            async with connect(url) as ws:
                await ws.send("back")
                self.assertEqual(await ws.recv(), "back")
        self.assertEqual(process.returncode, 0)

    async def test_async_with(self):
        """async with ServerProcess(...) starts the child and stops it gracefully."""
        async with ServerProcess("echo") as process:
            self.assertTrue(process.running)
            async with connect(process.url) as ws:
                await process.aclose()
                with self.assertRaises(ConnectionClosedOK):
                    await ws.recv()
        self.assertEqual(process.returncode, 0)

    def test_start_failure(self):
        """A child that cannot listen raises RuntimeError with its output."""
        with spawn("echo") as process:
            taken = ServerProcess("echo", port=process.port)
            with self.assertRaises(RuntimeError) as raised:
                taken.start()
            self.assertIn("exited with status 1", str(raised.exception))
            self.assertIn("cannot listen", str(raised.exception))
            self.assertFalse(taken.running)

    def test_state_errors(self):
        """A process that never started has no url; it cannot start twice."""
        process = ServerProcess("echo")
        self.assertIsNone(process.pid)
        self.assertIsNone(process.returncode)
        self.assertEqual(process.port, 0)
        with self.assertRaises(RuntimeError):
            _ = process.url
        with self.assertRaises(RuntimeError):
            process.wait_ready()
        process.close()  # nothing to stop
        with process, self.assertRaises(RuntimeError):
            process.start()
        self.assertEqual(
            repr(process), f"<ServerProcess echo port {process.port} stopped>"
        )

    def test_bad_arguments_fail_in_the_parent(self):
        """spawn() checks the name and the options before starting a child."""
        with self.assertRaises(ValueError):
            spawn("nope")
        with self.assertRaises(TypeError):
            spawn("echo", colour="blue")
        with self.assertRaises(ValueError):
            spawn("reject", status=99)

    def test_terminate_escalates(self):
        """terminate() kills a child that ignores SIGTERM after its timeout."""
        process = ServerProcess("echo")
        stubborn = (
            "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('wsnb: echo listening on ws://127.0.0.1:9/', flush=True); "
            "signal.pause()"
        )
        process.command = lambda: [sys.executable, "-c", stubborn]
        process.start()
        self.assertEqual(process.url, "ws://127.0.0.1:9/")
        process.terminate(timeout=200 * MS)
        self.assertEqual(process.returncode, -signal.SIGKILL)

    def test_wait_ready_timeout(self):
        """A child that never listens in time is killed and TimeoutError raised."""
        process = ServerProcess("echo")
        # A command that prints nothing and waits: the ready line never comes.
        process.command = lambda: [
            sys.executable,
            "-c",
            "import signal; signal.pause()",
        ]
        with self.assertRaises(TimeoutError):
            process.start(timeout=200 * MS)
        self.assertFalse(process.running)


class CommandLineTests(unittest.TestCase):
    def test_python_m_wsnb_servers(self):
        """python -m wsnb.servers echo --port 0 prints its listening line; SIGTERM stops it."""
        child = run(["wsnb.servers", "echo", "--port", "0"])
        try:
            line = child.stdout.readline().rstrip("\n")
            match = READY_LINE.fullmatch(line)
            self.assertIsNotNone(match, line)
            self.assertEqual(match["name"], "echo")
            self.assertTrue(match["url"].startswith("ws://127.0.0.1:"))
            child.send_signal(signal.SIGTERM)
            out, err = child.communicate(timeout=TIMEOUT_S)
        finally:
            child.kill()
            child.wait()
        self.assertEqual(out, "wsnb: echo stopped\n")
        self.assertEqual(err, "")
        self.assertEqual(child.returncode, 0)

    def test_ctrl_c(self):
        """wsnb serve stops cleanly on SIGINT (Ctrl-C) with options given."""
        child = run(
            ["wsnb", "serve", "slow-reader", "-o", "pause-seconds=none", "--verbose"]
        )
        try:
            self.assertRegex(
                child.stdout.readline(), "^wsnb: slow-reader listening on "
            )
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=TIMEOUT_S)
        finally:
            child.kill()
            child.wait()
        self.assertEqual(out, "wsnb: slow-reader stopped\n")
        self.assertEqual(child.returncode, 0)
        self.assertNotIn("Traceback", err)

    def test_cli_bad_option(self):
        """wsnb serve with an unknown option exits 2 with a message."""
        stderr = io.StringIO()
        with redirect_stderr(stderr), mock.patch("logging.basicConfig"):
            self.assertEqual(cli.main(["serve", "echo", "--option", "colour=blue"]), 2)
        self.assertIn("server 'echo' has no option 'colour'", stderr.getvalue())
        with redirect_stderr(io.StringIO()), self.assertRaises(SystemExit) as raised:
            cli.main(["serve", "nope"])
        self.assertEqual(raised.exception.code, 2)
        with redirect_stderr(io.StringIO()), self.assertRaises(SystemExit):
            cli.main(["serve", "echo", "--option", "novalue"])

    def test_serve_until_stopped(self):
        """The command prints its listening line, then a stopped line."""

        async def serve_and_stop():
            stop = asyncio.Event()
            stop.set()  # stop as soon as it listens
            server = LabServer(EchoLab())
            await serve_until_stopped(server, stop)
            return server

        stdout = io.StringIO()
        with redirect_stdout(stdout):
            server = asyncio.run(serve_and_stop())
        self.assertEqual(
            stdout.getvalue(),
            f"wsnb: echo listening on {server.url}\nwsnb: echo stopped\n",
        )

    def test_port_in_use(self):
        """wsnb serve on a port in use exits 1 with a message."""
        with socket.create_server(("127.0.0.1", 0)) as taken:
            port = taken.getsockname()[1]
            stderr = io.StringIO()
            # run_args configures logging for the command: not for this process.
            with redirect_stderr(stderr), mock.patch("logging.basicConfig"):
                status = cli.main(["serve", "echo", "--port", str(port)])
        self.assertEqual(status, 1)
        self.assertIn(f"wsnb: cannot listen on 127.0.0.1:{port}:", stderr.getvalue())

    def test_python_m_wsnb(self):
        """python -m wsnb runs the wsnb command, which offers serve and lab."""
        child = run(["wsnb", "--help"])
        out, _err = child.communicate(timeout=TIMEOUT_S)
        self.assertEqual(child.returncode, 0)
        self.assertIn("serve", out)
        self.assertIn("lab", out)

    def test_convert_value(self):
        """Option values become ints, floats, bools, None or str."""
        cases = {
            "404": 404,
            "-3": -3,
            "2.5": 2.5,
            "1e3": 1000.0,
            "true": True,
            "False": False,
            "none": None,
            "null": None,
            "first": "first",
            "": "",
        }
        for text, value in cases.items():
            with self.subTest(text=text):
                converted = convert_value(text)
                self.assertEqual(converted, value)
                self.assertIs(type(converted), type(value))
                self.assertEqual(convert_value(format_value(value)), value)

    def test_parse_option(self):
        """KEY=VALUE is split on the first =; dashes in KEY become underscores."""
        self.assertEqual(parse_option("pause-seconds=0.5"), ("pause_seconds", 0.5))
        self.assertEqual(parse_option("choose=a=b"), ("choose", "a=b"))
        for text in ("novalue", "=3"):
            with self.subTest(text=text), self.assertRaises(argparse.ArgumentTypeError):
                parse_option(text)
