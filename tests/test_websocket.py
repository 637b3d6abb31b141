"""WebSocket (wsnb/websocket.py) against real lab servers on loopback.

Each test states one behaviour of the WHATWG WebSockets Standard (or a
clearly marked wsnb extra). web-platform-tests websockets/ is the guide to
what a browser promises; test names follow its cases where one exists.
"""

from __future__ import annotations

import asyncio
import threading
import unittest
import warnings
from typing import Any

from wsnb import (
    Blob,
    CloseEvent,
    DOMSyntaxError,
    Event,
    InvalidAccessError,
    InvalidStateError,
    MessageEvent,
    ReadyState,
    SocketClosed,
    WebSocket,
)
from wsnb import websocket as websocket_module
from wsnb.servers import serve

from .support import TIMEOUT, closed_port_url

CONNECTING, OPEN, CLOSING, CLOSED = ReadyState


class Recorder:
    """Listen to every event type of a socket and note what happened, with readyState."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.log: list[tuple[str, ReadyState]] = []
        for type in ("open", "message", "error", "close"):
            ws.addEventListener(type, self.note)

    def note(self, event: Event) -> None:
        self.log.append((event.type, self.ws.readyState))

    @property
    def types(self) -> list[str]:
        return [type for type, _ in self.log]


class ServerTestCase(unittest.IsolatedAsyncioTestCase):
    """Runs one lab server per test."""

    server_name = "echo"
    server_options: dict[str, Any] = {}

    async def asyncSetUp(self) -> None:
        self.server = await serve(self.server_name, **self.server_options)
        self.sockets: list[WebSocket] = []

    async def asyncTearDown(self) -> None:
        for ws in self.sockets:
            if ws.readyState is not CLOSED:
                ws.close()
                try:
                    await ws.wait_for("close", timeout=TIMEOUT)
                except SocketClosed:
                    pass
        await self.server.close()

    def connect(self, suffix: str = "", *args: Any, **kwargs: Any) -> WebSocket:
        ws = WebSocket(self.server.url + suffix, *args, **kwargs)
        self.sockets.append(ws)
        return ws

    async def open(self, suffix: str = "", *args: Any, **kwargs: Any) -> WebSocket:
        ws = self.connect(suffix, *args, **kwargs)
        await ws.wait_for("open", timeout=TIMEOUT)
        return ws


class ConstructorTests(ServerTestCase):
    async def test_initial_attributes(self) -> None:
        """A new socket is CONNECTING with empty protocol and extensions, binaryType 'blob'."""
        ws = self.connect()
        self.assertIs(ws.readyState, CONNECTING)
        self.assertEqual((ws.bufferedAmount, ws.protocol, ws.extensions, ws.binaryType), (0, "", "", "blob"))
        self.assertIsNone(ws.onopen)
        self.assertIsNone(ws.failure)
        self.assertEqual(ws.url, self.server.url)
        self.assertIs(ws.OPEN, OPEN)

    async def test_url_serialised(self) -> None:
        """url is the serialised URL: http mapped to ws, default port dropped, '/' added."""
        port = self.server.port
        ws = self.connect()
        ws.close()
        cases = {
            f"http://127.0.0.1:{port}": f"ws://127.0.0.1:{port}/",
            f"ws://127.0.0.1:{port}/a/../b?x=1": f"ws://127.0.0.1:{port}/b?x=1",
            "https://127.0.0.1:443/": "wss://127.0.0.1/",
        }
        for given, expected in cases.items():
            other = WebSocket(given, compression=None, open_timeout=1)
            self.sockets.append(other)
            self.assertEqual(other.url, expected)
            other.close()

    async def test_relative_url_with_base(self) -> None:
        """A relative URL is resolved against base_url."""
        ws = self.connect() if False else WebSocket("/chat?room=1", base_url=f"http://127.0.0.1:{self.server.port}/x/")
        self.sockets.append(ws)
        self.assertEqual(ws.url, f"ws://127.0.0.1:{self.server.port}/chat?room=1")
        await ws.wait_for("open", timeout=TIMEOUT)

    async def test_invalid_arguments_raise_before_connecting(self) -> None:
        """Bad URLs and subprotocols raise DOMSyntaxError; unknown options a TypeError naming them."""
        with self.assertRaises(DOMSyntaxError):
            WebSocket(self.server.url + "#frag")
        with self.assertRaises(DOMSyntaxError):
            WebSocket(self.server.url, ["chat", "chat"])
        with self.assertRaises(DOMSyntaxError):
            WebSocket(self.server.url, "has space")
        with self.assertRaisesRegex(TypeError, "unknown WebSocket option.*bogus"):
            WebSocket(self.server.url, bogus=1)
        with self.assertRaisesRegex(ValueError, "compression"):
            WebSocket(self.server.url, compression="gzip")
        self.assertEqual(self.server.lab.connections, 0)

    async def test_engine_options_checked(self) -> None:
        """A wrong type or value for an engine option raises at once, naming the option."""
        cases: list[tuple[dict[str, Any], type[Exception]]] = [
            ({"close_timeout": "10"}, TypeError),
            ({"ping_interval": "5"}, TypeError),
            ({"open_timeout": "x"}, TypeError),
            ({"ping_timeout": 0}, ValueError),
            ({"headers": 5}, TypeError),
            ({"headers": {"X-Count": 1}}, TypeError),
            ({"max_size": -1}, ValueError),
            ({"max_size": 1.5}, TypeError),
            ({"origin": b"http://a"}, TypeError),
            ({"record_frames": 1}, TypeError),
            ({"proxy": 8080}, TypeError),
            ({"ssl": True}, TypeError),
        ]
        for options, error in cases:
            (name,) = options
            with self.subTest(**options), self.assertRaises(error) as caught:
                WebSocket(self.server.url, **options)
            self.assertIn(name, str(caught.exception))
        self.assertEqual(self.server.lab.connections, 0)

    async def test_constants_are_read_only(self) -> None:
        """ws.OPEN = 9 raises, and the constant stays; readyState still compares with it."""
        ws = self.connect()
        with self.assertRaisesRegex(AttributeError, "OPEN is a constant"):
            ws.OPEN = 9  # type: ignore[misc]
        with self.assertRaises(AttributeError):
            del ws.CLOSED
        self.assertIs(ws.OPEN, OPEN)
        self.assertEqual((WebSocket.CONNECTING, ws.CLOSING), (0, 2))
        await ws.wait_for("open", timeout=TIMEOUT)
        self.assertEqual(ws.readyState, ws.OPEN)

    async def test_no_event_inside_constructor(self) -> None:
        """Handlers set right after the constructor still see open: events are dispatched later."""
        ws = self.connect()
        seen: list[str] = []
        ws.onopen = lambda e: seen.append("open")
        self.assertEqual(seen, [])
        await ws.wait_for("open", timeout=TIMEOUT)
        self.assertEqual(seen, ["open"])


class OpenTests(ServerTestCase):
    async def test_open_state_inside_handler(self) -> None:
        """readyState is OPEN inside the open handler, and the event is a trusted Event."""
        ws = self.connect()
        recorder = Recorder(ws)
        event = await ws.wait_for("open", timeout=TIMEOUT)
        self.assertEqual(recorder.log, [("open", OPEN)])
        self.assertEqual(type(event), Event)
        self.assertTrue(event.isTrusted)
        self.assertIs(event.target, ws)

    async def test_extensions_negotiated(self) -> None:
        """permessage-deflate is offered by default, like a browser, and reported in extensions."""
        ws = await self.open()
        self.assertTrue(ws.extensions.startswith("permessage-deflate"))
        plain = await self.open(compression=None)
        self.assertEqual(plain.extensions, "")


class SubprotocolTests(ServerTestCase):
    server_name = "subprotocol"

    async def test_selected_protocol(self) -> None:
        """protocol is the server's choice among those offered."""
        ws = await self.open("", ["v2.chat", "v1.chat"])
        self.assertEqual(ws.protocol, "v2.chat")

    async def test_single_str_protocol(self) -> None:
        """A single str is offered as one subprotocol."""
        ws = await self.open("", "json")
        self.assertEqual(ws.protocol, "json")

    async def test_none_offered_none_selected(self) -> None:
        """Offering none: protocol stays ''."""
        ws = await self.open()
        self.assertEqual(ws.protocol, "")

    async def test_server_selects_none(self) -> None:
        """Offered but none selected fails the connection: error, then close 1006."""
        ws = self.connect("?choose=none", ["chat"])
        recorder = Recorder(ws)
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(recorder.log, [("error", CLOSED), ("close", CLOSED)])
        self.assertEqual((close.code, close.wasClean), (1006, False))
        self.assertEqual(ws.failure.kind, "subprotocol")

    async def test_server_selects_unoffered(self) -> None:
        """A protocol the client did not offer fails the connection."""
        ws = self.connect("?choose=other", ["chat"])
        recorder = Recorder(ws)
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(recorder.types, ["error", "close"])
        self.assertEqual(close.code, 1006)
        self.assertEqual(ws.failure.kind, "subprotocol")
        self.assertEqual(ws.protocol, "")


