"""Tests of wsnb.servers.redis_local: a real redis-server started, killed and restarted."""

from __future__ import annotations

import os
import shutil
import tempfile
import unittest
from unittest import mock

import redis

from wsnb import ProgramMissing
from wsnb.servers import REDIS_INSTALL, LocalRedis

from .servers_support import with_timeouts

REDIS_SERVER = shutil.which("redis-server")
NO_REDIS = "redis-server is not installed here (apt-get install redis-server); the scale-out tests need a real one"


def client(local: LocalRedis) -> redis.Redis:
    """A synchronous client of ``local`` that fails fast once it is gone."""
    return redis.Redis.from_url(local.url, socket_timeout=5, socket_connect_timeout=5, retry=None)


class MissingTests(unittest.TestCase):
    def test_missing_program_is_named_with_its_install(self) -> None:
        """Without redis-server on PATH, start() raises ProgramMissing naming it and how to install it."""
        with tempfile.TemporaryDirectory() as empty, mock.patch.dict(os.environ, {"PATH": empty}):
            local = LocalRedis()
            with self.assertRaises(ProgramMissing) as raised:
                local.start()
        self.assertIsInstance(raised.exception, FileNotFoundError)
        message = str(raised.exception)
        self.assertIn("redis-server was not found on PATH", message)
        self.assertIn("apt-get install redis-server", message)
        self.assertIn("binder/apt.txt", message)
        self.assertEqual(raised.exception.install, REDIS_INSTALL)
        self.assertFalse(local.running)
        with self.assertRaisesRegex(RuntimeError, "never started"):
            local.url  # noqa: B018

    def test_bad_port(self) -> None:
        """A port outside 0-65535 is refused at once."""
        with self.assertRaisesRegex(ValueError, "port must be"):
            LocalRedis(port=70000)


@unittest.skipIf(REDIS_SERVER is None, NO_REDIS)
@with_timeouts
class LocalRedisTests(unittest.IsolatedAsyncioTestCase):
    def test_start_answers_and_stores_nothing_on_disk(self) -> None:
        """start() waits until PING answers; the server listens on loopback and saves nothing."""
        with LocalRedis() as local:
            self.assertTrue(local.running)
            self.assertRegex(local.url, r"^redis://127\.0\.0\.1:\d+/0$")
            self.assertEqual(repr(local), f"<LocalRedis port {local.port} running>")
            c = client(local)
            self.assertTrue(c.ping())
            config = c.config_get("save") | c.config_get("appendonly") | c.config_get("bind")
            self.assertEqual(config, {"save": "", "appendonly": "no", "bind": "127.0.0.1"})
            c.close()
        self.assertFalse(local.running)
        self.assertEqual(repr(local), f"<LocalRedis port {local.port} stopped>")

    def test_kill_and_restart_on_the_same_port_empty(self) -> None:
        """kill() drops clients; restart() comes back on the same port with no data."""
        with LocalRedis() as local:
            port = local.port
            c = client(local)
            c.set("key", "value")
            local.kill()
            self.assertFalse(local.running)
            with self.assertRaises(redis.ConnectionError):
                c.get("key")
            local.restart()
            self.assertEqual(local.port, port)
            self.assertIsNone(client(local).get("key"))  # nothing was persisted
            with self.assertRaisesRegex(RuntimeError, "already running"):
                local.start()

    async def test_async_context_manager(self) -> None:
        """async with starts and stops it without blocking the loop; arestart keeps the port."""
        async with LocalRedis() as local:
            port = local.port
            self.assertTrue(client(local).ping())
            await local.arestart()
            self.assertEqual(local.port, port)
            self.assertTrue(client(local).ping())
        self.assertFalse(local.running)

    def test_a_fixed_port(self) -> None:
        """A port given is the one used (and a second server on it fails, saying why)."""
        with LocalRedis() as first:
            second = LocalRedis(port=first.port)
            with self.assertRaisesRegex(RuntimeError, "exited with status"):
                second.start()
            self.assertFalse(second.running)
