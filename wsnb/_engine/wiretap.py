"""What each data frame looked like on the wire: RSV1 (compressed) and payload length.

websockets decodes permessage-deflate before it hands a frame over, so the
frame the engine records carries the *decompressed* payload and no RSV1
bit. DevTools-grade frame views want both sides: was this frame compressed,
and how many bytes did it take on the wire? websockets' public extension
API (:class:`~websockets.extensions.ClientExtensionFactory` and
:class:`~websockets.extensions.Extension`) lets an extension see every
frame on its way in before decoding and on its way out after encoding.
:class:`TappedFactory` wraps the permessage-deflate factory: the extension
it negotiates is websockets' own, and the tap only writes down
``(rsv1, wire_size)`` in the order the frames passed, for the engine to pair
with the frame it records.

Only installed when frames are recorded (``record_frames=True``) and
compression is offered: otherwise nothing is compressed and the wire size
is the payload size.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from typing import Any

from websockets.extensions import ClientExtensionFactory, Extension
from websockets.frames import Frame, Opcode

__all__ = ["TappedFactory", "WireTap"]

_DATA = (Opcode.TEXT, Opcode.BINARY, Opcode.CONT)


class WireTap:
    """``(rsv1, wire_size)`` of frames as they crossed the wire, oldest first.

    Attributes:
        received: One entry per frame received, control frames included.
        sent: One entry per data frame sent (text, binary, continuation).
    """

    def __init__(self) -> None:
        self.received: collections.deque[tuple[bool, int]] = collections.deque()
        self.sent: collections.deque[tuple[bool, int]] = collections.deque()


class _TappedExtension(Extension):
    """websockets' negotiated extension, with a tap on both directions."""

    def __init__(self, inner: Extension, tap: WireTap) -> None:
        self.inner = inner
        self.name = inner.name
        self.tap = tap

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        self.tap.received.append((frame.rsv1, len(frame.data)))
        return self.inner.decode(frame, max_size=max_size)

    def encode(self, frame: Frame) -> Frame:
        encoded = self.inner.encode(frame)
        if encoded.opcode in _DATA:
            self.tap.sent.append((encoded.rsv1, len(encoded.data)))
        return encoded


class TappedFactory(ClientExtensionFactory):
    """A client extension factory that negotiates as ``inner`` does and taps the result."""

    def __init__(self, inner: ClientExtensionFactory, tap: WireTap) -> None:
        self.inner = inner
        self.name = inner.name
        self.tap = tap

    def get_request_params(self) -> Sequence[tuple[str, str | None]]:
        return self.inner.get_request_params()

    def process_response_params(self, params: Sequence[tuple[str, str | None]], accepted_extensions: Sequence[Any]) -> Extension:
        return _TappedExtension(self.inner.process_response_params(params, accepted_extensions), self.tap)
