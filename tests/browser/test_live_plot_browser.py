"""A LivePlot in a real JupyterLab, seen in a real headless Chromium.

JupyterLab runs in a child process on a free loopback port, with no token
and no password, from a temporary directory (its own config, runtime,
workspace and settings directories, so nothing of the user's is read or
written). Playwright drives Debian's ``chromium`` found on PATH (Playwright's
own browser downloads are never used). Requests to anything but 127.0.0.1
are refused, so the test never reaches the network. All that is in
``harness``.

The notebook runs one cell: ``%matplotlib widget``, a ticker lab server in
the kernel, a WebSocket subscribed to two symbols and a LivePlot, which
renders with ipympl. Then no cell runs, and the test checks what a person
would see: the ipympl canvas keeps changing, several times, while the cell
has finished (its prompt shows ``[1]:``, not ``[*]:``); and a second cell is
answered while the stream goes on.

A screenshot is saved to ``test-artifacts/live-plot-browser.png`` (or to
``$WSNB_TEST_ARTIFACTS``). Without ``chromium`` on PATH the test is skipped
with that reason.
"""

from __future__ import annotations

import json
import unittest

from . import harness

CELLS = [
    """\
%matplotlib widget
import json
from wsnb import WebSocket
from wsnb.servers import serve
from wsnb.widgets import LivePlot, json_values

ticker = await serve("ticker", rate=200, seed=1)
ws = WebSocket(ticker.url)
ws.onopen = lambda event: ws.send(json.dumps({"action": "subscribe", "symbols": ["AAPL", "MSFT"]}))
plot = LivePlot(ws, json_values("price", key="symbol"), timespan=5, title="Ticker")
plot""",
    "print('answered:', plot.renderer, plot.series, plot.errors)",
]


# The image canvas of an ipympl figure (the second canvas draws the zoom rectangle).
CANVAS = ".jupyter-matplotlib-canvas-div canvas"
CHANGED = f"""previous => {{
    const canvas = document.querySelector({json.dumps(CANVAS)});
    return canvas !== null && canvas.width > 0 && canvas.toDataURL() !== previous;
}}"""


@harness.requires_chromium
class LivePlotInBrowserTests(unittest.TestCase):
    def setUp(self) -> None:
        self.session = harness.start(self, CELLS, "live.ipynb", viewport={"width": 1300, "height": 900})
        self.page = self.session.page

    def canvas_image(self) -> str:
        return str(self.page.evaluate(f"() => document.querySelector({json.dumps(CANVAS)}).toDataURL()"))

    def test_canvas_changes_while_the_kernel_is_idle(self) -> None:
        """The ipympl canvas shows new frames again and again after the cell finished; the kernel still answers."""
        from playwright.sync_api import expect

        page = self.page
        page.goto(self.session.notebook_url)
        expect(page.locator(".jp-Notebook")).to_be_visible()
        harness.wait_for_idle_kernel(page)
        # The status bar says Idle once the kernel is connected; a cell run
        # before that would do nothing.
        expect(page.locator(".jp-StatusBar-Widget").get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible()

        harness.run_cell(page, 0)
        first_prompt = page.locator(".jp-Cell").nth(0).locator(".jp-InputPrompt")
        expect(first_prompt).to_have_text("[1]:")  # the cell has finished: no cell runs from now on
        expect(page.locator(CANVAS).first).to_be_visible()

        images = [self.canvas_image()]
        for _ in range(3):
            # Wait (in the page, on each animation frame) until the canvas differs.
            page.wait_for_function(CHANGED, arg=images[-1], polling="raf")
            images.append(self.canvas_image())
            expect(first_prompt).to_have_text("[1]:")
        self.assertEqual(len(set(images)), 4)

        harness.screenshot(page, "live-plot-browser.png")

        harness.run_cell(page, 1)
        output = page.locator(".jp-Cell").nth(1).locator(".jp-OutputArea-output")
        expect(output).to_have_text("answered: ipympl ['AAPL', 'MSFT'] 0")
        page.wait_for_function(CHANGED, arg=self.canvas_image(), polling="raf")  # and it still moves
