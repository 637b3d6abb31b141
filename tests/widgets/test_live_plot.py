"""LivePlot against real lab servers, its renderers without a front end, and in a real kernel."""

from __future__ import annotations

import asyncio
import itertools
import json
import struct
import subprocess
import sys
import unittest
from typing import Any

import numpy as np
from websockets.asyncio.server import ServerConnection
from websockets.asyncio.server import serve as ws_serve

from wsnb import EventTarget, MessageEvent, WebSocket
from wsnb.servers import TICKER_UPDATE, price_walk, serve
from wsnb.servers.stream import frame
from wsnb.widgets.ingest import json_values
from wsnb.widgets.live_plot import DEFAULT_FPS, LivePlot
from wsnb.widgets.renderers import renderer_for_backend
from wsnb.widgets.series import SeriesBuffer

from ..support import TIMEOUT
from .widgets_support import front_end


async def open_socket(url: str, **options: Any) -> WebSocket:
    ws = WebSocket(url, compression=None, **options)
    await ws.wait_for("open", timeout=TIMEOUT)
    return ws


async def close_socket(ws: WebSocket) -> None:
    ws.close()
    await ws.wait_for("close", timeout=TIMEOUT)


def digit(event: Any) -> int | None:
    """The stream lab's message k is the digit k % 10 repeated; its final "streamed N" reply gives None."""
    first = event.data[0]
    return int(first) if first.isdigit() else None


def next_reply(ws: WebSocket, type: str) -> asyncio.Future[Any]:
    """A future for the next JSON text message whose "type" is ``type`` (a ticker reply)."""
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def on_message(event: Any) -> None:
        if isinstance(event.data, str) and f'"type": "{type}"' in event.data and not future.done():
            future.set_result(json.loads(event.data))
            ws.removeEventListener("message", on_message)

    ws.addEventListener("message", on_message)
    return future


class Paced:
    """An in-test server that sends COUNT numbers ("0", "1", ...) in bursts spread over time.

    It starts when the client sends its first message.
    A burst of ``burst`` messages goes out every ``every`` seconds of the
    loop's clock, so that the stream lasts long enough for several frames.
    The pause between bursts paces the server; nothing waits on it.
    """

    def __init__(self, count: int, burst: int, every: float) -> None:
        self.count, self.burst, self.every = count, burst, every

    async def handler(self, connection: ServerConnection) -> None:
        await connection.recv()  # the client says when it listens
        loop = asyncio.get_running_loop()
        start = loop.time()
        for index, first in enumerate(range(0, self.count, self.burst)):
            await asyncio.sleep(max(0.0, start + index * self.every - loop.time()))
            numbers = range(first, min(first + self.burst, self.count))
            connection.transport.write(b"".join(frame(str(n).encode(), False) for n in numbers))
        await connection.wait_closed()


class SeriesBufferTests(unittest.TestCase):
    def test_keeps_the_newest_in_order(self) -> None:
        """A full ring returns the newest samples, oldest first, and counts every append."""
        buffer = SeriesBuffer("s", 4)
        for n in range(4):
            buffer.append(n, n * 10)
        self.assertEqual(buffer.arrays()[0].tolist(), [0, 1, 2, 3])  # exactly full
        for n in range(4, 10):
            buffer.append(n, n * 10)
        x, y = buffer.arrays()
        self.assertEqual(x.tolist(), [6, 7, 8, 9])
        self.assertEqual(y.tolist(), [60, 70, 80, 90])
        self.assertEqual((len(buffer), buffer.total, buffer.last()), (4, 10, (9.0, 90.0)))

    def test_copies_are_independent(self) -> None:
        """arrays() returns copies: appending later does not change them."""
        buffer = SeriesBuffer("s", 3)
        buffer.append(1, 1)
        x, _ = buffer.arrays()
        buffer.append(2, 2)
        self.assertEqual(x.tolist(), [1.0])

    def test_rejects_zero_capacity(self) -> None:
        """A ring must hold at least one sample."""
        with self.assertRaisesRegex(ValueError, "at least 1 sample"):
            SeriesBuffer("s", 0)


