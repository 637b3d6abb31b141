"""The static plot helpers: round trips, readyState timelines, reconnection delays."""

from __future__ import annotations

import itertools
import unittest

from wsnb import ReadyState, WebSocket
from wsnb.patterns.reconnecting import Reconnecting, delay_schedule
from wsnb.servers import serve
from wsnb.widgets.plots import (
    ReadyStateLog,
    latency_histogram,
    ready_state_timeline,
    reconnect_schedule,
    round_trips,
    static_figure,
)

from ..support import TIMEOUT, closed_port_url


def states(log: ReadyStateLog) -> list[tuple[str, str]]:
    return [(state.name, cause) for _, state, cause in log.transitions]


class RoundTripTests(unittest.IsolatedAsyncioTestCase):
    async def test_measures_each_round_trip(self) -> None:
        """round_trips sends one ping at a time to the echo lab and times each answer."""
        async with serve("echo") as echo:
            ws = WebSocket(echo.url)
            await ws.wait_for("open", timeout=TIMEOUT)
            received = ws.record("message")
            samples = await round_trips(
                ws, 20, message=lambda n: f"ping {n}", is_reply=lambda data: data.startswith("ping"), timeout=TIMEOUT
            )
            ws.close()
            await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(len(samples), 20)
        self.assertTrue(all(0 < sample < TIMEOUT for sample in samples))
        self.assertEqual(received.data, [f"ping {n}" for n in range(20)])  # one at a time, in order
        self.assertEqual(len(ws._listeners["message"]), 1)  # the recorder's: round_trips removed its own

    async def test_times_out_naming_the_round_trip(self) -> None:
        """No accepted answer within the timeout raises TimeoutError saying which round trip."""
        async with serve("echo") as echo:
            ws = WebSocket(echo.url)
            await ws.wait_for("open", timeout=TIMEOUT)
            with self.assertRaisesRegex(TimeoutError, "round trip 1 of 3"):
                await round_trips(ws, 3, is_reply=lambda data: False, timeout=0.2)
            ws.close()
            await ws.wait_for("close", timeout=TIMEOUT)

    async def test_count_must_be_positive(self) -> None:
        """count=0 is refused before anything is sent."""
        async with serve("echo") as echo:
            ws = WebSocket(echo.url)
            with self.assertRaisesRegex(ValueError, "count must be an int >= 1"):
                await round_trips(ws, 0)
            await ws.wait_for("open", timeout=TIMEOUT)
            ws.close()
            await ws.wait_for("close", timeout=TIMEOUT)


class LatencyHistogramTests(unittest.TestCase):
    def test_histogram_marks_median_and_p99(self) -> None:
        """Samples in seconds are shown in ms, with the median and p99 as labelled lines."""
        samples = [0.001] * 50 + [0.002] * 49 + [0.050]
        figure = latency_histogram(samples, bins=10)
        ax = figure.axes[0]
        self.assertEqual(sum(patch.get_height() for patch in ax.patches), 100)
        labels = [line.get_label() for line in ax.get_lines()]
        self.assertEqual(labels, ["median 1 ms", "p99 2 ms"])
        self.assertEqual(ax.get_title(), "Round-trip time (n=100)")
        self.assertTrue(figure._repr_png_().startswith(b"\x89PNG"))  # type: ignore[attr-defined]

    def test_draws_into_given_axes(self) -> None:
        """With ax=, it draws there and returns that axes' figure."""
        figure = static_figure()
        ax = figure.add_subplot()
        self.assertIs(latency_histogram([0.5, 0.25], unit="s", ax=ax), figure)
        self.assertEqual(ax.get_xlabel(), "round trip (s)")

    def test_bad_samples(self) -> None:
        """Empty, negative or non-finite samples and unknown units are refused with a reason."""
        for samples, unit, message in (
            ([], "ms", "at least one sample"),
            ([0.1, -0.1], "ms", "finite numbers"),
            ([float("nan")], "ms", "finite numbers"),
            ([0.1], "minutes", "unit must be"),
        ):
            with self.subTest(samples=samples, unit=unit), self.assertRaisesRegex(ValueError, message):
                latency_histogram(samples, unit=unit)


