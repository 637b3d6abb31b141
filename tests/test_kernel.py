"""The mirror inside a real IPython kernel (driven by jupyter_client).

A browser dispatches events between scripts; a kernel must dispatch them
between cells, including while it sits idle with no cell running.
"""

from __future__ import annotations

import unittest
from typing import Any

from jupyter_client.manager import start_new_kernel

from .support import TIMEOUT


class KernelTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.km, cls.kc = start_new_kernel(kernel_name="python3", startup_timeout=TIMEOUT * 6)
        cls.nested_after_import = cls.run_cell(cls, "import sys, wsnb, wsnb.servers\n'nest_asyncio2' in sys.modules")  # type: ignore[arg-type]

    @classmethod
    def tearDownClass(cls) -> None:
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=True)

    def run_cell(self, code: str) -> str:
        """Execute code, wait for the kernel to go idle, return its text output."""
        msg_id = self.kc.execute(code)
        output: list[str] = []
        while True:
            msg: dict[str, Any] = self.kc.get_iopub_msg(timeout=TIMEOUT * 3)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                output.append(content["text"])
            elif kind == "execute_result":
                output.append(content["data"]["text/plain"])
            elif kind == "error":
                raise AssertionError("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(output)

    def wait_for_stream(self, text: str) -> None:
        """Read iopub, with no cell running, until a stream output contains ``text``."""
        while True:
            msg: dict[str, Any] = self.kc.get_iopub_msg(timeout=TIMEOUT * 3)
            if msg["msg_type"] == "stream" and text in msg["content"]["text"]:
                return

    def test_events_between_cells(self) -> None:
        """A socket made in one cell opens and receives while the kernel is idle."""
        self.run_cell(
            "import sys, wsnb, wsnb.servers\n"
            "server = await wsnb.servers.serve('echo')\n"
            "ws = wsnb.WebSocket(server.url)\n"
            "ws.onopen = lambda e: ws.send('sent from onopen')\n"
            "ws.onmessage = lambda e: print('got:', e.data)\n"
        )
        # The cell has ended and the kernel is idle: the open, the send from
        # onopen and the echo all happen now, with no cell running.
        self.wait_for_stream("got: sent from onopen")
        self.assertEqual(self.run_cell("ws.readyState.name"), "'OPEN'")

    def test_import_does_not_patch_the_loop(self) -> None:
        """Importing wsnb does not apply nest-asyncio2 to the kernel's loop."""
        self.assertEqual(self.nested_after_import, "False")

    def test_blocking_wait_inside_kernel(self) -> None:
        """block_until works on the kernel's running loop, through nest-asyncio2 applied lazily."""
        out = self.run_cell(
            "import sys, wsnb, wsnb.servers\n"
            "server2 = await wsnb.servers.serve('echo')\n"
            "ws2 = wsnb.WebSocket(server2.url)\n"
            "opened = ws2.block_until('open', timeout=10)\n"
            "ws2.close(4000, 'bye')\n"
            "closed = ws2.block_until('close', timeout=10)\n"
            "print(opened.type, closed.code, closed.reason, 'nest_asyncio2' in sys.modules)\n"
            "await server2.close()"
        )
        self.assertEqual(out, "open 4000 bye True\n")
