"""What the browser tests share: JupyterLab, Chromium, Playwright.

``start(test, cells, name)`` writes a notebook built from ``cells`` into a
temporary directory, starts JupyterLab on it in a child process (a free
loopback port, no token, no password, its own config, runtime, workspace
and settings directories, so nothing of the user's is read or written),
launches Debian's ``chromium`` found on PATH through Playwright (Playwright's
own browser downloads are never used) and opens a page that refuses every
request but those to 127.0.0.1, so a test never reaches the network.
Everything is stopped and removed by the test's cleanups.

``requires_chromium`` skips a test class, with that reason, when
``chromium`` is not on PATH.

Two ways to run a cell, because the tests need both:

- ``run_next_cell`` runs the active cell through the
  ``notebook:run-cell-and-select-next`` command without awaiting it;
- ``run_cell`` clicks into a cell and presses Shift+Enter, as a person does:
  a command promise awaited next to a live ipympl plot may never settle.

Before running a cell, ``wait_for_idle_kernel`` waits for the notebook's
kernel to be connected and idle (a cell run before that opens a "Select
Kernel" dialog or does nothing).

Screenshots go to ``test-artifacts/`` (or to ``$WSNB_TEST_ARTIFACTS``).
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
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..support import TIMEOUT

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page, ViewportSize

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SKIP_REASON = "chromium is not on PATH (Debian: apt-get install -y chromium); Playwright's own browsers are not used"
requires_chromium = unittest.skipIf(CHROMIUM is None, SKIP_REASON)

ARTIFACTS = Path(os.environ.get("WSNB_TEST_ARTIFACTS") or Path(__file__).resolve().parents[2] / "test-artifacts")
LOOPBACK_ONLY = re.compile(r"^(?!https?://127\.0\.0\.1[:/]|wss?://127\.0\.0\.1[:/]|data:|blob:)")
READY = re.compile(r"(http://127\.0\.0\.1:\d+)/lab")
# Needs LabApp.expose_app_in_browser (set below).
KERNEL_IDLE = """() => {
    const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const session = widget && widget.sessionContext && widget.sessionContext.session;
    return !!(session && session.kernel && session.kernel.connectionStatus === "connected"
              && session.kernel.status === "idle");
}"""


def notebook(cells: list[str]) -> dict[str, Any]:
    """A notebook of code cells with these sources, as nbformat 4 JSON."""
    return {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"cell-{index}", "metadata": {},
             "outputs": [], "source": source}
            for index, source in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


class JupyterLab:
    """JupyterLab in a child process on a free loopback port, no token, no password.

    The server binds port 0 (the system picks a free port, so no other
    process can take it between choosing and binding) and the URL it prints
    tells which port that is.
    """

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
                "workspaces_dir": str(root / "workspaces"),
                "user_settings_dir": str(root / "settings"),
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
        if self.url is None or self.process.poll() is not None:
            raise AssertionError("JupyterLab did not start:\n" + "\n".join(self.lines[-40:]))
        return self.url

    def stop(self) -> None:
        """Stop the server (it shuts its kernels down) and wait for it to exit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(TIMEOUT * 3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(TIMEOUT)


@dataclass
class Session:
    """A running JupyterLab and a Chromium page, ready to open ``notebook_url``."""

    lab: JupyterLab
    base: str
    notebook_url: str
    page: Page


def start(test: unittest.TestCase, cells: list[str], name: str, *, viewport: ViewportSize) -> Session:
    """Start JupyterLab on a notebook ``name`` built from ``cells``, and a Chromium page.

    Everything started is stopped, and the temporary directory removed, by
    the test's cleanups. The page and ``expect`` wait at most a generous
    bound for a busy machine; each wait ends as soon as the DOM matches.
    """
    return start_on(test, {name: notebook(cells)}, viewport=viewport)


def start_on(test: unittest.TestCase, notebooks: dict[str, dict[str, Any]], *, viewport: ViewportSize) -> Session:
    """Start JupyterLab on these notebooks (file name: nbformat JSON), and a Chromium page.

    ``notebook_url`` opens the first one; open the others at
    ``f"{session.base}/lab/tree/{name}"``. Cleanups as for :func:`start`.
    """
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT * 1000 * 3)

    root = Path(tempfile.mkdtemp(prefix="wsnb-lab-"))
    test.addCleanup(shutil.rmtree, root, ignore_errors=True)
    (root / "notebooks").mkdir()
    for file_name, content in notebooks.items():
        (root / "notebooks" / file_name).write_text(json.dumps(content))
    name = next(iter(notebooks))
    lab = JupyterLab(root)
    test.addCleanup(lab.stop)
    base = lab.wait_ready()
    playwright = sync_playwright().start()
    test.addCleanup(playwright.stop)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    test.addCleanup(browser.close)
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(TIMEOUT * 1000 * 3)
    page.route(LOOPBACK_ONLY, lambda route: route.abort())
    return Session(lab=lab, base=base, notebook_url=f"{base}/lab/tree/{name}", page=page)


def wait_for_idle_kernel(page: Page) -> None:
    """Wait until the current notebook's kernel is connected and idle."""
    page.wait_for_function(KERNEL_IDLE)


def run_next_cell(page: Page) -> None:
    """Run the active cell and select the next, as Shift+Enter does.

    The command's promise is not awaited (it settles only when the cell
    is done, and evaluate() has no timeout); the DOM checks that follow
    wait, with a bound, for what the cell shows.
    """
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-cell-and-select-next'); }")


def run_cell(page: Page, index: int) -> None:
    """Run a cell as a person does: click into it, press Shift+Enter.

    Awaiting a ``notebook:run-cell`` command next to a live ipympl plot may
    never settle; this returns once the keys are pressed.
    """
    cell = page.locator(".jp-Cell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    cell.locator(".jp-InputArea-editor .cm-content").press("Shift+Enter")


def screenshot(target: Page | Locator, name: str, **options: Any) -> Path:
    """Save a screenshot of a page or an element as ``ARTIFACTS / name``, and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    target.screenshot(path=str(path), **options)
    return path
