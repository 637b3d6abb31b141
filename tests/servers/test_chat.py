"""Tests of wsnb.servers.chat."""

from __future__ import annotations

import asyncio
import json
import unittest

from websockets.asyncio.client import connect

from wsnb.servers import ChatLab, serve

from .servers_support import MS, bounded, with_timeouts


async def say(ws, **message):
    await ws.send(json.dumps(message))


async def hear(ws):
    return json.loads(await ws.recv())


@with_timeouts
class ChatTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.server = await serve("chat", history=2)
        self.addAsyncCleanup(bounded(self.server.close))

    async def test_rooms(self):
        """Join, chat with history and sequence numbers, typing, leave, and leaving by closing."""
        self.assertIsInstance(self.server.lab, ChatLab)
        async with connect(self.server.url) as ann, connect(self.server.url) as bob:
            await say(ann, type="join", room="lobby", username="ann")
            self.assertEqual(await hear(ann), {"type": "joined", "room": "lobby", "username": "ann", "members": ["ann"], "history": []})
            for text in ("one", "two", "three"):
                await say(ann, type="chat", room="lobby", text=text)
            self.assertEqual([(await hear(ann))["seq"] for _ in range(3)], [1, 2, 3])
            await say(bob, type="join", room="lobby", username="bob")
            joined = await hear(bob)
            self.assertEqual(joined["members"], ["ann", "bob"])
            self.assertEqual([m["text"] for m in joined["history"]], ["two", "three"])  # history=2
            self.assertEqual(await hear(ann), {"type": "user_joined", "room": "lobby", "username": "bob"})
            await say(bob, type="typing", room="lobby")
            self.assertEqual(await hear(ann), {"type": "typing", "room": "lobby", "username": "bob"})
            await say(bob, type="chat", room="lobby", text="hi ann")
            expected = {"type": "chat", "room": "lobby", "username": "bob", "text": "hi ann", "seq": 4}
            self.assertEqual(await hear(bob), expected)  # the sender hears it too
            self.assertEqual(await hear(ann), expected)
            self.assertEqual(self.server.lab.rooms, {"lobby": ["ann", "bob"]})
            await say(bob, type="join", room="other")  # the username is kept
            self.assertEqual((await hear(bob))["username"], "bob")
            await say(bob, type="leave", room="lobby")
            self.assertEqual(await hear(bob), {"type": "left", "room": "lobby"})
            self.assertEqual(await hear(ann), {"type": "user_left", "room": "lobby", "username": "bob"})
            async with connect(self.server.url) as cat:
                await say(cat, type="join", room="other", username="cat")
                await hear(cat)
                self.assertEqual(await hear(bob), {"type": "user_joined", "room": "other", "username": "cat"})
            self.assertEqual(await hear(bob), {"type": "user_left", "room": "other", "username": "cat"})
        self.assertEqual(self.server.lab.messages, 4)

    async def test_typing_is_not_echoed(self):
        """The one typing does not get their own typing notice."""
        async with connect(self.server.url) as ann:
            await say(ann, type="join", room="r", username="ann")
            await hear(ann)
            await say(ann, type="typing", room="r")
            with self.assertRaises(asyncio.TimeoutError):
                await asyncio.wait_for(ann.recv(), 100 * MS)

    async def test_errors(self):
        """Bad messages get an error answer and change nothing."""
        async with connect(self.server.url) as ann, connect(self.server.url) as other:
            await say(other, type="join", room="r", username="ann")
            await hear(other)
            cases = [
                ("not json", "not JSON"),
                (b"\x00", "not binary"),
                ("[1]", "not a JSON object"),
                (json.dumps({"type": "dance"}), "unknown type 'dance'"),
                (json.dumps({"type": "chat", "room": "r", "text": "x"}), "not in room 'r'"),
                (json.dumps({"type": "join", "room": ""}), '"room" must be a string'),
                (json.dumps({"type": "join", "room": "r"}), '"username" must be a string'),
                (json.dumps({"type": "join", "room": "r", "username": "ann"}), "'ann' is already in room 'r'"),
            ]
            for message, error in cases:
                with self.subTest(message=message):
                    await ann.send(message)
                    reply = await hear(ann)
                    self.assertEqual(reply["type"], "error")
                    self.assertIn(error, reply["error"])
            await say(ann, type="join", room="s", username="ann")
            await hear(ann)
            for message, error in (
                ({"type": "join", "room": "s"}, "already in room 's'"),
                ({"type": "join", "room": "t", "username": "zed"}, "usernames cannot change"),
                ({"type": "chat", "room": "s", "text": 5}, '"text" must be a string'),
            ):
                await say(ann, **message)
                self.assertIn(error, (await hear(ann))["error"])

    async def test_names_and_text_are_checked(self):
        """Invisible or control characters, padded names, empty text and long quotes are refused."""
        async with connect(self.server.url) as ann:
            for message, error in (
                ({"type": "join", "room": "r", "username": "ann\u200b"}, "U+200B"),
                ({"type": "join", "room": "r", "username": "a\u202enn"}, "U+202E"),
                ({"type": "join", "room": "r", "username": "an\nn"}, "U+000A"),
                ({"type": "join", "room": " r", "username": "ann"}, '"room" must not start or end with spaces'),
                ({"type": "join", "room": "r", "username": "ann "}, '"username" must not start or end'),
                ({"type": "x" * 1000}, "unknown type 'xxxx"),
            ):
                with self.subTest(message=message):
                    await say(ann, **message)
                    reply = await hear(ann)
                    self.assertIn(error, reply["error"])
                    self.assertLess(len(reply["error"]), 200)  # the 1000 x are not echoed
            await say(ann, type="join", room="r", username="<img src=x onerror=alert(1)>")
            self.assertEqual((await hear(ann))["username"], "<img src=x onerror=alert(1)>")  # escaping is the renderer's job
            for text, error in (("", "must not be empty"), (" \n ", "must not be empty"), ("a\x00b", "U+0000"), ("\x1b[2J", "U+001B")):
                with self.subTest(text=text):
                    await say(ann, type="chat", room="r", text=text)
                    self.assertIn(error, (await hear(ann))["error"])
            await say(ann, type="chat", room="r", text="two\tlines\nok \U0001F468\u200D\U0001F469", username="admin")
            said = await hear(ann)
            self.assertEqual((said["username"], said["seq"]), ("<img src=x onerror=alert(1)>", 1))  # not "admin"
        self.assertEqual(self.server.lab.messages, 1)

    async def test_disconnect(self):
        """disconnect() drops a user's connection with no Close frame; the room hears user_left."""
        async with connect(self.server.url) as ann, connect(self.server.url) as bob:
            await say(ann, type="join", room="r", username="ann")
            await hear(ann)
            await say(bob, type="join", room="r", username="bob")
            await hear(bob)
            await hear(ann)  # user_joined bob
            self.assertEqual(self.server.lab.disconnect("nobody"), 0)
            self.assertEqual(self.server.lab.disconnect("bob"), 1)
            self.assertEqual(await hear(ann), {"type": "user_left", "room": "r", "username": "bob"})
            await bob.wait_closed()
            self.assertEqual(bob.close_code, 1006)  # no Close frame
            self.assertEqual(self.server.lab.rooms, {"r": ["ann"]})
            async with connect(self.server.url) as bob_again:  # the name is free again
                await say(bob_again, type="join", room="r", username="bob")
                self.assertEqual((await hear(bob_again))["members"], ["ann", "bob"])

    def test_bad_options(self):
        """history and max_text must be ints >= 0."""
        with self.assertRaises(ValueError):
            serve("chat", history=-1)
        with self.assertRaises(ValueError):
            serve("chat", max_text="long")
