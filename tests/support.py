"""Shared test helpers: timeouts in one scalable unit, and closed ports."""

from __future__ import annotations

import os
import socket

# Every timeout is a multiple of MS; WSNB_TESTS_TIMEOUT_FACTOR scales them on
# a slow machine. Timeouts only bound a wait for an event: none is asserted.
MS = 0.001 * float(os.environ.get("WSNB_TESTS_TIMEOUT_FACTOR", "1"))
TIMEOUT = 10_000 * MS


def closed_port_url() -> str:
    """Return a ws:// URL on 127.0.0.1 whose port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"ws://127.0.0.1:{port}/"
