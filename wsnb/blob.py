"""Blob: immutable binary data with a size and a MIME type, as in the File API.

A WebSocket whose ``binaryType`` is ``"blob"`` (the default) delivers binary
messages as ``Blob`` objects, and ``send()`` accepts one. In a browser a Blob
may live on disk and reading it is asynchronous, which is why
``arrayBuffer()`` and ``text()`` are awaited; wsnb keeps the bytes in memory
and also lets Python read them directly with ``bytes(blob)``.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from ._text import encode_usv

__all__ = ["Blob"]

class Blob:
    """Immutable binary data (https://w3c.github.io/FileAPI/#blob-section).

    Args:
        blobParts: The pieces to join: ``str`` (encoded as UTF-8), bytes-like
            objects and other Blobs.
        type: A MIME type such as ``"image/png"``; stored in lower case, and
            ``""`` when it contains characters outside U+0020-U+007E.
    """

    __slots__ = ("_data", "_type")
    _data: builtins.bytes
    _type: str

    def __init__(self, blobParts: Iterable[object] = (), *, type: str = "") -> None:
        if isinstance(blobParts, (str, bytes, bytearray, memoryview, Blob)):
            raise TypeError("blobParts must be a sequence of parts, such as [b'...'], not a single part")
        chunks = []
        for part in blobParts:
            if isinstance(part, str):
                chunks.append(encode_usv(part))
            elif isinstance(part, Blob):
                chunks.append(part._data)
            elif isinstance(part, (bytes, bytearray, memoryview)):
                chunks.append(bytes(part))
            else:
                raise TypeError(f"a blob part must be str, bytes-like or Blob, not {part.__class__.__name__}")
        self._data = b"".join(chunks)
        if not isinstance(type, str):
            raise TypeError(f"type must be a str, not {type.__class__.__name__}")
        self._type = type.lower() if all("\x20" <= c <= "\x7e" for c in type) else ""

    @classmethod
    def _wrap(cls, data: builtins.bytes, type: str = "") -> Blob:
        """Make a Blob around bytes without copying them (for received messages)."""
        blob = cls.__new__(cls)
        blob._data = data
        blob._type = type
        return blob

    @property
    def size(self) -> int:
        """The number of bytes."""
        return len(self._data)

    @property
    def type(self) -> str:
        """The MIME type, or ``""``."""
        return self._type

    async def arrayBuffer(self) -> builtins.bytes:
        """Return the contents as bytes (the Python ArrayBuffer)."""
        return self._data

    async def bytes(self) -> builtins.bytes:
        """Return the contents as bytes (the File API's ``bytes()``, a Uint8Array)."""
        return self._data

    async def text(self) -> str:
        """Return the contents decoded as UTF-8, invalid sequences replaced by U+FFFD."""
        return self._data.decode("utf-8", "replace")

    def slice(self, start: int = 0, end: int | None = None, contentType: str = "") -> Blob:
        """Return a new Blob with bytes ``start`` to ``end``; negative indexes count from the end."""
        size = len(self._data)
        end = size if end is None else end
        start = max(size + start, 0) if start < 0 else min(start, size)
        end = max(size + end, 0) if end < 0 else min(end, size)
        return Blob([self._data[start:max(start, end)]], type=contentType)

    def __bytes__(self) -> builtins.bytes:
        return self._data

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Blob):
            return NotImplemented
        return self._data == other._data and self._type == other._type

    def __hash__(self) -> int:
        return hash((self._data, self._type))

    def __repr__(self) -> str:
        kind = f", type={self._type!r}" if self._type else ""
        return f"Blob(size={len(self._data)}{kind})"
