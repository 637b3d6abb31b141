"""Run a lab in the current event loop: :func:`serve` and :class:`LabServer`."""

from __future__ import annotations

import asyncio
import os
import socket
import warnings
from collections.abc import Generator, Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import Server, ServerConnection
from websockets.asyncio.server import serve as ws_serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from .origins import OriginPolicy, is_loopback_host
from .tls import LabCertificate, ServesTls
from ._base import Lab, logger
from .auth import AuthLab
from .bad_frames import BadFramesLab
from .big import BigLab
from .chat import ChatLab
from .close_lab import CloseLab
from .echo import EchoLab
from .flaky import FlakyLab
from .game import GameLab
from .quality import QualityLab
from .rate_limit import RateLimitLab
from .reject import RejectLab
from .request import RequestLab
from .silent import SilentLab
from .slow_reader import SlowReaderLab
from .stream import StreamLab
from .subprotocol import SubprotocolLab
from .ticker import TickerLab

if TYPE_CHECKING:
    from typing import Self  # Python 3.11+


__all__ = ["SERVERS", "LabServer", "make_lab", "serve"]


SERVERS: dict[str, type[Lab]] = {
    lab.name: lab
    for lab in (
        EchoLab,
        CloseLab,
        RejectLab,
        SubprotocolLab,
        SlowReaderLab,
        BadFramesLab,
        StreamLab,
        FlakyLab,
        SilentLab,
        RateLimitLab,
        ChatLab,
        TickerLab,
        GameLab,
        QualityLab,
        BigLab,
        RequestLab,
        AuthLab,
    )
}
"""Every lab server by name. Add your own :class:`Lab` subclass to serve it."""


def make_lab(name: str, options: dict[str, Any]) -> Lab:
    """Create the lab called ``name`` with ``options``.

    Args:
        name: A key of :data:`SERVERS`.
        options: The lab's keyword options.

    Raises:
        ValueError: If no lab has that name, or an option value is invalid.
        TypeError: If the lab has no such option.

    """
    try:
        lab_class = SERVERS[name]
    except KeyError:
        valid = ", ".join(sorted(SERVERS))
        raise ValueError(f"unknown server {name!r}; valid names: {valid}") from None
    valid_options = lab_class.option_names()
    for option in options:
        if option not in valid_options:
            accepted = ", ".join(valid_options) or "none"
            raise TypeError(
                f"server {name!r} has no option {option!r}; its options: {accepted}"
            )
    return lab_class(**options)


