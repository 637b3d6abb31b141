"""Which loop runs a socket (wsnb/loop.py): plain scripts, threads, blocking waits."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import unittest

from .support import TIMEOUT

SCRIPT = textwrap.dedent(
    """
    import threading
    from wsnb import WebSocket
    from wsnb.servers import spawn

    with spawn("echo") as server:
        ws = WebSocket(server.url)
        threads = []
        ws.onmessage = lambda event: threads.append(threading.current_thread().name)
        # The socket runs on wsnb's loop thread, so by now it may be open
        # already: unlike a browser's script, this thread does not hold the loop.
        print("constructed:", ws.readyState.name in ("CONNECTING", "OPEN"))
        print("open:", ws.block_until("open", timeout=10).type, ws.readyState.name)
        replies = ws.record("message")
        ws.send("hello from a script")
        ws.send(b"\\x01\\x02")
        events = replies.block_until(2, timeout=10)
        print("messages:", [event.data for event in events])
        ws.close(1000, "done")
        close = ws.block_until("close", timeout=10)
        print("close:", close.code, close.reason, close.wasClean, ws.readyState.name)
        print("handler thread:", sorted(set(threads)))
    """
)


class PlainScriptTests(unittest.TestCase):
    def test_script_without_a_loop(self) -> None:
        """A plain script connects, receives and closes with the same API, on wsnb's loop thread."""
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=TIMEOUT * 3
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(
            result.stdout.splitlines(),
            [
                "constructed: True",
                "open: open OPEN",
                "messages: ['hello from a script', Blob(size=2)]",
                "close: 1000 done True CLOSED",
                "handler thread: ['wsnb-loop']",
            ],
        )
