"""Tests of wsnb.widgets.panel: the whole panel, its coalescing and its rich display, with no front end."""

from __future__ import annotations

import asyncio
import itertools
import json
import unittest
from typing import Any

from wsnb import ReadyState, WebSocket
from wsnb.patterns import RateLimited, Reconnecting
from wsnb.widgets import ConnectionPanel, panel
from wsnb.widgets.panel import panel_mimebundle

from .test_watcher import WatcherTestCase
from .widgets_support import TIMEOUT, front_end, next_update

# Widgets of a panel whose state can change on an update: badge, info,
# gauge bar, gauge number, counters, timeline, log table, log status.
LIVE_WIDGETS = 8
COUNT = 10_000


class PanelTests(WatcherTestCase):
    async def test_parts(self) -> None:
        """panel(ws) composes the small widgets around one shared watcher."""
        ws = self.connect()
        built = panel(ws, max_rows=50, visible_rows=5, buffer_limit=1000)
        self.assertIsInstance(built, ConnectionPanel)
        for part in (built.badge, built.info, built.gauge, built.counters, built.timeline, built.message_log):
            self.assertIs(part.watcher, built.watcher)
        self.assertEqual((built.watcher.log.max_rows, built.message_log.visible_rows, built.gauge.limit), (50, 5, 1000))
        self.assertIs(built.send_bar.ws, ws)
        self.assertIs(built.close_bar.ws, ws)
        self.assertIn("wsnb-panel", built._dom_classes)
        with self.assertRaises(TypeError):
            panel("ws://127.0.0.1:1/")  # type: ignore[arg-type]

    async def test_plot_in_one_call(self) -> None:
        """board.plot("data.bid") plots that field of the socket's messages, through json_values."""
        ws = self.connect()
        board = panel(ws)
        plot = board.plot("data.bid", renderer="agg")
        try:
            await ws.wait_for("open", timeout=TIMEOUT)
            for bid in (1.5, 2.5):
                ws.send(json.dumps({"data": {"bid": bid}}))
            ws.send("not JSON")
            await plot.wait_samples(2, series="data.bid", timeout=TIMEOUT)
            self.assertEqual(plot.data("data.bid")[1].tolist(), [1.5, 2.5])
        finally:
            plot.close()
            board.close()

    async def test_repr_is_stable(self) -> None:
        """The panel's text repr holds the URL only, whatever the state (nbval compares it)."""
        ws = self.connect()
        built = panel(ws)
        before = repr(built)
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.close()
        await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(repr(built), before)
        self.assertEqual(before, f"ConnectionPanel(url={ws.url!r})")
        # What the notebook saves beside the widget does not hold the port the OS picked.
        self.assertEqual(built._repr_mimebundle_()["text/plain"], "ConnectionPanel(url='ws://127.0.0.1:PORT/')")

    async def test_traits_change_as_events_arrive(self) -> None:
        """Badge, counters, log and timeline follow open, messages and close."""
        ws = self.connect()
        built = panel(ws)
        self.assertEqual(built.badge.ready_state, 0)
        await ws.wait_for("open", timeout=TIMEOUT)
        await next_update(built.watcher)
        self.assertEqual(built.badge.ready_state, 1)
        replies = ws.record("message")
        built.send_bar.text.value = "ping"
        built.send_bar.button.click()
        await replies.wait(1, timeout=TIMEOUT)
        await next_update(built.watcher)
        self.assertEqual((built.counters.messages_out, built.counters.messages_in), (1, 1))
        self.assertEqual(built.message_log.row_count, 3)
        built.close_bar.code.value = "4000"
        built.close_bar.button.click()
        await ws.wait_for("close", timeout=TIMEOUT)
        await next_update(built.watcher)
        self.assertEqual(built.badge.ready_state, 3)
        self.assertEqual([name for name, _ in built.timeline.entries], ["CONNECTING", "OPEN", "CLOSING", "CLOSED"])
        self.assertEqual(built.message_log.export()[-1]["code"], 4000)

    async def test_close_code_out_of_range_from_the_panel(self) -> None:
        """A code close() refuses shows an error in the panel and does not close the socket."""
        ws = self.connect()
        built = panel(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        built.close_bar.code.value = "1011"
        built.close_bar.button.click()
        self.assertIn("InvalidAccessError", built.close_bar._message.value)
        await next_update(built.watcher)
        self.assertIs(ws.readyState, ReadyState.OPEN)
        self.assertEqual(built.badge.ready_state, 1)
        self.assertNotIn("close()", [row.event for row in built.watcher.log])

    async def test_several_panels_one_socket(self) -> None:
        """Two panels watch one socket; closing one leaves the other and the socket working."""
        ws = self.connect()
        first, second = panel(ws), panel(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        replies = ws.record("message")
        ws.send("to both")
        await replies.wait(1, timeout=TIMEOUT)
        self.assertEqual((first.watcher.messages_in, second.watcher.messages_in), (1, 1))
        first.close()
        self.assertIsNone(first.badge.comm)
        self.assertIsNone(first.message_log._table.comm)
        ws.send("to the second")
        await replies.wait(2, timeout=TIMEOUT)
        await next_update(second.watcher)
        self.assertEqual((first.watcher.messages_in, second.watcher.messages_in), (1, 2))
        self.assertEqual(second.counters.messages_in, 2)
        self.assertIs(ws.readyState, ReadyState.OPEN)  # the panel never owned it

    async def test_panel_changes_nothing_for_the_script(self) -> None:
        """The script's handlers see the same events with a panel attached."""
        ws = self.connect()
        seen: list[str] = []
        for type in ("open", "message", "error", "close"):
            ws.addEventListener(type, lambda event: seen.append(event.type))
        panel(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        replies = ws.record("message")
        ws.send("one")
        await replies.wait(1, timeout=TIMEOUT)
        ws.close()
        await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(seen, ["open", "message", "close"])
        self.assertEqual(ws.binaryType, "blob")


class PatternPanelTests(WatcherTestCase):
    """A panel watches a pattern of wsnb.patterns as it watches a WebSocket."""

    server_name = "close-lab"

    async def test_reconnecting_socket_followed_across_connections(self) -> None:
        """A lost connection is a reconnect row and a CONNECTING step; the new one is watched too."""
        socket = Reconnecting(self.server.url, delays=lambda: itertools.repeat(0.001))
        self.addAsyncCleanup(self.close_pattern, socket)
        built = panel(socket)
        self.assertIs(built.send_bar.ws, socket)
        await socket.wait_for("open", timeout=TIMEOUT)
        first = socket.socket
        events = socket.record("reconnect", "open")
        built.send_bar.text.value = '{"drop": true}'
        self.assertTrue(built.send_bar.submit())
        await events.wait(2, timeout=TIMEOUT)
        self.assertIsNot(socket.socket, first)
        replies = socket.record("message")
        built.send_bar.text.value = "hello again"
        built.send_bar.submit()
        await replies.wait(1, timeout=TIMEOUT)  # close-lab answers "error: ..."
        await next_update(built.watcher)
        self.assertEqual(built.badge.ready_state, 1)
        self.assertEqual((built.counters.messages_out, built.counters.messages_in), (2, 1))
        rows = [(row.direction, row.event or row.head) for row in built.watcher.log]
        self.assertEqual(rows[:6], [
            ("event", "open"), ("sent", '{"drop": true}'), ("event", "error"), ("event", "reconnect"),
            ("event", "open"), ("sent", "hello again"),
        ])
        error, reconnect = built.watcher.log[2], built.watcher.log[3]
        self.assertIsNotNone(error.failure)  # why the lost connection failed (a wsnb extra)
        self.assertEqual((reconnect.code, reconnect.was_clean), (1006, False))
        self.assertIn("attempt 1", reconnect.preview)
        built.close_bar.code.value = "1000"
        self.assertTrue(built.close_bar.submit())
        await socket.wait_for("close", timeout=TIMEOUT)
        await next_update(built.watcher)
        self.assertEqual(built.badge.ready_state, 3)
        self.assertEqual(
            [name for name, _ in built.timeline.entries],
            ["CONNECTING", "OPEN", "CONNECTING", "OPEN", "CLOSING", "CLOSED"],
        )
        self.assertEqual([row.event for row in built.watcher.log].count("close"), 1)
        built.close()
        self.assertEqual(socket._call_watchers, [])

    async def test_refusal_shown_in_the_send_bar(self) -> None:
        """A pattern that refuses (RateLimited returns False) says so in the send bar; nothing is logged as sent."""
        socket = RateLimited(self.server.url, max_messages=1, per=3600)
        self.addAsyncCleanup(self.close_pattern, socket)
        built = panel(socket)
        await socket.wait_for("open", timeout=TIMEOUT)
        built.send_bar.text.value = "first"
        self.assertTrue(built.send_bar.submit())
        self.assertFalse(built.send_bar.submit())
        self.assertIn("refused: RateLimited.send() returned False", built.send_bar._message.value)
        built.watcher.update_now()
        self.assertEqual(built.counters.messages_out, 1)

    async def close_pattern(self, socket: Any) -> None:
        if socket.readyState < ReadyState.CLOSING:
            socket.close()
        await socket.wait_for("close", timeout=TIMEOUT)


class CoalescingTests(WatcherTestCase):
    server_name = "stream"

    async def stream(self, ws: WebSocket, count: int) -> None:
        """Ask the stream lab for ``count`` 64 B messages and wait for all of them."""
        await ws.wait_for("open", timeout=TIMEOUT)
        replies = ws.record("message")
        ws.send(f"stream {count} 64")
        await replies.wait(count + 1, timeout=TIMEOUT * 3)  # the messages, then "streamed N"

    async def test_10000_messages_make_few_state_updates(self) -> None:
        """10,000 messages reach the front end as a few updates, at most one per widget per 50 ms."""
        loop = asyncio.get_running_loop()
        with front_end() as seen:
            ws = self.connect()
            built = panel(ws)
            update_times: list[float] = []
            built.watcher.add_view(lambda _: update_times.append(loop.time()))
            await ws.wait_for("open", timeout=TIMEOUT)
            await next_update(built.watcher)
            seen.clear()
            del update_times[:]
            await self.stream(ws, COUNT)
            await next_update(built.watcher)
        self.assertEqual(built.counters.messages_in, COUNT + 1)
        updates = seen.updates()
        self.assertLess(len(updates), COUNT)  # never one widget message per WebSocket message
        self.assertLessEqual(len(updates), LIVE_WIDGETS * len(update_times))
        gaps = [later - earlier for earlier, later in itertools.pairwise(update_times)]
        for gap in gaps:
            self.assertGreaterEqual(gap, built.watcher.interval - 1e-3)

    async def test_no_update_within_the_interval(self) -> None:
        """With a one-hour interval, 10,000 messages send nothing to the front end until an update is due."""
        with front_end() as seen:
            ws = self.connect()
            built = panel(ws, interval=3600)
            await next_update(built.watcher)  # the first update comes at once
            self.assertEqual(built.updates, 1)
            await ws.wait_for("open", timeout=TIMEOUT)  # the next update is due in an hour
            seen.clear()
            await self.stream(ws, COUNT)
            self.assertEqual(seen.updates(), [])
            self.assertEqual(built.updates, 1)
            self.assertEqual(built.counters.messages_in, 0)  # the widget has not been told yet
            built.watcher.update_now()
        self.assertEqual(built.counters.messages_in, COUNT + 1)
        self.assertLessEqual(len(seen.updates()), LIVE_WIDGETS)

    async def test_ring_bounds_the_log(self) -> None:
        """After 10,000 messages the log holds max_rows rows, the newest."""
        ws = self.connect()
        built = panel(ws, max_rows=1000)
        await self.stream(ws, COUNT)
        log = built.watcher.log
        # Rows: open, the "stream" command sent, the messages, and "streamed N".
        self.assertEqual((len(log), log.total), (1000, COUNT + 3))
        self.assertEqual(log[-1].head, f"streamed {COUNT}")


class RichDisplayTests(unittest.TestCase):
    def test_outside_a_kernel_text_only(self) -> None:
        """Outside a Jupyter kernel ws shows its text repr and makes no panel."""
        ws = WebSocket("ws://127.0.0.1:1/")
        try:
            self.assertEqual(ws._repr_mimebundle_(), {"text/plain": repr(ws)})
            self.assertEqual(panel_mimebundle(ws), {"text/plain": repr(ws)})
            self.assertEqual(ws._call_watchers, [])
        finally:
            ws.close()


if __name__ == "__main__":
    unittest.main()
