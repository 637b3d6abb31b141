"""BrowserWebSocket in real JupyterLab and headless Chromium: the page's own WebSocket, driven from the kernel.

Each test writes a notebook, runs all its cells in JupyterLab (as
*Run > Run All Cells*), waits until the kernel replied to every cell, and
reads what the cells printed from the page's notebook model. The cells
await browser events in the cell that made the socket: that the kernel
handles the page's widget messages while a cell awaits is part of what is
tested. Without ``chromium`` on PATH the tests are skipped with that reason.
"""

from __future__ import annotations

import json
import re
import unittest
from typing import Any

from playwright.sync_api import Page

from ..support import TIMEOUT
from . import harness
from .test_course_browser import DONE, NOTEBOOKS, STATE, WATCH_REPLIES, fresh

SETUP = """\
from wsnb.browser import BrowserWebSocket
from wsnb.servers import serve
echo = await serve("echo")
reject = await serve("reject", status=403)
print("servers ready")
"""

ECHO = """\
ws = BrowserWebSocket(echo.url)
events = ws.record("open", "message", "error", "close")  # before any await: nothing is missed
seen = []
ws.onopen = lambda event: seen.append(("open", ws.readyState.name))
page = await ws.attached()
await ws.wait_for("open", timeout=30)
ws.binaryType = "arraybuffer"
await ws.send("hello from the page")
await ws.send(b"\\x00\\x01\\xfe\\xff")
await events.wait(3, timeout=30)
await ws.close(4000, "done")
closed = await ws.wait_for("close", timeout=30)
print("page origin is loopback:", page["origin"].startswith("http://127.0.0.1:"))
print("handler saw:", seen)
print("events:", [event.type for event in events])
print("data:", [event.data for event in events if event.type == "message"])
print("close:", closed.code, closed.reason, closed.wasClean, ws.readyState.name)
"""

REFUSED = """\
bad = BrowserWebSocket(reject.url)
trace = bad.record("open", "error", "close")
closed = await bad.wait_for("close", timeout=30)
print("refused:", [event.type for event in trace], closed.code, closed.wasClean)
"""

THROWS = """\
early = BrowserWebSocket(echo.url)
try:
    await early.send("too early")
except Exception as exc:
    print("send while CONNECTING:", type(exc).__name__, exc.name)
await early.wait_for("open", timeout=30)
try:
    await early.close(1001)
except Exception as exc:
    print("close(1001):", type(exc).__name__, exc.name)
try:
    await BrowserWebSocket("http://127.0.0.1:1/#fragment").created
except Exception as exc:
    print("fragment:", type(exc).__name__, exc.name)
await early.close()
print("close without a code:", (await early.wait_for("close", timeout=30)).code)
"""

PROXY_PROTOCOL = """\
chooser = await serve("subprotocol")
for choose in ["first", "none", "other"]:
    offered = BrowserWebSocket(chooser.url + f"?choose={choose}", ["chat.v2", "chat.v1"], route="proxy")
    seen = offered.record("open", "close")
    await seen.wait(1, timeout=30)
    print(f"proxied choose={choose}:", seen[0].type, repr(offered.protocol))
    await offered.close()
"""

PROXY = """\
via = BrowserWebSocket(echo.url + "through?proxy=1", route="proxy")
replies = via.record("message")
await via.wait_for("open", timeout=30)
await via.send("through jupyter-server-proxy")
await replies.wait(1, timeout=30)
print("proxied url:", via.url.replace(str(echo.port), "PORT").split("/proxy/")[1])
print("proxied echo:", replies.data)
await via.close(1000)
print("proxied close:", (await via.wait_for("close", timeout=30)).code)
"""


