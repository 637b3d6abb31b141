"""Tests of wsnb.widgets.ring: log rows, the bounded ring, filters and export."""

from __future__ import annotations

import json
import re
import unittest
from datetime import datetime, timezone

from wsnb.events import time_origin
from wsnb.widgets.ring import FILTERS, HEAD_BYTES, HEAD_CHARS, LogRing, LogRow, json_test


def sample_ring() -> LogRing:
    """A ring with one row of each sort, at times 1000 ms, 1001 ms ..."""
    ring = LogRing()
    ring.append(LogRow(1000.0, "event", "event", event="open", detail="protocol='' extensions=''"))
    ring.append(LogRow(1001.0, "sent", "text", 5, "Hello"))
    ring.append(LogRow(1002.0, "received", "text", 5, "hello"))
    ring.append(LogRow(1003.0, "received", "binary", 3, b"\x00\xffA"))
    ring.append(LogRow(1004.0, "sent", "event", event="close()", code=4000, reason="bye"))
    ring.append(LogRow(1005.0, "event", "event", event="close", code=4000, reason="bye", was_clean=True))
    return ring


class LogRowTests(unittest.TestCase):
    def test_text_preview_is_one_line(self) -> None:
        """A text row shows control characters escaped, on one line."""
        row = LogRow(0.0, "received", "text", 9, "a\nb\tc\x00d")
        self.assertEqual(row.preview, "a\\nb\\tc\\x00d")

    def test_long_text_preview_is_cut(self) -> None:
        """Text longer than the preview ends with an ellipsis; so does a head that is already cut."""
        row = LogRow(0.0, "received", "text", 100, "x" * 100)
        self.assertEqual(row.preview, "x" * 80 + "…")
        cut = LogRow(0.0, "received", "text", 10_000, "y" * 10, True)
        self.assertEqual(cut.preview, "y" * 10 + "…")

    def test_binary_preview_is_hex(self) -> None:
        """A binary row shows its bytes in hex, cut after 32 bytes."""
        self.assertEqual(LogRow(0.0, "received", "binary", 3, b"\x00\xffA").preview, "00 ff 41")
        long = LogRow(0.0, "received", "binary", 40, bytes(range(40)))
        self.assertEqual(long.preview, " ".join(f"{n:02x}" for n in range(32)) + " …")
        self.assertEqual(LogRow(0.0, "received", "binary", 0, b"").preview, "")

    def test_event_previews(self) -> None:
        """Event rows describe the event: close code, reason, wasClean, and why a connection failed."""
        ring = sample_ring()
        self.assertEqual(ring[0].preview, "open protocol='' extensions=''")
        self.assertEqual(ring[4].preview, "close() code=4000 reason='bye'")
        self.assertEqual(ring[5].preview, "close code=4000 reason='bye' wasClean=True")
        failed = LogRow(0.0, "event", "event", event="error", failure="refused: nothing listens")
        self.assertEqual(failed.preview, "error (failure: refused: nothing listens)")
        no_code = LogRow(0.0, "sent", "event", event="close()", code=None, reason="")
        self.assertEqual(no_code.preview, "close() code=None reason=''")

    def test_note_is_shown(self) -> None:
        """A note (a send after close) follows the preview."""
        row = LogRow(0.0, "sent", "text", 2, "hi", note="not sent: the socket was CLOSED")
        self.assertEqual(row.preview, "hi  [not sent: the socket was CLOSED]")

    def test_as_dict(self) -> None:
        """A row becomes a dict with every key, time in seconds since the origin and binary data in hex."""
        row = LogRow(1500.0, "received", "binary", 3, b"\x00\xffA")
        row.seq = 7
        exported = row.as_dict(origin=1000.0)
        wall = exported.pop("wall")
        self.assertEqual(exported, {
            "seq": 7, "time": 0.5, "direction": "received", "kind": "binary", "size": 3,
            "preview": "00 ff 41", "data": "00 ff 41", "truncated": False, "event": None, "code": None,
            "reason": None, "wasClean": None, "failure": None, "detail": None, "note": None,
        })
        self.assertEqual(row.as_dict()["time"], 1500.0)
        # The wall clock is the time origin plus the row's time (performance.timeOrigin + timeStamp).
        expected = datetime.fromtimestamp((time_origin() + 1500.0) / 1000.0, timezone.utc)
        self.assertEqual(wall, expected.isoformat(timespec="milliseconds"))
        self.assertTrue(wall.endswith("+00:00"))

    def test_repr(self) -> None:
        """The repr names the row's number, direction and preview."""
        self.assertEqual(repr(sample_ring()[1]), "<LogRow 1 sent text: Hello>")

    def test_head_sizes(self) -> None:
        """Rows keep 4096 characters of text (a JSON message whole, for the inspector) and 64 bytes of binary."""
        self.assertEqual((HEAD_CHARS, HEAD_BYTES), (4096, 64))


