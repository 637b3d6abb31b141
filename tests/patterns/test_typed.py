"""Tests of wsnb.patterns.typed, with the chat lab server."""

from __future__ import annotations

import unittest
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from wsnb.patterns import MessageErrorEvent, MessageValidationError, Schema, Typed
from wsnb.servers import serve

from .patterns_support import TIMEOUT, bounded, closed, with_timeouts


@dataclass(frozen=True)
class Join:
    room: str
    username: str
    type: Literal["join"] = "join"


@dataclass(frozen=True)
class Say:
    room: str
    text: str
    type: Literal["chat"] = "chat"


@dataclass(frozen=True)
class ChatLine:
    room: str
    username: str
    text: str
    seq: int
    type: Literal["chat"] = "chat"


@dataclass(frozen=True)
class Joined:
    room: str
    username: str
    members: list[str]
    history: list[ChatLine]
    type: Literal["joined"] = "joined"


class UserJoined(TypedDict):
    type: Literal["user_joined"]
    room: str
    username: str


@dataclass
class Everything:
    count: int
    ratio: float
    flag: bool
    maybe: str | None
    either: int | str
    mapping: dict[str, int]
    anything: Any
    kind: Literal["a", "b"]
    items: list = field(default_factory=list)
    type: Literal["everything"] = "everything"


class SchemaTests(unittest.TestCase):
    def setUp(self):
        self.schema = Schema(Joined, ChatLine, UserJoined, Everything)

    def test_decodes_dataclasses_and_typeddicts(self):
        """A valid message becomes its dataclass (nested ones too) or its TypedDict."""
        joined = self.schema.decode({
            "type": "joined", "room": "r", "username": "ann", "members": ["ann"],
            "history": [{"type": "chat", "room": "r", "username": "bob", "text": "hi", "seq": 1}],
        })
        self.assertEqual(joined, Joined("r", "ann", ["ann"], [ChatLine("r", "bob", "hi", 1)]))
        self.assertEqual(
            self.schema.loads('{"type": "user_joined", "room": "r", "username": "bob"}'),
            {"type": "user_joined", "room": "r", "username": "bob"},
        )
        everything = self.schema.decode({
            "type": "everything", "count": 1, "ratio": 2, "flag": False, "maybe": None,
            "either": "x", "mapping": {"a": 1}, "anything": [None], "kind": "b",
        })
        self.assertEqual(everything.ratio, 2.0)
        self.assertIsInstance(everything.ratio, float)
        self.assertEqual(everything.items, [])

    def test_clear_errors(self):
        """Each kind of bad message names the place and the problem."""
        cases = {
            '{"type": "nope"}': "unknown type 'nope'; expected one of 'chat', 'everything', 'joined', 'user_joined'",
            '{"room": "r"}': "the message has no 'type' field",
            "[1]": "expected a JSON object, got list [1]",
            "not json": "not JSON",
            '{"type": "chat", "room": "r", "username": "u", "text": 5, "seq": 1}': "chat.text: expected a str, got int 5",
            '{"type": "chat", "room": "r", "username": "u", "text": "t", "seq": true}': "chat.seq: expected an int, got bool True",
            '{"type": "chat", "room": "r", "username": "u", "text": "t"}': "chat: missing field(s) 'seq'",
            '{"type": "chat", "room": "r", "username": "u", "text": "t", "seq": 1, "sqe": 2}': "chat: unknown field(s) 'sqe'",
            '{"type": "joined", "room": "r", "username": "u", "members": ["a", 2], "history": []}': "joined.members[1]: expected a str",
            '{"type": "joined", "room": "r", "username": "u", "members": [], "history": [{"txt": 1}]}': "joined.history[0]: unknown field(s) 'txt'",
        }
        for text, message in cases.items():
            with self.subTest(text=text):
                with self.assertRaises(MessageValidationError) as raised:
                    self.schema.loads(text)
                self.assertIn(message, str(raised.exception))

    def test_field_types(self):
        """Literal, unions, dicts and bools are checked exactly (True is not 1)."""
        base = {"type": "everything", "count": 1, "ratio": 1.5, "flag": True, "maybe": "s",
                "either": 1, "mapping": {}, "anything": None, "kind": "a"}
        for key, value, problem in (
            ("kind", "c", "expected one of 'a', 'b'"),
            ("either", 1.5, "expected an int, got float 1.5 or expected a str"),
            ("mapping", {"a": "1"}, "everything.mapping.a: expected an int"),
            ("mapping", [], "expected an object"),
            ("flag", 1, "expected a bool"),
            ("ratio", "1", "expected a number"),
            ("maybe", 3, "expected null, got int 3"),
            ("items", {}, "expected a list"),
        ):
            with self.subTest(key=key, value=value):
                with self.assertRaises(MessageValidationError) as raised:
                    self.schema.decode({**base, key: value})
                self.assertIn(problem, str(raised.exception))

    def test_dumps(self):
        """dumps() takes instances of the schema's types (or matching dicts) only."""
        schema = Schema(Join, Say)
        self.assertEqual(schema.dumps(Join("r", "ann")), '{"room":"r","username":"ann","type":"join"}')
        self.assertEqual(Schema(UserJoined).dumps({"type": "user_joined", "room": "r", "username": "x"}),
                         '{"type":"user_joined","room":"r","username":"x"}')
        with self.assertRaisesRegex(TypeError, "expected one of Join, Say, not ChatLine"):
            schema.dumps(ChatLine("r", "u", "t", 1))
        with self.assertRaisesRegex(TypeError, "does not match the schema"):
            Schema(UserJoined).dumps({"type": "user_joined"})
        self.assertEqual(repr(schema), "Schema(Join, Say)")

    def test_bad_schemas(self):
        """A type without a Literal tag, a duplicate tag or a non-record type is refused."""

        @dataclass
        class NoTag:
            x: int

        with self.assertRaisesRegex(TypeError, "needs a field type: Literal"):
            Schema(NoTag)
        with self.assertRaisesRegex(TypeError, "both have type 'chat'"):
            Schema(Say, ChatLine)
        with self.assertRaises(TypeError):
            Schema(int)
        with self.assertRaises(TypeError):
            Schema()

        @dataclass
        class Odd:
            when: complex
            type: Literal["odd"] = "odd"

        with self.assertRaisesRegex(TypeError, "not supported"):
            Schema(Odd).decode({"type": "odd", "when": 1})


