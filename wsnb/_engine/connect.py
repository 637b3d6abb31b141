"""Opening a connection: TCP (directly or through a proxy), TLS, then the opening handshake."""

from __future__ import annotations

import asyncio
import base64
import ssl as ssl_module
from typing import Any

from websockets.client import ClientProtocol
from websockets.exceptions import InvalidStatus
from websockets.http11 import Request, Response
from websockets.extensions.permessage_deflate import enable_client_permessage_deflate
from websockets.proxy import Proxy, get_proxy, parse_proxy
from websockets.typing import Origin, Subprotocol
from websockets.uri import WebSocketURI, parse_uri

from ..diagnostics import Failure, Handshake
from .connection import EngineConnection
from .failures import EngineFailure, failure_from_handshake
from .options import EngineOptions
from .wiretap import TappedFactory, WireTap

__all__ = ["open_connection"]


async def open_connection(url: str, protocols: list[str], options: EngineOptions) -> EngineConnection:
    """Open a WebSocket connection; raise an ``EngineFailure`` if it fails.

    The TCP connection, TLS and the opening handshake together must finish
    within ``open_timeout``. As the WHATWG standard requires, a redirect is
    not followed (it fails the connection) and, when the client offered
    subprotocols, an answer that selects none fails it too.
    """
    uri = parse_uri(url)
    extensions = enable_client_permessage_deflate(None) if options.compression == "deflate" else None
    tap = None
    if extensions is not None and options.record_frames:
        # Frames are recorded: also note each one's RSV1 bit and size on the wire.
        tap = WireTap()
        extensions = [TappedFactory(factory, tap) for factory in extensions]
    protocol = ClientProtocol(
        uri,
        origin=Origin(options.origin) if options.origin is not None else None,
        extensions=extensions,
        subprotocols=[Subprotocol(p) for p in protocols] or None,
        max_size=options.max_size,
    )
    request = protocol.connect()
    if options.headers is not None:
        request.headers.update(options.headers)
    if options.user_agent is not None:
        request.headers.setdefault("User-Agent", options.user_agent)
    connection = EngineConnection(
        protocol,
        request,
        record_frames=options.record_frames,
        close_timeout=options.close_timeout,
        ping_interval=options.ping_interval,
        ping_timeout=options.ping_timeout,
        wire_tap=tap,
        max_frames=options.max_frames,
    )
    try:
        await asyncio.wait_for(_open(connection, uri, options), options.open_timeout)
    except asyncio.CancelledError:
        connection.abort()
        raise
    except EngineFailure as exc:
        connection.abort()
        exc.handshake = exc.handshake or handshake_record(request, None)
        raise
    except Exception as exc:
        connection.abort()
        response = exc.response if isinstance(exc, InvalidStatus) else connection.response
        raise EngineFailure(failure_from_handshake(exc), handshake_record(request, response)) from exc
    connection.handshake_record = handshake_record(request, connection.response)
    if protocols and not connection.subprotocol:
        # The standard (unlike RFC 6455) fails the connection when the client
        # offered subprotocols and the server's answer names none.
        connection.abort()
        raise EngineFailure(Failure(
            "subprotocol",
            f"the server selected no subprotocol, but the client offered {', '.join(protocols)}",
        ), connection.handshake_record)
    return connection


def handshake_record(request: Request, response: Response | None) -> Handshake:
    """The opening handshake as wsnb's :class:`~wsnb.diagnostics.Handshake`, from websockets' objects."""
    request_headers = tuple(request.headers.raw_items())
    if response is None:
        return Handshake(path=request.path, request_headers=request_headers)
    return Handshake(
        path=request.path,
        request_headers=request_headers,
        status=response.status_code,
        reason=response.reason_phrase,
        response_headers=tuple(response.headers.raw_items()),
        body=bytes(response.body or b""),
    )


async def _open(connection: EngineConnection, uri: WebSocketURI, options: EngineOptions) -> None:
    loop = asyncio.get_running_loop()
    tls: dict[str, Any] = {}
    if uri.secure:
        context = options.ssl if options.ssl is not None else ssl_module.create_default_context()
        tls = {"ssl": context, "server_hostname": uri.host}
    proxy_url = get_proxy(uri) if options.proxy is True else options.proxy
    if proxy_url is None:
        await loop.create_connection(lambda: connection, uri.host, uri.port, **tls)
    else:
        proxy = parse_proxy(proxy_url)
        if proxy.scheme.startswith("socks"):
            sock = await _socks_tunnel(proxy_url, uri)
            await loop.create_connection(lambda: connection, sock=sock, **tls)
        else:
            transport = await _http_tunnel(proxy, uri, options.user_agent)
            if tls:
                new = await loop.start_tls(transport, connection, tls["ssl"], server_hostname=uri.host)
                assert new is not None
                transport = new
            transport.set_protocol(connection)
            connection.connection_made(transport)
    await connection.handshake


async def _socks_tunnel(proxy_url: str, uri: WebSocketURI) -> Any:
    """A socket connected to the server through a SOCKS proxy (python-socks does the SOCKS part)."""
    try:
        from python_socks.async_.asyncio import Proxy as SocksProxy
    except ImportError:
        raise EngineFailure(Failure(
            "network", "connecting through a SOCKS proxy needs python-socks: pip install 'wsnb[socks]'"
        )) from None
    return await SocksProxy.from_url(proxy_url).connect(dest_host=uri.host, dest_port=uri.port)


class _TunnelReply(asyncio.Protocol):
    """Read an HTTP proxy's answer to CONNECT, up to the blank line."""

    def __init__(self) -> None:
        self.data = b""
        self.done: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        self.data += data
        head, separator, _ = self.data.partition(b"\r\n\r\n")
        if separator and not self.done.done():
            self.done.set_result(head)
        elif len(self.data) > 2**16 and not self.done.done():
            self.done.set_exception(ConnectionError("the proxy's answer to CONNECT is too long"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(exc or ConnectionResetError("the proxy closed the connection during CONNECT"))


async def _http_tunnel(proxy: Proxy, uri: WebSocketURI, user_agent: str | None) -> asyncio.Transport:
    """A TCP connection through an HTTP(S) proxy: CONNECT host:port, answered with 2xx."""
    loop = asyncio.get_running_loop()
    proxy_tls: dict[str, Any] = {}
    if proxy.scheme == "https":
        proxy_tls = {"ssl": ssl_module.create_default_context(), "server_hostname": proxy.host}
    transport, reply = await loop.create_connection(_TunnelReply, proxy.host, proxy.port, **proxy_tls)
    host = f"[{uri.host}]" if ":" in uri.host else uri.host
    lines = [f"CONNECT {host}:{uri.port} HTTP/1.1", f"Host: {host}:{uri.port}"]
    if user_agent is not None:
        lines.append(f"User-Agent: {user_agent}")
    if proxy.username is not None and proxy.password is not None:
        token = base64.b64encode(f"{proxy.username}:{proxy.password}".encode()).decode()
        lines.append(f"Proxy-Authorization: Basic {token}")
    transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    try:
        head = await reply.done
        status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise EngineFailure(Failure("network", f"the proxy gave an invalid answer to CONNECT: {status_line!r}"))
        status = int(parts[1])
        if not 200 <= status < 300:
            raise EngineFailure(Failure(
                "network", f"the proxy refused to open a tunnel: {status_line}", status=status
            ))
    except BaseException:
        transport.abort()
        raise
    return transport
