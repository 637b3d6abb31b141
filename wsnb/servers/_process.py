"""Run a lab server in a child process: :func:`spawn` and :class:`ServerProcess`.

A server in its own process can die the way real servers do: :meth:`kill`
sends SIGKILL, so clients see the TCP connection drop with no Close frame,
and :meth:`restart` brings it back on the same port for reconnection demos.

"""

from __future__ import annotations

import asyncio
import atexit
import collections
import os
import re
import subprocess
import sys
import threading
import weakref
from types import TracebackType
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from .origins import OriginPolicy
from ._main import format_value
from ._serve import make_lab
from .tls import LabCertificate, ServesTls, write_private

if TYPE_CHECKING:
    from typing import Self  # Python 3.11+


__all__ = ["ServerProcess", "aspawn", "spawn"]


READY_LINE = re.compile(
    r"wsnb: (?P<name>\S+) listening on (?P<url>wss?://\S+:(?P<port>\d+)/)"
)
"""The line a server prints once it listens."""

class _Stoppable(Protocol):
    def terminate(self, timeout: float = ...) -> None: ...


_running: weakref.WeakSet[_Stoppable] = weakref.WeakSet()
"""Child processes to stop at exit: lab servers, and local redis-servers."""


def stop_at_exit(child: _Stoppable) -> None:
    """Terminate ``child`` when the interpreter exits, unless it was stopped before."""
    _running.add(child)


def stopped(child: _Stoppable) -> None:
    """``child`` stopped: nothing to do for it at exit."""
    _running.discard(child)


@atexit.register
def _stop_children() -> None:  # pragma: no cover - runs at interpreter exit
    """Do not leave servers behind when the parent exits."""
    for process in list(_running):
        process.terminate(timeout=2.0)


class Child:
    """One launch of a child process and the thread that drains its output.

    ``event`` is set when a line of the output matches ``ready`` (then
    ``match`` holds it), or when the output ends (the child exited first).
    Reading the output, not sleeping, is how a parent knows the child is
    ready.
    """

    def __init__(self, command: list[str], output: collections.deque[str], ready: re.Pattern[str] = READY_LINE) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.ready = ready
        self.match: re.Match[str] | None = None
        self.popen = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=env,
        )
        self.event = threading.Event()  # set when ready or when output ends
        assert self.popen.stdout is not None
        self.thread = threading.Thread(
            target=self._drain,
            args=(self.popen.stdout, output),
            name=f"wsnb-server-{self.popen.pid}",
            daemon=True,
        )
        self.thread.start()

    @property
    def url(self) -> str | None:
        """The URL of the ready line (a lab server's), None before it."""
        return None if self.match is None else self.match.groupdict().get("url")

    @property
    def port(self) -> int | None:
        """The port of the ready line, None before it."""
        port = None if self.match is None else self.match.groupdict().get("port")
        return None if port is None else int(port)

    def reap(self, timeout: float | None) -> None:
        """Wait for the child to exit (SIGKILL after ``timeout`` seconds), and for its output's end."""
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        self.thread.join()

    def _drain(self, stream: IO[str], output: collections.deque[str]) -> None:
        # Keep reading after the ready line so that the child never blocks
        # on a full pipe; keep the last lines for error messages.
        try:
            for line in stream:
                line = line.rstrip("\n")
                output.append(line)
                if self.match is None and (match := self.ready.fullmatch(line)):
                    self.match = match
                    self.event.set()
        finally:
            stream.close()
            self.event.set()


