"""Which loop runs a socket (wsnb/loop.py): plain scripts, threads, blocking waits."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
import unittest

from wsnb.loop import Waiters, call_on, call_soon_on

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


class CallTests(unittest.IsolatedAsyncioTestCase):
    """The one way to run something on a socket's loop, from any thread."""

    async def test_call_on_from_another_thread(self) -> None:
        """call_on hands the call to the loop and returns its result or raises its error."""
        loop = asyncio.get_running_loop()
        self.assertEqual(call_on(loop, lambda: 1), 1)
        threads: list[threading.Thread] = []

        def work() -> threading.Thread:
            threads.append(threading.current_thread())
            return threading.current_thread()

        result = await asyncio.to_thread(call_on, loop, work)
        self.assertIs(result, threads[0])
        self.assertIs(result, threading.current_thread())  # it ran on this loop's thread
        with self.assertRaises(ZeroDivisionError):
            await asyncio.to_thread(call_on, loop, lambda: 1 / 0)

    async def test_call_soon_on_returns_at_once(self) -> None:
        """call_soon_on runs now on the loop's thread, and later (on the loop) from another thread."""
        loop = asyncio.get_running_loop()
        ran: list[str] = []
        call_soon_on(loop, ran.append, "now")
        self.assertEqual(ran, ["now"])
        done = loop.create_future()
        await asyncio.to_thread(call_soon_on, loop, lambda: done.set_result(threading.current_thread()))
        self.assertIs(await asyncio.wait_for(done, TIMEOUT), threading.current_thread())


class WaitersTests(unittest.IsolatedAsyncioTestCase):
    async def test_until_rechecks_after_each_wake(self) -> None:
        """until() checks the condition before it parks and after every wake, until it holds."""
        loop = asyncio.get_running_loop()
        waiters = Waiters(loop)
        checks: list[int] = []

        def condition() -> bool:
            checks.append(len(checks))
            if len(checks) < 3:
                loop.call_soon(waiters.wake)  # the owner's state changed, not enough yet
            return len(checks) >= 3

        await waiters.until(condition, timeout=TIMEOUT, ended=lambda: None, describe=lambda: "not yet")
        self.assertEqual(checks, [0, 1, 2])
        self.assertFalse(waiters)

    async def test_until_ends_and_times_out(self) -> None:
        """ended() ends the wait with its exception; a timeout says what is missing."""
        loop = asyncio.get_running_loop()
        waiters = Waiters(loop)
        closed: list[BaseException] = []
        waiting = asyncio.ensure_future(waiters.until(
            lambda: False, timeout=TIMEOUT, ended=lambda: closed[0] if closed else None, describe=lambda: "x",
        ))
        closed.append(ConnectionError("closed first"))  # before or after it parks: either way it ends
        loop.call_soon(waiters.wake)
        with self.assertRaisesRegex(ConnectionError, "closed first"):
            await waiting
        with self.assertRaisesRegex(TimeoutError, "3 messages pending after 0.01 s"):
            await waiters.until(lambda: False, timeout=0.01, ended=lambda: None, describe=lambda: "3 messages pending")