class LogRingTests(unittest.TestCase):
    def test_bound(self) -> None:
        """A full ring drops its oldest rows; numbering goes on."""
        ring = LogRing(max_rows=10)
        for number in range(25):
            ring.append(LogRow(float(number), "received", "text", 1, str(number)))
        self.assertEqual(len(ring), 10)
        self.assertEqual([row.seq for row in ring], list(range(15, 25)))
        self.assertEqual((ring.total, ring.dropped), (25, 15))
        self.assertEqual(repr(ring), "<LogRing 10 of at most 10 rows, 25 appended>")

    def test_default_bound_is_1000(self) -> None:
        """The default ring keeps 1,000 rows."""
        ring = LogRing()
        for _ in range(1500):
            ring.append(LogRow(0.0, "received", "text", 1, "x"))
        self.assertEqual((len(ring), ring.max_rows, ring.dropped), (1000, 1000, 500))

    def test_resize_keeps_newest(self) -> None:
        """Lowering max_rows drops the oldest rows at once and changes the version."""
        ring = sample_ring()
        version = ring.version
        ring.max_rows = 2
        self.assertEqual([row.event for row in ring], ["close()", "close"])
        self.assertNotEqual(ring.version, version)

    def test_bad_max_rows(self) -> None:
        """max_rows must be a positive int."""
        with self.assertRaises(ValueError):
            LogRing(0)
        with self.assertRaises(TypeError):
            LogRing(10.5)  # type: ignore[arg-type]
        with self.assertRaises(TypeError):
            LogRing(True)

    def test_clear(self) -> None:
        """clear() empties the ring; the next row keeps counting from where it was."""
        ring = sample_ring()
        ring.clear()
        self.assertEqual(len(ring), 0)
        ring.append(LogRow(0.0, "received", "text", 1, "x"))
        self.assertEqual(ring[0].seq, 6)
        self.assertEqual(ring.dropped, 6)

    def test_filters(self) -> None:
        """all / sent / received / events pick rows as DevTools' filters do."""
        ring = sample_ring()
        picked = {name: [row.seq for row in ring.select(name)] for name in FILTERS}
        self.assertEqual(picked, {
            "all": [0, 1, 2, 3, 4, 5],
            "sent": [1, 4],
            "received": [2, 3],
            "events": [0, 4, 5],
        })

    def test_unknown_filter(self) -> None:
        """An unknown filter is named in the error."""
        with self.assertRaisesRegex(ValueError, "'outgoing'"):
            sample_ring().select("outgoing")

    def test_search_is_case_insensitive(self) -> None:
        """A plain search matches text in any case, hex of binary, and event details."""
        ring = sample_ring()
        self.assertEqual([row.seq for row in ring.select(search="HELLO")], [1, 2])
        self.assertEqual([row.seq for row in ring.select(search="ff 41")], [3])
        self.assertEqual([row.seq for row in ring.select(search="wasClean=True")], [5])
        self.assertEqual([row.seq for row in ring.select("sent", "hello")], [1])

    def test_regex_search(self) -> None:
        """A regex search is case-insensitive; a bad pattern raises re.error."""
        ring = sample_ring()
        self.assertEqual([row.seq for row in ring.select(search=r"^h.l+o$", regex=True)], [1, 2])
        self.assertEqual([row.seq for row in ring.select(search=r"code=4\d{3}", regex=True)], [4, 5])
        with self.assertRaises(re.error):
            ring.select(search="(", regex=True)

    def test_export(self) -> None:
        """export() gives one dict per row, oldest first, filtered like select()."""
        rows = sample_ring().export(origin=1000.0)
        self.assertEqual([row["seq"] for row in rows], [0, 1, 2, 3, 4, 5])
        self.assertEqual([row["time"] for row in rows], [0.0, 0.001, 0.002, 0.003, 0.004, 0.005])
        self.assertEqual(rows[5]["wasClean"], True)
        self.assertEqual(len({tuple(row) for row in rows}), 1)  # the same keys everywhere
        self.assertEqual([row["seq"] for row in sample_ring().export("received")], [2, 3])
        self.assertEqual([row["sincePrevious"] for row in rows], [None, 1.0, 1.0, 1.0, 1.0, 1.0])
        self.assertNotIn("latency", rows[0])

    def test_latency_by_correlation_id(self) -> None:
        """A reply carrying its request's id gets the ms since that request; others get None."""
        ring = LogRing()
        for time, direction, text in [
            (0.0, "sent", '{"id": 1, "op": "get"}'),
            (2.0, "sent", '{"id": 2, "op": "get"}'),
            (5.5, "received", '{"id": 2, "ok": true}'),
            (9.0, "received", '{"id": 1, "ok": true}'),
            (9.5, "received", '{"id": 1, "ok": "again"}'),  # a second reply: the request was answered
            (10.0, "received", "not json"),
        ]:
            ring.append(LogRow(time, direction, "text", len(text), text))
        rows = ring.export(correlation="id")
        self.assertEqual([row["latency"] for row in rows], [None, None, 3.5, 9.0, None, None])
        self.assertEqual([row["sincePrevious"] for row in rows], [None, 2.0, 3.5, 3.5, 0.5, 0.5])

    def test_to_jsonl(self) -> None:
        """to_jsonl() gives one JSON object per line, non-ASCII kept as is."""
        ring = LogRing()
        ring.append(LogRow(0.0, "received", "text", 6, "héllo"))
        ring.append(LogRow(0.0, "sent", "text", 2, "hi"))
        text = ring.to_jsonl()
        self.assertIn("héllo", text)
        lines = text.splitlines()
        self.assertEqual([json.loads(line)["data"] for line in lines], ["héllo", "hi"])
        self.assertEqual(ring.to_jsonl("sent").count("\n"), 1)


