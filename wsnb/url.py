"""The WebSocket constructor's URL and subprotocol rules.

The WHATWG standard's constructor steps, in order
(https://websockets.spec.whatwg.org/#dom-websocket-websocket):

1. parse the URL with the WHATWG URL parser, against a base URL if one is
   given (a relative URL needs one);
2. change the scheme ``http`` to ``ws`` and ``https`` to ``wss``;
3. reject any other scheme but ``ws`` and ``wss``;
4. reject a URL with a fragment (even an empty one: ``ws://h/#``);
5. reject subprotocols that are not HTTP tokens, or that repeat.

Every rejection is a ``DOMSyntaxError`` (the DOM's ``SyntaxError``). URLs are
parsed by ada-url, an implementation of the WHATWG URL Standard, so IPv4
shorthand, dot segments, percent-encoding, default ports and the trailing
slash come out exactly as a browser's do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass

import ada_url

from .exceptions import DOMSyntaxError

__all__ = ["WebSocketURL", "parse_url", "parse_protocols"]

# RFC 9110 section 5.6.2: tchar, the characters allowed in a token.
_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True)
class WebSocketURL:
    """A parsed WebSocket URL.

    Attributes:
        href: The serialised URL, what ``WebSocket.url`` returns.
        origin: The URL's origin, such as ``"ws://127.0.0.1:8765"``; it is
            what ``MessageEvent.origin`` reports.
        secure: True for ``wss``.
    """

    href: str
    origin: str
    secure: bool


def parse_url(url: str, base_url: str | None = None) -> WebSocketURL:
    """Apply the constructor's URL steps and return the result.

    Args:
        url: The URL given to the constructor.
        base_url: What a relative ``url`` is resolved against (a browser uses
            the page's URL; a notebook has none, so it must be given).

    Raises:
        TypeError: If ``url`` or ``base_url`` is not a str.
        DOMSyntaxError: If the URL does not parse, has a scheme other than
            ws, wss, http or https, or has a fragment.
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, not {url.__class__.__name__}")
    if base_url is not None and not isinstance(base_url, str):
        raise TypeError(f"base_url must be a str, not {base_url.__class__.__name__}")
    try:
        record = ada_url.URL(url, base_url) if base_url is not None else ada_url.URL(url)
    except ValueError:
        if base_url is None and not ada_url.URL.can_parse(url) and ada_url.URL.can_parse(url, "ws://base.invalid/"):
            raise DOMSyntaxError(
                f"{url!r} is a relative URL; pass base_url= to say what it is relative to"
            ) from None
        where = f" against base {base_url!r}" if base_url is not None else ""
        raise DOMSyntaxError(f"{url!r} cannot be parsed as a URL{where}") from None
    scheme = record.protocol[:-1]
    if scheme in ("http", "https"):
        record.protocol = "ws" if scheme == "http" else "wss"
        scheme = record.protocol[:-1]
    if scheme not in ("ws", "wss"):
        raise DOMSyntaxError(
            f"the URL's scheme must be ws, wss, http or https, not {scheme!r}"
        )
    if "#" in record.href:
        raise DOMSyntaxError(
            f"{url!r} has a fragment ({record.hash or '#'}); WebSocket URLs cannot have one"
        )
    return WebSocketURL(href=record.href, origin=record.origin, secure=scheme == "wss")


def parse_protocols(protocols: str | Iterable[str] | None) -> list[str]:
    """Validate the constructor's ``protocols`` argument and return it as a list.

    Args:
        protocols: None, one subprotocol name, or a sequence of names.

    Raises:
        TypeError: If it is neither a str nor an iterable of str.
        DOMSyntaxError: If a name is empty or not an HTTP token (letters,
            digits and ``!#$%&'*+-.^_`|~``), or a name appears twice
            (comparison is exact: "chat" and "Chat" are different).
    """
    if protocols is None:
        return []
    if isinstance(protocols, str):
        items = [protocols]
    elif isinstance(protocols, (bytes, bytearray, memoryview)):
        raise TypeError("protocols must be a str or a sequence of str, not bytes")
    elif isinstance(protocols, (Set, Mapping)):
        raise TypeError(
            f"protocols must be a str or a sequence of str (a list or a tuple), not {protocols.__class__.__name__}: "
            "the order of the names is the client's preference, and a set or a dict does not keep one"
        )
    elif isinstance(protocols, Sequence):
        items = list(protocols)
    else:
        raise TypeError(
            f"protocols must be a str or a sequence of str (a list or a tuple), not {protocols.__class__.__name__}"
        )
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"each subprotocol must be a str, not {item.__class__.__name__}")
        if not item or not _TCHAR.issuperset(item):
            raise DOMSyntaxError(
                f"{item!r} is not a valid subprotocol name: use letters, digits "
                "and !#$%&'*+-.^_`|~ only, with no spaces, commas or quotes"
            )
        if item in seen:
            raise DOMSyntaxError(f"subprotocol {item!r} is given more than once")
        seen.add(item)
    return items
