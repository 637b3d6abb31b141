"""Tests of wsnb.widgets.message_log: the log widget's filters, search, pause, clear and export."""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path

import traitlets

from wsnb import WebSocket
from wsnb.widgets import MessageLog, SocketWatcher

from .test_watcher import WatcherTestCase
from .widgets_support import TIMEOUT, front_end, next_update


class MessageLogTests(WatcherTestCase):
    async def chat(self, log_options: dict[str, object] | None = None) -> tuple[WebSocket, MessageLog]:
        """Open a socket with a log, send 'Hello' and b'\\x00\\xff', wait for both echoes."""
        ws = self.connect()
        log = MessageLog(ws, **(log_options or {}))
        await ws.wait_for("open", timeout=TIMEOUT)
        replies = ws.record("message")
        ws.send("Hello")
        ws.send(b"\x00\xff")
        await replies.wait(2, timeout=TIMEOUT)
        await next_update(log.watcher)
        return ws, log

    def table_rows(self, log: MessageLog) -> list[str]:
        """The drawn rows' directions, newest first."""
        return [part.split('"')[1] for part in log._table.value.split("<tr data-direction=")[1:]]

    async def test_rows_drawn_newest_first(self) -> None:
        """Every row is drawn, newest first, with its number, direction, kind, size and preview."""
        _, log = await self.chat()
        self.assertEqual(self.table_rows(log), ["received", "received", "sent", "sent", "event"])
        self.assertIn("<td>↑</td><td>text</td><td class=\"wsnb-num\">5 B</td><td class=\"wsnb-preview\">Hello</td>",
                      log._table.value)
        self.assertIn("00 ff", log._table.value)
        self.assertEqual(log.row_count, 5)
        self.assertIn("5 of 5 matching rows shown", log._status.value)

    async def test_filters(self) -> None:
        """The filter trait (linked to the buttons) picks rows as DevTools does."""
        _, log = await self.chat()
        log.filter = "sent"
        self.assertEqual(self.table_rows(log), ["sent", "sent"])
        log._filter_buttons.value = "received"  # what a click does
        self.assertEqual(log.filter, "received")
        self.assertEqual(self.table_rows(log), ["received", "received"])
        log.filter = "events"
        self.assertEqual(self.table_rows(log), ["event"])
        with self.assertRaises(traitlets.TraitError):
            log.filter = "outgoing"

    async def test_search_and_regex(self) -> None:
        """A search keeps matching rows; a bad regex is shown in the log, not raised."""
        _, log = await self.chat()
        log._search_box.value = "hello"
        self.assertEqual(self.table_rows(log), ["received", "sent"])
        log.regex = True
        log.search = r"^h.*o$"
        self.assertEqual(self.table_rows(log), ["received", "sent"])
        log.search = "("
        self.assertTrue(log.search_error.startswith("not a regular expression"))
        self.assertIn("not a regular expression", log._status.value)
        self.assertEqual(len(self.table_rows(log)), 5)  # a bad pattern filters nothing
        log.search = ""
        self.assertEqual(log.search_error, "")

    async def test_pause(self) -> None:
        """While paused no rows are added (the button says resume); counters go on."""
        ws, log = await self.chat()
        log._pause_button.value = True
        self.assertTrue(log.paused)
        self.assertEqual(log._pause_button.description, "resume")
        replies = ws.record("message")
        ws.send("not logged")
        await replies.wait(1, timeout=TIMEOUT)
        await next_update(log.watcher)
        self.assertEqual(log.row_count, 5)
        self.assertEqual(log.watcher.messages_in, 3)
        self.assertIn("paused: 2 not logged while paused", log._status.value)
        log.paused = False
        self.assertEqual(log._pause_button.description, "pause")
        self.assertIn("2 not logged while paused", log._status.value)

    async def test_clear(self) -> None:
        """The clear button empties the log; numbering goes on."""
        ws, log = await self.chat()
        log._clear_button.click()
        self.assertEqual((log.row_count, self.table_rows(log)), (0, []))
        replies = ws.record("message")
        ws.send("after clear")
        await replies.wait(1, timeout=TIMEOUT)
        await next_update(log.watcher)
        self.assertEqual([row.seq for row in log.rows()], [5, 6])
        self.assertIn("5 older rows dropped", log._status.value)

    async def test_export(self) -> None:
        """export() gives dicts oldest first, time in seconds since open; view=True applies the filter."""
        _, log = await self.chat()
        rows = log.export()
        self.assertEqual([row["direction"] for row in rows], ["event", "sent", "sent", "received", "received"])
        self.assertEqual(rows[0]["time"], 0.0)
        self.assertEqual(rows[1]["data"], "Hello")
        self.assertEqual(rows[2]["data"], "00 ff")
        log.filter = "received"
        self.assertEqual([row["kind"] for row in log.export(view=True)], ["text", "binary"])
        self.assertEqual(len(log.export()), 5)
        self.assertEqual(len(log.rows(view=True)), 2)

    async def test_to_jsonl(self) -> None:
        """to_jsonl() returns JSON lines and writes them to a file when given a path."""
        _, log = await self.chat()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "log.jsonl"
            text = log.to_jsonl(path)
            self.assertEqual(path.read_text(encoding="utf-8"), text)
        self.assertEqual([json.loads(line)["seq"] for line in text.splitlines()], [0, 1, 2, 3, 4])
        log.filter = "sent"
        self.assertEqual(log.to_jsonl(view=True).count("\n"), 2)

    async def test_export_button_offers_download(self) -> None:
        """The export button makes a download link of the rows shown, as JSON lines."""
        _, log = await self.chat()
        log.filter = "sent"
        log._export_button.click()
        link = log._download.value
        self.assertIn('download="wsnb-log.jsonl"', link)
        self.assertIn("download 2 rows", link)
        encoded = link.split("base64,")[1].split('"')[0]
        self.assertEqual(base64.b64decode(encoded).decode(), log.to_jsonl(view=True))
        log.clear()
        self.assertEqual(log._download.value, "")

    async def test_visible_rows(self) -> None:
        """Only the newest visible_rows rows are drawn; all stay in the log."""
        _, log = await self.chat({"visible_rows": 2})
        self.assertEqual(self.table_rows(log), ["received", "received"])
        self.assertIn("2 of 5 matching rows shown", log._status.value)
        log.visible_rows = 3
        self.assertEqual(len(self.table_rows(log)), 3)
        with self.assertRaises(traitlets.TraitError):
            log.visible_rows = 0

    async def test_ring_bound(self) -> None:
        """The log keeps max_rows rows however many messages come; lowering it drops rows at once."""
        ws = self.connect()
        log = MessageLog(ws, max_rows=50)
        await ws.wait_for("open", timeout=TIMEOUT)
        replies = ws.record("message")
        for number in range(300):
            ws.send(str(number))
        await replies.wait(300, timeout=TIMEOUT)
        await next_update(log.watcher)
        self.assertEqual((log.row_count, log.watcher.log.total), (50, 601))
        self.assertEqual(log.rows()[-1].head, "299")
        log.max_rows = 10
        self.assertEqual((log.row_count, log.watcher.log.max_rows), (10, 10))

    async def test_shared_watcher(self) -> None:
        """A log on a panel's watcher uses its ring, resized to max_rows when given."""
        ws = self.connect()
        watcher = SocketWatcher(ws, max_rows=20)
        self.assertEqual(MessageLog(watcher).max_rows, 20)
        MessageLog(watcher, max_rows=5)
        self.assertEqual(watcher.log.max_rows, 5)

    async def test_redraws_only_on_change(self) -> None:
        """An update with nothing new sends nothing to the front end."""
        ws = self.connect()
        with front_end() as seen:
            log = MessageLog(ws)
            await ws.wait_for("open", timeout=TIMEOUT)
            await next_update(log.watcher)
            seen.clear()
            await next_update(log.watcher)
        self.assertEqual(seen.updates(), [])

    async def test_row_with_note_is_marked(self) -> None:
        """A send after close is drawn with the note class."""
        ws = self.connect()
        log = MessageLog(ws)
        ws.close()
        await ws.wait_for("close", timeout=TIMEOUT)
        ws.send("late")
        await next_update(log.watcher)
        self.assertIn('<tr data-direction="sent" data-kind="text" class="wsnb-note" data-seq=', log._table.value)