if __name__ == "__main__":
    unittest.main()


class JsonFilterTests(unittest.TestCase):
    def ring(self) -> LogRing:
        ring = LogRing()
        for index, text in enumerate([
            '{"type": "chat", "text": "hi", "data": {"price": 120}}',
            '{"type": "join", "data": {"price": 80}}',
            '{"type": "chat", "error": null}',
            "not json",
            "[1, 2]",
            '{"type": 3}',
        ]):
            ring.append(LogRow(float(index), "received", "text", len(text), text))
        ring.append(LogRow(9.0, "received", "binary", 2, b"{}"))
        return ring

    def test_expressions(self) -> None:
        """Equality, order, dotted paths and presence; other rows (not JSON, binary, no field) never match."""
        ring = self.ring()

        def seqs(expression: str) -> list[int]:
            return [row.seq for row in ring.select(json_filter=expression)]

        self.assertEqual(seqs('type == "chat"'), [0, 2])
        self.assertEqual(seqs('type != "chat"'), [1, 5])
        self.assertEqual(seqs("data.price > 100"), [0])
        self.assertEqual(seqs("data.price <= 100"), [1])
        self.assertEqual(seqs("error"), [2])
        self.assertEqual(seqs('type < "d"'), [0, 2])  # 3 < "d" cannot be compared: no match, no error
        self.assertEqual(seqs("error == null"), [2])
        self.assertEqual([row["seq"] for row in ring.export(json_filter='type == "join"')], [1])

    def test_bad_expressions(self) -> None:
        """A malformed expression is a ValueError that says what is expected."""
        for expression, message in [("type = chat", "expected a field path"), ("type == chat", "not a JSON value"),
                                    ("", "expected a field path"), ("1abc", "expected a field path")]:
            with self.subTest(expression=expression), self.assertRaisesRegex(ValueError, message):
                json_test(expression)