class SendTests(ServerTestCase):
    async def test_send_while_connecting(self) -> None:
        """send() while CONNECTING raises InvalidStateError and queues nothing."""
        ws = self.connect()
        with self.assertRaises(InvalidStateError):
            ws.send("too early")
        self.assertEqual(ws.bufferedAmount, 0)
        replies = ws.record("message")
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.send("after open")
        await replies.wait(1, timeout=TIMEOUT)
        self.assertEqual(replies.data, ["after open"])

    async def test_buffered_amount_utf8(self) -> None:
        """bufferedAmount grows by UTF-8 bytes inside send(): 1, 3, 6, 10."""
        ws = await self.open()
        amounts = []
        for text in ["x", "å", "\u5336", "\U0001f600"]:
            ws.send(text)
            amounts.append(ws.bufferedAmount)
        self.assertEqual(amounts, [1, 3, 6, 10])

    async def test_buffered_amount_falls_when_loop_runs(self) -> None:
        """bufferedAmount falls back to 0 once the writer has sent the data."""
        ws = await self.open()
        replies = ws.record("message")
        ws.send(b"\x00" * 1000)
        ws.send("abc")
        self.assertEqual(ws.bufferedAmount, 1003)
        self.assertEqual(await ws.wait_for_buffered(0, timeout=TIMEOUT), 0)
        await replies.wait(2, timeout=TIMEOUT)
        self.assertEqual(ws.bufferedAmount, 0)

    async def test_data_types(self) -> None:
        """str goes as text; bytes, bytearray, memoryview (the view only) and Blob as binary."""
        ws = await self.open()
        ws.binaryType = "arraybuffer"
        replies = ws.record("message")
        data = bytearray(b"0123456789")
        ws.send("text")
        ws.send(b"bytes")
        ws.send(data)
        ws.send(memoryview(data)[2:5])
        ws.send(Blob([b"blob", "é"]))
        data[0:1] = b"X"  # send() copied the bytes already
        self.assertEqual(ws.bufferedAmount, 4 + 5 + 10 + 3 + 6)
        await replies.wait(5, timeout=TIMEOUT)
        self.assertEqual(replies.data, ["text", b"bytes", b"0123456789", b"234", b"blob\xc3\xa9"])

    async def test_lone_surrogate(self) -> None:
        """A lone surrogate is sent as U+FFFD (WebIDL USVString)."""
        ws = await self.open()
        replies = ws.record("message")
        ws.send("a\ud800b")
        self.assertEqual(ws.bufferedAmount, 5)
        await replies.wait(1, timeout=TIMEOUT)
        self.assertEqual(replies.data, ["a\ufffdb"])

    async def test_wrong_type(self) -> None:
        """Other types raise TypeError naming the type; bufferedAmount does not change."""
        ws = await self.open()
        for bad in [42, None, ["x"], {"a": 1}, 1.5]:
            with self.subTest(bad=bad), self.assertRaisesRegex(TypeError, f"bytes-like.*not {type(bad).__name__}"):
                ws.send(bad)  # type: ignore[arg-type]
        self.assertEqual(ws.bufferedAmount, 0)

    async def test_buffer_protocol_objects(self) -> None:
        """Any buffer-protocol object is sent as its raw bytes, like an ArrayBufferView (WPT Send-binary-arraybufferview-*)."""
        import array

        ws = await self.open()
        ws.binaryType = "arraybuffer"
        replies = ws.record("message")
        doubles = array.array("d", [1.5, -2.0, 3.25])
        shorts = array.array("h", [1, -1, 300])
        ws.send(doubles)
        ws.send(shorts)
        ws.send(memoryview(doubles)[1:])  # a view of part of the array: its 2 doubles only
        self.assertEqual(ws.bufferedAmount, 24 + 6 + 16)
        sent = [doubles.tobytes(), shorts.tobytes(), doubles.tobytes()[8:]]
        doubles[0] = 99.0  # send() copied the bytes already
        await replies.wait(3, timeout=TIMEOUT)
        self.assertEqual(replies.data, sent)
        self.assertEqual(array.array("d", replies.data[0]).tolist(), [1.5, -2.0, 3.25])

    async def test_numpy_arrays(self) -> None:
        """NumPy arrays are sent as their bytes; bufferedAmount counts nbytes, not len()."""
        try:
            import numpy as np
        except ImportError:  # pragma: no cover - numpy is not a dependency
            self.skipTest("numpy is not installed")
        ws = await self.open()
        ws.binaryType = "arraybuffer"
        replies = ws.record("message")
        grid = np.arange(6, dtype="<u2").reshape(2, 3)
        ws.send(grid)
        ws.send(np.float32(0.5).reshape(()))  # a 0-d array: one float32
        self.assertEqual(ws.bufferedAmount, 12 + 4)
        await replies.wait(2, timeout=TIMEOUT)
        self.assertEqual(replies.data, [grid.tobytes(), np.float32(0.5).tobytes()])

    async def test_non_contiguous_buffers(self) -> None:
        """A strided buffer is sent as the elements it shows, in row-major order (a wsnb rule: typed arrays are always contiguous)."""
        ws = await self.open()
        ws.binaryType = "arraybuffer"
        replies = ws.record("message")
        ws.send(memoryview(b"0123456789")[::2])
        expected = [b"02468"]
        size = 5
        try:
            import numpy as np
        except ImportError:  # pragma: no cover - numpy is not a dependency
            pass
        else:
            grid = np.arange(6, dtype="<u2").reshape(2, 3)
            for strided in (grid.T, grid[:, 1], np.asfortranarray(grid)):
                ws.send(strided)
                expected.append(np.ascontiguousarray(strided).tobytes())
                size += strided.nbytes
        self.assertEqual(ws.bufferedAmount, size)
        await replies.wait(len(expected), timeout=TIMEOUT)
        self.assertEqual(replies.data, expected)

    async def test_send_after_close(self) -> None:
        """After close(), send() does not raise, sends nothing and bufferedAmount keeps growing."""
        ws = await self.open()
        ws.close()
        ws.send("abc")
        ws.send(b"12")
        self.assertEqual(ws.bufferedAmount, 5)
        await ws.wait_for("close", timeout=TIMEOUT)
        ws.send("more")
        self.assertEqual(ws.bufferedAmount, 9)
        self.assertEqual(self.server.lab.messages, 0)

    async def test_order_kept(self) -> None:
        """Messages arrive in the order send() was called."""
        ws = await self.open()
        replies = ws.record("message")
        for n in range(200):
            ws.send(str(n))
        await replies.wait(200, timeout=TIMEOUT)
        self.assertEqual(replies.data, [str(n) for n in range(200)])

    async def test_send_from_another_thread(self) -> None:
        """send() from another thread is handed to the loop and delivered."""
        ws = await self.open()
        replies = ws.record("message")
        thread = threading.Thread(target=ws.send, args=("from a thread",))
        thread.start()
        thread.join()
        await replies.wait(1, timeout=TIMEOUT)
        self.assertEqual(replies.data, ["from a thread"])