class ArgumentTests(unittest.TestCase):
    def test_bad_arguments_are_named(self) -> None:
        """Invalid arguments raise errors that name the problem."""
        cases: list[tuple[dict[str, Any], type[Exception], str]] = [
            ({"values": 3}, TypeError, "values must be a function"),
            ({"fps": 0}, ValueError, "fps must be"),
            ({"window": 0}, ValueError, "window must be"),
            ({"renderer": "svg"}, ValueError, "unknown renderer 'svg'"),
            ({"timespan": -1}, ValueError, "timespan must be"),
            ({"series": "price"}, TypeError, "series=\\[name\\]"),
            ({"series": ["a", "a"]}, ValueError, "repeat"),
        ]
        for extra, error, message in cases:
            with self.subTest(extra=extra):
                options: dict[str, Any] = {"values": lambda event: 1, "renderer": "agg", **extra}
                with self.assertRaisesRegex(error, message):
                    LivePlot(None, **options)

    def test_source_must_be_an_event_target(self) -> None:
        """Attaching to something without addEventListener fails with TypeError."""
        with self.assertRaisesRegex(TypeError, "listens to a WebSocket or an EventTarget, not int"):
            LivePlot(42, lambda event: 1, renderer="agg")

    def test_auto_renderer_follows_the_backend(self) -> None:
        """auto picks ipympl under %matplotlib widget and inline otherwise."""
        self.assertEqual(renderer_for_backend("module://ipympl.backend_nbagg"), "ipympl")
        self.assertEqual(renderer_for_backend("widget"), "ipympl")
        self.assertEqual(renderer_for_backend("module://matplotlib_inline.backend_inline"), "inline")
        self.assertEqual(renderer_for_backend(None), "inline")

    def test_repr_is_stable(self) -> None:
        """The text form shows settings only, nothing that changes run to run."""
        plot = LivePlot(None, lambda event: 1, renderer="agg", fps=10, timespan=5)
        self.assertEqual(repr(plot), "<LivePlot renderer='agg' fps=10 window=100000 timespan=5>")
        plot.pause()
        self.assertIn(" paused", repr(plot))

    def test_json_values(self) -> None:
        """json_values reads fields; anything else gives None (skipped)."""
        by_symbol = json_values("price", key="symbol")
        two = json_values("bid", "ask")
        event = MessageEvent("message", data=json.dumps({"symbol": "ACME", "price": 9.5, "bid": 1, "ask": 2}))
        self.assertEqual(by_symbol(event), {"ACME": 9.5})
        self.assertEqual(two(event), {"bid": 1, "ask": 2})
        for data in ("not json", "[1, 2]", json.dumps({"other": 1}), b"\x00"):
            self.assertIsNone(by_symbol(MessageEvent("message", data=data)))
        with self.assertRaisesRegex(ValueError, "exactly one field"):
            json_values("a", "b", key="symbol")

    def test_json_values_paths_and_hostile_json(self) -> None:
        """A dotted path reaches nested values (a literal dotted key first); deep nesting is skipped, not raised."""
        nested = MessageEvent("message", data=json.dumps({"data": {"bid": 1.5, "venue": {"id": "X"}}, "a.b": 7}))
        self.assertEqual(json_values("data.bid")(nested), {"data.bid": 1.5})
        self.assertEqual(json_values("data.bid", key="data.venue.id")(nested), {"X": 1.5})
        self.assertEqual(json_values("a.b")(nested), {"a.b": 7})
        self.assertIsNone(json_values("data.bid.deeper")(nested))
        self.assertIsNone(json_values("data.ask")(nested))
        self.assertIsNone(json_values("price")(MessageEvent("message", data="[" * 100_000)))

    def test_mirror_never_imports_matplotlib(self) -> None:
        """Importing wsnb and the live plot module leaves matplotlib unimported until a plot is made."""
        code = (
            "import sys, wsnb, wsnb.widgets.live_plot, wsnb.widgets.plots\n"
            "print('matplotlib' in sys.modules)\n"
            "wsnb.widgets.live_plot.LivePlot(None, lambda e: 1, renderer='agg')\n"
            "print('matplotlib' in sys.modules)"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        self.assertEqual(out.split(), ["False", "True"])


class PushTests(unittest.TestCase):
    """The value shapes a values function may return, stored through push()."""

    def test_shapes(self) -> None:
        """Numbers, mappings, aligned sequences and batches land in the right series."""
        plot = LivePlot(None, lambda event: None, renderer="agg", x="index", series=["a", "b"])
        plot.push({"a": 1.0, "b": 2.0})
        plot.push([3.0, 4.0])
        plot.push([{"a": 5.0}, {"b": 6.0, "zzz": 7.0}])  # a batch; zzz is not a plotted series
        plot.push(8.0)  # a bare number goes to the first series
        self.assertEqual(plot.data("a")[1].tolist(), [1.0, 3.0, 5.0, 8.0])
        self.assertEqual(plot.data("b")[1].tolist(), [2.0, 4.0, 6.0])
        self.assertEqual(plot.data("a")[0].tolist(), [1.0, 2.0, 3.0, 4.0])
        self.assertEqual((plot.messages, plot.samples, plot.series), (4, 7, ["a", "b"]))

    def test_x_from_a_field(self) -> None:
        """x='t' takes x from the mapping's t field, which is not a series."""
        plot = LivePlot(None, lambda event: None, renderer="agg", x="t")
        plot.push({"t": 10.0, "v": 1.0})
        plot.push({"t": 11.5, "v": 2.0})
        self.assertEqual(plot.series, ["v"])
        self.assertEqual(plot.data("v")[0].tolist(), [10.0, 11.5])
        with self.assertRaisesRegex(KeyError, "no 't' field"):
            plot.push({"v": 3.0})
        with self.assertRaisesRegex(TypeError, "needs values to return a mapping"):
            plot.push(3.0)

    def test_series_limit(self) -> None:
        """A new name per message hits max_series with an explanation."""
        plot = LivePlot(None, lambda event: None, renderer="agg", max_series=2)
        plot.push({"a": 1, "b": 2})
        with self.assertRaisesRegex(ValueError, "over max_series=2"):
            plot.push({"c": 3})

    def test_timespan_cuts_what_is_drawn(self) -> None:
        """With timespan=10, only samples within 10 of the newest x are drawn or snapshotted."""
        plot = LivePlot(None, lambda event: None, renderer="agg", x="t", timespan=10)
        for t in range(100):
            plot.push({"t": float(t), "v": float(t * 2)})
        plot.redraw()
        line = plot.axes.get_lines()[0]
        self.assertEqual(list(line.get_xdata()), [float(t) for t in range(89, 100)])
        snapshot_line = plot.snapshot().axes[0].get_lines()[0]
        self.assertEqual(list(snapshot_line.get_xdata()), [float(t) for t in range(89, 100)])
        self.assertEqual(len(plot.data("v")[0]), 100)  # kept, just not drawn

    def test_many_points_are_decimated_keeping_extremes(self) -> None:
        """A window of 100,000 points draws at most a few thousand, spikes included."""
        plot = LivePlot(None, lambda event: None, renderer="agg", x="index", window=100_000)
        for n in range(100_000):
            plot.push(1000.0 if n == 54_321 else float(n % 7))
        plot.redraw()
        y = plot.axes.get_lines()[0].get_ydata()
        self.assertLessEqual(len(y), 4100)
        self.assertEqual(max(y), 1000.0)


class Source(EventTarget):
    """A plain EventTarget that fires message events, like a pattern class would."""

    def fire(self, data: Any) -> None:
        event = MessageEvent("message", data=data)
        event._trusted = True
        self._dispatch(event)


class LivePlotTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        self.server = await serve("stream")
        self.addAsyncCleanup(self.server.close)

    async def test_values_land_in_the_right_series(self) -> None:
        """JSON messages echoed by a real server fill one series per symbol, in arrival order."""
        async with serve("echo") as echo:
            ws = await open_socket(echo.url)
            plot = LivePlot(ws, json_values("price", key="symbol"), renderer="agg", x="index")
            replies = ws.record("message")
            for n in range(30):
                ws.send(json.dumps({"symbol": "ACME" if n % 3 else "INIT", "price": float(n)}))
            ws.send("not json at all")
            await replies.wait(31, timeout=TIMEOUT)
            await close_socket(ws)
        self.assertEqual(plot.series, ["INIT", "ACME"])
        self.assertEqual(plot.data("INIT")[1].tolist(), [float(n) for n in range(0, 30, 3)])
        self.assertEqual(plot.data("ACME")[1].tolist(), [float(n) for n in range(30) if n % 3])
        self.assertEqual(plot.last("ACME"), 29.0)
        self.assertEqual((plot.messages, plot.skipped, plot.errors), (30, 1, 0))
        self.assertEqual(plot.counts(), {"INIT": 10, "ACME": 20})

    async def test_binary_messages(self) -> None:
        """Packed binary messages (as Blob or bytes) unpack into two series."""
        async with serve("echo") as echo:
            for binary_type in ("blob", "arraybuffer"):
                with self.subTest(binaryType=binary_type):
                    ws = await open_socket(echo.url)
                    ws.binaryType = binary_type
                    plot = LivePlot(
                        ws, lambda e: dict(zip(("bid", "ask"), struct.unpack("<dd", bytes(e.data)), strict=True))
                        , renderer="agg", x="index",
                    )
                    replies = ws.record("message")
                    for n in range(5):
                        ws.send(struct.pack("<dd", n, n + 0.5))
                    await replies.wait(5, timeout=TIMEOUT)
                    await close_socket(ws)
                    self.assertEqual(plot.data("bid")[1].tolist(), [0.0, 1.0, 2.0, 3.0, 4.0])
                    self.assertEqual(plot.data("ask")[1].tolist(), [0.5, 1.5, 2.5, 3.5, 4.5])

    async def test_ticker_prices_by_symbol(self) -> None:
        """Ticker prices land in one series per symbol, equal to the seeded walk; unsubscribing stops a series."""
        async with serve("ticker", rate=2000, seed=3) as ticker:
            ws = await open_socket(ticker.url)
            plot = LivePlot(ws, json_values("price", key="symbol"), renderer="agg", x="index")
            reply = next_reply(ws, "subscriptions")
            ws.send(json.dumps({"action": "subscribe", "symbols": ["AAPL", "MSFT"]}))
            self.assertEqual((await asyncio.wait_for(reply, TIMEOUT))["symbols"], ["AAPL", "MSFT"])
            await plot.wait_samples(300, series="MSFT", timeout=TIMEOUT)
            reply = next_reply(ws, "subscriptions")
            ws.send(json.dumps({"action": "unsubscribe", "symbols": ["MSFT"]}))
            self.assertEqual((await asyncio.wait_for(reply, TIMEOUT))["symbols"], ["AAPL"])
            # Every MSFT update was written before the reply: the count is final.
            msft = plot.counts()["MSFT"]
            await plot.wait_samples(plot.counts()["AAPL"] + 300, series="AAPL", timeout=TIMEOUT)
            await close_socket(ws)
        self.assertEqual(plot.counts()["MSFT"], msft)
        self.assertEqual(plot.series, ["AAPL", "MSFT"])
        for symbol in ("AAPL", "MSFT"):
            prices = plot.data(symbol)[1].tolist()
            walk = [price for _, price in itertools.islice(price_walk(3, symbol), len(prices))]
            self.assertEqual(prices, walk)
        self.assertEqual(plot.errors, 0)

    async def test_ticker_binary_updates(self) -> None:
        """The ticker's packed binary updates (24 bytes each) unpack into the same walk."""
        async with serve("ticker", rate=1000, seed=5, format="binary") as ticker:
            ws = await open_socket(ticker.url)
            ws.binaryType = "arraybuffer"

            def values(event: Any) -> Any:
                if not isinstance(event.data, bytes):
                    return None  # the JSON replies to commands
                symbol, seq, price = TICKER_UPDATE.unpack(event.data)
                return {"seq": seq, symbol.rstrip(b"\0").decode(): price}

            plot = LivePlot(ws, values, renderer="agg", x="seq")
            ws.send(json.dumps({"action": "subscribe", "symbols": ["BTC"]}))
            await plot.wait_samples(200, series="BTC", timeout=TIMEOUT)
            await close_socket(ws)
        seqs, prices = plot.data("BTC")
        self.assertEqual(seqs.tolist(), [float(n) for n in range(len(seqs))])
        walk = [price for _, price in itertools.islice(price_walk(5, "BTC"), len(prices))]
        self.assertEqual(prices.tolist(), walk)
        self.assertEqual(plot.skipped, 1)  # the subscription reply

    async def test_window_bound_holds(self) -> None:
        """With window=100, 1,000 streamed messages leave exactly the newest 100 in the buffer and on screen."""
        ws = await open_socket(self.server.url)
        plot = LivePlot(ws, digit, renderer="agg", x="index", window=100)
        replies = ws.record("message")
        ws.send("stream 1000 4")
        await replies.wait(1001, timeout=TIMEOUT)
        await plot.wait_drawn(timeout=TIMEOUT)
        await close_socket(ws)
        x, y = plot.data()
        self.assertEqual(x.tolist(), [float(n) for n in range(901, 1001)])
        self.assertEqual(y.tolist(), [float(n % 10) for n in range(900, 1000)])
        self.assertEqual(len(plot.axes.get_lines()[0].get_xdata()), 100)
        self.assertEqual(plot.counts(), {"value": 1000})

    async def test_throttling_holds(self) -> None:
        """10,000 messages over about half a second make at most fps x interval + 1 frames, not one per message."""
        paced = Paced(count=10_000, burst=250, every=0.0125)
        async with ws_serve(paced.handler, "127.0.0.1", 0, compression=None) as server:
            port = server.sockets[0].getsockname()[1]
            ws = await open_socket(f"ws://127.0.0.1:{port}/")
            plot = LivePlot(ws, lambda e: float(e.data), renderer="agg", x="index", window=10_000)
            arrivals: list[float] = []
            loop = asyncio.get_running_loop()
            ws.addEventListener("message", lambda e: arrivals.append(loop.time()) if not arrivals else None)
            replies = ws.record("message")
            ws.send("go")
            await replies.wait(10_000, timeout=TIMEOUT * 3)
            await plot.wait_drawn(timeout=TIMEOUT)
            await close_socket(ws)
        times = list(plot.redraw_times)
        interval = times[-1] - arrivals[0]
        self.assertEqual(plot.messages, 10_000)
        self.assertEqual(plot.data()[1][-1], 9999.0)  # the last message reached the buffer...
        self.assertEqual(plot.axes.get_lines()[0].get_ydata()[-1], 9999.0)  # ...and the screen
        self.assertGreaterEqual(plot.redraws, 2)
        self.assertLessEqual(plot.redraws, DEFAULT_FPS * interval + 1 + 1e-6)
        self.assertLess(plot.redraws, 10_000 / 50)
        resolution = loop._clock_resolution  # asyncio runs a timer up to this early
        gaps = np.diff(times)
        self.assertGreaterEqual(float(gaps.min()), 1 / DEFAULT_FPS - resolution - 1e-9)

    async def test_pause_and_resume(self) -> None:
        """Paused: data are stored but no frame is drawn; resume draws what came meanwhile."""
        ws = await open_socket(self.server.url)
        plot = LivePlot(ws, digit, renderer="agg", x="index")
        plot.pause()
        replies = ws.record("message")
        ws.send("stream 500 4")
        await replies.wait(501, timeout=TIMEOUT)
        self.assertEqual((plot.redraws, plot.messages, plot.paused), (0, 500, True))
        with self.assertRaisesRegex(TimeoutError, "paused"):
            await plot.wait_drawn(timeout=0.2)
        plot.resume()
        await plot.wait_drawn(timeout=TIMEOUT)
        self.assertEqual(plot.redraws, 1)
        self.assertEqual(len(plot.axes.get_lines()[0].get_xdata()), 500)
        await close_socket(ws)

    async def test_values_errors_are_counted_not_raised(self) -> None:
        """A values function that raises on some messages costs those messages only."""
        ws = await open_socket(self.server.url)
        plot = LivePlot(ws, lambda e: 1 / int(e.data[0]), renderer="agg", x="index")
        replies = ws.record("message")
        with self.assertLogs("wsnb.widgets", "ERROR") as logs:
            # One message in ten is "0000": division by zero; the final
            # "streamed 100" is not a number at all.
            ws.send("stream 100 4")
            await replies.wait(101, timeout=TIMEOUT)
        await close_socket(ws)
        self.assertEqual((plot.messages, plot.errors), (90, 11))
        self.assertIsInstance(plot.last_error, ValueError)  # the last one: "streamed 100"
        self.assertEqual(len(logs.records), 1)  # only the first is logged

    async def test_any_event_target(self) -> None:
        """A LivePlot listens to any EventTarget; after close() it stops listening."""
        source = Source()
        plot = LivePlot(source, lambda e: e.data, renderer="agg", x="index")
        for n in range(5):
            source.fire(n)
        await plot.wait_drawn(timeout=TIMEOUT)
        self.assertEqual(plot.data()[1].tolist(), [0, 1, 2, 3, 4])
        plot.close()
        source.fire(5)
        self.assertEqual((plot.messages, plot.closed), (5, True))
        self.assertIsNone(plot.source)

    async def test_arrival_time_x(self) -> None:
        """x='arrival' gives increasing seconds since the plot started."""
        source = Source()
        plot = LivePlot(source, lambda e: e.data, renderer="agg")
        for n in range(3):
            source.fire(n)
        x, _ = plot.data()
        self.assertTrue(all(0 <= a <= b for a, b in itertools.pairwise(x)))
        self.assertLess(x[-1], 60)

    async def test_snapshot(self) -> None:
        """snapshot() is a static Figure with one line per series and the same data."""
        from matplotlib.figure import Figure

        source = Source()
        plot = LivePlot(source, lambda e: e.data, renderer="agg", x="index", title="Prices")
        for n in range(10):
            source.fire({"a": n, "b": -n})
        figure = plot.snapshot()
        self.assertIsInstance(figure, Figure)
        ax = figure.axes[0]
        self.assertEqual([line.get_label() for line in ax.get_lines()], ["a", "b"])
        self.assertEqual(list(ax.get_lines()[1].get_ydata()), [float(-n) for n in range(10)])
        self.assertEqual(ax.get_title(), "Prices")
        self.assertIsNotNone(ax.get_legend())
        self.assertTrue(figure._repr_png_().startswith(b"\x89PNG"))  # type: ignore[attr-defined]


def custom_messages(seen: Any, widget: Any) -> list[Any]:
    """The JSON messages a widget sent to its front end view (ipympl's protocol)."""
    return [
        json.loads(data["content"]["data"])
        for kind, cid, data in seen.messages
        if kind == "comm_msg" and cid == widget.comm.comm_id and data.get("method") == "custom"
    ]


class RendererTests(unittest.IsolatedAsyncioTestCase):
    """Both display renderers work with no front end (matplotlib's Agg underneath)."""

    async def test_inline_updates_one_image_in_place(self) -> None:
        """The inline renderer sends new PNG bytes to the same Image widget each frame."""
        with front_end() as seen:
            source = Source()
            plot = LivePlot(source, lambda e: e.data, renderer="inline", x="index")
            widget = plot.widget
            first = bytes(widget.value)
            source.fire(1.0)
            await plot.wait_drawn(timeout=TIMEOUT)
            second = bytes(widget.value)
            source.fire(5.0)
            await plot.wait_drawn(timeout=TIMEOUT)
            third = bytes(widget.value)
        self.assertTrue(all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in (first, second, third)))
        self.assertEqual(len({first, second, third}), 3)
        self.assertIs(plot.widget, widget)
        # Exactly one image was opened; later frames are updates of it.
        opened = [cid for kind, cid, data in seen.messages
                  if kind == "comm_open" and data["state"]["_model_name"] == "ImageModel"]
        self.assertEqual(opened, [widget.comm.comm_id])
        self.assertEqual(len(seen.updates(widget.comm.comm_id)), 2)
        bundle = plot._repr_mimebundle_()
        self.assertEqual(bundle["text/plain"], repr(plot))
        self.assertEqual(bundle["application/vnd.jupyter.widget-view+json"]["model_id"], widget.model_id)

    async def test_ipympl_sets_data_and_draws_idle(self) -> None:
        """The ipympl renderer updates the line, asks the front end to draw, and renders when asked."""
        from ipympl.backend_nbagg import Canvas

        with front_end() as seen:
            source = Source()
            plot = LivePlot(source, lambda e: e.data, renderer="ipympl", x="index")
            canvas = plot.widget
            self.assertIsInstance(canvas, Canvas)
            self.assertIs(canvas.figure, plot.figure)
            seen.clear()
            for n in range(20):
                source.fire(float(n * n))
            await plot.wait_drawn(timeout=TIMEOUT)
            self.assertEqual(list(plot.axes.get_lines()[0].get_ydata()), [float(n * n) for n in range(20)])
            self.assertIn({"type": "draw"}, custom_messages(seen, canvas))
            # What the front end does on that message: ask the kernel to draw.
            # The kernel renders with Agg and sends the image.
            seen.clear()
            before = canvas._data_url
            canvas._handle_message(canvas, {"type": "draw"}, [])
            self.assertNotEqual(canvas._data_url, before)
            self.assertIn({"type": "binary"}, custom_messages(seen, canvas))
        bundle = plot._repr_mimebundle_()
        self.assertEqual(bundle["text/plain"], repr(plot))
        self.assertIn("image/png", bundle)
        plot.close()
        self.assertTrue(plot.closed)


