"""The course, run as a learner runs it: Run All in JupyterLab, in headless Chromium.

nbval runs every cell whatever happens; JupyterLab's *Run All* stops at the
first cell that raises, unless the cell carries the ``raises-exception``
tag. This test opens each notebook of the course (outputs and execution
counts removed first, so nothing left from the committed run can pass for a
fresh one) in a real JupyterLab, runs all cells with the same command as
*Run > Run All Cells*, waits until the kernel replied to every cell's
execute request (or a cell raised), and checks: every code cell ran (its
reply is not "aborted"), and only tagged cells hold an error. It also checks that no widget
failed to render ("Error displaying widget").

Requests to anything but 127.0.0.1 are refused (see ``harness``). Without
``chromium`` on PATH the test is skipped with that reason.
"""

from __future__ import annotations

import json
import unittest
from pathlib import Path
from typing import Any

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from ..support import TIMEOUT, missing_program
from . import harness

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
COURSE = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))

# Record, from now on, the execute requests the page sends to the current
# notebook's kernel and the kernel's replies to them. A cell's execution count
# is not enough to tell that it ran: JupyterLab sets it only once the request
# also got an "idle" status naming it, and ipykernel 7 sometimes names another
# request in that status while Run All overlaps cells (the cell then keeps
# showing [*] although the kernel replied). The replies are what the kernel did.
WATCH_REPLIES = """() => {
    const widget = window.jupyterapp.shell.currentWidget;
    const kernel = widget.sessionContext.session.kernel;
    const record = { requests: [], replies: {} };
    window.__wsnbRunAll = record;
    kernel.anyMessage.connect((_, args) => {
        const msg = args.msg;
        if (args.direction === "send" && msg.header.msg_type === "execute_request") {
            record.requests.push(msg.header.msg_id);
        } else if (args.direction === "recv" && msg.header.msg_type === "execute_reply") {
            record.replies[msg.parent_header.msg_id] = msg.content.status;
        }
    });
}"""

# The state of the current notebook: the kernel's replies and JupyterLab's models.
STATE = """() => {
    const widget = window.jupyterapp.shell.currentWidget;
    const record = window.__wsnbRunAll;
    if (!widget || !widget.content || !widget.sessionContext || !record) return null;
    const session = widget.sessionContext.session;
    const kernel = session && session.kernel;
    const cells = widget.content.widgets.filter(cell => cell.model.type === "code");
    const replies = record.requests.map(id => record.replies[id]).filter(status => status !== undefined);
    return {
        idle: !!(kernel && kernel.connectionStatus === "connected" && kernel.status === "idle"),
        sent: record.requests.length,
        replied: replies.length,
        ran: replies.filter(status => status !== "aborted").length,
        cells: cells.length,
        errors: cells.map((cell, index) => ({
            index,
            tagged: (cell.model.getMetadata("tags") || []).includes("raises-exception"),
            errors: cell.model.outputs.toJSON()
                .filter(output => output.output_type === "error")
                .map(output => `${output.ename}: ${output.evalue}`),
        })).filter(cell => cell.errors.length > 0),
    };
}"""
DONE = f"""() => {{
    const state = ({STATE})();
    return !!state && state.idle && ((state.sent === state.cells && state.replied === state.sent)
        || state.errors.some(cell => !cell.tagged));
}}"""


# Whether the notebook named by the argument is the one shown.
CURRENT = """name => {
    const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    return !!widget && widget.title.label === name;
}"""


def fresh(path: Path) -> dict[str, Any]:
    """The notebook at ``path`` with its outputs and execution counts removed."""
    content: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for cell in content["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return content


@harness.requires_chromium
class RunAllInJupyterLabTests(unittest.TestCase):
    def test_run_all_each_notebook(self) -> None:
        """Run All on each notebook runs every cell; only cells tagged raises-exception hold an error."""
        self.assertGreater(len(COURSE), 20, "the course's notebooks are missing")
        session = harness.start_on(
            self, {path.name: fresh(path) for path in COURSE}, viewport={"width": 1300, "height": 900}
        )
        page = session.page
        # Leaving a notebook whose outputs changed asks "leave the page?"
        # (beforeunload); Playwright would dismiss it, and stay.
        page.on("dialog", lambda dialog: dialog.accept())
        for path in COURSE:
            with self.subTest(notebook=path.name):
                reason = missing_program(path.name)
                if reason is not None:
                    self.skipTest(reason)
                page.goto(f"{session.base}/lab/tree/{path.name}")
                page.wait_for_function(CURRENT, arg=path.name, polling=250)
                harness.wait_for_idle_kernel(page)
                page.evaluate(WATCH_REPLIES)
                page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
                try:
                    try:
                        page.wait_for_function(DONE, polling=250, timeout=TIMEOUT * 1000 * 30)
                    except PlaywrightTimeoutError:
                        shot = harness.screenshot(page, f"run-all-{path.stem}.png")
                        self.fail(f"Run All did not finish ({shot.name}): {page.evaluate(STATE)}")
                    self.check_run(page, path)
                finally:
                    # Even after a failure: a kernel left running (a live plot
                    # streaming, say) would slow every notebook after it.
                    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")

    def check_run(self, page: Page, path: Path) -> None:
        """Every code cell ran, only tagged cells raised, and every widget rendered."""
        state = page.evaluate(STATE)
        untagged = [cell for cell in state["errors"] if not cell["tagged"]]
        self.assertEqual(untagged, [], "cells that raised without the raises-exception tag")
        self.assertEqual(state["ran"], state["cells"], "Run All stopped before the last cell")
        tagged = [cell["index"] for cell in state["errors"]]
        expected = [
            index for index, cell in enumerate(c for c in fresh(path)["cells"] if c["cell_type"] == "code")
            if "raises-exception" in cell["metadata"].get("tags", [])
        ]
        self.assertEqual(tagged, expected, "a cell tagged raises-exception did not raise")
        broken = page.get_by_text("Error displaying widget")
        if broken.count():
            shot = harness.screenshot(page, f"widget-error-{path.stem}.png")
            self.fail(f"{broken.count()} widget(s) failed to render ({shot.name}): {broken.all_inner_texts()}")


if __name__ == "__main__":
    unittest.main()