class ReceiveTests(ServerTestCase):
    async def test_message_event(self) -> None:
        """A text message is a trusted MessageEvent with origin, lastEventId '', source None, ports []."""
        ws = await self.open()
        replies = ws.record("message")
        ws.send("hello")
        (event,) = await replies.wait(1, timeout=TIMEOUT)
        self.assertIsInstance(event, MessageEvent)
        self.assertEqual(event.data, "hello")
        self.assertEqual(event.origin, f"ws://127.0.0.1:{self.server.port}")
        self.assertEqual((event.lastEventId, event.source, event.ports), ("", None, []))
        self.assertTrue(event.isTrusted)

    async def test_binary_type_blob_default(self) -> None:
        """Binary messages are Blobs by default (binaryType 'blob')."""
        ws = await self.open()
        replies = ws.record("message")
        ws.send(b"\x01\x02\x03")
        (event,) = await replies.wait(1, timeout=TIMEOUT)
        self.assertIsInstance(event.data, Blob)
        self.assertEqual((event.data.size, event.data.type), (3, ""))
        self.assertEqual(await event.data.arrayBuffer(), b"\x01\x02\x03")

    async def test_binary_type_arraybuffer(self) -> None:
        """With binaryType 'arraybuffer', binary messages are bytes."""
        ws = await self.open()
        ws.binaryType = "arraybuffer"
        replies = ws.record("message")
        ws.send(b"\xff")
        await replies.wait(1, timeout=TIMEOUT)
        self.assertEqual(replies.data, [b"\xff"])

    async def test_binary_type_read_at_dispatch(self) -> None:
        """binaryType set in a handler applies to the next message dispatched."""
        ws = await self.open()
        kinds: list[str] = []

        def on_message(event: MessageEvent) -> None:
            kinds.append(type(event.data).__name__)
            ws.binaryType = "arraybuffer"

        ws.onmessage = on_message
        replies = ws.record("message")
        ws.send(b"a")
        ws.send(b"b")
        await replies.wait(2, timeout=TIMEOUT)
        self.assertEqual(kinds, ["Blob", "bytes"])

    async def test_invalid_binary_type_ignored(self) -> None:
        """An invalid binaryType is ignored, with a warning."""
        ws = self.connect()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ws.binaryType = "text"  # type: ignore[assignment]
        self.assertEqual(ws.binaryType, "blob")
        self.assertIn("'text' is ignored", str(caught[0].message))

    async def test_no_message_events_once_closing(self) -> None:
        """Messages that arrive after close() was called are not dispatched."""
        ws = await self.open()
        recorder = Recorder(ws)
        for n in range(5):
            ws.send(str(n))
        ws.close()
        await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(recorder.types, ["close"])


