"""A LivePlot in a real JupyterLab, seen in a real headless Chromium.

JupyterLab runs in a child process on a free loopback port, with no token
and no password, from a temporary directory (its own config, runtime,
workspace and settings directories, so nothing of the user's is read or
written). Playwright drives Debian's ``chromium`` found on PATH (Playwright's
own browser downloads are never used). Requests to anything but 127.0.0.1
are refused, so the test never reaches the network.

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
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import unittest
from pathlib import Path
from typing import IO, Any

from ..support import TIMEOUT

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTIFACTS = Path(os.environ.get("WSNB_TEST_ARTIFACTS") or Path(__file__).resolve().parents[2] / "test-artifacts")
LOOPBACK_ONLY = re.compile(r"^(?!https?://127\.0\.0\.1[:/]|wss?://127\.0\.0\.1[:/]|data:|blob:)")

CELLS = [
    """\
%matplotlib widget
import json
from wsnb import WebSocket
from wsnb.servers import serve
from wsnb.widgets.live_plot import LivePlot, json_values

ticker = await serve("ticker", rate=200, seed=1)
ws = WebSocket(ticker.url)
ws.onopen = lambda event: ws.send(json.dumps({"action": "subscribe", "symbols": ["AAPL", "MSFT"]}))
plot = LivePlot(ws, json_values("price", key="symbol"), timespan=5, title="Ticker")
plot""",
    "print('answered:', plot.renderer, plot.series, plot.errors)",
]


def notebook() -> dict[str, Any]:
    """The test notebook, as nbformat 4 JSON."""
    return {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"cell-{index}", "metadata": {},
             "outputs": [], "source": source}
            for index, source in enumerate(CELLS)
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def free_port() -> int:
    """A port nothing listens on right now, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Lab:
    """JupyterLab in a child process on a free loopback port, no token, no password."""

    def __init__(self, root: Path) -> None:
        config = root / "config"
        (config / "labconfig").mkdir(parents=True)
        # No announcements pop-up over the notebook (it would also try to fetch news).
        (config / "labconfig" / "page_config.json").write_text(json.dumps(
            {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
        ))
        self.port = free_port()
        env = dict(
            os.environ,
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTER_RUNTIME_DIR=str(root / "runtime"),
            PYTHONUNBUFFERED="1",
        )
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
            f"--ServerApp.root_dir={root / 'notebooks'}",
            f"--LabApp.workspaces_dir={root / 'workspaces'}", f"--LabApp.user_settings_dir={root / 'settings'}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace",
        )
        assert self.process.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        self._reader.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _read(self, stream: IO[str]) -> None:
        marker = f"127.0.0.1:{self.port}/lab"
        for line in stream:
            self.lines.append(line.rstrip())
            if marker in line:
                self._ready.set()
        self._ready.set()  # the process ended: stop waiting

    def wait_ready(self) -> None:
        """Return once the server listens (it prints its URL then)."""
        self._ready.wait(TIMEOUT * 12)
        if self.process.poll() is not None or not self._ready.is_set():
            raise AssertionError("JupyterLab did not start:\n" + "\n".join(self.lines[-40:]))

    def stop(self) -> None:
        """Stop the server (it shuts its kernel down) and wait for it to exit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(TIMEOUT * 3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(TIMEOUT)


# The image canvas of an ipympl figure (the second canvas draws the zoom rectangle).
CANVAS = ".jupyter-matplotlib-canvas-div canvas"
CHANGED = f"""previous => {{
    const canvas = document.querySelector({json.dumps(CANVAS)});
    return canvas !== null && canvas.width > 0 && canvas.toDataURL() !== previous;
}}"""


@unittest.skipIf(CHROMIUM is None, "chromium is not on PATH (Debian: apt-get install -y chromium); Playwright's own browsers are not used")
class LivePlotInBrowserTests(unittest.TestCase):
    def setUp(self) -> None:
        from playwright.sync_api import sync_playwright

        self.root = Path(tempfile.mkdtemp(prefix="wsnb-live-plot-"))
        self.addCleanup(shutil.rmtree, self.root, ignore_errors=True)
        (self.root / "notebooks").mkdir()
        (self.root / "notebooks" / "live.ipynb").write_text(json.dumps(notebook()))
        self.lab = Lab(self.root)
        self.addCleanup(self.lab.stop)
        self.lab.wait_ready()
        self.playwright = sync_playwright().start()
        self.addCleanup(self.playwright.stop)
        self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        self.addCleanup(self.browser.close)
        self.page = self.browser.new_page(viewport={"width": 1300, "height": 900})
        self.page.set_default_timeout(TIMEOUT * 1000 * 3)
        self.page.route(LOOPBACK_ONLY, lambda route: route.abort())

    def run_cell(self, index: int) -> None:
        """Run a cell as a person does: click into it, press Shift+Enter."""
        cell = self.page.locator(".jp-Cell").nth(index)
        cell.locator(".jp-InputArea-editor").click()
        cell.locator(".jp-InputArea-editor .cm-content").press("Shift+Enter")

    def canvas_image(self) -> str:
        return str(self.page.evaluate(f"() => document.querySelector({json.dumps(CANVAS)}).toDataURL()"))

    def test_canvas_changes_while_the_kernel_is_idle(self) -> None:
        """The ipympl canvas shows new frames again and again after the cell finished; the kernel still answers."""
        from playwright.sync_api import expect

        expect.set_options(timeout=TIMEOUT * 1000 * 3)
        page = self.page
        page.goto(f"{self.lab.url}/lab/tree/live.ipynb")
        expect(page.locator(".jp-Notebook")).to_be_visible()
        # The status bar says Idle once the kernel is connected; a cell run
        # before that would do nothing.
        expect(page.locator(".jp-StatusBar-Widget").get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible()

        self.run_cell(0)
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

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "live-plot-browser.png"))

        self.run_cell(1)
        output = page.locator(".jp-Cell").nth(1).locator(".jp-OutputArea-output")
        expect(output).to_have_text("answered: ipympl ['AAPL', 'MSFT'] 0")
        page.wait_for_function(CHANGED, arg=self.canvas_image(), polling="raf")  # and it still moves
