"""Sessions as HAR (wsnb/har.py): recorded from a real socket, valid HAR 1.2, loaded back, loaded from a DevTools-shaped file, replayed."""

from __future__ import annotations

import base64
import json
import tempfile
import unittest
from pathlib import Path
from typing import Any

from wsnb import WebSocket
from wsnb.har import HarRecorder, HarSession, har_document, load_har, replay
from wsnb.servers import serve

from .support import TIMEOUT

# HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): the fields it requires.
REQUIRED = {
    "log": ("version", "creator", "entries"),
    "creator": ("name", "version"),
    "entry": ("startedDateTime", "time", "request", "response", "cache", "timings"),
    "request": ("method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"),
    "response": ("status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL",
                 "headersSize", "bodySize"),
    "content": ("size", "mimeType"),
    "timings": ("send", "wait", "receive"),
}


def check_har(test: unittest.TestCase, document: dict[str, Any]) -> None:
    """Fail unless ``document`` has the structure HAR 1.2 requires."""
    log = document["log"]
    test.assertEqual(log["version"], "1.2")
    for name, part in [("log", log), ("creator", log["creator"])]:
        test.assertEqual([key for key in REQUIRED[name] if key not in part], [], name)
    for entry in log["entries"]:
        for name, part in [("entry", entry), ("request", entry["request"]), ("response", entry["response"]),
                           ("content", entry["response"]["content"]), ("timings", entry["timings"])]:
            test.assertEqual([key for key in REQUIRED[name] if key not in part], [], name)
        for header in entry["request"]["headers"] + entry["response"]["headers"]:
            test.assertEqual(sorted(header), ["name", "value"])
        test.assertIsInstance(entry["time"], (int, float))


class HarTests(unittest.IsolatedAsyncioTestCase):
    async def record_echo_session(self, server_url: str) -> HarRecorder:
        ws = WebSocket(server_url)
        recorder = HarRecorder(ws)
        replies = ws.record("message")
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.binaryType = "arraybuffer"
        ws.send("hello")
        ws.send(b"\x00\xff")
        ws.send('{"type": "ping"}')
        await replies.wait(3, timeout=TIMEOUT)
        ws.close()
        await ws.wait_for("close", timeout=TIMEOUT)
        ws.send("dropped: the socket is CLOSED")
        return recorder

    async def test_record_export_load(self) -> None:
        """A real echo session becomes a valid HAR 1.2 document that loads back to the same messages."""
        async with serve("echo") as server:
            recorder = await self.record_echo_session(server.url)
        document = recorder.to_har()
        check_har(self, document)
        entry = document["log"]["entries"][0]
        self.assertEqual(entry["_resourceType"], "websocket")
        self.assertEqual(entry["response"]["status"], 101)
        self.assertTrue(entry["request"]["url"].startswith("http://127.0.0.1:"))
        names = [header["name"] for header in entry["request"]["headers"]]
        self.assertIn("Sec-WebSocket-Key", names)
        kinds = [(message["type"], message["opcode"]) for message in entry["_webSocketMessages"]]
        # The three sends happen before any reply can be read; the dropped send is not there.
        self.assertEqual(kinds, [("send", 1), ("send", 2), ("send", 1), ("receive", 1), ("receive", 2), ("receive", 1)])
        binary = next(m for m in entry["_webSocketMessages"] if m["opcode"] == 2 and m["type"] == "send")
        self.assertEqual(base64.b64decode(binary["data"]), b"\x00\xff")
        times = [message["time"] for message in entry["_webSocketMessages"]]
        self.assertEqual(times, sorted(times))
        with tempfile.TemporaryDirectory() as directory:
            path = recorder.save(Path(directory) / "session.har")
            loaded = load_har(path)
        self.assertEqual(len(loaded), 1)
        self.assertEqual(loaded[0].messages, recorder.session().messages)
        self.assertEqual(loaded[0].url, recorder.ws.url)
        self.assertEqual(loaded[0].sent(), ["hello", b"\x00\xff", '{"type": "ping"}'])
        self.assertEqual(loaded[0].received(), ["hello", b"\x00\xff", '{"type": "ping"}'])

    async def test_replay(self) -> None:
        """Replaying a recorded echo session against a new echo server gives the recorded replies; elsewhere it differs."""
        async with serve("echo") as server:
            session = (await self.record_echo_session(server.url)).session()
        async with serve("echo") as again:
            result = await replay(session, again.url, speed=10)
        self.assertTrue(result.same, result.differences())
        self.assertEqual(result.sent, session.sent())
        async with serve("ticker", rate=50, seed=1) as other:
            different = await replay(session, other.url, speed=10, timeout=2)
        self.assertFalse(different.same)
        self.assertTrue(different.differences())

    def test_load_a_devtools_har(self) -> None:
        """A HAR shaped as Chrome saves one (a page request, then the socket) loads; the page request is skipped."""
        document = {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "pages": [],
                            "entries": [
            {"request": {"method": "GET", "url": "https://example.test/", "headers": []},
             "response": {"status": 200, "headers": []}, "_resourceType": "document"},
            {"startedDateTime": "2026-12-04T10:00:00.000Z",
             "request": {"method": "GET", "url": "wss://example.test/socket",
                         "headers": [{"name": "Sec-WebSocket-Protocol", "value": "chat"}]},
             "response": {"status": 101, "headers": [{"name": "Sec-WebSocket-Protocol", "value": "chat"}]},
             "_resourceType": "websocket",
             "_webSocketMessages": [
                 {"type": "send", "time": 1764842400.1, "opcode": 1, "data": "hi"},
                 {"type": "receive", "time": 1764842400.2, "opcode": 2, "data": "AAE="},
             ]},
        ]}}
        sessions = load_har(json.loads(json.dumps(document)))
        self.assertEqual(len(sessions), 1)
        session = sessions[0]
        self.assertIsInstance(session, HarSession)
        self.assertEqual((session.url, session.status), ("wss://example.test/socket", 101))
        self.assertEqual((session.sent(), session.received()), (["hi"], [b"\x00\x01"]))
        self.assertEqual(session.request_headers, [("Sec-WebSocket-Protocol", "chat")])
        # Written back out (a DevTools "…Z" start time included), it is still HAR 1.2.
        check_har(self, har_document(sessions))

    def test_bad_documents(self) -> None:
        """Not HAR, or a malformed message: a ValueError that says where."""
        with self.assertRaisesRegex(ValueError, "not a HAR document"):
            load_har({"entries": []})
        bad = {"log": {"entries": [{"_resourceType": "websocket", "request": {"url": "ws://h/"},
                                    "_webSocketMessages": [{"type": "send", "time": 1, "opcode": 9, "data": ""}]}]}}
        with self.assertRaisesRegex(ValueError, "entry 0, message 0"):
            load_har(bad)


if __name__ == "__main__":
    unittest.main()