class LatencyTests(WatcherTestCase):
    server_name = "request"

    async def test_replies_show_their_latency(self) -> None:
        """With correlation="id", replies overtaking each other (batch=2) are still paired with their requests."""
        ws = self.connect(self.server.url + "?batch=2")
        log = MessageLog(ws)
        log.correlation = "id"
        replies = ws.record("message")
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.send(json.dumps({"id": 1, "op": "get", "key": "apples"}))
        ws.send(json.dumps({"id": 2, "op": "get", "key": "pears"}))
        await replies.wait(2, timeout=TIMEOUT)
        await next_update(log.watcher)
        rows = [row for row in log.export() if row["kind"] == "text"]
        self.assertEqual([json.loads(row["data"])["id"] for row in rows], [1, 2, 2, 1])  # newest request answered first
        latencies = [row["latency"] for row in rows]
        self.assertEqual(latencies[:2], [None, None])
        self.assertTrue(all(latency is not None and latency >= 0 for latency in latencies[2:]))
        self.assertGreaterEqual(latencies[3], latencies[2], "request 1 waited for request 2")
        self.assertEqual(log._table.value.count('class="wsnb-latency"'), 2)
        self.assertIn("<th>latency</th>", log._table.value)


class JsonFilterLogTests(WatcherTestCase):
    async def test_filter_by_a_json_field(self) -> None:
        """json_filter narrows the table and the exported view; a malformed one is reported, not raised."""
        ws = self.connect()
        log = MessageLog(ws)
        replies = ws.record("message")
        await ws.wait_for("open", timeout=TIMEOUT)
        for message in ({"type": "chat", "text": "hi"}, {"type": "join"}, {"type": "chat", "text": "again"}):
            ws.send(json.dumps(message))
        await replies.wait(3, timeout=TIMEOUT)
        log.json_filter = 'type == "chat"'
        texts = [json.loads(row["data"]).get("text") for row in log.export(view=True)]
        self.assertEqual(texts, ["hi", "again", "hi", "again"])  # sent and echoed
        self.assertEqual(log._table.value.count("<tr data-direction="), 4)
        self.assertEqual(log.search_error, "")
        log.json_filter = "type == chat"
        self.assertIn("JSON filter: 'chat' is not a JSON value", log.search_error)
        log.json_filter = ""
        self.assertEqual(log.search_error, "")
