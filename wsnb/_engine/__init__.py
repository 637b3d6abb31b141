"""The engine: the only code that talks to websockets, through its Sans-I/O layer.

The mirror (``websocket.py``) speaks in bytes, strings, close codes and
``Failure`` records; the engine turns them into calls on websockets'
``ClientProtocol`` (``connect()``, ``send_request()``, ``receive_data()``,
``events_received()``, ``data_to_send()``, ``send_text()`` ...) driven by an
``asyncio.Protocol`` of its own, and turns what websockets reports back into
plain data, so that no engine exception or state ever leaks to a script.

- ``options``: the settings a browser does not expose, checked up front;
- ``connect``: TCP (directly, or through an HTTP or SOCKS proxy), TLS, and
  the opening handshake, within ``open_timeout``;
- ``connection``: one open connection, push-based like the browser API:
  every message is dispatched as it is read, every frame can be recorded;
- ``failures``: why a connection failed, as a ``Failure``.

Only websockets' public, documented API is used here.
"""

from __future__ import annotations

from .connect import open_connection
from .connection import ClosedInfo, EngineConnection
from .failures import EngineFailure
from .options import EngineOptions

__all__ = [
    "ClosedInfo",
    "EngineConnection",
    "EngineFailure",
    "EngineOptions",
    "open_connection",
]
