"""Tests of the panel's inspector, frame view and HAR bar, and of the frames' wire details, against real lab servers."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import tempfile
import unittest
from pathlib import Path

from traitlets import TraitError

from wsnb import WebSocket
from wsnb.har import load_har
from wsnb.patterns import Reconnecting
from wsnb.servers import serve, spawn
from wsnb.widgets import FrameLog, HarBar, MessageInspector, numeric_paths, panel
from wsnb.widgets.panel import TABS
from wsnb.widgets.watcher import SocketWatcher

from ..test_har import check_har
from .test_watcher import WatcherTestCase
from .widgets_support import TIMEOUT

QUOTE = {"type": "quote", "price": 101.5, "data": {"bid": 3, "tags": [1, 2]}, "ok": True, "name": "x"}


class WireDetailsTests(WatcherTestCase):
    async def exchange(self, **options: object) -> list:
        ws = self.connect(record_frames=True, **options)
        replies = ws.record("message")
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.send("compress me " * 100)
        ws.send(bytes(16))
        await replies.wait(2, timeout=TIMEOUT)
        ws.close(1000, "done")
        await ws.wait_for("close", timeout=TIMEOUT)
        self.assertTrue(ws.records_frames)
        return ws.frames

    async def test_compressed_frames_show_rsv1_and_wire_size(self) -> None:
        """With permessage-deflate, data frames carry RSV1 and a wire size smaller than the payload, both ways."""
        frames = await self.exchange()
        text = [frame for frame in frames if frame.opcode == "text"]
        self.assertEqual([frame.direction for frame in text], ["sent", "received"])
        for frame in text:
            self.assertTrue(frame.compressed, frame)
            self.assertEqual(frame.size, 1200)
            self.assertLess(frame.wire_length, 100)
        closes = [frame for frame in frames if frame.opcode == "close"]
        self.assertEqual([(frame.compressed, frame.wire_size) for frame in closes], [(False, None)] * 2)
        self.assertEqual([frame.masked for frame in frames], [frame.direction == "sent" for frame in frames])
        times = [frame.time for frame in frames]
        self.assertNotIn(None, times)
        self.assertEqual(times, sorted(times))  # recorded in the order they crossed

    async def test_uncompressed_frames(self) -> None:
        """Without compression nothing is marked compressed and the wire size is the payload size."""
        frames = await self.exchange(compression=None)
        self.assertTrue(frames)
        for frame in frames:
            self.assertFalse(frame.compressed)
            self.assertEqual(frame.wire_length, frame.size)

    async def test_max_frames_bounds_the_records_and_counts_the_rest(self) -> None:
        """With max_frames=5 the newest 5 records stay; the dropped ones are counted, and the frame view says so."""
        ws = self.connect(record_frames=True, max_frames=5)
        view = FrameLog(ws)
        replies = ws.record("message")
        await ws.wait_for("open", timeout=TIMEOUT)
        for number in range(10):
            ws.send(str(number))
        await replies.wait(10, timeout=TIMEOUT)
        self.assertEqual(len(ws.frames), 5)
        self.assertEqual(ws.frames_dropped, 15)
        view.watcher.update_now()
        self.assertIn("15 older frames dropped", view._status.value)
        # At the cap the number of frames kept stays 5; with the log paused no
        # row changes either: the view must still see the new frames.
        view.watcher.paused = True
        ws.send("one more")
        await replies.wait(11, timeout=TIMEOUT)
        view.watcher.update_now()
        self.assertIn("17 older frames dropped", view._status.value)
        view.close()
        with self.assertRaisesRegex(ValueError, "max_frames"):
            self.connect(max_frames=0)

    async def test_records_frames_flag(self) -> None:
        """records_frames tells whether every frame is kept."""
        self.assertFalse(self.connect().records_frames)
        self.assertTrue(self.connect(record_frames=True).records_frames)


class FrameLogTests(WatcherTestCase):
    async def test_frames_drawn_with_events_and_control_filter(self) -> None:
        """Each frame is a row (opcode, FIN, RSV1, MASK, sizes); control frames hide on request; events interleave."""
        ws = self.connect(record_frames=True)
        view = FrameLog(ws)
        replies = ws.record("message")
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.send("hello")
        await replies.wait(1, timeout=TIMEOUT)
        ws.close(4000, "bye")
        await ws.wait_for("close", timeout=TIMEOUT)
        view.watcher.update_now()
        table = view._table.value
        self.assertEqual(view.frame_count, 4)  # text both ways, close both ways
        self.assertEqual(table.count('data-opcode="text"'), 2)
        self.assertEqual(table.count('data-opcode="close"'), 2)
        self.assertIn("code=4000 reason=&#x27;bye&#x27;", table)
        # Newest first: the close event, then the frames, then the open event.
        self.assertLess(table.index("close code=4000"), table.index('data-opcode="text"'))
        self.assertLess(table.rindex('data-opcode="text"'), table.rindex("<td colspan=\"7\">open"))
        view.control = False
        self.assertEqual(view._table.value.count('data-opcode="close"'), 0)
        self.assertIn("2 control frames hidden", view._status.value)
        self.assertEqual([frame.opcode for frame in view.frames()], ["text", "text"])
        view.close()

    async def test_disabled_view_draws_nothing(self) -> None:
        """A disabled frame view (a closed tab) draws nothing, however many frames pass."""
        ws = self.connect(record_frames=True)
        view = FrameLog(ws, enabled=False)
        replies = ws.record("message")
        await ws.wait_for("open", timeout=TIMEOUT)
        for number in range(20):
            ws.send(str(number))
        await replies.wait(20, timeout=TIMEOUT)
        view.watcher.update_now()
        self.assertEqual((view._table.value, view.frame_count), ("", 0))
        view.enabled = True
        self.assertEqual(view.frame_count, 40)
        view.close()

    async def test_a_socket_without_record_frames_says_so(self) -> None:
        """Without record_frames the view says how to see every frame."""
        ws = self.connect()
        view = FrameLog(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        view.watcher.update_now()
        self.assertIn("record_frames=True", view._status.value)
        view.close()


class InspectorTests(WatcherTestCase):
    async def select(self, message: str | bytes) -> tuple[MessageInspector, SocketWatcher, list[str]]:
        ws = self.connect()
        watcher = SocketWatcher(ws)
        plotted: list[str] = []
        inspector = MessageInspector(watcher, on_plot=plotted.append)
        replies = ws.record("message")
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.send(message)
        await replies.wait(1, timeout=TIMEOUT)
        row = next(row for row in watcher.log if row.direction == "received")
        inspector.selected = row.seq
        return inspector, watcher, plotted

    def test_numeric_paths(self) -> None:
        """Numbers reached through objects are plottable; booleans, strings and array items are not."""
        self.assertEqual(numeric_paths(QUOTE), ["price", "data.bid"])
        self.assertEqual(numeric_paths([1, 2]), [])

    async def test_json_message(self) -> None:
        """A JSON row: kind json, the value parsed, pretty text indented, the page given the text."""
        inspector, _, plotted = await self.select(json.dumps(QUOTE))
        self.assertEqual((inspector.kind, inspector.error, inspector.value), ("json", "", QUOTE))
        self.assertEqual(inspector.pretty(), json.dumps(QUOTE, indent=2))
        self.assertEqual(json.loads(inspector._page.text), QUOTE)
        self.assertEqual(inspector.paths(), ["price", "data.bid"])
        inspector.request_plot("data.bid")
        self.assertEqual((plotted, inspector.plotted), (["data.bid"], ["data.bid"]))
        with self.assertRaisesRegex(ValueError, r"'type' is not a number of the selected message; its numbers: price, data.bid"):
            inspector.request_plot("type")

    async def test_text_binary_and_event_rows(self) -> None:
        """Text that is not JSON is shown as it is; binary as hex; an event with its details."""
        inspector, watcher, _ = await self.select("{not json")
        self.assertEqual((inspector.kind, inspector.error), ("text", "not valid JSON"))
        self.assertEqual(inspector.paths(), [])
        with self.assertRaisesRegex(ValueError, "none: select a JSON message"):
            inspector.request_plot("x")
        inspector, watcher, _ = await self.select(b"\x00\xff")
        self.assertEqual((inspector.kind, inspector._page.text), ("binary", "00 ff"))
        opened = next(row for row in watcher.log if row.event == "open")
        inspector.selected = opened.seq
        self.assertEqual(inspector.kind, "event")
        self.assertTrue(inspector._page.text.startswith("open"))

    async def test_nan_is_not_json(self) -> None:
        """NaN parses in Python but not in the page's JSON.parse: the row is text, not a tree that would fail."""
        inspector, _, _ = await self.select('{"x": NaN}')
        self.assertEqual((inspector.kind, inspector.error, inspector.paths()), ("text", "not valid JSON", []))

    async def test_a_long_json_message_cut_by_the_log(self) -> None:
        """JSON longer than the log keeps is shown as text, saying where it was cut."""
        inspector, _, _ = await self.select(json.dumps({"text": "x" * 5000}))
        self.assertEqual(inspector.kind, "text")
        self.assertEqual(inspector.error, "the log kept only its first 4,096 characters: shown as text, not as JSON")
        self.assertTrue(inspector._page.truncated)

    async def test_a_row_gone_from_the_log(self) -> None:
        """A row the ring dropped is reported, not shown stale."""
        inspector, watcher, _ = await self.select("x")
        inspector.selected = 10_000
        self.assertEqual(inspector.kind, "")
        self.assertIn("row #10000 is no longer in the log", inspector.error)


