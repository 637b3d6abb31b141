"""The connection settings a browser does not expose, checked when the socket is made."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from ..checks import check_int, check_number

__all__ = ["EngineOptions"]


@dataclass(frozen=True)
class EngineOptions:
    """Connection settings beyond the browser API (wsnb extras).

    Browsers choose these themselves; a notebook may want to change them.
    Each one is checked when the ``WebSocket`` is made: a wrong type or
    value raises a ``TypeError`` or ``ValueError`` that names the option.

    Attributes:
        headers: Extra HTTP headers for the opening handshake (a mapping or a
            list of pairs), for example an ``Authorization`` header.
        origin: The ``Origin`` header to send; None sends none (a browser
            always sends the page's origin).
        ssl: An ``ssl.SSLContext`` for wss URLs (a self-signed test server,
            a client certificate); None uses the system's defaults.
        max_size: The largest message accepted, in bytes; a larger one fails
            the connection with 1009. None means no limit. Browsers have no
            fixed limit; the default, 64 MiB, keeps a runaway server from
            filling a notebook's memory.
        max_queue: Accepted for compatibility, and unused: messages are
            dispatched as they are read, so none wait in a queue.
        compression: ``"deflate"`` offers permessage-deflate, as browsers do;
            None offers no extension.
        open_timeout: Seconds allowed for the TCP, TLS and HTTP handshakes.
        close_timeout: Seconds to wait for the closing handshake to finish.
        ping_interval: Seconds between protocol-level pings sent by wsnb, or
            None (the default, like a browser) for none. Pings from the
            server are always answered.
        ping_timeout: Seconds to wait for a pong before failing; None waits
            for ever.
        user_agent: The ``User-Agent`` header; None sends none.
        record_frames: Record every frame in ``WebSocket.frames`` (costs
            time per frame; close frames are always recorded).
        max_frames: How many frame records ``WebSocket.frames`` keeps; the
            oldest go first and are counted in ``WebSocket.frames_dropped``,
            so a flood recorded for hours costs a bounded amount of memory.
        proxy: As websockets' ``proxy``: True follows the system's proxy
            settings (the ``http_proxy``, ``https_proxy``, ``all_proxy`` and
            ``no_proxy`` environment variables), None connects directly, a
            URL (``http://``, ``https://``, ``socks5://`` ...) uses that
            proxy.
    """

    headers: Mapping[str, str] | list[tuple[str, str]] | None = None
    origin: str | None = None
    ssl: ssl.SSLContext | None = None
    max_size: int | None = 64 * 2**20
    max_queue: int = 128
    compression: str | None = "deflate"
    open_timeout: float | None = 10.0
    close_timeout: float | None = 10.0
    ping_interval: float | None = None
    ping_timeout: float | None = 20.0
    user_agent: str | None = "wsnb (Python; websockets)"
    record_frames: bool = False
    max_frames: int = 100_000
    proxy: Any = True

    def __post_init__(self) -> None:
        _check_headers(self.headers)
        _check_optional_str("origin", self.origin)
        if self.ssl is not None and not isinstance(self.ssl, ssl.SSLContext):
            raise TypeError(f"ssl must be an ssl.SSLContext or None, not {self.ssl.__class__.__name__}")
        check_int("max_size", self.max_size, minimum=1, unit="bytes", allow_none=True)
        check_int("max_queue", self.max_queue, minimum=1)
        if self.compression not in ("deflate", None):
            raise ValueError(f"compression must be 'deflate' or None, not {self.compression!r}")
        for name in ("open_timeout", "close_timeout", "ping_interval", "ping_timeout"):
            check_number(name, getattr(self, name), above=0, unit="seconds", allow_none=True)
        _check_optional_str("user_agent", self.user_agent)
        if not isinstance(self.record_frames, bool):
            raise TypeError(f"record_frames must be True or False, not {self.record_frames!r}")
        check_int("max_frames", self.max_frames, minimum=1)
        if not (self.proxy is True or self.proxy is None or isinstance(self.proxy, str)):
            raise TypeError(f"proxy must be True, None or a proxy URL, not {self.proxy!r}")

    @classmethod
    def from_keywords(cls, options: Mapping[str, Any]) -> EngineOptions:
        """Build options from the constructor's keywords, naming any unknown one."""
        known = [field.name for field in fields(cls)]
        unknown = [name for name in options if name not in known]
        if unknown:
            raise TypeError(
                f"unknown WebSocket option(s): {', '.join(sorted(unknown))}; "
                f"known options are {', '.join(known)}"
            )
        return cls(**options)


def _check_headers(headers: object) -> None:
    if headers is None:
        return
    pairs: Any
    if isinstance(headers, Mapping):
        pairs = headers.items()
    elif isinstance(headers, (list, tuple)):
        pairs = headers
    else:
        raise TypeError(f"headers must be a mapping or a list of (name, value) pairs, not {headers.__class__.__name__}")
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(part, str) for part in pair)):
            raise TypeError(f"headers must hold (name, value) pairs of str, not {pair!r}")


def _check_optional_str(name: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, not {value.__class__.__name__}")
