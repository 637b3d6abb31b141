"""Which web pages may open a WebSocket to a lab server: the Origin allow-list.

Browsers do not apply CORS to WebSockets: any page open in the learner's
browser may try ``new WebSocket("ws://127.0.0.1:PORT/")`` to a lab server,
and the only thing that tells the server who is asking is the ``Origin``
header the browser sends. Accepting every origin is the Cross-Site
WebSocket Hijacking hole the reference's security section warns about.

So a lab server accepts, by default:

- a handshake without ``Origin`` (a client that is not a browser: wsnb's
  mirror, websockets, curl);
- a loopback origin, ``http(s)://localhost``, ``127.0.0.1`` or ``[::1]`` on
  any port (a JupyterLab page on this machine);

and answers any other origin with HTTP 403, logging one line that says why.
``origins=[...]`` adds exact origins (``"https://hub.example.org"``) or an
origin with any port (``"http://notebook.local:*"``); ``any_origin=True``
accepts every origin, with a warning.

The notebook page itself: a :class:`~wsnb.browser.BrowserWebSocket`
reports the origin of the JupyterLab page its widget runs in, and
:func:`trust_page_origin` adds it for every lab server in this process. On
Binder the page is ``https://hub…``, not loopback, and its sockets reach the
servers through jupyter-server-proxy with that origin; it is the learner's
own page, the one that runs this kernel.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable

__all__ = ["LOOPBACK_ORIGIN", "OriginPolicy", "is_loopback_host", "trust_page_origin", "trusted_page_origins"]

LOOPBACK_ORIGIN = re.compile(r"https?://(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?")
"""The origins of pages served from this machine, on any port."""

_ORIGIN = re.compile(r"(?:https?)://[^/?#\s:]+(?::(?:\d{1,5}|\*))?|(?:https?)://\[[0-9a-fA-F:.]+\](?::(?:\d{1,5}|\*))?")


class OriginPolicy:
    """Decide which ``Origin`` headers a lab server accepts.

    Args:
        origins: More origins to accept: exact (``"https://example.org"``,
            ``"http://notebook.local:8888"``) or with a wildcard port
            (``"http://notebook.local:*"``).
        any_origin: Accept every origin (with a warning): only for a
            server that must be reachable from pages elsewhere, such as a
            tutorial's public page.

    Raises:
        ValueError: If an origin is not ``http(s)://host[:port|:*]``.
    """

    def __init__(self, origins: Iterable[str] = (), *, any_origin: bool = False) -> None:
        if isinstance(origins, str):
            origins = [origins]
        self.origins = tuple(origins)
        for origin in self.origins:
            if not isinstance(origin, str) or not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"an allowed origin is scheme://host or scheme://host:port (or :* for any port), "
                    f"such as 'https://example.org', not {origin!r}"
                )
        self.any_origin = bool(any_origin)
        self._exact = {origin.lower() for origin in self.origins if not origin.endswith(":*")}
        self._any_port = tuple(origin[:-2].lower() for origin in self.origins if origin.endswith(":*"))
        if self.any_origin:
            warnings.warn(
                "any_origin=True: every web page open in a browser on this machine can now connect "
                "to this lab server (browsers do not apply CORS to WebSockets)",
                RuntimeWarning,
                stacklevel=3,
            )

    def allows(self, origin: str | None) -> bool:
        """Whether a handshake with this ``Origin`` header (None: none) is accepted."""
        if origin is None or self.any_origin or LOOPBACK_ORIGIN.fullmatch(origin):
            return True
        lowered = origin.lower()
        if lowered in self._exact or lowered in _page_origins:
            return True
        return any(lowered == base or (lowered.startswith(base + ":") and lowered[len(base) + 1:].isdigit())
                   for base in self._any_port)

    def command_line(self) -> list[str]:
        """The ``wsnb serve`` arguments that make the same policy in a child process."""
        arguments = [f"--origin={origin}" for origin in self.origins]
        return arguments + (["--any-origin"] if self.any_origin else [])

    def __repr__(self) -> str:
        extra = "any origin" if self.any_origin else ", ".join(self.origins) or "nothing else"
        return f"<OriginPolicy: no Origin, loopback pages, {extra}>"


_page_origins: set[str] = set()


def trust_page_origin(origin: str) -> None:
    """Accept ``origin``, the notebook page's own, on every lab server of this process.

    Called by :class:`~wsnb.browser.BrowserWebSocket` with what the page
    reported; a loopback origin is accepted anyway.

    Raises:
        ValueError: If ``origin`` is not ``scheme://host[:port]``.
    """
    OriginPolicy([origin])  # the same check as an allowed origin's
    if not LOOPBACK_ORIGIN.fullmatch(origin):
        _page_origins.add(origin.lower())


def trusted_page_origins() -> frozenset[str]:
    """The notebook page origins accepted so far (see :func:`trust_page_origin`)."""
    return frozenset(_page_origins)


def is_loopback_host(host: str) -> bool:
    """Whether binding to ``host`` keeps the server reachable from this machine only."""
    return host in ("localhost", "::1") or host.startswith("127.")