class HarBarTests(WatcherTestCase):
    async def test_record_export_import_replay(self) -> None:
        """Recorded messages export as HAR, import back, and replay against the server with the same replies."""
        ws = self.connect()
        bar = HarBar(ws, record=True)
        replies = ws.record("message")
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.send("one")
        ws.send(b"\x01\x02")
        await replies.wait(2, timeout=TIMEOUT)
        with tempfile.TemporaryDirectory() as folder:
            path = bar.export(Path(folder) / "s.har")
            check_har(self, json.loads(path.read_text(encoding="utf-8")))
            sessions = load_har(path)
            self.assertEqual(sessions[0].sent(), ["one", b"\x01\x02"])
            loaded = bar.load(path.read_bytes())
        self.assertEqual(len(loaded), 1)
        self.assertEqual(bar.status, "1 WebSocket session imported")
        self.assertEqual(bar._messages.value.count("<tr data-direction="), 4)
        result = await asyncio.wait_for(bar.start_replay(speed=50), TIMEOUT)
        self.assertTrue(result.same)
        self.assertEqual(bar.status, "replayed 2 messages: all 2 replies as recorded")

    async def test_replay_against_another_server_shows_differences(self) -> None:
        """Replayed against a server that answers differently, the bar counts the differing replies."""
        ws = self.connect()
        bar = HarBar(ws, record=True)
        replies = ws.record("message")
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.send(json.dumps({"type": "join", "room": "r", "username": "ann"}))
        await replies.wait(1, timeout=TIMEOUT)
        bar.load(bar.har())
        async with serve("chat") as chat:
            result = await asyncio.wait_for(bar.start_replay(chat.url, speed=50), TIMEOUT)
        self.assertFalse(result.same)
        self.assertEqual(bar.status, "replayed 1 messages: 1 of 1 replies differ from the recording")

    async def test_a_long_session_is_browsed_in_part(self) -> None:
        """An imported session of 1,200 messages draws the first 500 and says so."""
        ws = self.connect()
        bar = HarBar(ws)
        messages = [{"type": "send", "time": 1.0 + n / 1000, "opcode": 1, "data": f"m{n}"} for n in range(1200)]
        bar.load({"log": {"version": "1.2", "entries": [
            {"_resourceType": "websocket", "request": {"url": "ws://127.0.0.1/"}, "response": {"status": 101},
             "_webSocketMessages": messages},
        ]}})
        self.assertEqual(bar._messages.value.count("<tr data-direction="), 500)
        self.assertIn("the first 500 of 1,200 messages are shown; replay sends them all", bar._messages.value)

    async def test_errors_are_explained(self) -> None:
        """Exporting before recording, a file that is not HAR and replaying with nothing imported are explained."""
        ws = self.connect()
        bar = HarBar(ws)
        with self.assertRaisesRegex(ValueError, "nothing recorded: press record"):
            bar.har()
        with self.assertRaisesRegex(ValueError, "not a HAR file: it is not JSON"):
            bar.load(b"\xff")
        with self.assertRaisesRegex(ValueError, "not a HAR document"):
            bar.load(b"{}")
        with self.assertRaisesRegex(ValueError, "import a HAR first"):
            bar.start_replay()
        reconnecting = Reconnecting(self.server.url)
        try:
            pattern_bar = HarBar(reconnecting)
            self.assertTrue(pattern_bar._record_button.disabled)
            with self.assertRaisesRegex(TraitError, "recording needs a wsnb.WebSocket"):
                pattern_bar.recording = True
            self.assertFalse(pattern_bar.recording)
        finally:
            reconnecting.close()


