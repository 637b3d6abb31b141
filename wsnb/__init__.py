"""wsnb: the browser WebSocket API in Python, for learning and exploring in Jupyter.

    >>> from wsnb import WebSocket
    >>> ws = WebSocket("ws://127.0.0.1:8765/")          # as in a browser
    >>> ws.onmessage = lambda event: print(event.data)

The package root re-exports the mirror: ``WebSocket``, its events, exceptions,
codes and ``Blob``. Lab servers live in ``wsnb.servers``.
"""

from __future__ import annotations

from .blob import *
from .blob import __all__ as _blob_all
from .codes import *
from .codes import __all__ as _codes_all
from .diagnostics import *
from .diagnostics import __all__ as _diagnostics_all
from .events import *
from .events import __all__ as _events_all
from .exceptions import *
from .exceptions import __all__ as _exceptions_all
from .target import *
from .target import __all__ as _target_all
from .websocket import *
from .websocket import __all__ as _websocket_all

__all__ = [
    *_websocket_all,
    *_events_all,
    *_target_all,
    *_exceptions_all,
    *_codes_all,
    *_blob_all,
    *_diagnostics_all,
]

__version__ = "0.1.0"
