"""Tests of wsnb.patterns.chunking, with the big and echo lab servers."""

from __future__ import annotations

import hashlib
from array import array
import json
import unittest

from wsnb import InvalidStateError, WebSocket
from wsnb.patterns import (
    HEADER,
    Chunk,
    Chunked,
    ChunkError,
    MessageErrorEvent,
    Reassembler,
    parse_chunk,
    split_message,
)
from wsnb.servers import big_payload, serve

from .patterns_support import TIMEOUT, bounded, closed, with_timeouts


class FormatTests(unittest.TestCase):
    def test_header_layout(self):
        """A chunk is a 16-byte big-endian header, then its slice of the message."""
        [chunk] = split_message(b"abc", 100, 7)
        self.assertEqual(HEADER.size, 16)
        self.assertEqual(chunk, b"WC\x01\x01" + (7).to_bytes(4, "big") + (0).to_bytes(4, "big") + (1).to_bytes(4, "big") + b"abc")
        self.assertEqual(parse_chunk(chunk), Chunk(7, 0, 1, False, b"abc"))

    def test_split_in_bytes_not_characters(self):
        """Text is cut in UTF-8 bytes; every chunk fits the limit; reassembly restores the text."""
        text = "é€😀" * 1000
        chunks = split_message(text, 100, 1)
        self.assertTrue(all(len(c) <= 100 for c in chunks))
        self.assertEqual(len(chunks), -(-len(text.encode()) // 84))
        reassembler = Reassembler()
        results = [reassembler.feed(parse_chunk(c)) for c in chunks]
        self.assertEqual(results[-1], text)
        self.assertEqual(results[:-1], [None] * (len(chunks) - 1))
        self.assertEqual(reassembler.completed, 1)

    def test_edge_cases(self):
        """An empty message is one chunk; a lone surrogate becomes U+FFFD, as send() does."""
        [empty] = split_message("", 17, 0)
        self.assertEqual(Reassembler().feed(parse_chunk(empty)), "")
        [lone] = split_message("a\ud800b", 100, 0)
        self.assertEqual(Reassembler().feed(parse_chunk(lone)), "a\ufffdb")
        with self.assertRaises(ValueError):
            split_message(b"", 16, 0)
        with self.assertRaises(ValueError):
            split_message(b"", 100, 2**32)

    def test_parse(self):
        """Data without the magic is not a chunk; a bad header is a ChunkError."""
        self.assertIsNone(parse_chunk(b"short"))
        self.assertIsNone(parse_chunk(b"XX" + bytes(20)))
        good = bytearray(split_message(b"x", 100, 0)[0])
        for offset, value, problem in ((2, 9, "version"), (3, 7, "kind"), (11, 5, "not below")):
            bad = bytearray(good)
            bad[offset] = value
            with self.subTest(problem=problem), self.assertRaisesRegex(ChunkError, problem):
                parse_chunk(bytes(bad))

    def test_reassembler_checks(self):
        """Out of order is fine; repeats, contradictions and oversize messages are errors."""
        chunks = [parse_chunk(c) for c in split_message(b"0123456789" * 10, 26, 5)]
        reassembler = Reassembler()
        for chunk in reversed(chunks[1:]):
            self.assertIsNone(reassembler.feed(chunk))
        self.assertEqual(reassembler.incomplete, 1)
        self.assertEqual(reassembler.feed(chunks[0]), b"0123456789" * 10)
        reassembler.feed(chunks[0])
        with self.assertRaisesRegex(ChunkError, "came twice"):
            reassembler.feed(chunks[0])
        reassembler.feed(chunks[0])
        with self.assertRaisesRegex(ChunkError, "contradicts"):
            reassembler.feed(Chunk(5, 1, 99, False, b""))
        small = Reassembler(max_message_size=50)
        with self.assertRaisesRegex(ChunkError, "larger than max_message_size"):
            for chunk in chunks:
                small.feed(chunk)
        few = Reassembler(max_incomplete=1)
        few.feed(Chunk(1, 0, 2, False, b""))
        with self.assertRaisesRegex(ChunkError, "incomplete at once"):
            few.feed(Chunk(2, 0, 2, False, b""))
        few.reset()
        self.assertEqual((few.incomplete, few.dropped), (0, 1))
        with self.assertRaisesRegex(ChunkError, "not valid UTF-8"):
            Reassembler().feed(Chunk(1, 0, 1, True, b"\xff"))


@with_timeouts
class ChunkedTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.big = await serve("big")
        self.addAsyncCleanup(bounded(self.big.close))

    async def test_any_buffer(self):
        """Chunked sends any buffer, as WebSocket.send() does: the server gets its raw bytes."""
        data = array("d", range(20_000))  # 160,000 bytes
        chunked = Chunked(self.big.url, chunk_size=16 * 1024)
        await chunked.wait_for("open", timeout=TIMEOUT)
        summaries = chunked.record("message")
        self.assertEqual(chunked.send(data), 10)
        [summary] = await summaries.wait(1, timeout=TIMEOUT)
        self.assertEqual(json.loads(summary.data)["sha256"], hashlib.sha256(data.tobytes()).hexdigest())
        await closed(chunked)

    async def test_limit_shown(self):
        """A 200 KB message sent whole to a server taking 64 KiB is refused with 1009."""
        ws = WebSocket(self.big.url)
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.send(big_payload(200_000))
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(close.code, 1009)

    async def test_limit_avoided(self):
        """The same message as 16 KiB chunks arrives whole: the server's hash matches."""
        chunked = Chunked(self.big.url, chunk_size=16 * 1024)
        await chunked.wait_for("open", timeout=TIMEOUT)
        payload = big_payload(200_000)
        self.assertEqual(chunked.send(payload), 13)
        chunked.send("small text")
        replies = chunked.record("message")
        await replies.wait(2, timeout=TIMEOUT)
        first, second = (json.loads(r) for r in replies.data)
        self.assertEqual(first, {
            "type": "received", "kind": "binary", "bytes": 200_000, "chunks": 13,
            "sha256": hashlib.sha256(payload).hexdigest(),
        })
        self.assertEqual((second["kind"], second["bytes"], second["chunks"]), ("text", 10, 1))
        await closed(chunked)

    async def test_client_limit(self):
        """A client with max_size 64 KiB fails on a 200 KB message, and takes it as chunks."""
        ws = WebSocket(self.big.url, max_size=64 * 1024)
        await ws.wait_for("open", timeout=TIMEOUT)
        ws.send('{"send": 200000}')
        close = await ws.wait_for("close", timeout=TIMEOUT)
        self.assertEqual(close.code, 1006)
        self.assertEqual(ws.failure.kind, "message-too-big")
        chunked = Chunked(factory=lambda: WebSocket(self.big.url, max_size=64 * 1024))
        await chunked.wait_for("open", timeout=TIMEOUT)
        chunked.socket.send('{"send": 200000, "chunk_size": 16384}')
        chunked.socket.send('{"send": 100000, "chunk_size": 16384, "text": true}')
        replies = chunked.record("message")
        await replies.wait(2, timeout=TIMEOUT)
        self.assertEqual(replies.data, [big_payload(200_000), big_payload(100_000, text=True)])
        await closed(chunked)

    async def test_echo_round_trip_and_errors(self):
        """Through an echo server, messages come back whole; a malformed chunk is a messageerror."""
        async with serve("echo") as echo:
            chunked = Chunked(echo.url, chunk_size=100)
            with self.assertRaises(InvalidStateError):
                chunked.send("too early")
            await chunked.wait_for("open", timeout=TIMEOUT)
            replies = chunked.record("message")
            errors = chunked.record("messageerror")
            chunked.send("ü" * 500)
            chunked.send(memoryview(b"\x01" * 1000))
            chunked.socket.send("plain text passes")
            chunked.socket.send(b"plain bytes pass")
            bad = bytearray(split_message(b"x", 100, 0)[0])
            bad[2] = 9
            chunked.socket.send(bytes(bad))
            await replies.wait(4, timeout=TIMEOUT)
            self.assertEqual(replies.data[:2], ["ü" * 500, b"\x01" * 1000])
            self.assertEqual(replies.data[2], "plain text passes")
            self.assertEqual(bytes(replies.data[3]), b"plain bytes pass")
            [error] = await errors.wait(1, timeout=TIMEOUT)
            self.assertIsInstance(error, MessageErrorEvent)
            self.assertIsInstance(error.error, ChunkError)
            with self.assertRaises(TypeError):
                chunked.send(42)
            await closed(chunked)
            self.assertEqual(chunked.reassembler.incomplete, 0)

    def test_bad_chunk_size(self):
        """chunk_size must leave room after the header."""
        with self.assertRaises(ValueError):
            Chunked(factory=lambda: None, chunk_size=16)