class CloseTests(ServerTestCase):
    async def test_invalid_codes(self) -> None:
        """Codes other than 1000 and 3000-4999 raise InvalidAccessError; state does not change."""
        ws = await self.open()
        for code in [0, 999, 1001, 1005, 1006, 2999, 5000, 65535]:
            with self.subTest(code=code), self.assertRaises(InvalidAccessError):
                ws.close(code)
        with self.assertRaises(TypeError):
            ws.close(True)  # type: ignore[arg-type]
        with self.assertRaises(TypeError):
            ws.close("1000")  # type: ignore[arg-type]
        self.assertIs(ws.readyState, OPEN)

    async def test_reason_length(self) -> None:
        """A reason over 123 UTF-8 bytes raises DOMSyntaxError (WPT Close-reason-124Bytes); 123 is fine."""
        ws = await self.open()
        with self.assertRaises(DOMSyntaxError):
            ws.close(1000, "x" * 124)
        with self.assertRaises(DOMSyntaxError):
            ws.close(1000, "é" * 62)  # 124 bytes in 62 characters
        with self.assertRaises(TypeError):
            ws.close(1000, b"bytes")  # type: ignore[arg-type]
        self.assertIs(ws.readyState, OPEN)
        ws.close(1000, "é" * 61 + "x")  # 123 bytes
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(close.reason, "é" * 61 + "x")

    async def test_close_without_code(self) -> None:
        """close() with no code sends no status; the event reports 1005, wasClean true."""
        ws = await self.open()
        recorder = Recorder(ws)
        ws.close()
        self.assertIs(ws.readyState, CLOSING)
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual((close.code, close.reason, close.wasClean), (1005, "", True))
        self.assertEqual(recorder.log, [("close", CLOSED)])
        self.assertEqual([(f.direction, f.code) for f in ws.frames], [("sent", 1005), ("received", 1005)])
        self.assertEqual(ws.frames[0].size, 0)
        self.assertEqual(str(ws.frames[0]), "> close (no status: reported as 1005)")

    async def test_close_with_code_and_reason(self) -> None:
        """close(4000, 'bye') reaches the server, which echoes it back."""
        ws = await self.open()
        ws.close(4000, "bye")
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual((close.code, close.reason, close.wasClean), (4000, "bye", True))
        self.assertIsInstance(close, CloseEvent)
        self.assertIsNone(ws.failure)

    async def test_close_twice(self) -> None:
        """A second close() does nothing: one close event."""
        ws = await self.open()
        recorder = Recorder(ws)
        ws.close(1000)
        ws.close(4001)
        await ws.wait_for("close", timeout=TIMEOUT)
        ws.close()
        self.assertEqual(recorder.types, ["close"])
        self.assertEqual(ws.frames[0].code, 1000)

    async def test_pending_data_sent_before_close(self) -> None:
        """Data sent before close() is still delivered, then the Close frame."""
        ws = await self.open(record_frames=True)
        for n in range(10):
            ws.send(f"m{n}")
        ws.close(1000)
        await ws.wait_for("close", timeout=TIMEOUT)
        sent = [str(frame) for frame in ws.frames if frame.direction == "sent"]
        self.assertEqual(sent, ["> text 2 B"] * 10 + ["> close 1000 ''"])
        self.assertEqual(ws.bufferedAmount, 0)

    async def test_close_while_connecting(self) -> None:
        """close() while CONNECTING fails the connection: CLOSING, then error and close 1006."""
        ws = self.connect()
        recorder = Recorder(ws)
        ws.close(1000, "never mind")
        self.assertIs(ws.readyState, CLOSING)
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(recorder.log, [("error", CLOSED), ("close", CLOSED)])
        self.assertEqual((close.code, close.reason, close.wasClean), (1006, "", False))
        self.assertEqual(ws.failure.kind, "closed-while-connecting")

    async def test_close_in_open_handler(self) -> None:
        """close() called from the open handler closes cleanly."""
        ws = self.connect()
        ws.onopen = lambda e: ws.close(4002, "from onopen")
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual((close.code, close.reason, close.wasClean), (4002, "from onopen", True))