def listening_socket(
    host: str,
    port: int,
    options: Sequence[tuple[int, int, int]] = (),
) -> socket.socket:
    """Create a bound, listening, non-blocking TCP socket.

    ``SO_REUSEADDR`` is set (on POSIX) so that a server restarted on the same
    port binds even while old connections linger in TIME_WAIT.

    Args:
        host: Address to bind, such as ``"127.0.0.1"`` or ``"::1"``.
        port: Port to bind; 0 picks a free one.
        options: Extra ``(level, option, value)`` set before binding.

    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        if os.name == "posix":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for level, option, value in options:
            sock.setsockopt(level, option, value)
        sock.bind(address)
        sock.listen(128)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class LabServer(ServesTls):
    """A lab server listening in the current event loop.

    Get one from :func:`serve`; it is both awaitable and an async context
    manager::

        server = await serve("echo")
        ...
        await server.close()

        async with serve("echo") as server:
            ...

    Args:
        lab: The lab to run.
        host: Address to listen on; loopback by default. Any other address
            makes the server reachable from other machines: a warning says so.
        port: Port to listen on; 0 picks a free one.
        origins: Web page origins to accept besides loopback pages (see
            :class:`~wsnb.servers.origins.OriginPolicy`).
        any_origin: Accept a handshake from any web page (with a warning).
        tls: Serve ``wss://``: True makes a test CA and a certificate for
            this server (see :mod:`~wsnb.servers.tls`), which clients trust
            through ``client_ssl``; a :class:`~wsnb.servers.tls.LabCertificate`
            serves that one.

    Attributes:
        lab: The lab: its counters and controls (for example
            ``server.lab.messages`` for echo).
        origin_policy: Which ``Origin`` headers are accepted; any other is
            answered with HTTP 403.
        refused_origins: Handshakes refused for their origin.
        certificate: With ``tls=True``, the test CA's contexts and PEM; else None.

    """

    def __init__(
        self,
        lab: Lab,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        origins: Iterable[str] = (),
        any_origin: bool = False,
        tls: bool | LabCertificate = False,
    ) -> None:
        self.lab = lab
        self.origin_policy = OriginPolicy(origins, any_origin=any_origin)
        if isinstance(tls, LabCertificate):
            self.certificate: LabCertificate | None = tls
        elif isinstance(tls, bool):
            self.certificate = LabCertificate.make() if tls else None
        else:
            raise TypeError(f"tls must be True, False or a LabCertificate, not {tls!r}")
        self.refused_origins = 0
        if not is_loopback_host(host):
            warnings.warn(
                f"the {lab.name} lab server will listen on {host!r}, not on loopback: other machines "
                "on the network can connect to it; lab servers are meant for this machine only",
                RuntimeWarning,
                stacklevel=2,
            )
        self._host = host
        self._port = port
        self._server: Server | None = None
        self._open: set[ServerConnection] = set()
        self._closing: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        """Name of the lab, such as ``"echo"``."""
        return self.lab.name

    @property
    def host(self) -> str:
        """Address the server listens on (``"127.0.0.1"`` by default)."""
        return self._host

    @property
    def port(self) -> int:
        """Port the server listens on; 0 until it started with port 0."""
        return self._port

    @property
    def url(self) -> str:
        """URL to connect to, such as ``"ws://127.0.0.1:54321/"``.

        Raises:
            RuntimeError: If the server has not started (await it first).

        """
        if self._server is None:
            raise RuntimeError(f"the {self.name} server has not started: await it")
        host = f"[{self._host}]" if ":" in self._host else self._host
        scheme = "wss" if self.certificate is not None else "ws"
        return f"{scheme}://{host}:{self._port}/"


    @property
    def open_connections(self) -> int:
        """Connections open right now."""
        return len(self._open)

    async def start(self) -> Self:
        """Start listening; does nothing if already started.

        Returns:
            This server.

        """
        if self._server is None:
            sock = listening_socket(self._host, self._port, self.lab.socket_options)
            lab = self.lab
            try:
                await lab.setup()
            except BaseException:
                sock.close()
                raise
            try:
                self._server = await ws_serve(
                    self._handler,
                    sock=sock,
                    select_subprotocol=self._select_subprotocol,
                    process_request=self._process_request,
                    max_size=lab.max_size,
                    max_queue=lab.max_queue,
                    ping_interval=lab.ping_interval,
                    compression=lab.compression,
                    logger=logger,
                    ssl=self.certificate.server_ssl if self.certificate is not None else None,
                )
            except BaseException:
                sock.close()
                await lab.teardown()
                raise
            self._host, self._port = sock.getsockname()[:2]
        return self

    def __await__(self) -> Generator[Any, None, Self]:
        return self.start().__await__()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close every connection with 1001 (going away) and stop listening.

        Returns once every connection is closed and every handler returned.
        Idempotent; concurrent calls wait for the same close.
        """
        if self._server is None:
            return
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_task(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        assert self._server is not None
        await self.lab.shutdown()
        self._server.close()
        try:
            await self._server.wait_closed()
        finally:
            await self.lab.teardown()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "not started"
        return f"<LabServer {self.name} {where}>"

    def _process_request(
        self,
        connection: ServerConnection,
        request: Request,
    ) -> Response | None:
        """Refuse a web page from a foreign origin, enforce the connection cap, then ask the lab."""
        origin = request.headers.get("Origin")
        if not self.origin_policy.allows(origin):
            self.refused_origins += 1
            allowed = " and ".join(["loopback pages", *self.origin_policy.origins])
            logger.warning(
                "%s: refused a handshake from origin %r with 403: only %s may connect", self.name, origin, allowed
            )
            return connection.respond(403, f"{self.name}: origin {origin} is not allowed\n")
        if len(self._open) >= self.lab.max_connections:
            return connection.respond(503, f"{self.name}: too many connections\n")
        return self.lab.process_request(connection, request)

    def _select_subprotocol(
        self,
        connection: ServerConnection,
        offered: Sequence[Subprotocol],
    ) -> Subprotocol | None:
        """Ask the lab; websockets wants its Subprotocol type back."""
        selected = self.lab.select_subprotocol(connection, offered)
        return None if selected is None else Subprotocol(selected)

    async def _handler(self, connection: ServerConnection) -> None:
        """Run the lab on one connection; a failure never reaches the server."""
        self._open.add(connection)
        self.lab.connections += 1
        try:
            await self.lab.handle(connection)
        except ConnectionClosed:
            pass
        except Exception:  # a lab bug must not stop the server
            logger.exception("%s: connection handler failed", self.name)
            await connection.close(1011, "lab server error")
        finally:
            self._open.discard(connection)


def serve(
    name: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    origins: Iterable[str] = (),
    any_origin: bool = False,
    tls: bool = False,
    **options: Any,
) -> LabServer:
    """Create a lab server in the current event loop.

    Await the result, or use it with ``async with``::

        server = await serve("echo")
        print(server.url)          # ws://127.0.0.1:PORT/
        await server.close()

    Args:
        name: Which lab, a key of :data:`SERVERS` (``"echo"``,
            ``"close-lab"`` ...).
        host: Address to listen on; loopback by default.
        port: Port to listen on; 0 (the default) picks a free one.
        origins: Web page origins to accept besides loopback pages, such as
            ``["https://hub.example.org"]`` or ``["http://notebook.local:*"]``.
        any_origin: Accept a handshake from any web page (with a warning).
        tls: Serve ``wss://`` with a test CA's certificate; connect with
            ``WebSocket(server.url, ssl=server.client_ssl)``.
        **options: The lab's options, such as ``status=404`` for ``"reject"``.

    Raises:
        ValueError: If no lab has that name, or an option value is invalid.
        TypeError: If the lab has no such option.

    """
    return LabServer(
        make_lab(name, options), host=host, port=port, origins=origins, any_origin=any_origin, tls=tls
    )
