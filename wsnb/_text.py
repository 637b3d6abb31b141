"""Text as the Web sees it: USVString conversion and UTF-8 byte counts."""

from __future__ import annotations

__all__ = ["encode_usv"]


def encode_usv(text: str) -> bytes:
    """Encode ``text`` to UTF-8 the way WebIDL's USVString conversion does.

    JavaScript strings are UTF-16: a surrogate pair is one character and a
    lone surrogate becomes U+FFFD before encoding. A Python str can hold
    surrogates too (from ``"\\ud83d\\ude00"`` or ``surrogateescape``), so it
    is converted the same way instead of raising UnicodeEncodeError.
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        units = text.encode("utf-16-le", "surrogatepass")
        return units.decode("utf-16-le", "replace").encode("utf-8")
