"""The connection panel in a real JupyterLab, in a real headless Chromium.

The test starts JupyterLab on a free loopback port (no token, a throwaway
config and runtime directory), opens a notebook whose kernel runs an echo
server, and drives the page with Playwright through Debian's ``chromium``
(found on PATH; Playwright's own browser downloads are not used); see
``harness``. Every assertion reads the DOM, so it checks what a person would
see:

- the badge shows CONNECTING, then OPEN;
- bufferedAmount is shown;
- a message typed in the send bar and its echo appear in the log while the
  kernel is idle (no cell runs: the button's comm message does the work);
- the close controls with code 4000 lead to CLOSED, with that code in the
  log.

A screenshot is saved to ``test-artifacts/panel-browser.png`` (or to
``$WSNB_TEST_ARTIFACTS``). Requests to anything but 127.0.0.1 are refused,
so the test never reaches the network. Without ``chromium`` on PATH the test
is skipped with that reason.
"""

from __future__ import annotations

import unittest

from . import harness

# The notebook the test opens. The server holds the opening handshake until
# the second cell opens the gate, so that the CONNECTING state lasts long
# enough to be seen; then it echoes every message.
CELLS = [
    """\
import asyncio
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed
from wsnb import WebSocket

gate = asyncio.Event()  # the next cell lets the opening handshake finish

async def hold(connection, request):
    await gate.wait()

async def echo(connection):
    try:
        async for message in connection:
            await connection.send(message)
    except ConnectionClosed:
        pass  # a close with code 4000 ends the loop with an exception

server = await serve(echo, "127.0.0.1", 0, process_request=hold)
ws = WebSocket(f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/")
ws""",
    "gate.set()",
]


@harness.requires_chromium
class PanelInBrowserTests(unittest.TestCase):
    def setUp(self) -> None:
        self.session = harness.start(self, CELLS, "panel.ipynb", viewport={"width": 1400, "height": 1000})
        self.page = self.session.page

    def test_panel_comes_alive(self) -> None:
        """The badge goes CONNECTING then OPEN, messages echo while idle, Close 4000 leads to CLOSED."""
        try:
            self.drive_the_panel()
        except BaseException:
            # Keep a picture of what a person would have seen.
            harness.screenshot(self.page, "panel-browser-failure.png", full_page=True)
            raise

    def drive_the_panel(self) -> None:
        from playwright.sync_api import expect

        page = self.page
        page.goto(self.session.notebook_url)
        expect(page.locator(".jp-Notebook")).to_be_visible()
        # Running a cell before the notebook's kernel is connected opens a
        # "Select Kernel" dialog: wait for the kernel itself to be idle.
        harness.wait_for_idle_kernel(page)

        harness.run_next_cell(page)
        badge = page.locator(".wsnb-badge .wsnb-state")
        expect(badge).to_have_attribute("data-state", "CONNECTING")
        expect(badge).to_have_text("CONNECTING (0)")

        harness.run_next_cell(page)
        expect(badge).to_have_attribute("data-state", "OPEN")
        expect(badge).to_have_text("OPEN (1)")
        expect(page.locator(".wsnb-gauge .wsnb-buffered")).to_have_text("0 B")
        # Both cells are done: from here on no cell runs.
        expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(1)
        expect(page.locator(".jp-InputPrompt", has_text="[*]")).to_have_count(0)

        page.locator(".wsnb-send-text input").fill("hello from Chromium")
        page.locator(".wsnb-send-button").click()
        rows = page.locator(".wsnb-log-rows tr")
        expect(rows.filter(has_text="hello from Chromium")).to_have_count(2)
        expect(page.locator(".wsnb-log-rows tr[data-direction='sent']", has_text="hello from Chromium")).to_have_count(1)
        expect(page.locator(".wsnb-log-rows tr[data-direction='received']", has_text="hello from Chromium")).to_have_count(1)
        expect(page.locator(".wsnb-counters .wsnb-in")).to_have_attribute("data-messages", "1")
        expect(page.locator(".wsnb-counters .wsnb-out")).to_have_attribute("data-messages", "1")
        expect(page.locator(".jp-InputPrompt", has_text="[*]")).to_have_count(0)

        # At a laptop's width the buttons keep their whole label (the close
        # button used to shrink to "C…").
        page.set_viewport_size({"width": 1024, "height": 800})
        for selector, label in ((".wsnb-send-button", "Send"), (".wsnb-close-button", "Close")):
            button = page.locator(selector)
            expect(button).to_contain_text(label)
            self.assertTrue(button.evaluate("el => el.scrollWidth <= el.clientWidth"), f"the {label} label is cut")
        page.set_viewport_size({"width": 1400, "height": 1000})

        page.locator(".wsnb-close-code input").fill("4000")
        page.locator(".wsnb-close-reason input").fill("done in the browser")
        page.locator(".wsnb-close-button").click()
        expect(badge).to_have_attribute("data-state", "CLOSED")
        expect(badge).to_have_text("CLOSED (3)")
        expect(page.locator(".wsnb-log-rows tr[data-direction='event']", has_text="close code=4000")).to_contain_text(
            "wasClean=True"
        )
        expect(page.locator(".wsnb-timeline .wsnb-step[data-state='CLOSING']")).to_have_count(1)

        panel_png = harness.screenshot(page.locator(".wsnb-panel"), "panel-browser.png")
        harness.screenshot(page, "panel-browser-page.png", full_page=True)
        self.assertGreater(panel_png.stat().st_size, 0)


if __name__ == "__main__":
    unittest.main()
