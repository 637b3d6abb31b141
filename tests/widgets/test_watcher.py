"""Tests of wsnb.widgets.watcher: the coalescer and the socket watcher, against real lab servers."""

from __future__ import annotations

import asyncio
import itertools
import unittest
from typing import Any, ClassVar

from wsnb import Event, MessageEvent, ReadyState, SocketClosed, WebSocket
from wsnb.servers import serve
from wsnb.widgets.scheduling import DEFAULT_INTERVAL, Coalescer
from wsnb.widgets.watcher import SocketWatcher

from ..support import closed_port_url
from .widgets_support import TIMEOUT, next_update

CONNECTING, OPEN, CLOSING, CLOSED = ReadyState

# asyncio may run a timer up to its clock resolution early; allow for it.
CLOCK_SLACK = 1e-3


class CoalescerTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.times: list[float] = []
        self.called: asyncio.Future[None] = self.loop.create_future()

    def callback(self) -> None:
        self.times.append(self.loop.time())
        if not self.called.done():
            self.called.set_result(None)

    async def next_call(self) -> None:
        self.called = self.loop.create_future()
        await asyncio.wait_for(self.called, TIMEOUT)

    async def test_many_marks_one_call(self) -> None:
        """Ten thousand marks before the loop turns make one call."""
        coalescer = Coalescer(self.loop, self.callback)
        for _ in range(10_000):
            coalescer.mark()
        self.assertTrue(coalescer.pending)
        await asyncio.wait_for(self.called, TIMEOUT)
        self.assertEqual((coalescer.calls, len(self.times), coalescer.pending), (1, 1, False))

    async def test_calls_are_spaced(self) -> None:
        """Calls asked for without pause are at least one interval apart (by the loop's clock)."""
        coalescer = Coalescer(self.loop, self.callback, interval=0.02)
        for _ in range(5):
            coalescer.mark()
            coalescer.mark()
            await self.next_call()
        gaps = [later - earlier for earlier, later in itertools.pairwise(self.times)]
        self.assertEqual(len(gaps), 4)
        for gap in gaps:
            self.assertGreaterEqual(gap, 0.02 - CLOCK_SLACK)

    async def test_close_cancels(self) -> None:
        """close() cancels a scheduled call and ignores later marks."""
        coalescer = Coalescer(self.loop, self.callback)
        coalescer.mark()
        coalescer.close()
        self.assertFalse(coalescer.pending)
        coalescer.mark()
        self.assertFalse(coalescer.pending)
        # A call scheduled before close() would run before this later one.
        later = self.loop.create_future()
        self.loop.call_soon(later.set_result, None)
        await later
        self.assertEqual(self.times, [])

    async def test_interval_must_be_positive(self) -> None:
        """A zero or negative interval is refused."""
        with self.assertRaises(ValueError):
            Coalescer(self.loop, self.callback, interval=0)

    async def test_default_interval(self) -> None:
        """The default interval gives at most 20 calls a second."""
        self.assertEqual(DEFAULT_INTERVAL, 0.05)
        self.assertEqual(Coalescer(self.loop, self.callback).interval, 0.05)


class WatcherTestCase(unittest.IsolatedAsyncioTestCase):
    server_name = "echo"
    server_options: ClassVar[dict[str, Any]] = {}

    async def asyncSetUp(self) -> None:
        self.server = await serve(self.server_name, **self.server_options)
        self.sockets: list[WebSocket] = []

    async def asyncTearDown(self) -> None:
        for ws in self.sockets:
            if ws.readyState is not CLOSED:
                ws.close()
            try:
                await ws.wait_for("close", timeout=TIMEOUT)
            except SocketClosed:
                pass
        await self.server.close()

    def connect(self, url: str | None = None, **options: Any) -> WebSocket:
        ws = WebSocket(url or self.server.url, **options)
        self.sockets.append(ws)
        return ws