class ServerProcess(ServesTls):
    """A lab server running in a child process (``python -m wsnb.servers``).

    Get one from :func:`spawn` (or :func:`aspawn`). Use it as a context
    manager to stop it at the end::

        with spawn("echo") as process:
            ...                     # connect to process.url
            process.kill()          # abrupt: clients see the TCP drop
            process.restart()       # back on the same port

    When clients of the child run on the current event loop (a notebook),
    use the ``a``-prefixed methods for anything that waits for the child to
    stop gracefully: ``await process.arestart()``, ``await process.aclose()``,
    ``async with ServerProcess("echo") as process``. The blocking ones would
    hold the loop, so the clients could not answer the child's Close frames.

    Attributes:
        name: Name of the lab.
        host: Address the server listens on.
        options: The lab's options.
        output: The last lines the child printed (stdout and stderr).
        certificate: With ``tls=True``, the test CA and the certificate the
            child serves (made here, handed to the child in a private
            temporary file, the same after a restart); else None.

    """

    def __init__(
        self,
        name: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        options: dict[str, Any] | None = None,
        origins: Iterable[str] = (),
        any_origin: bool = False,
        tls: bool = False,
    ) -> None:
        self.name = name
        self.host = host
        self.options = dict(options or {})
        make_lab(name, self.options)  # fail here, not in the child
        self.origin_policy = OriginPolicy(origins, any_origin=any_origin)
        if not isinstance(tls, bool):
            raise TypeError(f"tls must be True or False, not {tls!r}")
        self.certificate = LabCertificate.make() if tls else None
        self._certfile: Path | None = None
        if self.certificate is not None and self.certificate.server_pem is not None:
            self._certfile = write_private(self.certificate.server_pem, f"wsnb-{name}-server-")
            weakref.finalize(self, self._certfile.unlink, missing_ok=True)
        self._port = port
        self._child: Child | None = None
        self.output: collections.deque[str] = collections.deque(maxlen=100)

    def command(self) -> list[str]:
        """The command line that starts the child."""
        command = [sys.executable, "-m", "wsnb.servers", self.name]
        command += ["--host", self.host, "--port", str(self._port), *self.origin_policy.command_line()]
        if self._certfile is not None:
            command += ["--certfile", str(self._certfile)]
        for key, value in self.options.items():
            command += ["--option", f"{key}={format_value(value)}"]
        return command

    @property
    def url(self) -> str:
        """URL of the server, such as ``"ws://127.0.0.1:8765/"``.

        Raises:
            RuntimeError: If it was never ready.

        """
        if self._child is None or self._child.url is None:
            raise RuntimeError(f"the {self.name} server process is not ready")
        return self._child.url


    @property
    def port(self) -> int:
        """Port of the server: the one asked for, else the one it picked."""
        if self._child is not None and self._child.port is not None:
            return self._child.port
        return self._port

    @property
    def pid(self) -> int | None:
        """Process id of the child, :obj:`None` before the first start."""
        return None if self._child is None else self._child.popen.pid

    @property
    def returncode(self) -> int | None:
        """Exit status of the child; :obj:`None` while it runs."""
        return None if self._child is None else self._child.popen.poll()

    @property
    def running(self) -> bool:
        """Whether the child process is alive."""
        return self._child is not None and self._child.popen.poll() is None

    def start(self, timeout: float = 20.0) -> ServerProcess:
        """Start the child and wait until it listens.

        Raises:
            RuntimeError: If it is already running, or exits before listening.
            TimeoutError: If it does not listen within ``timeout`` seconds.

        """
        if self.running:
            raise RuntimeError(f"the {self.name} server process is already running")
        self.output.clear()
        self._child = Child(self.command(), self.output)
        stop_at_exit(self)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 20.0) -> str:
        """Wait until the child printed its listening line.

        It reads the child's output; it does not sleep.

        Returns:
            The URL of the server.

        Raises:
            RuntimeError: If the child exits before listening.
            TimeoutError: If it does not listen within ``timeout`` seconds
                (the child is killed).

        """
        if self._child is None:
            raise RuntimeError(f"the {self.name} server process was never started")
        child = self._child
        if not child.event.wait(timeout):
            self.kill()
            raise TimeoutError(f"the {self.name} server did not listen in {timeout} s")
        if child.url is None:
            child.thread.join()
            status = child.popen.wait()
            lines = "\n".join(self.output)
            raise RuntimeError(
                f"the {self.name} server process exited with status {status}:\n{lines}"
            )
        return child.url

    def kill(self) -> None:
        """Kill the child with SIGKILL: connections drop, no Close frame."""
        if self.running:
            assert self._child is not None
            self._child.popen.kill()
        self._reap(None)

    def terminate(self, timeout: float = 15.0) -> None:
        """Stop the child gracefully: it closes every connection with 1001.

        Sends SIGTERM, then SIGKILL if the child is still alive after
        ``timeout`` seconds.
        """
        if self.running:
            assert self._child is not None
            self._child.popen.terminate()
        self._reap(timeout)

    close = terminate

    def restart(self, timeout: float = 20.0) -> ServerProcess:
        """Stop the child if it runs (gracefully), then start it on the same port.

        The child binds with ``SO_REUSEADDR``, so the port is free again at
        once, even after :meth:`kill`.
        """
        self.terminate()
        if self._child is not None and self._child.port is not None:
            self._port = self._child.port
        return self.start(timeout)

    # The blocking methods wait for the child. In a notebook, clients of the
    # child usually run on the kernel's event loop: blocking that loop while
    # the child closes their connections would stall both until the child's
    # close timeout (10 s). These variants wait in a thread instead.

    async def aterminate(self, timeout: float = 15.0) -> None:
        """:meth:`terminate` without blocking the event loop."""
        await asyncio.to_thread(self.terminate, timeout)

    aclose = aterminate

    async def arestart(self, timeout: float = 20.0) -> ServerProcess:
        """:meth:`restart` without blocking the event loop."""
        return await asyncio.to_thread(self.restart, timeout)

    async def __aenter__(self) -> Self:
        if self._child is None:
            await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _reap(self, timeout: float | None) -> None:
        if self._child is not None:
            self._child.reap(timeout)
            stopped(self)

    def __enter__(self) -> Self:
        if self._child is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<ServerProcess {self.name} port {self.port} {state}>"


def spawn(
    name: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    origins: Iterable[str] = (),
    any_origin: bool = False,
    tls: bool = False,
    **options: Any,
) -> ServerProcess:
    """Start a lab server in a child process and wait until it listens.

    Args:
        name: Which lab, a key of :data:`~wsnb.servers.SERVERS`.
        host: Address to listen on; loopback by default.
        port: Port to listen on; 0 picks a free one, kept by :meth:`restart`.
        origins: Web page origins to accept besides loopback pages.
        any_origin: Accept a handshake from any web page (with a warning).
        tls: Serve ``wss://`` with a test CA's certificate; connect with
            ``WebSocket(process.url, ssl=process.client_ssl)``.
        **options: The lab's options; None, bools, numbers and str survive
            the trip through the command line.

    Raises:
        ValueError: If no lab has that name, or an option value is invalid.
        TypeError: If the lab has no such option.
        RuntimeError: If the child exits before listening.

    """
    return ServerProcess(
        name, host=host, port=port, options=options, origins=origins, any_origin=any_origin, tls=tls
    ).start()


async def aspawn(
    name: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    origins: Iterable[str] = (),
    any_origin: bool = False,
    tls: bool = False,
    **options: Any,
) -> ServerProcess:
    """Like :func:`spawn`, but waits in a thread so the event loop keeps running."""
    return await asyncio.to_thread(
        spawn, name, host=host, port=port, origins=origins, any_origin=any_origin, tls=tls, **options
    )
