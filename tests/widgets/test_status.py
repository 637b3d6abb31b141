"""Tests of wsnb.widgets.status: badge, info, gauge, counters and timeline, with no front end."""

from __future__ import annotations

import unittest
from typing import Any, ClassVar

import traitlets

from wsnb import ReadyState
from wsnb.widgets import (
    BufferGauge,
    ConnectionInfo,
    Counters,
    HandshakeInfo,
    SocketWatcher,
    StateTimeline,
    StatusBadge,
)

from wsnb.servers import serve

from ..support import closed_port_url
from .test_watcher import WatcherTestCase
from .widgets_support import TIMEOUT, front_end, next_update


class HandshakeInfoTests(WatcherTestCase):
    async def test_shows_the_handshake_once_known(self) -> None:
        """Empty while CONNECTING; then the 101 folded under one line, with the Accept header inside."""
        ws = self.connect()
        info = HandshakeInfo(ws)
        self.assertEqual((info.summary, info.value), ("", ""))
        await ws.wait_for("open", timeout=TIMEOUT)
        await next_update(info.watcher)
        self.assertEqual(info.summary, "101 Switching Protocols")
        self.assertIn("<summary>Handshake: 101 Switching Protocols</summary>", info.value)
        self.assertIn("Sec-WebSocket-Accept: ", info.text)
        drawn = info.value
        await next_update(info.watcher)
        self.assertIs(info.value, drawn, "redrawn: an open fold would close")

    async def test_shows_a_refusal(self) -> None:
        """A refused handshake shows its status and the server's body, escaped."""
        async with serve("reject", status=404) as reject:
            ws = self.connect(reject.url)
            info = HandshakeInfo(ws)
            await ws.wait_for("close", timeout=TIMEOUT)
            await next_update(info.watcher)
            self.assertEqual(info.summary, "404 Not Found")
            self.assertIn("404 Not Found: the wsnb reject lab refuses every WebSocket.", info.text)


class StatusBadgeTests(WatcherTestCase):
    async def test_follows_ready_state(self) -> None:
        """The badge's traits and HTML follow readyState: CONNECTING, OPEN, CLOSED."""
        ws = self.connect()
        badge = StatusBadge(ws)
        self.assertEqual(badge.ready_state, 0)
        self.assertIn('data-state="CONNECTING"', badge.value)
        self.assertIn("CONNECTING (0)", badge.value)
        changes: list[int] = []
        badge.observe(lambda change: changes.append(change["new"]), names="ready_state")
        await ws.wait_for("open", timeout=TIMEOUT)
        await next_update(badge.watcher)
        self.assertEqual(badge.ready_state, 1)
        self.assertIn("OPEN (1)", badge.value)
        ws.close()
        await ws.wait_for("close", timeout=TIMEOUT)
        await next_update(badge.watcher)
        self.assertIn("CLOSED (3)", badge.value)
        self.assertFalse(badge.failed)
        self.assertEqual(changes[0], 1)
        self.assertEqual(changes[-1], 3)

    async def test_failed_is_red(self) -> None:
        """A failed connection turns the CLOSED badge red and says so."""
        ws = self.connect(closed_port_url())
        badge = StatusBadge(ws)
        await ws.wait_for("close", timeout=TIMEOUT)
        await next_update(badge.watcher)
        self.assertTrue(badge.failed)
        self.assertIn("#cf222e", badge.value)
        self.assertIn("the connection failed", badge.value)

    async def test_repr_is_stable(self) -> None:
        """The text repr names the widget and the URL only."""
        ws = self.connect()
        self.assertEqual(repr(StatusBadge(ws)), f"StatusBadge(url={ws.url!r})")
        self.assertEqual(repr(Counters(ws)), f"Counters(url={ws.url!r})")


class ConnectionInfoTests(WatcherTestCase):
    server_name = "subprotocol"

    async def test_shows_url_protocol_extensions(self) -> None:
        """url is known at once; protocol and extensions once open."""
        ws = self.connect(protocols=["chat", "json"])
        info = ConnectionInfo(ws)
        self.assertEqual((info.url, info.protocol, info.extensions), (ws.url, "", ""))
        await ws.wait_for("open", timeout=TIMEOUT)
        await next_update(info.watcher)
        self.assertEqual((info.protocol, info.extensions), ("chat", ws.extensions))
        self.assertIn("permessage-deflate", info.value)
        self.assertIn("<code>chat</code>", info.value)