def run_cell(kc: Any, code: str) -> str:
    """Execute code in the kernel, wait until it is idle, return its printed output."""
    msg_id = kc.execute(code)
    output: list[str] = []
    while True:
        msg = kc.get_iopub_msg(timeout=TIMEOUT * 3)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            output.append(content["text"])
        elif kind == "error":
            raise AssertionError("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(output)


class KernelTests(unittest.TestCase):
    """A LivePlot in a real kernel keeps updating its widget while no cell runs."""

    def test_frames_reach_the_front_end_while_idle(self) -> None:
        """After the cell ends, streamed messages still produce Image updates on iopub."""
        from jupyter_client.manager import start_new_kernel

        km, kc = start_new_kernel(kernel_name="python3", startup_timeout=TIMEOUT * 6)
        try:
            cell = (
                "from wsnb import WebSocket\n"
                "from wsnb.servers import serve\n"
                "from wsnb.widgets.live_plot import LivePlot\n"
                "server = await serve('stream')\n"
                "ws = WebSocket(server.url)\n"
                "plot = LivePlot(ws, lambda e: int(e.data[0]) if e.data[0].isdigit() else None,\n"
                "                renderer='inline', x='index', window=5000)\n"
                "ws.onopen = lambda e: ws.send('stream 20000 8')\n"
                "display(plot)\n"
            )
            msg_id = kc.execute(cell)
            image_id = None
            idle = False
            updates_while_idle = 0
            while updates_while_idle < 2:
                msg = kc.get_iopub_msg(timeout=TIMEOUT * 3)
                kind, content = msg["msg_type"], msg["content"]
                if kind == "error":
                    raise AssertionError("\n".join(content["traceback"]))
                if kind == "display_data" and msg["parent_header"].get("msg_id") == msg_id:
                    image_id = content["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
                elif kind == "status" and content["execution_state"] == "idle" and msg["parent_header"].get("msg_id") == msg_id:
                    idle = True
                elif kind == "comm_msg" and idle and content["comm_id"] == image_id and msg["buffers"]:
                    self.assertTrue(bytes(msg["buffers"][0]).startswith(b"\x89PNG"))
                    updates_while_idle += 1
            self.assertIsNotNone(image_id)
            out = run_cell(kc, "await plot.wait_drawn(timeout=30)\nprint(plot.messages, plot.skipped, plot.errors, int(plot.data()[0][-1]))")
            self.assertEqual(out, "20000 1 0 20000\n")
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
