"""JSON text from the network: ``json.loads``, with nesting too deep to parse reported as bad JSON.

A peer can send ``[[[[…`` (100 kB of it) to any code that parses JSON:
Python's parser then raises ``RecursionError``, which code that expects bad
input to raise ``ValueError`` lets through, so a lab server's handler
crashed (1011 and a traceback) and a pattern logged an exception instead of
a ``messageerror``. Everything in wsnb that parses what a peer sent uses
:func:`loads`, which turns that into the ``ValueError`` of any other
malformed JSON.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["loads"]


def loads(text: str | bytes, **options: Any) -> Any:
    """Parse JSON text as ``json.loads`` does; nesting deeper than Python can follow is a ValueError."""
    try:
        return json.loads(text, **options)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply to parse") from None
