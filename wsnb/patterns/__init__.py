"""The patterns of the course's reference, as small tested classes.

Each pattern wraps a *factory*, a callable that returns a new socket
(``WebSocket(url)`` by default, or another pattern), and presents the same
surface as a WebSocket: ``readyState``, ``bufferedAmount``, ``send()``,
``close()``, ``on*`` handlers, ``addEventListener`` and the observation API
(``watch_calls``: each pattern passes on the calls made on the sockets it
makes), so that ``wsnb.widgets.panel(socket)`` watches it across its
connections, and patterns compose::

    from wsnb.patterns import Heartbeat, Reconnecting, Robust

    socket = Robust(factory=lambda: Reconnecting(factory=lambda: Heartbeat(url, interval=5)),
                    ack=True)

One module per pattern; each module's docstring says what it fixes in the
reference, and why:

* :mod:`~wsnb.patterns.reconnecting`: ``Reconnecting``, backoff with jitter.
* :mod:`~wsnb.patterns.heartbeat`: ``Heartbeat``, application ping/pong.
* :mod:`~wsnb.patterns.robust`: ``Robust``, send queue, JSON, acknowledged delivery.
* :mod:`~wsnb.patterns.ratelimited`: ``RateLimited``, a sliding window.
* :mod:`~wsnb.patterns.batching`: ``Batching``, batches with backpressure.
* :mod:`~wsnb.patterns.pool`: ``Pool``, round-robin over open connections.
* :mod:`~wsnb.patterns.typed`: ``Typed`` and ``Schema``, checked messages.
* :mod:`~wsnb.patterns.request_response`: ``RequestResponse``, correlation ids.
* :mod:`~wsnb.patterns.chunking`: ``Chunked``, messages above the size limit.
* :mod:`~wsnb.patterns.adaptive`: ``Adaptive``, quality from throughput.
* :mod:`~wsnb.patterns.backpressure`: ``Backpressure``, refuse or wait.
* :mod:`~wsnb.patterns.idle`: ``Idle``, pause when nobody uses it.
"""

from __future__ import annotations

from ..exceptions import ChunkError, MessageValidationError, QueueFull
from ._events import MessageErrorEvent
from ._queue import OverflowEvent, OverflowPolicy
from ._socket import SocketLike
from .adaptive import (
    DEFAULT_LEVELS,
    Adaptive,
    QualityEvent,
    message_size,
    quality_request,
)
from .backpressure import Backpressure
from .batching import Batching, decode_batch, encode_batch
from .chunking import (
    HEADER,
    Chunk,
    Chunked,
    Reassembler,
    parse_chunk,
    split_message,
)
from .heartbeat import Heartbeat
from .idle import Idle
from .pool import Pool
from .ratelimited import RateLimited
from .reconnecting import (
    RECONNECT_CODES,
    ReconnectEvent,
    Reconnecting,
    backoff,
    delay_schedule,
    should_reconnect,
)
from .request_response import RequestResponse
from .robust import Robust, RobustState
from .typed import Schema, Typed

__all__ = [
    "DEFAULT_LEVELS",
    "HEADER",
    "RECONNECT_CODES",
    "Adaptive",
    "Backpressure",
    "Batching",
    "Chunk",
    "ChunkError",
    "Chunked",
    "Heartbeat",
    "Idle",
    "MessageErrorEvent",
    "MessageValidationError",
    "OverflowEvent",
    "OverflowPolicy",
    "Pool",
    "QualityEvent",
    "QueueFull",
    "RateLimited",
    "Reassembler",
    "ReconnectEvent",
    "Reconnecting",
    "RequestResponse",
    "Robust",
    "RobustState",
    "Schema",
    "SocketLike",
    "Typed",
    "backoff",
    "decode_batch",
    "delay_schedule",
    "encode_batch",
    "message_size",
    "parse_chunk",
    "quality_request",
    "should_reconnect",
    "split_message",
]