class ServerCloseTests(ServerTestCase):
    server_name = "close-lab"

    async def test_server_code_and_reason(self) -> None:
        """The server's close code and reason reach the CloseEvent; wasClean is true."""
        for code, reason in [(1000, ""), (1001, "going away"), (1011, "oops"), (3000, "x"), (4999, "é")]:
            with self.subTest(code=code):
                ws = self.connect(f"?code={code}&reason={reason}")
                recorder = Recorder(ws)
                close = await ws.wait_for("close", timeout=TIMEOUT)
                self.assertEqual((close.code, close.reason, close.wasClean), (code, reason, True))
                self.assertEqual(recorder.log, [("open", OPEN), ("close", CLOSED)])

    async def test_server_closes_without_status(self) -> None:
        """A Close frame with no status is reported as 1005."""
        ws = self.connect("?code=none")
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual((close.code, close.wasClean), (1005, True))

    async def test_server_close_by_command(self) -> None:
        """A close asked for after open carries the server's code and reason."""
        ws = await self.open()
        ws.send('{"close": 1008, "reason": "policy"}')
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual((close.code, close.reason, close.wasClean), (1008, "policy", True))

    async def test_server_close_frame_starts_closing(self) -> None:
        """The server's Close frame makes readyState CLOSING, after the messages sent before it."""
        ws = await self.open()
        recorder = Recorder(ws)
        ws.watch_calls(lambda call, *details: recorder.log.append((call, ws.readyState)))
        ws.send("not a command")  # answered with an "error: ..." message
        ws.send('{"close": 4001, "reason": "done"}')
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(
            [entry for entry in recorder.log if entry[0] != "send"],
            [("message", OPEN), ("close-frame", CLOSING), ("close", CLOSED)],
        )
        self.assertEqual((close.code, close.reason, close.wasClean), (4001, "done", True))

    async def test_close_frame_right_after_handshake(self) -> None:
        """A Close frame that arrives with the handshake still passes through CLOSING."""
        ws = self.connect("?code=4002&reason=early")
        states: list[tuple[Any, ...]] = []
        ws.watch_calls(lambda *call: states.append((*call, ws.readyState)))
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(states, [("close-frame", 4002, "early", CLOSING)])
        self.assertEqual(close.code, 4002)

    async def test_send_and_close_while_server_closing(self) -> None:
        """While the server's close is under way, send() is dropped but counted and close() does nothing."""
        ws = await self.open()
        seen: list[Any] = []

        def on_close_frame(call: str, *details: Any) -> None:
            if call == "close-frame":
                ws.send("too late")
                ws.close(1000, "ignored")
                seen.append((ws.readyState, ws.bufferedAmount))

        ws.watch_calls(on_close_frame)
        ws.send('{"close": 4003}')
        closes = ws.record("close")
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(seen, [(CLOSING, len("too late"))])
        self.assertEqual((close.code, close.reason), (4003, ""))
        self.assertEqual(len(closes), 1)
        self.assertEqual(ws.bufferedAmount, len("too late"))
        sent = [frame for frame in ws.frames if frame.direction == "sent"]
        self.assertEqual([(frame.opcode, frame.code) for frame in sent], [("close", 4003)])

    async def test_failure_skips_closing(self) -> None:
        """A connection that fails (no Close frame from the server) goes from OPEN to CLOSED."""
        ws = await self.open()
        calls: list[str] = []
        ws.watch_calls(lambda call, *details: calls.append(call))
        ws.send('{"drop": true}')
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual((close.code, close.wasClean), (1006, False))
        self.assertNotIn("close-frame", calls)