class HarBarOffTheLoopTests(unittest.TestCase):
    def test_replay_from_another_thread(self) -> None:
        """A socket on wsnb's background loop (made where no loop runs) replays through a thread-safe future."""
        with spawn("echo") as server:
            ws = WebSocket(server.url)
            try:
                ws.block_until("open", timeout=TIMEOUT)
                bar = HarBar(ws, record=True)
                replies = ws.record("message")
                ws.send("from a script")
                replies.block_until(1, timeout=TIMEOUT)
                bar.load(bar.har())
                future = bar.start_replay(speed=50)
                self.assertIsInstance(future, concurrent.futures.Future)
                self.assertTrue(future.result(timeout=TIMEOUT).same)
            finally:
                ws.close()
                ws.block_until("close", timeout=TIMEOUT)


class PanelTabsTests(WatcherTestCase):
    async def test_tabs_plot_button_and_frames_tab(self) -> None:
        """The inspector's plot adds a live plot under the panel; the frame view draws only in its tab."""
        ws = self.connect(record_frames=True)
        board = panel(ws)
        replies = ws.record("message")
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.send(json.dumps(QUOTE))
        await replies.wait(1, timeout=TIMEOUT)
        board.watcher.update_now()
        self.assertEqual(board.tabs.titles, TABS)
        row = next(row for row in board.message_log.rows() if row.direction == "received")
        board.inspector.selected = row.seq
        self.assertEqual(board.message_log.selected, row.seq)
        self.assertIn('class="wsnb-selected"', board.message_log._table.value)
        plot = board.inspector.request_plot("price")
        self.assertIs(board.inspector.request_plot("price"), plot)  # a second click keeps the one plot
        self.assertEqual(len(board.plots.children), 1)
        self.assertIs(board.plots.children[0], plot.widget)
        self.assertEqual(plot.messages, 1)  # the log's received quote, plotted at once
        ws.send(json.dumps({**QUOTE, "price": 102.5}))
        await plot.wait_samples(2, timeout=TIMEOUT)
        xs, ys = plot.data("price")
        self.assertEqual(list(ys), [101.5, 102.5])
        self.assertLess(xs[0], 0)  # the old value at the time its message arrived, before the plot
        self.assertLess(xs[0], xs[1])
        self.assertFalse(board.frame_log.enabled)
        board.tabs.selected_index = TABS.index("frames")
        self.assertTrue(board.frame_log.enabled)
        self.assertGreaterEqual(board.frame_log.frame_count, 2)
        board.close()
        self.assertTrue(plot.closed)