@with_timeouts
class TypedTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.chat = await serve("chat")
        self.addAsyncCleanup(bounded(self.chat.close))

    async def test_typed_chat(self):
        """Typed messages both ways against the chat server; a message outside the schema is a messageerror."""
        incoming = Schema(Joined, ChatLine, UserJoined)
        typed = Typed(self.chat.url, receive=incoming, send=Schema(Join, Say))
        messages = typed.record("message")
        errors = typed.record("messageerror")
        await typed.wait_for("open", timeout=TIMEOUT)
        typed.send(Join("lobby", "ann"))
        typed.send(Say("lobby", "hello"))
        await messages.wait(2, timeout=TIMEOUT)
        self.assertEqual(messages.data, [
            Joined("lobby", "ann", ["ann"], []),
            ChatLine("lobby", "ann", "hello", 1),
        ])
        typed.send(Say("elsewhere", "hi"))  # the server answers with an "error" message
        [error] = await errors.wait(1, timeout=TIMEOUT)
        self.assertIsInstance(error, MessageErrorEvent)
        self.assertIn("unknown type 'error'", str(error.error))
        self.assertIn("not in room", error.data)
        self.assertEqual(typed.invalid, 1)
        with self.assertRaises(TypeError):
            typed.send(ChatLine("lobby", "ann", "forged", 9))
        await closed(typed)

    async def test_without_send_schema(self):
        """Without a send schema any JSON value (dataclasses included) is sent; binary passes through."""
        async with serve("echo") as echo:
            typed = Typed(echo.url, receive=Schema(Say))
            await typed.wait_for("open", timeout=TIMEOUT)
            replies = typed.record("message")
            typed.send(Say("r", "t"))
            typed.socket.send(b"\x00")
            await replies.wait(2, timeout=TIMEOUT)
            self.assertEqual(replies.data[0], Say("r", "t"))
            self.assertEqual(bytes(replies.data[1]), b"\x00")
            with self.assertRaises(TypeError):
                typed.send(object())
            await closed(typed)

    def test_bad_arguments(self):
        """receive must be a Schema, send a Schema or None."""
        with self.assertRaises(TypeError):
            Typed(factory=lambda: None, receive=None)
        with self.assertRaises(TypeError):
            Typed(factory=lambda: None, receive=Schema(Say), send=Say)