class FailureTests(ServerTestCase):
    """Every failure reaches the script as error, then close 1006, wasClean false."""

    async def assert_failed(self, ws: WebSocket, kind: str) -> None:
        recorder = Recorder(ws)
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual([t for t in recorder.log if t[0] != "open"], [("error", CLOSED), ("close", CLOSED)])
        self.assertEqual((close.code, close.reason, close.wasClean), (1006, "", False))
        self.assertEqual(ws.failure.kind, kind, ws.failure)
        self.assertIs(ws.readyState, CLOSED)

    async def test_huge_url_gets_the_servers_answer(self) -> None:
        """A 5 MB URL fails on the server's refusal, even while the request is still being written.

        websockets 17 answers HTTP 414; websockets 16 answers with a
        response the client cannot parse. Either way the failure says what
        the server did, not an internal error of the engine.
        """
        ws = WebSocket(self.server.url + "?q=" + "a" * 5_000_000)
        recorder = Recorder(ws)
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual([entry[0] for entry in recorder.log], ["error", "close"])
        self.assertEqual((close.code, close.wasClean), (1006, False))
        self.assertIn(ws.failure.kind, ("http-status", "handshake"), ws.failure)
        if ws.failure.kind == "http-status":
            self.assertEqual(ws.failure.status, 414)

    async def test_refused(self) -> None:
        """Nothing listening: refused."""
        ws = WebSocket(closed_port_url())
        await self.assert_failed(ws, "refused")
        with self.assertRaises(SocketClosed):
            await ws.wait_for("open", timeout=TIMEOUT)

    async def test_http_status(self) -> None:
        """A 403 answer to the handshake; the status is kept as a wsnb extra."""
        server = await serve("reject")
        try:
            ws = WebSocket(server.url + "?status=403")
            await self.assert_failed(ws, "http-status")
            self.assertEqual(ws.failure.status, 403)
        finally:
            await server.close()

    async def test_invalid_utf8(self) -> None:
        """A text message with invalid UTF-8 fails the connection."""
        server = await serve("bad-frames")
        try:
            ws = WebSocket(server.url + "?send=invalid-utf8")
            await self.assert_failed(ws, "invalid-utf8")
            self.assertEqual(ws.failure.close_code, 1007)
            self.assertIs(type(ws.failure.close_code), int)
        finally:
            await server.close()

    async def test_message_too_big(self) -> None:
        """A message over max_size fails the connection (the engine sends 1009)."""
        server = await serve("bad-frames")
        try:
            ws = WebSocket(server.url + "?send=oversized&size=70000", max_size=65536)
            await self.assert_failed(ws, "message-too-big")
            self.assertEqual(ws.failure.close_code, 1009)
        finally:
            await server.close()

    async def test_abrupt_drop(self) -> None:
        """A TCP connection dropped without a Close frame."""
        server = await serve("close-lab")
        try:
            ws = WebSocket(server.url + "?drop=1")
            await self.assert_failed(ws, "connection-lost")
        finally:
            await server.close()

    async def test_reserved_close_code_from_server(self) -> None:
        """A server sending a reserved close code (1004) breaks the protocol."""
        server = await serve("close-lab")
        try:
            ws = WebSocket(server.url + "?code=1004")
            await self.assert_failed(ws, "protocol-error")
        finally:
            await server.close()

    async def test_error_event_is_plain(self) -> None:
        """The error event is a plain, trusted Event that says nothing."""
        ws = WebSocket(closed_port_url())
        error = await ws.wait_for("error", timeout=TIMEOUT)
        self.assertEqual(type(error), Event)
        self.assertEqual(repr(error), "Event(type='error')")
        self.assertTrue(error.isTrusted)


