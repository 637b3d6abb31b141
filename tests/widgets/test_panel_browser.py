"""The connection panel in a real JupyterLab, in a real headless Chromium.

The test starts JupyterLab on a free loopback port (no token, a throwaway
config and runtime directory), opens a notebook whose kernel runs an echo
server, and drives the page with Playwright through Debian's ``chromium``
(found on PATH; Playwright's own browser downloads are not used). Every
assertion reads the DOM, so it checks what a person would see:

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

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest
from pathlib import Path
from typing import IO, Any

from ..support import TIMEOUT

CHROMIUM = shutil.which("chromium")
ARTIFACTS = Path(os.environ.get("WSNB_TEST_ARTIFACTS") or Path(__file__).resolve().parents[2] / "test-artifacts")
READY = re.compile(r"(http://127\.0\.0\.1:\d+)/lab")
KERNEL_IDLE = """() => {
    const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const session = widget && widget.sessionContext && widget.sessionContext.session;
    return !!(session && session.kernel && session.kernel.connectionStatus === "connected"
              && session.kernel.status === "idle");
}"""

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


def notebook() -> dict[str, Any]:
    """The test notebook, as nbformat 4 JSON."""
    return {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"cell-{index}", "metadata": {},
             "outputs": [], "source": source}
            for index, source in enumerate(CELLS)
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


class JupyterLab:
    """A JupyterLab server in a child process, on a free loopback port, with no token."""

    def __init__(self, root: Path) -> None:
        config = root / "config"
        (config / "labconfig").mkdir(parents=True)
        # No announcement pop-up over the notebook; no news fetched.
        (config / "labconfig" / "page_config.json").write_text(json.dumps(
            {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
        ))
        (config / "jupyter_server_config.json").write_text(json.dumps({
            "ServerApp": {
                "ip": "127.0.0.1", "port": 0, "port_retries": 0, "open_browser": False,
                "root_dir": str(root / "notebooks"), "disable_check_xsrf": True,
                "allow_root": True, "terminals_enabled": False,
                "jpserver_extensions": {"jupyter_lsp": False},
            },
            "IdentityProvider": {"token": ""},
            "PasswordIdentityProvider": {"hashed_password": "", "password_required": False},
            "LabApp": {
                "news_url": None,
                "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                "expose_app_in_browser": True,
                "extension_manager": "readonly",
            },
        }))
        env = dict(
            os.environ,
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTER_RUNTIME_DIR=str(root / "runtime"),
            PYTHONUNBUFFERED="1",
        )
        self.lines: list[str] = []
        self.url: str | None = None
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser"],
            cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace",
        )
        assert self.process.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line.rstrip())
            match = READY.search(line)
            if match and self.url is None:
                self.url = match.group(1)
                self._ready.set()
        self._ready.set()  # the process ended: stop waiting

    def wait_ready(self) -> str:
        """Return the server's base URL once it listens."""
        self._ready.wait(TIMEOUT * 12)
        if self.url is None:
            raise AssertionError("JupyterLab did not start:\n" + "\n".join(self.lines[-40:]))
        return self.url

    def stop(self) -> None:
        """Stop the server (it shuts its kernels down) and wait for it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(TIMEOUT * 3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(TIMEOUT)


@unittest.skipIf(CHROMIUM is None, "chromium is not on PATH (Debian: apt-get install -y chromium)")
class PanelInBrowserTests(unittest.TestCase):
    def setUp(self) -> None:
        from playwright.sync_api import expect, sync_playwright

        # Generous bounds for a busy machine; each wait ends as soon as the DOM matches.
        expect.set_options(timeout=TIMEOUT * 1000 * 3)

        self.root = Path(tempfile.mkdtemp(prefix="wsnb-lab-"))
        self.addCleanup(shutil.rmtree, self.root, ignore_errors=True)
        (self.root / "notebooks").mkdir()
        (self.root / "notebooks" / "panel.ipynb").write_text(json.dumps(notebook()))
        self.lab = JupyterLab(self.root)
        self.addCleanup(self.lab.stop)
        self.base = self.lab.wait_ready()
        self.playwright = sync_playwright().start()
        self.addCleanup(self.playwright.stop)
        self.browser = self.playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"],
        )
        self.addCleanup(self.browser.close)
        self.page = self.browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.set_default_timeout(TIMEOUT * 1000 * 3)
        self.page.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/]|wss?://127\.0\.0\.1[:/]|data:|blob:)"),
                        lambda route: route.abort())

    def run_next_cell(self) -> None:
        """Run the active cell and select the next, as Shift+Enter does.

        The command's promise is not awaited (it settles only when the cell
        is done, and evaluate() has no timeout); the DOM checks that follow
        wait, with a bound, for what the cell shows.
        """
        self.page.evaluate(
            "() => { window.jupyterapp.commands.execute('notebook:run-cell-and-select-next'); }"
        )

    def test_panel_comes_alive(self) -> None:
        """The badge goes CONNECTING then OPEN, messages echo while idle, Close 4000 leads to CLOSED."""
        try:
            self.drive_the_panel()
        except BaseException:
            # Keep a picture of what a person would have seen.
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(ARTIFACTS / "panel-browser-failure.png"), full_page=True)
            raise

    def drive_the_panel(self) -> None:
        from playwright.sync_api import expect

        page = self.page
        page.goto(f"{self.base}/lab/tree/panel.ipynb")
        expect(page.locator(".jp-Notebook")).to_be_visible()
        # Running a cell before the notebook's kernel is connected opens a
        # "Select Kernel" dialog: wait for the kernel itself to be idle.
        page.wait_for_function(KERNEL_IDLE)

        self.run_next_cell()
        badge = page.locator(".wsnb-badge .wsnb-state")
        expect(badge).to_have_attribute("data-state", "CONNECTING")
        expect(badge).to_have_text("CONNECTING (0)")

        self.run_next_cell()
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

        page.locator(".wsnb-close-code input").fill("4000")
        page.locator(".wsnb-close-reason input").fill("done in the browser")
        page.locator(".wsnb-close-button").click()
        expect(badge).to_have_attribute("data-state", "CLOSED")
        expect(badge).to_have_text("CLOSED (3)")
        expect(page.locator(".wsnb-log-rows tr[data-direction='event']", has_text="close code=4000")).to_contain_text(
            "wasClean=True"
        )
        expect(page.locator(".wsnb-timeline .wsnb-step[data-state='CLOSING']")).to_have_count(1)

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator(".wsnb-panel").screenshot(path=str(ARTIFACTS / "panel-browser.png"))
        page.screenshot(path=str(ARTIFACTS / "panel-browser-page.png"), full_page=True)
        self.assertGreater((ARTIFACTS / "panel-browser.png").stat().st_size, 0)


if __name__ == "__main__":
    unittest.main()
