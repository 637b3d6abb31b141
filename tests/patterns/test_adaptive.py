"""Tests of wsnb.patterns.adaptive, with the quality lab server."""

from __future__ import annotations

import json
import unittest

from wsnb import Blob
from wsnb.patterns import (
    DEFAULT_LEVELS,
    Adaptive,
    QualityEvent,
    message_size,
    quality_request,
)
from wsnb.servers import serve

from .patterns_support import TIMEOUT, bounded, closed, next_event, with_timeouts

LEVELS = (("low", 100.0), ("medium", 400.0), ("high", 1600.0))


class HelperTests(unittest.TestCase):
    def test_message_size(self):
        """Sizes are bytes: UTF-8 for text, size for a Blob (the reference gets NaN for Blobs)."""
        self.assertEqual(message_size("é"), 2)
        self.assertEqual(message_size(b"abc"), 3)
        self.assertEqual(message_size(Blob([b"abcd"])), 4)
        self.assertEqual(message_size(None), 0)

    def test_request_and_defaults(self):
        """The request is the quality lab's command; the default levels match its default rates."""
        self.assertEqual(json.loads(quality_request("high")), {"type": "quality", "quality": "high"})
        self.assertEqual([rate for _, rate in DEFAULT_LEVELS], [16_000, 64_000, 256_000])


@with_timeouts
class RuleTests(unittest.IsolatedAsyncioTestCase):
    """The decision rule, driven by update() with chosen throughputs (the timer is never due)."""

    async def asyncSetUp(self):
        self.echo = await serve("echo")
        self.addAsyncCleanup(bounded(self.echo.close))
        self.adaptive = Adaptive(self.echo.url, levels=LEVELS, window=3600, up_after=2)
        await self.adaptive.wait_for("open", timeout=TIMEOUT)
        self.changes = self.adaptive.record("quality")

    async def asyncTearDown(self):
        await closed(self.adaptive)

    async def test_probes_up_and_drops_to_what_fits(self):
        """It climbs one level after up_after good windows, and falls straight to the level that fits."""
        update = self.adaptive.update
        self.assertEqual(update(10_000), "low")  # the first window after open is not judged
        self.assertEqual([update(100) for _ in range(2)], ["low", "medium"])
        self.assertEqual(update(0), "medium")  # settling window after the change
        self.assertEqual([update(400), update(400)], ["medium", "high"])
        update(5000)
        self.assertEqual(update(150), "low")  # 150 B/s sustains low only
        self.assertEqual(
            [(e.previous, e.quality) for e in self.changes],
            [("low", "medium"), ("medium", "high"), ("high", "low")],
        )
        self.assertIsInstance(self.changes[0], QualityEvent)
        self.assertEqual(self.changes[-1].throughput, 150)
        self.assertEqual(len(self.adaptive.history), 8)
        self.assertEqual(repr(self.changes[0]), "QualityEvent(type='quality', quality='medium', previous='low')")

    async def test_failed_probe_waits_longer(self):
        """After a probe fails at once, the next probe needs twice as many good windows."""
        update = self.adaptive.update
        update(0)
        update(100), update(100)  # probe to medium
        update(0)  # settling
        self.assertEqual(update(120), "low")  # the probe failed
        update(0)  # settling
        self.assertEqual([update(100) for _ in range(3)], ["low"] * 3)
        self.assertEqual(update(100), "medium")  # 4 = 2 x up_after windows

    async def test_requests_reach_the_server(self):
        """Each change sends the quality request on the socket (here echoed back as a message)."""
        medium = next_event(self.adaptive, "message", lambda e: "medium" in e.data)
        self.adaptive.update(0)
        self.adaptive.update(100)
        self.adaptive.update(100)
        self.assertEqual(json.loads((await medium).data), {"type": "quality", "quality": "medium"})


@with_timeouts
class AdaptiveStreamTests(unittest.IsolatedAsyncioTestCase):
    async def test_follows_the_link(self):
        """Against the quality server it climbs to high, falls to low on a slow link, and the server obeys."""
        async with serve("quality", base_rate=4000, tick=0.01) as server:
            levels = (("low", 4000.0), ("medium", 16000.0), ("high", 64000.0))
            adaptive = Adaptive(server.url, levels=levels, window=0.05, up_after=2, margin=0.5)
            self.assertIn("throughput=None", repr(adaptive))
            await next_event(adaptive, "quality", lambda e: e.quality == "high")
            confirmed = next_event(
                adaptive, "message", lambda e: e.data == json.dumps({"type": "quality", "quality": "low"})
            )
            adaptive.send(json.dumps({"type": "bandwidth", "bytes_per_second": 5000}))
            event = await next_event(adaptive, "quality", lambda e: e.quality == "low")
            self.assertLess(event.throughput, 0.5 * 16000)
            await confirmed  # the server switched
            requests = server.lab.requests
            self.assertEqual(requests[:2], ["low", "medium"])  # the request on open, then the first probe
            self.assertIn("high", requests)
            self.assertEqual(requests[-1], "low")
            self.assertGreater(server.lab.skipped, 0)
            self.assertIsNotNone(adaptive.throughput)
            await closed(adaptive)

    def test_bad_arguments(self):
        """Levels must increase; initial must be a level; window, margin and up_after be sane."""
        for kwargs in (
            {"levels": ()},
            {"levels": (("a", 2), ("b", 1))},
            {"initial": "ultra"},
            {"window": 0},
            {"margin": 0},
            {"margin": 1.5},
            {"up_after": 0},
        ):
            with self.subTest(**kwargs), self.assertRaises(ValueError):
                Adaptive(factory=lambda: None, **kwargs)