class WatcherTests(WatcherTestCase):
    async def test_counts_and_rows(self) -> None:
        """Messages in and out are counted (UTF-8 bytes for text) and logged in order with the open event."""
        ws = self.connect()
        watcher = SocketWatcher(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        replies = ws.record("message")
        ws.send("héllo")
        ws.send(b"\x00\x01\xff")
        await replies.wait(2, timeout=TIMEOUT)
        self.assertEqual((watcher.messages_out, watcher.bytes_out), (2, 9))
        self.assertEqual((watcher.messages_in, watcher.bytes_in), (2, 9))
        rows = [(row.direction, row.kind, row.size, row.preview) for row in watcher.log]
        self.assertEqual(rows, [
            ("event", "event", None, "open protocol='' extensions='permessage-deflate; server_max_window_bits=12; client_max_window_bits=12'"),
            ("sent", "text", 6, "héllo"),
            ("sent", "binary", 3, "00 01 ff"),
            ("received", "text", 6, "héllo"),
            ("received", "binary", 3, "00 01 ff"),
        ])
        self.assertEqual(watcher.open_time, (await ws.wait_for("open")).timeStamp)
        self.assertEqual(watcher.log[0].time, watcher.origin)
        self.assertEqual([state for state, _ in watcher.timeline], [CONNECTING, OPEN])
        self.assertEqual(repr(watcher), f"<SocketWatcher {ws.url!r}: 2 in, 2 out, 5 rows>")

    async def test_does_not_change_the_socket(self) -> None:
        """Handlers run as without a watcher; binaryType stays; a Blob stays a Blob."""
        ws = self.connect()
        seen: list[Any] = []
        ws.onmessage = lambda event: seen.append(event.data)
        SocketWatcher(ws)
        SocketWatcher(ws)  # several watchers on one socket
        await ws.wait_for("open", timeout=TIMEOUT)
        replies = ws.record("message")
        ws.send(b"blob")
        ws.send("text")
        await replies.wait(2, timeout=TIMEOUT)
        self.assertEqual(ws.binaryType, "blob")
        self.assertEqual([type(data).__name__ for data in seen], ["Blob", "str"])
        self.assertEqual(ws.bufferedAmount, 0)

    async def test_arraybuffer_and_long_messages(self) -> None:
        """Binary as bytes is logged as hex; long messages keep only their start."""
        ws = self.connect()
        ws.binaryType = "arraybuffer"
        watcher = SocketWatcher(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        replies = ws.record("message")
        ws.send(bytes(range(100)))
        ws.send("é" * 5000)
        await replies.wait(2, timeout=TIMEOUT)
        binary, text = [row for row in watcher.log if row.direction == "received"]
        self.assertEqual((binary.size, binary.head, binary.truncated), (100, bytes(range(64)), True))
        self.assertEqual((text.size, text.head, text.truncated), (10000, "é" * 4096, True))
        sent_text = next(row for row in watcher.log if row.direction == "sent" and row.kind == "text")
        self.assertEqual((sent_text.size, sent_text.head, sent_text.truncated), (10000, "é" * 4096, True))

    async def test_close_call_and_sends_after_it(self) -> None:
        """close() is logged with its code and CLOSING; a send after it is counted as dropped, with a note."""
        ws = self.connect()
        watcher = SocketWatcher(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.close(4000, "bye")
        ws.send("too late")
        await ws.wait_for("close", timeout=TIMEOUT)
        ws.send("later still")
        await next_update(watcher)
        self.assertEqual((watcher.messages_out, watcher.dropped_out), (0, 2))
        previews = [row.preview for row in watcher.log][1:]
        self.assertEqual(previews, [
            "close() code=4000 reason='bye'",
            "too late  [not sent: the socket was CLOSING]",
            "close code=4000 reason='bye' wasClean=True",
            "later still  [not sent: the socket was CLOSED]",
        ])
        self.assertEqual([state for state, _ in watcher.timeline], [CONNECTING, OPEN, CLOSING, CLOSED])
        times = [when for _, when in watcher.timeline]
        self.assertEqual(times, sorted(times))

    async def test_server_close_frame(self) -> None:
        """The server's Close frame is logged as received, with its code, where CLOSING starts."""
        lab = await serve("close-lab")
        try:
            ws = self.connect(lab.url)
            watcher = SocketWatcher(ws)
            await ws.wait_for("open", timeout=TIMEOUT)
            ws.send('{"close": 4001, "reason": "done"}')
            await ws.wait_for("close", timeout=TIMEOUT)
            await next_update(watcher)
        finally:
            await lab.close()
        rows = [(row.direction, row.kind, row.preview) for row in watcher.log][2:]
        self.assertEqual(rows, [
            ("received", "event", "Close frame code=4001 reason='done'"),
            ("event", "event", "close code=4001 reason='done' wasClean=True"),
        ])
        self.assertEqual([state for state, _ in watcher.timeline], [CONNECTING, OPEN, CLOSING, CLOSED])
        self.assertEqual(watcher.log.export(filter="events")[1]["event"], "Close frame")

    async def test_failed_connection(self) -> None:
        """A refused connection is logged as error then close 1006, both with the failure's reason."""
        ws = self.connect(closed_port_url())
        watcher = SocketWatcher(ws)
        await ws.wait_for("close", timeout=TIMEOUT)
        error, close = watcher.log
        self.assertEqual((error.event, close.event, close.code, close.was_clean), ("error", "close", 1006, False))
        self.assertTrue(error.failure.startswith("refused: "))
        self.assertEqual(close.failure, error.failure)
        self.assertEqual([state for state, _ in watcher.timeline], [CONNECTING, CLOSED])
        self.assertIsNone(watcher.open_time)
        self.assertEqual(watcher.origin, watcher.started)

    async def test_close_while_connecting(self) -> None:
        """close() while CONNECTING shows CONNECTING, CLOSING, CLOSED."""
        ws = self.connect()
        watcher = SocketWatcher(ws)
        ws.close()
        await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual([state for state, _ in watcher.timeline], [CONNECTING, CLOSING, CLOSED])
        self.assertEqual([row.event for row in watcher.log], ["close()", "error", "close"])

    async def test_untrusted_events_are_not_logged(self) -> None:
        """Events a script dispatches itself are not what the connection did: not logged."""
        ws = self.connect()
        watcher = SocketWatcher(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        for event in (Event("open"), MessageEvent("message", data="fake"), Event("error"), Event("close")):
            ws.dispatchEvent(event)
        self.assertEqual([row.event for row in watcher.log], ["open"])
        self.assertEqual(watcher.messages_in, 0)

    async def test_close_unsubscribes(self) -> None:
        """A closed watcher hears nothing more and leaves the socket's own handlers working."""
        ws = self.connect()
        watcher = SocketWatcher(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        watcher.close()
        watcher.close()  # twice is fine
        self.assertEqual(ws._call_watchers, [])
        replies = ws.record("message")
        ws.send("after")
        await replies.wait(1, timeout=TIMEOUT)
        self.assertEqual((watcher.messages_in, watcher.messages_out, len(watcher.log)), (0, 0, 1))

    async def test_attach_late(self) -> None:
        """A watcher made after open knows the open time; one made after close knows both ends."""
        ws = self.connect()
        opened = await ws.wait_for("open", timeout=TIMEOUT)
        late = SocketWatcher(ws)
        self.assertEqual(late.timeline, [(CONNECTING, None), (OPEN, opened.timeStamp)])
        self.assertEqual(late.origin, opened.timeStamp)
        ws.close()
        closed = await ws.wait_for("close", timeout=TIMEOUT)
        later = SocketWatcher(ws)
        self.assertEqual(later.timeline, [(CONNECTING, None), (OPEN, opened.timeStamp), (CLOSED, closed.timeStamp)])
        self.assertEqual(later.state, CLOSED)

    async def test_attach_while_closing(self) -> None:
        """A watcher made while CLOSING shows CLOSING with an unknown time, then CLOSED."""
        ws = self.connect()
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.close()
        watcher = SocketWatcher(ws)
        self.assertEqual(watcher.timeline[-1], (CLOSING, None))
        await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(watcher.state, CLOSED)

    async def test_paused(self) -> None:
        """While paused nothing is logged, but counters go on."""
        ws = self.connect()
        watcher = SocketWatcher(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        watcher.paused = True
        replies = ws.record("message")
        ws.send("unlogged")
        await replies.wait(1, timeout=TIMEOUT)
        await next_update(watcher)
        self.assertEqual((watcher.messages_in, watcher.messages_out, watcher.skipped), (1, 1, 2))
        self.assertEqual([row.event for row in watcher.log], ["open"])

    async def test_send_from_another_thread(self) -> None:
        """A send() from another thread is logged on the socket's loop, in order."""
        ws = self.connect()
        watcher = SocketWatcher(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        replies = ws.record("message")
        await asyncio.to_thread(ws.send, "from a thread")
        await replies.wait(1, timeout=TIMEOUT)
        self.assertEqual([(row.direction, row.head) for row in watcher.log][1:], [
            ("sent", "from a thread"),
            ("received", "from a thread"),
        ])
        count = watcher.updates
        await asyncio.to_thread(watcher.changed)  # asking for an update from a thread is fine too
        await next_update(watcher)
        self.assertGreater(watcher.updates, count)

    async def test_views_updated_and_failures_reported(self) -> None:
        """Views are called on updates; one that raises is logged and the others still run."""
        ws = self.connect()
        watcher = SocketWatcher(ws)
        seen: list[int] = []

        def broken(_: SocketWatcher) -> None:
            raise RuntimeError("broken view")

        watcher.add_view(broken)
        watcher.add_view(lambda w: seen.append(w.messages_in))
        await ws.wait_for("open", timeout=TIMEOUT)
        with self.assertLogs("wsnb.widgets", "ERROR") as logs:
            await next_update(watcher)
        self.assertIn("failed to update", logs.output[0])
        self.assertTrue(seen)
        self.assertEqual(watcher.interval, DEFAULT_INTERVAL)
        count = watcher.updates
        watcher.remove_view(broken)
        watcher.update_now()  # not counted as a coalesced update
        self.assertEqual(watcher.updates, count)

    async def test_failing_call_watcher_does_not_break_send(self) -> None:
        """A call watcher that raises is logged; send() still sends."""
        ws = self.connect()
        await ws.wait_for("open", timeout=TIMEOUT)

        def broken(*details: Any) -> None:
            raise RuntimeError("broken watcher")

        ws.watch_calls(broken)
        replies = ws.record("message")
        with self.assertLogs("wsnb", "ERROR"):
            ws.send("still sent")
        self.assertEqual((await replies.wait(1, timeout=TIMEOUT))[0].data, "still sent")


class BufferedAmountTests(WatcherTestCase):
    server_name = "slow-reader"
    server_options: ClassVar[dict[str, Any]] = {"pause_seconds": None}

    async def test_views_follow_buffered_amount_down_without_events(self) -> None:
        """While bytes are buffered the views keep updating, so they see bufferedAmount fall to 0; then they stop."""
        ws = self.connect(compression=None)
        watcher = SocketWatcher(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.send("pause")
        await self.server.lab.wait_paused()
        seen: list[int] = []
        drained = asyncio.get_running_loop().create_future()

        def view(w: SocketWatcher) -> None:
            seen.append(w.ws.bufferedAmount)
            if seen[-1] == 0 and len(seen) > 1 and not drained.done():
                drained.set_result(None)

        watcher.add_view(view)
        ws.send(b"\x00" * 2**24)  # 16 MiB: far more than socket buffers hold
        await next_update(watcher)
        self.assertGreater(seen[-1], 0)
        self.server.lab.resume()  # no message comes back: only polling sees the fall
        await asyncio.wait_for(drained, TIMEOUT)
        self.assertEqual(ws.bufferedAmount, 0)
        self.assertFalse(watcher._coalescer.pending)

    async def test_no_polling_once_closed(self) -> None:
        """After close, bufferedAmount stays above 0 (sends after close) and the views stop updating."""
        ws = self.connect()
        watcher = SocketWatcher(ws)
        ws.close()
        await ws.wait_for("close", timeout=TIMEOUT)
        ws.send("dropped")
        self.assertEqual(ws.bufferedAmount, 7)
        await next_update(watcher)
        self.assertFalse(watcher._coalescer.pending)


if __name__ == "__main__":
    unittest.main()