def outputs(page: Page) -> list[str]:
    """The text each code cell of the current notebook printed (stdout), in order."""
    texts: list[str] = page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.widgets
        .filter(cell => cell.model.type === "code")
        .map(cell => cell.model.outputs.toJSON()
            .map(output => output.output_type === "stream" ? output.text
                 : output.output_type === "error" ? `${output.ename}: ${output.evalue}` : "")
            .join(""))""")
    return texts


SIDE_BY_SIDE = NOTEBOOKS / "26-browser-beside-the-mirror.ipynb"

# What Chromium and wsnb do differently, scenario by scenario, and why it is
# allowed to differ (notebook 26 explains each). Any other difference fails.
EXPECTED_VERDICTS = {
    "open_echo_close": "same",
    "calls_that_throw": "same",
    # Chromium throws InvalidAccessError for close(undefined, "why"); the
    # standard (and wsnb) closes with no status.
    "close_without_a_code": "differs",
    "server_closes_or_refuses": "same",
    "subprotocols": "same",
    "binary_and_buffered": "same",
}


@harness.requires_chromium
class BrowserWebSocketTests(unittest.TestCase):
    def run_all(self, cells: list[str]) -> list[str]:
        session = harness.start(self, cells, "browser.ipynb", viewport={"width": 1200, "height": 900})
        return self.run_page(session)

    def run_page(self, session: harness.Session) -> list[str]:
        """Run All on the session's notebook; return what each code cell printed."""
        page = session.page
        page.goto(session.notebook_url)
        harness.wait_for_idle_kernel(page)
        page.evaluate(WATCH_REPLIES)
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        page.wait_for_function(DONE, polling=250, timeout=TIMEOUT * 1000 * 12)
        state: dict[str, Any] = page.evaluate(STATE)
        printed = outputs(page)
        self.assertEqual(state["errors"], [], json.dumps(printed, indent=1))
        self.assertEqual(state["ran"], state["cells"])
        return printed

    def test_side_by_side_notebook(self) -> None:
        """Notebook 26 in JupyterLab: both halves run, and the traces differ only where the notebook says."""
        session = harness.start_on(self, {SIDE_BY_SIDE.name: fresh(SIDE_BY_SIDE)}, viewport={"width": 1400, "height": 1000})
        printed = self.run_page(session)
        self.assertTrue(any(text.startswith("browser page: Mozilla/5.0") for text in printed), printed[:2])
        verdicts = next(text for text in printed if text.startswith("open_echo_close"))
        self.assertEqual(dict(re.findall(r"(?m)^(\w+)\s+(same|differs|mirror only)$", verdicts)), EXPECTED_VERDICTS)

    def test_the_page_socket(self) -> None:
        """Echo, text and binary, a close with 4000; a refused handshake; the exceptions the browser throws; the proxy and its subprotocols."""
        printed = self.run_all([SETUP, ECHO, REFUSED, THROWS, PROXY, PROXY_PROTOCOL])
        echo, refused, throws, proxy, proxy_protocol = printed[1:]
        self.assertIn("page origin is loopback: True", echo)
        self.assertIn("handler saw: [('open', 'OPEN')]", echo)
        self.assertIn("events: ['open', 'message', 'message', 'close']", echo)
        self.assertIn("data: ['hello from the page', b'\\x00\\x01\\xfe\\xff']", echo)
        self.assertIn("close: 4000 done True CLOSED", echo)
        self.assertIn("refused: ['error', 'close'] 1006 False", refused)
        self.assertIn("send while CONNECTING: InvalidStateError InvalidStateError", throws)
        self.assertIn("close(1001): InvalidAccessError InvalidAccessError", throws)
        self.assertIn("fragment: DOMSyntaxError SyntaxError", throws)
        self.assertIn("close without a code: 1005", throws)
        self.assertIn("proxied url: PORT/through?proxy=1", proxy)
        self.assertIn("proxied echo: ['through jupyter-server-proxy']", proxy)
        self.assertIn("proxied close: 1000", proxy)
        # jupyter-server-proxy answers the browser's handshake itself, with the
        # first protocol offered, whatever the server behind it chose: a
        # difference notebook 26 points out (directly, none and other fail).
        for choose in ("first", "none", "other"):
            self.assertIn(f"proxied choose={choose}: open 'chat.v2'", proxy_protocol)


if __name__ == "__main__":
    unittest.main()