class StalledPeerTests(ServerTestCase):
    server_name = "slow-reader"
    server_options = {"pause_seconds": None}

    async def test_buffered_amount_rises_and_falls(self) -> None:
        """A peer that stops reading makes bufferedAmount climb; it falls to 0 once it reads."""
        ws = await self.open()
        ws.send("pause")
        await self.server.lab.wait_paused()
        chunk = b"\x00" * 2**18
        for _ in range(64):  # 16 MiB: far more than the kernel's socket buffers hold
            ws.send(chunk)
        self.assertEqual(ws.bufferedAmount, 64 * len(chunk))
        # Let the writer push all the network will take from a stalled peer.
        # The stall is the behaviour under test, so this wait is the test.
        with self.assertRaises(TimeoutError):
            await ws.wait_for_buffered(2**23, timeout=0.5)
        self.assertGreater(ws.bufferedAmount, 2**23)
        self.server.lab.resume()
        self.assertEqual(await ws.wait_for_buffered(0, timeout=TIMEOUT), 0)

    async def test_wait_for_buffered_raises_when_closed(self) -> None:
        """Waiting for the buffer to drain raises SocketClosed if the socket closes first."""
        ws = await self.open()
        ws.send("pause")
        await self.server.lab.wait_paused()
        ws.send(b"\x00" * 2**24)
        waiting = asyncio.ensure_future(ws.wait_for_buffered(0, timeout=TIMEOUT))
        await asyncio.sleep(0)
        ws.close()
        self.server.lab.resume()
        try:
            await waiting
        except SocketClosed:
            pass
        self.assertIs(ws.readyState, CLOSED)