class BufferGaugeTests(WatcherTestCase):
    server_name = "slow-reader"
    server_options: ClassVar[dict[str, Any]] = {"pause_seconds": None}

    async def test_gauge_follows_buffered_amount(self) -> None:
        """The gauge shows bufferedAmount and its peak; the bar turns red past its limit, back once drained."""
        ws = self.connect(compression=None)
        gauge = BufferGauge(ws, limit=2**20)
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.send("pause")
        await self.server.lab.wait_paused()
        ws.send(b"\x00" * 2**23)
        await next_update(gauge.watcher)
        self.assertGreater(gauge.buffered_amount, 2**20)
        self.assertEqual(gauge._bar.bar_style, "danger")
        self.assertEqual(gauge._bar.value, 2**20)
        self.assertIn(f'data-bytes="{gauge.buffered_amount}"', gauge._number.value)
        peak = gauge.peak
        self.assertGreaterEqual(peak, gauge.buffered_amount)
        self.server.lab.resume()
        await ws.wait_for_buffered(0, timeout=TIMEOUT)
        await next_update(gauge.watcher)
        self.assertEqual((gauge.buffered_amount, gauge.peak, gauge._bar.bar_style), (0, peak, "info"))
        self.assertIn("0 B", gauge._number.value)

    async def test_half_full_is_orange(self) -> None:
        """Past half of the limit the bar is orange."""
        ws = self.connect()
        gauge = BufferGauge(ws, limit=100)
        gauge.buffered_amount = 60
        self.assertEqual(gauge._bar.bar_style, "warning")
        with self.assertRaises(traitlets.TraitError):
            gauge.limit = 0

    async def test_one_message_per_child(self) -> None:
        """An update that changes the amount and the peak sends one message per child widget."""
        ws = self.connect()
        with front_end() as seen:
            gauge = BufferGauge(ws)
            seen.clear()
            await ws.wait_for("open", timeout=TIMEOUT)
            ws.send(b"x" * 100)
            gauge.refresh(gauge.watcher)
        numbers = seen.updates(gauge._number.comm.comm_id)
        self.assertEqual(len(numbers), 1)
        self.assertIn("100 B", numbers[0]["value"])


class CountersTests(WatcherTestCase):
    async def test_counts(self) -> None:
        """Counters follow the watcher, including sends dropped after close."""
        ws = self.connect()
        counters = Counters(ws)
        await ws.wait_for("open", timeout=TIMEOUT)
        replies = ws.record("message")
        ws.send("abc")
        ws.send(b"\x00" * 10)
        await replies.wait(2, timeout=TIMEOUT)
        await next_update(counters.watcher)
        self.assertEqual(
            (counters.messages_in, counters.bytes_in, counters.messages_out, counters.bytes_out), (2, 13, 2, 13)
        )
        self.assertIn('class="wsnb-in" data-messages="2"', counters.value)
        self.assertIn("received 2 messages, 13 B", counters.value)
        ws.close()
        ws.send("x")
        await ws.wait_for("close", timeout=TIMEOUT)
        await next_update(counters.watcher)
        self.assertEqual(counters.dropped_out, 1)
        self.assertIn("1 send() after close: dropped", counters.value)


class StateTimelineTests(WatcherTestCase):
    async def test_entries(self) -> None:
        """The timeline lists each state with seconds since open (negative before it)."""
        ws = self.connect()
        watcher = SocketWatcher(ws)
        timeline = StateTimeline(watcher)
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.close(1000)
        await ws.wait_for("close", timeout=TIMEOUT)
        await next_update(watcher)
        names = [name for name, _ in timeline.entries]
        self.assertEqual(names, ["CONNECTING", "OPEN", "CLOSING", "CLOSED"])
        times = [when for _, when in timeline.entries]
        self.assertLessEqual(times[0], 0.0)
        self.assertEqual(times[1], 0.0)
        self.assertEqual(times, sorted(times))
        self.assertIn("OPEN</span> +0.000 s", timeline.value)
        for name in names:
            self.assertIn(f'data-state="{name}"', timeline.value)

    async def test_unknown_time(self) -> None:
        """A state entered before the widget watched shows '?'."""
        ws = self.connect()
        await ws.wait_for("open", timeout=TIMEOUT)
        timeline = StateTimeline(ws)
        await next_update(timeline.watcher)
        self.assertEqual(timeline.entries, [("CONNECTING", None), ("OPEN", 0.0)])
        self.assertIn("CONNECTING</span> ?", timeline.value)

    async def test_closing_the_widget_stops_its_own_watcher(self) -> None:
        """A widget that made its own watcher stops it when closed; a shared watcher goes on."""
        ws = self.connect()
        own = StateTimeline(ws)
        shared = SocketWatcher(ws)
        borrowed = StateTimeline(shared)
        own.close()
        borrowed.close()
        self.assertEqual(ws._call_watchers, [shared._on_call])
        await ws.wait_for("open", timeout=TIMEOUT)
        self.assertIs(shared.state, ReadyState.OPEN)


class WrongSourceTests(unittest.TestCase):
    def test_type_error(self) -> None:
        """A widget watches a WebSocket or a SocketWatcher, nothing else."""
        with self.assertRaisesRegex(TypeError, "not str"):
            StatusBadge("ws://127.0.0.1:1/")


if __name__ == "__main__":
    unittest.main()
