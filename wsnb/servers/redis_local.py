"""A real ``redis-server`` on a free loopback port: :class:`LocalRedis`.

The scaled-out lab servers (``serve("chat", broker=URL)``) need a Redis
server. Learners, notebooks and tests start their own with this helper::

    with LocalRedis() as redis:            # or: async with LocalRedis() as redis
        spawn("chat", broker=redis.url)    # redis://127.0.0.1:PORT/0
        redis.kill()                       # abrupt: every connection drops
        redis.restart()                    # back on the same port, empty

It runs the ``redis-server`` program found on ``PATH`` (Debian and Ubuntu:
``apt-get install redis-server``; Binder installs it from
``binder/apt.txt``), listening on 127.0.0.1 only, with persistence off
(``--save "" --appendonly no``, its working folder a temporary one): nothing
is written to disk, and a restart starts empty, as a cache that lost its
memory. When the program is missing, :class:`~wsnb.exceptions.ProgramMissing`
says so and how to install it.

The child is started and reaped like a lab server process
(:mod:`wsnb.servers._process`): its output is drained by a thread, which
sets an event on the line ``Ready to accept connections``; a ``PING`` then
confirms that it answers. It is stopped when the interpreter exits.
"""

from __future__ import annotations

import asyncio
import collections
import re
import shutil
import socket
import tempfile
from types import TracebackType
from typing import TYPE_CHECKING

from ..exceptions import ProgramMissing
from ._process import Child, stop_at_exit, stopped

if TYPE_CHECKING:
    from typing import Self  # Python 3.11+

__all__ = ["LocalRedis", "REDIS_INSTALL"]

REDIS_INSTALL = (
    "install it (Debian/Ubuntu: apt-get install redis-server; on Binder, binder/apt.txt lists redis-server), "
    "or pass program= the path of a redis-server"
)
"""How to get ``redis-server``, quoted in :class:`~wsnb.exceptions.ProgramMissing`."""

READY = re.compile(r".*Ready to accept connections.*")
"""The line redis-server logs once it accepts connections."""

_PORT_ATTEMPTS = 3
"""Free ports tried in turn when another program takes the one picked first."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port of ``host`` that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class LocalRedis:
    """A ``redis-server`` child process on 127.0.0.1, for demos and tests.

    Args:
        port: The port; 0 (the default) picks a free one, kept by :meth:`restart`.
        program: The program to run, looked up on ``PATH``.

    Attributes:
        output: The last lines the server logged (its log goes to stdout).

    Raises:
        ProgramMissing: From :meth:`start`, if ``program`` is not on ``PATH``.
    """

    host = "127.0.0.1"

    def __init__(self, *, port: int = 0, program: str = "redis-server") -> None:
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port < 65536:
            raise ValueError(f"port must be an int from 0 to 65535, not {port!r}")
        self.program = program
        self._port = port
        self._child: Child | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self.output: collections.deque[str] = collections.deque(maxlen=100)

    # -- What it is -------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port: the one asked for or picked (0 before a start with port 0)."""
        return self._port

    @property
    def url(self) -> str:
        """The URL for ``broker=``: ``redis://127.0.0.1:PORT/0``.

        Raises:
            RuntimeError: If the server never started.
        """
        if self._port == 0:
            raise RuntimeError("the local redis-server was never started")
        return f"redis://{self.host}:{self._port}/0"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._child is not None and self._child.popen.poll() is None

    @property
    def pid(self) -> int | None:
        """Process id of the server, None before the first start."""
        return None if self._child is None else self._child.popen.pid

    def command(self, port: int, folder: str) -> list[str]:
        """The command line: loopback only, no persistence, logging to stdout."""
        executable = shutil.which(self.program)
        if executable is None:
            raise ProgramMissing(self.program, REDIS_INSTALL)
        return [
            executable,
            "--port", str(port),
            "--bind", self.host,
            "--save", "",
            "--appendonly", "no",
            "--dir", folder,
            "--logfile", "",
            "--daemonize", "no",
        ]

    # -- Starting and stopping --------------------------------------------------------

    def start(self, timeout: float = 20.0) -> LocalRedis:
        """Start the server and wait until it answers PING.

        Raises:
            ProgramMissing: If ``redis-server`` is not on ``PATH``.
            RuntimeError: If it is running already, or exits before it is ready.
            TimeoutError: If it is not ready within ``timeout`` seconds.
        """
        if self.running:
            raise RuntimeError("the local redis-server is already running")
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="wsnb-redis-")
        attempts = _PORT_ATTEMPTS if self._port == 0 else 1
        for attempt in range(attempts):
            port = self._port or free_port(self.host)
            self.output.clear()
            self._child = Child(self.command(port, self._folder.name), self.output, ready=READY)
            stop_at_exit(self)
            if not self._child.event.wait(timeout):
                self.kill()
                raise TimeoutError(f"redis-server did not get ready in {timeout} s")
            if self._child.match is not None:
                self._port = port
                break
            self._reap(None)
            if attempt + 1 == attempts or not any("Address already in use" in line for line in self.output):
                lines = "\n".join(self.output)
                raise RuntimeError(f"redis-server exited with status {self._child.popen.returncode}:\n{lines}")
        self._ping(timeout)
        return self

    def _ping(self, timeout: float) -> None:
        """Ask the server for PONG: ready means it answers, not only that it logged so."""
        import redis  # imported here: wsnb.servers works without a broker

        client = redis.Redis(host=self.host, port=self._port, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            if not client.ping():  # pragma: no cover - a redis-server answers PONG
                raise RuntimeError("redis-server did not answer PING")
        finally:
            client.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server gracefully (SIGTERM; SIGKILL after ``timeout`` seconds).

        Its clients see their connections closed; nothing is saved.
        """
        if self.running:
            assert self._child is not None
            self._child.popen.terminate()
        self._reap(timeout)

    terminate = stop

    def kill(self) -> None:
        """Kill the server with SIGKILL: connections drop at once, as in a crash."""
        if self.running:
            assert self._child is not None
            self._child.popen.kill()
        self._reap(None)

    def restart(self, timeout: float = 20.0) -> LocalRedis:
        """Stop the server if it runs, then start it again, empty, on the same port."""
        self.stop()
        return self.start(timeout)

    def close(self) -> None:
        """Stop the server and remove its temporary folder."""
        self.stop()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def _reap(self, timeout: float | None) -> None:
        if self._child is not None:
            self._child.reap(timeout)
            stopped(self)

    # -- The same, without blocking an event loop ------------------------------------

    async def astart(self, timeout: float = 20.0) -> LocalRedis:
        """:meth:`start` in a thread, so that the event loop keeps running."""
        return await asyncio.to_thread(self.start, timeout)

    async def astop(self, timeout: float = 10.0) -> None:
        """:meth:`stop` in a thread: lab servers on this loop can see the connections go."""
        await asyncio.to_thread(self.stop, timeout)

    async def arestart(self, timeout: float = 20.0) -> LocalRedis:
        """:meth:`restart` in a thread."""
        return await asyncio.to_thread(self.restart, timeout)

    async def aclose(self) -> None:
        """:meth:`close` in a thread."""
        await asyncio.to_thread(self.close)

    # -- Context managers -------------------------------------------------------

    def __enter__(self) -> Self:
        if not self.running:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        if not self.running:
            await self.astart()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<LocalRedis port {self._port} {state}>"