class ReadyStateLogTests(unittest.IsolatedAsyncioTestCase):
    async def test_client_close(self) -> None:
        """A socket the script closes goes CONNECTING, OPEN, CLOSING (at close()), CLOSED."""
        async with serve("echo") as echo:
            ws = WebSocket(echo.url)
            log = ReadyStateLog(ws)
            await ws.wait_for("open", timeout=TIMEOUT)
            replies = ws.record("message")
            for n in range(3):
                ws.send(str(n))
            await replies.wait(3, timeout=TIMEOUT)
            ws.close(1000)
            self.assertEqual(log.state, ReadyState.CLOSING)
            await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(states(log), [("CONNECTING", "start"), ("OPEN", "open"), ("CLOSING", "close()"), ("CLOSED", "close")])
        self.assertEqual([kind for _, kind in log.events], ["open", "close"])
        self.assertEqual((log.message_count, len(log.messages)), (3, 3))
        times = [t for t, _, _ in log.transitions]
        self.assertEqual(times, sorted(times))
        self.assertEqual(repr(log), "<ReadyStateLog CONNECTING -> OPEN -> CLOSING -> CLOSED, 3 message(s)>")

    async def test_server_close_and_failure(self) -> None:
        """A server's close passes CLOSING at its Close frame; a refused connection shows error then close."""
        async with serve("close-lab") as lab:
            ws = WebSocket(lab.url + "?code=4000&reason=bye")
            log = ReadyStateLog(ws)
            await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(
            states(log),
            [("CONNECTING", "start"), ("OPEN", "open"), ("CLOSING", "Close frame"), ("CLOSED", "close")],
        )
        ws = WebSocket(closed_port_url())
        log = ReadyStateLog(ws)
        await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(states(log), [("CONNECTING", "start"), ("CLOSED", "error")])
        self.assertEqual([kind for _, kind in log.events], ["error", "close"])

    async def test_stop(self) -> None:
        """After stop(), nothing more is recorded and the socket's call watcher is gone."""
        async with serve("echo") as echo:
            ws = WebSocket(echo.url)
            log = ReadyStateLog(ws)
            log.stop()
            await ws.wait_for("open", timeout=TIMEOUT)
            ws.close()
            await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(states(log), [("CONNECTING", "start")])
        self.assertNotIn(log._on_call, ws._call_watchers)

    async def test_pattern_reconnects(self) -> None:
        """On a Reconnecting pattern, a lost connection shows as OPEN -> CONNECTING -> OPEN."""
        async with serve("close-lab") as lab:
            sock = Reconnecting(lab.url, delays=lambda: itertools.repeat(0.01), max_attempts=3)
            log = ReadyStateLog(sock)
            received = sock.record("reconnect")
            await sock.wait_for("open", timeout=TIMEOUT)
            sock.send('{"close": 1012}')  # the server restarts: reconnect
            await received.wait(1, timeout=TIMEOUT)
            await sock.wait_for("open", timeout=TIMEOUT)
            sock.close()
            await sock.wait_for("close", timeout=TIMEOUT)
        names = [state for state, _ in states(log)]
        self.assertEqual(names[:4], ["CONNECTING", "OPEN", "CONNECTING", "OPEN"])
        self.assertEqual(names[-1], "CLOSED")
        self.assertIn("reconnect", [kind for _, kind in log.events])


class TimelinePlotTests(unittest.IsolatedAsyncioTestCase):
    async def test_one_band_per_state_and_markers(self) -> None:
        """Each recorded state is a band on its own row; events are markers; messages are ticks."""
        async with serve("echo") as echo:
            ws = WebSocket(echo.url)
            log = ReadyStateLog(ws)
            await ws.wait_for("open", timeout=TIMEOUT)
            replies = ws.record("message")
            ws.send("a")
            await replies.wait(1, timeout=TIMEOUT)
            ws.close()
            await ws.wait_for("close", timeout=TIMEOUT)
        figure = ready_state_timeline(log)
        ax = figure.axes[0]
        bands = [c for c in ax.collections if c.__class__.__name__ == "PolyCollection"]
        self.assertEqual(len(bands), 4)
        rows = [round(float(band.get_paths()[0].vertices[:, 1].mean())) for band in bands]
        self.assertEqual(rows, [0, 1, 2, 3])
        self.assertEqual([t.get_text() for t in ax.get_yticklabels()], ["CONNECTING (0)", "OPEN (1)", "CLOSING (2)", "CLOSED (3)"])
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        self.assertEqual(legend, ["message (1)", "open", "close"])
        self.assertTrue(figure._repr_png_().startswith(b"\x89PNG"))  # type: ignore[attr-defined]

    async def test_unit(self) -> None:
        """unit='s' labels the axis in seconds; an unknown unit is refused."""
        ws = WebSocket(closed_port_url())
        log = ReadyStateLog(ws)
        await ws.wait_for("close", timeout=TIMEOUT)
        self.assertIn("(s)", ready_state_timeline(log, unit="s").axes[0].get_xlabel())
        with self.assertRaisesRegex(ValueError, "unit must be"):
            ready_state_timeline(log, unit="h")


class ReconnectScheduleTests(unittest.TestCase):
    def test_one_schedule_as_bars(self) -> None:
        """A list of delays is drawn as one bar per attempt, with the running total on a second axis."""
        delays = delay_schedule(8, initial_delay=1, max_delay=10, jitter=0)
        figure = reconnect_schedule(delays, cap=10)
        ax, total = figure.axes
        self.assertEqual([bar.get_height() for bar in ax.patches], [1, 2, 4, 8, 10, 10, 10, 10])
        self.assertEqual(list(total.get_lines()[0].get_ydata()), [1, 3, 7, 15, 25, 35, 45, 55])
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        self.assertEqual(labels, ["cap 10 s", "delay", "delay: total 55 s"])

    def test_several_schedules_as_lines(self) -> None:
        """A mapping of schedules is drawn as one line each, to compare them."""
        figure = reconnect_schedule({
            "no jitter": delay_schedule(5, jitter=0),
            "jitter 0.5": delay_schedule(5, jitter=0.5, seed=1),
        })
        ax = figure.axes[0]
        self.assertEqual([line.get_label() for line in ax.get_lines()], ["no jitter", "jitter 0.5"])
        self.assertEqual(list(ax.get_lines()[0].get_ydata()), [1, 2, 4, 8, 16])
        self.assertEqual(len(ax.patches), 0)

    def test_bad_schedules(self) -> None:
        """Empty schedules and negative delays are refused, naming the schedule."""
        with self.assertRaisesRegex(ValueError, "'delay' is empty"):
            reconnect_schedule([])
        with self.assertRaisesRegex(ValueError, "'b' holds a delay"):
            reconnect_schedule({"a": [1], "b": [1, -2]})
