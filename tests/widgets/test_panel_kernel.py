"""The connection panel in a real IPython kernel left idle (driven by jupyter_client).

A panel is only alive if the kernel keeps running its event loop between
cells: the socket's reader, the panel's coalesced updates and widget button
callbacks must all run while no cell does. Some ipykernel releases stopped
doing that; these tests catch it.

The WebSocket server runs here, in the test's own loop, so that the test can
push messages to the kernel's socket at a moment when the kernel is idle.
The front end is this test too: it reads the widget updates from iopub and
sends the comm messages a browser sends when a button is clicked.
"""

from __future__ import annotations

import asyncio
import json
import re
import unittest
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from ..support import TIMEOUT

SETUP = """\
import json
import wsnb, wsnb.widgets
ws = wsnb.WebSocket({url!r})
panel = wsnb.widgets.panel(ws)
display(panel)
await ws.wait_for("open", timeout=10)
print(json.dumps({{
    "counters": panel.counters.model_id,
    "table": panel.message_log._table.model_id,
    "text": panel.send_bar.text.model_id,
    "button": panel.send_bar.button.model_id,
}}))
"""

RECEIVED = re.compile(r'class="wsnb-in" data-messages="(\d+)"')
SENT = re.compile(r'class="wsnb-out" data-messages="(\d+)"')


class PanelInIdleKernelTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        self.connections: asyncio.Queue[ServerConnection] = asyncio.Queue()
        self.received: asyncio.Queue[str | bytes] = asyncio.Queue()

        async def handler(connection: ServerConnection) -> None:
            self.connections.put_nowait(connection)
            try:
                async for message in connection:
                    self.received.put_nowait(message)
                    await connection.send(message)
            except ConnectionClosed:
                pass

        self.server = await serve(handler, "127.0.0.1", 0)
        self.addAsyncCleanup(self.close_server)
        self.url = f"ws://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/"
        self.km = AsyncKernelManager(kernel_name="python3")
        await self.km.start_kernel()
        self.addAsyncCleanup(self.km.shutdown_kernel, now=True)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.addCleanup(self.kc.stop_channels)
        await self.kc.wait_for_ready(timeout=TIMEOUT * 6)

    async def close_server(self) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def run_cell(self, code: str) -> str:
        """Execute code and wait until the kernel is idle again; return its stdout."""
        output, _ = await self.run_cell_with_result(code)
        return output

    async def run_cell_with_result(self, code: str) -> tuple[str, dict[str, Any]]:
        """Execute code; return its stdout and its result's mime bundle ({} if none)."""
        msg_id = self.kc.execute(code)
        output: list[str] = []
        result: dict[str, Any] = {}
        while True:
            msg = await self.kc.get_iopub_msg(timeout=TIMEOUT * 3)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                output.append(content["text"])
            elif kind == "execute_result":
                result = content["data"]
            elif kind == "error":
                raise AssertionError("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                reply = await self.kc.get_shell_msg(timeout=TIMEOUT * 3)
                self.assertEqual(reply["content"]["status"], "ok")
                return "".join(output), result

    async def updates_until(self, comm_id: str, done: Any) -> list[dict[str, Any]]:
        """Read iopub, with no cell running, until an update of ``comm_id`` satisfies ``done``.

        Returns every state update of that widget seen on the way. Fails if
        an execute request starts meanwhile (none should: no cell runs).
        """
        seen: list[dict[str, Any]] = []
        while True:
            msg = await self.kc.get_iopub_msg(timeout=TIMEOUT * 3)
            self.assertNotEqual(msg["msg_type"], "execute_input", "a cell ran during the idle phase")
            if msg["msg_type"] != "comm_msg":
                continue
            content = msg["content"]
            data = content["data"]
            if content["comm_id"] == comm_id and data.get("method") == "update":
                seen.append(data["state"])
                if done(data["state"]):
                    return seen

    async def set_up_panel(self) -> dict[str, str]:
        ids = json.loads(await self.run_cell(SETUP.format(url=self.url)))
        # The cell has ended and the kernel is idle from here on.
        return ids

    async def test_messages_and_updates_flow_while_idle(self) -> None:
        """With no cell running, pushed messages reach the socket and the panel's widgets update, coalesced."""
        ids = await self.set_up_panel()
        connection = await asyncio.wait_for(self.connections.get(), TIMEOUT)
        count = 2000
        for number in range(count):
            await connection.send(f"push {number}")

        def all_counted(state: dict[str, Any]) -> bool:
            match = RECEIVED.search(state.get("value", ""))
            return match is not None and int(match.group(1)) == count

        counter_updates = await self.updates_until(ids["counters"], all_counted)
        self.assertLess(len(counter_updates), count, "the counters were updated once per message")
        # The log follows as well: its newest row is the last message.
        table = await self.updates_until(ids["table"], lambda state: f"push {count - 1}" in state.get("value", ""))
        self.assertLess(len(table), count)

    async def test_button_callback_sends_while_idle(self) -> None:
        """A Send click (a comm message from the front end) calls ws.send(), which reaches the server while idle."""
        ids = await self.set_up_panel()
        await asyncio.wait_for(self.connections.get(), TIMEOUT)
        for comm_id, data in (
            (ids["text"], {"method": "update", "state": {"value": "clicked with no cell running"}, "buffer_paths": []}),
            (ids["button"], {"method": "custom", "content": {"event": "click"}}),
        ):
            self.kc.shell_channel.send(self.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data}))
        message = await asyncio.wait_for(self.received.get(), TIMEOUT)
        self.assertEqual(message, "clicked with no cell running")

        def echoed(state: dict[str, Any]) -> bool:
            value = state.get("value", "")
            sent, received = SENT.search(value), RECEIVED.search(value)
            return sent is not None and received is not None and (sent.group(1), received.group(1)) == ("1", "1")

        await self.updates_until(ids["counters"], echoed)
        out = await self.run_cell("print([(row.direction, row.head) for row in panel.watcher.log if row.kind == 'text'])")
        self.assertEqual(
            out.strip(),
            "[('sent', 'clicked with no cell running'), ('received', 'clicked with no cell running')]",
        )

    async def test_socket_as_last_expression_shows_a_panel(self) -> None:
        """``ws`` at the end of a cell displays a live panel, with the socket's repr (no port) as its text."""
        _, bundle = await self.run_cell_with_result(f"import wsnb\nws = wsnb.WebSocket({self.url!r})\nws")
        self.assertEqual(bundle["text/plain"], "<WebSocket url='ws://127.0.0.1:PORT/' readyState=CONNECTING bufferedAmount=0>")
        model_id = bundle["application/vnd.jupyter.widget-view+json"]["model_id"]
        out = await self.run_cell(
            "from ipywidgets.widgets.widget import _instances\n"
            f"shown = _instances[{model_id!r}]\n"
            "print(type(shown).__name__, shown.ws is ws, ws._call_watchers == [shown.watcher._on_call], "
            f"{self.url!r} in repr(ws))"
        )
        self.assertEqual(out, "ConnectionPanel True True True\n")  # repr() keeps the port


if __name__ == "__main__":
    unittest.main()