class EndedLoopTests(unittest.TestCase):
    """A socket whose event loop ended (its asyncio.run() returned) reads CLOSED and says why."""

    def test_socket_outlives_its_loop(self) -> None:
        async def serve_and_open() -> tuple[Any, WebSocket]:
            server = await serve("echo")
            ws = WebSocket(server.url)
            await ws.wait_for("open", timeout=TIMEOUT)
            return server, ws

        server, ws = asyncio.run(serve_and_open())
        self.assertIs(ws.readyState, CLOSED)
        self.assertEqual(ws.failure.kind, "loop-ended")
        self.assertNotIn(ws, websocket_module._live)
        ws.send("after the loop")  # as on any CLOSED socket: counted, not sent, no exception
        self.assertEqual(ws.bufferedAmount, len("after the loop"))
        ws.close()  # nothing to do
        with self.assertRaisesRegex(InvalidStateError, "event loop .* has ended"):
            ws.block_until("close", timeout=TIMEOUT)


class ExtrasTests(ServerTestCase):
    async def test_record_frames(self) -> None:
        """With record_frames=True every frame is logged, with sizes and close codes."""
        ws = await self.open(record_frames=True)
        replies = ws.record("message")
        ws.send("hi")
        ws.send(b"\x00\x01\x02")
        await replies.wait(2, timeout=TIMEOUT)
        ws.close(1000, "done")
        await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(
            [str(frame) for frame in ws.frames],
            ["> text 2 B", "> binary 3 B", "< text 2 B", "< binary 3 B", "> close 1000 'done'", "< close 1000 'done'"],
        )

    async def test_close_frames_always_recorded(self) -> None:
        """Without record_frames only the close frames are kept."""
        ws = await self.open()
        ws.send("hi")
        ws.close(4000)
        await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual([str(f) for f in ws.frames], ["> close 4000 ''", "< close 4000 ''"])

    async def test_watch_calls(self) -> None:
        """watch_calls() reports send() and close() calls, with the state; unwatch_calls() stops it."""
        ws = await self.open()
        calls: list[tuple[Any, ...]] = []

        def watcher(*call: Any) -> None:
            calls.append(call)

        ws.watch_calls(watcher)
        ws.send("hé")
        ws.send(b"\x01")
        ws.unwatch_calls(watcher)
        ws.unwatch_calls(watcher)  # twice: nothing happens
        ws.send("unseen")
        ws.watch_calls(watcher)
        ws.close(4000, "bye")
        ws.send("late")
        await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(calls, [
            ("send", "hé".encode(), True, OPEN),
            ("send", b"\x01", False, OPEN),
            ("close", 4000, "bye"),
            ("send", b"late", True, CLOSING),
        ])
        with self.assertRaises(TypeError):
            ws.watch_calls("not callable")  # type: ignore[arg-type]

    async def test_observation_api(self) -> None:
        """The socket's loop is the running one; last_event() keeps open and close."""
        ws = self.connect()
        self.assertIs(ws.loop, asyncio.get_running_loop())
        self.assertEqual(ws.final_event_type, "close")
        self.assertIsNone(ws.last_event("open"))
        opened = await ws.wait_for("open", timeout=TIMEOUT)
        self.assertIs(ws.last_event("open"), opened)
        ws.close()
        closed = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertIs(ws.last_event("close"), closed)

    async def test_repr(self) -> None:
        """repr shows url, readyState and bufferedAmount."""
        ws = self.connect()
        self.assertEqual(repr(ws), f"<WebSocket url='{self.server.url}' readyState=CONNECTING bufferedAmount=0>")

    async def test_aliases(self) -> None:
        """snake_case aliases read and write the spec attributes."""
        ws = await self.open()
        self.assertIs(ws.ready_state, ws.readyState)
        ws.binary_type = "arraybuffer"
        self.assertEqual(ws.binaryType, "arraybuffer")
        self.assertEqual(ws.buffered_amount, 0)

    async def test_extra_headers_origin_and_user_agent(self) -> None:
        """Engine options reach the opening handshake: headers, origin and User-Agent."""
        from websockets.asyncio.server import serve as raw_serve

        seen: list[Any] = []

        def process_request(connection: Any, request: Any) -> None:
            seen.append(request.headers)

        async def handler(connection: Any) -> None:
            await connection.wait_closed()

        async with raw_serve(handler, "127.0.0.1", 0, process_request=process_request) as raw:
            port = raw.sockets[0].getsockname()[1]
            ws = WebSocket(f"ws://127.0.0.1:{port}/", headers={"X-Course": "wsnb"}, origin="http://notebook.local", user_agent="learner/1.0")
            await ws.wait_for("open", timeout=TIMEOUT)
            ws.close()
            await ws.wait_for("close", timeout=TIMEOUT)
        (headers,) = seen
        self.assertEqual(headers["X-Course"], "wsnb")
        self.assertEqual(headers["Origin"], "http://notebook.local")
        self.assertEqual(headers["User-Agent"], "learner/1.0")
        self.assertIn("permessage-deflate", headers["Sec-WebSocket-Extensions"])
