"""The panel's inspector, frames and HAR tabs and the send bar's file upload, in a real JupyterLab and Chromium.

What only a browser can show is checked here, by reading the DOM as a
person would see it, while the kernel is idle (no cell runs after the first):

- clicking a row of the log shows its JSON as a tree (and pretty-printed);
- a number's plot button in the tree puts a live plot under the panel;
- a file chosen with the send bar's upload button goes out as one binary
  message, and its echo comes back;
- the frames tab lists the frames, with control frames that can be hidden;
- a HAR file in Chrome's format, chosen with the HAR tab's import button,
  lists its messages, and replaying it against the echo server matches.

See ``harness`` for how JupyterLab and Chromium are started (loopback only).
"""

from __future__ import annotations

import json
import tempfile
import unittest
from pathlib import Path
from typing import Any

from . import harness

CELLS = [
    """\
from wsnb import WebSocket
from wsnb.servers import serve

server = await serve("echo")
ws = WebSocket(server.url, record_frames=True)
await ws.wait_for("open")
ws""",
]

QUOTE = '{"type": "quote", "price": 5, "data": {"bid": 2}}'


def chrome_har(url: str) -> dict[str, object]:
    """A HAR as Chrome's DevTools save one: an http(s) URL and _webSocketMessages with epoch times."""
    messages = [
        {"type": "send", "time": 1764806400.0, "opcode": 1, "data": "first"},
        {"type": "receive", "time": 1764806400.01, "opcode": 1, "data": "first"},
        {"type": "send", "time": 1764806400.05, "opcode": 1, "data": "second"},
        {"type": "receive", "time": 1764806400.06, "opcode": 1, "data": "second"},
    ]
    return {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "pages": [], "entries": [
        {"_resourceType": "document", "request": {"url": "http://127.0.0.1/"}, "response": {"status": 200}},
        {"_resourceType": "websocket", "startedDateTime": "2025-12-04T00:00:00.000Z",
         "request": {"method": "GET", "url": url.replace("ws://", "http://"), "headers": []},
         "response": {"status": 101, "headers": []}, "_webSocketMessages": messages},
    ]}}


def choose_file(page: Any, button: str, path: Path) -> None:
    """Click an upload button and pick ``path`` in the file chooser it opens, as a person does."""
    with page.expect_file_chooser() as chooser:
        page.locator(button).click()
    chooser.value.set_files(str(path))


@harness.requires_chromium
class InspectorInBrowserTests(unittest.TestCase):
    def setUp(self) -> None:
        self.session = harness.start(self, CELLS, "inspector.ipynb", viewport={"width": 1400, "height": 1200})
        self.page = self.session.page
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)

    def test_inspector_frames_har_and_upload(self) -> None:
        """Tree view, click-to-plot, file upload, frames and HAR import and replay all work from the page."""
        try:
            self.drive()
        except BaseException:
            harness.screenshot(self.page, "inspector-browser-failure.png", full_page=True)
            raise

    def drive(self) -> None:
        from playwright.sync_api import expect

        page = self.page
        page.goto(self.session.notebook_url)
        expect(page.locator(".jp-Notebook")).to_be_visible()
        harness.wait_for_idle_kernel(page)
        harness.run_next_cell(page)
        expect(page.locator(".wsnb-badge .wsnb-state")).to_have_attribute("data-state", "OPEN")
        expect(page.locator(".jp-InputPrompt", has_text="[*]")).to_have_count(0)

        # A JSON message and its echo; click the echo's row.
        page.locator(".wsnb-send-text input").fill(QUOTE)
        page.locator(".wsnb-send-button").click()
        received = page.locator(".wsnb-log-rows tr[data-direction='received']", has_text="quote")
        expect(received).to_have_count(1)
        received.click()
        tree = page.locator(".wsnb-inspector .wsnb-json-tree")
        expect(tree).to_be_visible()
        expect(tree.locator(".wsnb-json-key")).to_have_text(['"type": ', '"price": ', '"data": ', '"bid": '])
        expect(page.locator(".wsnb-log-rows tr.wsnb-selected")).to_have_count(1)
        page.locator(".wsnb-inspector-views button", has_text="pretty").click()
        expect(page.locator(".wsnb-json-pretty")).to_have_text(json.dumps(json.loads(QUOTE), indent=2))
        page.locator(".wsnb-inspector-views button", has_text="tree").click()

        # Click-to-plot: the tree's plot button on data.bid.
        expect(page.locator(".wsnb-plot-field")).to_have_count(2)
        page.locator(".wsnb-plot-field[data-path='data.bid']").click()
        expect(page.locator(".wsnb-panel-plots img")).to_have_count(1)

        # A file from the send bar's upload button.
        upload = self.folder / "blob.bin"
        upload.write_bytes(bytes(range(200)))
        choose_file(page, ".wsnb-send-file", upload)
        binary = page.locator(".wsnb-log-rows tr[data-kind='binary']", has_text="200 B")
        expect(binary).to_have_count(2)  # sent and echoed
        expect(page.locator(".wsnb-sent-file")).to_have_text("sent blob.bin (200 B)")

        # The frames tab: every frame, control frames hideable.
        page.locator(".wsnb-panel-tabs .lm-TabBar-tab", has_text="frames").click()
        frames = page.locator(".wsnb-frame-rows tr[data-opcode]")
        expect(page.locator(".wsnb-frame-rows tr[data-opcode='text']")).to_have_count(2)
        expect(page.locator(".wsnb-frame-rows tr[data-opcode='binary']")).to_have_count(2)
        expect(frames).to_have_count(4)

        # The HAR tab: import Chrome's format, browse, replay against the echo server.
        page.locator(".wsnb-panel-tabs .lm-TabBar-tab", has_text="HAR").click()
        url = page.locator(".wsnb-har-bar input[type=text]").input_value()
        har = self.folder / "chrome.har"
        har.write_text(json.dumps(chrome_har(url)), encoding="utf-8")
        choose_file(page, ".wsnb-har-import", har)
        expect(page.locator(".wsnb-har-status")).to_have_text("1 WebSocket session imported")
        expect(page.locator(".wsnb-har-messages tbody tr")).to_have_count(4)
        page.locator(".wsnb-har-replay").click()
        expect(page.locator(".wsnb-har-status")).to_have_text("replayed 2 messages: all 2 replies as recorded")
        expect(page.locator(".jp-InputPrompt", has_text="[*]")).to_have_count(0)
        harness.screenshot(page.locator(".wsnb-panel"), "inspector-browser.png")


if __name__ == "__main__":
    unittest.main()
