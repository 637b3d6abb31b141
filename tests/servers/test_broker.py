"""Tests of wsnb.servers.broker: chat and ticker across server processes on a real Redis.

Every test runs real lab server processes (``spawn``) on 127.0.0.1 and a
real ``redis-server`` (``LocalRedis``); nothing is mocked. They are skipped,
saying why, only where redis-server is not installed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import unittest

import redis
from websockets.asyncio.client import ClientConnection, connect

from wsnb import WebSocket
from wsnb.patterns import Reconnecting, Robust
from wsnb.servers import TICKER_UPDATE, LocalRedis, ServerProcess, make_lab, price_walk, serve, spawn
from wsnb.servers.broker import InProcessBroker, RedisBroker, check_broker_url

from .servers_support import TIMEOUT, with_timeouts

REDIS_SERVER = shutil.which("redis-server")
NO_REDIS = "redis-server is not installed here (apt-get install redis-server); the scale-out tests need a real one"
WAIT = TIMEOUT  # seconds, for Robust waits


async def say(ws: ClientConnection, **message: object) -> None:
    await ws.send(json.dumps(message))


async def hear(ws: ClientConnection) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def hear_until(ws: ClientConnection, kind: str, **fields: object) -> dict:
    """Read until a message of type ``kind`` (with ``fields``) arrives; return it."""
    while True:
        message = await hear(ws)
        if message.get("type") == kind and all(message.get(k) == v for k, v in fields.items()):
            return message


async def joined(url: str, room: str, username: str) -> tuple[ClientConnection, dict]:
    ws = await connect(url)
    await say(ws, type="join", room=room, username=username)
    return ws, await hear_until(ws, "joined")


class OptionTests(unittest.TestCase):
    def test_bad_broker_urls_name_the_option(self) -> None:
        """A broker that is not a Redis URL is refused when the lab is made, naming the option."""
        for bad in ("http://127.0.0.1:6379/0", "127.0.0.1:6379", "redis://", "redis://host:port/0", "redis://h:1/db", 6379):
            with self.subTest(bad=bad), self.assertRaisesRegex(ValueError, "^broker must be omitted .* a Redis URL"):
                make_lab("chat", {"broker": bad})
        with self.assertRaisesRegex(ValueError, "broker must be"):
            make_lab("ticker", {"broker": "redis:/nohost"})
        with self.assertRaisesRegex(TypeError, "no option 'broker'"):
            make_lab("echo", {"broker": "redis://127.0.0.1:1/0"})
        self.assertEqual(check_broker_url("redis://:secret@127.0.0.1:6379/2"), "redis://:secret@127.0.0.1:6379/2")
        self.assertIsNone(check_broker_url(None))
        self.assertIsInstance(make_lab("chat", {}).broker, InProcessBroker)  # type: ignore[attr-defined]
        self.assertIsInstance(make_lab("chat", {"broker": "redis://127.0.0.1:1/0"}).broker, RedisBroker)  # type: ignore[attr-defined]

    def test_unreachable_broker_stops_the_process_with_a_clear_error(self) -> None:
        """A server whose broker does not answer exits at once, naming the option (password hidden)."""
        with self.assertRaises(RuntimeError) as raised:
            spawn("chat", broker="redis://:hunter2@127.0.0.1:1/0")
        message = str(raised.exception)
        self.assertIn("the message broker (option broker=redis://:***@127.0.0.1:1/0) is unreachable", message)
        self.assertNotIn("hunter2", message)


@with_timeouts
class InProcessAckTests(unittest.IsolatedAsyncioTestCase):
    async def test_envelopes_are_delivered_once(self) -> None:
        """ack=True in one process: an envelope is acted on once; a resend is acknowledged, not repeated."""
        async with serve("chat", ack=True) as server, connect(server.url) as ws:
            await say(ws, type="join", room="r", username="ann")  # plain commands still work
            await hear_until(ws, "joined")
            envelope = {"session": "s1", "id": 1, "data": {"type": "chat", "room": "r", "text": "once"}}
            await ws.send(json.dumps(envelope))
            self.assertEqual((await hear(ws))["text"], "once")
            self.assertEqual(await hear(ws), {"ack": 1})
            await ws.send(json.dumps(envelope))  # a resend after a lost ack
            self.assertEqual(await hear(ws), {"ack": 1})
            gap = {"session": "s1", "id": 5, "data": json.dumps({"type": "chat", "room": "r", "text": "ahead"})}
            await ws.send(json.dumps(gap))
            self.assertEqual(await hear(ws), {"ack": 1})
            wrong = {"session": "s1", "id": 2, "data": {"type": "chat", "room": "elsewhere", "text": "x"}}
            await ws.send(json.dumps(wrong))
            self.assertIn("not in room 'elsewhere'", (await hear(ws))["error"])
            self.assertEqual(await hear(ws), {"ack": 2})  # answered once, with an error: not resent for ever
            await ws.send('{"session": 3}')
            self.assertIn("expected", (await hear(ws))["error"])
            self.assertEqual(server.lab.messages, 1)


@unittest.skipIf(REDIS_SERVER is None, NO_REDIS)
@with_timeouts
class ClusterChatTests(unittest.IsolatedAsyncioTestCase):
    """Three chat processes on one Redis, started once for these tests; each test uses its own rooms."""

    redis: LocalRedis
    processes: list[ServerProcess]

    @classmethod
    def setUpClass(cls) -> None:
        cls.redis = LocalRedis().start()
        cls.processes = []
        try:
            for _ in range(3):
                cls.processes.append(spawn("chat", broker=cls.redis.url, history=3))
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        for process in cls.processes:
            process.close()
        cls.redis.close()

    def urls(self) -> list[str]:
        return [process.url for process in self.processes]

    async def test_options_reach_each_process(self) -> None:
        """spawn() passes broker= on the command line, like any option."""
        for process in self.processes:
            self.assertIn(f"broker={self.redis.url}", process.command())

    async def test_a_message_from_each_process_reaches_all(self) -> None:
        """Clients on three processes: a message from each reaches every one, with the same seq everywhere."""
        clients = []
        for index, url in enumerate(self.urls()):
            ws, answer = await joined(url, "everyone", f"user{index}")
            self.assertEqual(answer["members"], [f"user{i}" for i in range(index + 1)])
            clients.append(ws)
        for index, ws in enumerate(clients):
            await say(ws, type="chat", room="everyone", text=f"hello from process {index}")
        seen = []
        for ws in clients:
            chats = [await hear_until(ws, "chat") for _ in range(3)]
            seen.append([(m["seq"], m["username"], m["text"]) for m in chats])
        self.assertEqual(seen[0], seen[1])
        self.assertEqual(seen[1], seen[2])
        self.assertEqual([seq for seq, _, _ in seen[0]], [1, 2, 3])
        self.assertEqual(sorted(text for _, _, text in seen[0]), [f"hello from process {i}" for i in range(3)])
        for ws in clients:
            await ws.close()

    async def test_presence_history_and_typing_across_processes(self) -> None:
        """Joins, leaves, typing and a late joiner's history cross processes; names are unique cluster-wide."""
        p0, p1, p2 = self.urls()
        ann, answer = await joined(p0, "lobby", "ann")
        self.assertEqual(answer["history"], [])
        bob, answer = await joined(p1, "lobby", "bob")
        self.assertEqual(answer["members"], ["ann", "bob"])
        self.assertEqual(await hear(ann), {"type": "user_joined", "room": "lobby", "username": "bob"})
        for text in ("one", "two", "three", "four"):
            await say(ann, type="chat", room="lobby", text=text)
        self.assertEqual([(await hear_until(bob, "chat"))["seq"] for _ in range(4)], [1, 2, 3, 4])
        await say(bob, type="typing", room="lobby")
        self.assertEqual(await hear_until(ann, "typing"), {"type": "typing", "room": "lobby", "username": "bob"})
        impostor = await connect(p2)
        await say(impostor, type="join", room="lobby", username="ann")
        self.assertEqual((await hear(impostor))["error"], "'ann' is already in room 'lobby'")
        cy, answer = await joined(p2, "lobby", "cy")  # late: the history (3 kept) comes from Redis
        self.assertEqual(answer["members"], ["ann", "bob", "cy"])
        self.assertEqual([(m["seq"], m["text"]) for m in answer["history"]], [(2, "two"), (3, "three"), (4, "four")])
        await say(bob, type="leave", room="lobby")
        self.assertEqual(await hear_until(bob, "left"), {"type": "left", "room": "lobby"})
        for ws in (ann, cy):
            self.assertEqual(await hear_until(ws, "user_left"), {"type": "user_left", "room": "lobby", "username": "bob"})
        await cy.close()
        self.assertEqual(await hear_until(ann, "user_left"), {"type": "user_left", "room": "lobby", "username": "cy"})
        for ws in (ann, bob, impostor):
            await ws.close()


@unittest.skipIf(REDIS_SERVER is None, NO_REDIS)
@with_timeouts
class KillTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        self.redis = await LocalRedis().astart()
        self.addAsyncCleanup(self.redis.aclose)
        self.processes = []
        for _ in range(3):
            process = await asyncio.to_thread(spawn, "chat", broker=self.redis.url, ack=True, history=100)
            self.addAsyncCleanup(process.aclose)
            self.processes.append(process)

    async def test_killed_process_clients_reconnect_with_nothing_lost_or_repeated(self) -> None:
        """A process is killed mid-stream: its clients reconnect to survivors; every message arrives once; ghosts go."""
        urls = [process.url for process in self.processes]
        observer, _ = await joined(urls[2], "k", "observer")
        ghost, _ = await joined(urls[0], "k", "ghost")  # never reconnects: a ghost once its process dies
        self.addCleanup(ghost.transport.abort)  # it stops reading: a close would wait for its timeout

        def member(name: str, first: int) -> Robust:
            turn = itertools.count(first)

            def factory() -> WebSocket:
                # Round robin over the processes, as a client-side balancer would.
                ws = WebSocket(urls[next(turn) % len(urls)])
                ws.addEventListener("open", lambda event: ws.send(json.dumps({"type": "join", "room": "k", "username": name})))
                return ws

            return Robust(factory=lambda: Reconnecting(factory=factory, delays=lambda: itertools.repeat(0.01)), ack=True, json=True)

        # Four members, two of them on the process that will be killed.
        members = {name: member(name, first) for name, first in (("m0", 0), ("m1", 1), ("m2", 3), ("m3", 4))}
        for robust in members.values():
            await robust.wait_for("open", timeout=WAIT)
        texts = [f"{name}:{n}" for n in range(20) for name in members]
        for text in texts[:40]:
            members[text.partition(":")[0]].send({"type": "chat", "room": "k", "text": text})
        await asyncio.gather(*(robust.drain(timeout=WAIT) for robust in members.values()))
        for text in texts[40:]:  # in flight or queued when the process dies
            members[text.partition(":")[0]].send({"type": "chat", "room": "k", "text": text})
        await asyncio.to_thread(self.processes[0].kill)
        await asyncio.gather(*(robust.drain(timeout=WAIT) for robust in members.values()))

        chats, presence = [], []
        while len(chats) < len(texts) or ("user_left", "ghost") not in presence:
            message = await hear(observer)
            if message["type"] == "chat":
                chats.append(message)
            elif message["type"] in ("user_left", "user_joined"):
                presence.append((message["type"], message["username"]))
        self.assertEqual(sorted(m["text"] for m in chats), sorted(texts))  # nothing lost, nothing twice
        self.assertEqual([m["seq"] for m in chats], list(range(1, len(texts) + 1)))
        for name in members:  # each member's messages in the order sent
            self.assertEqual([m["text"] for m in chats if m["username"] == name], [t for t in texts if t.startswith(name + ":")])
        self.assertIn(("user_left", "m0"), presence)  # the killed process's members left ...
        self.assertIn(("user_joined", "m0"), presence)  # ... and came back through a survivor
        self.assertGreater(sum(robust.state().reconnections for robust in members.values()), 0)
        late, answer = await joined(urls[1], "k", "late")
        self.assertEqual(answer["members"], ["late", "m0", "m1", "m2", "m3", "observer"])  # no ghost left
        for robust in members.values():
            robust.close()
        for ws in (observer, late):
            await ws.close()


@unittest.skipIf(REDIS_SERVER is None, NO_REDIS)
@with_timeouts
class RedisRestartTests(unittest.IsolatedAsyncioTestCase):
    async def test_outage_is_reported_then_delivered(self) -> None:
        """Redis dies: plain clients are told, acknowledged clients' messages arrive once it is back; presence is restored."""
        async with LocalRedis() as local:
            p0 = await asyncio.to_thread(spawn, "chat", broker=local.url, ack=True)
            self.addAsyncCleanup(p0.aclose)
            p1 = await asyncio.to_thread(spawn, "chat", broker=local.url, ack=True)
            self.addAsyncCleanup(p1.aclose)
            observer, _ = await joined(p0.url, "r", "observer")
            plain, _ = await joined(p0.url, "r", "plain")

            def factory() -> WebSocket:
                ws = WebSocket(p1.url)
                ws.addEventListener("open", lambda event: ws.send(json.dumps({"type": "join", "room": "r", "username": "robust"})))
                return ws

            robust = Robust(factory=lambda: Reconnecting(factory=factory, delays=lambda: itertools.repeat(0.05)), ack=True, json=True)
            await robust.wait_for("open", timeout=WAIT)
            await hear_until(observer, "user_joined", username="robust")

            await asyncio.to_thread(local.kill)
            await say(plain, type="chat", room="r", text="while Redis is down")
            error = await hear_until(plain, "error")
            self.assertRegex(error["error"], r"the message broker \(option broker=redis://127\.0\.0\.1:\d+/0\) is unreachable")
            self.assertIn("not delivered", error["error"])
            for n in range(3):
                robust.send({"type": "chat", "room": "r", "text": f"queued {n}"})
            await asyncio.to_thread(local.restart)
            await robust.drain(timeout=WAIT)  # delivered once Redis is back

            texts = [(await hear_until(observer, "chat"))["text"] for _ in range(3)]
            self.assertEqual(texts, ["queued 0", "queued 1", "queued 2"])
            await say(plain, type="chat", room="r", text="again, now that it is back")
            self.assertEqual((await hear_until(observer, "chat"))["text"], "again, now that it is back")
            self.assertEqual(robust.state().session_resets, 0)  # the processes put the sessions back
            late, answer = await joined(p1.url, "r", "late")
            self.assertEqual(answer["members"], ["late", "observer", "plain", "robust"])  # presence restored
            self.assertTrue(any("reconnected after" in line for line in p0.output))
            robust.close()
            for ws in (observer, plain, late):
                await ws.close()


@unittest.skipIf(REDIS_SERVER is None, NO_REDIS)
@with_timeouts
class LostSubscriptionTests(unittest.IsolatedAsyncioTestCase):
    async def test_messages_older_than_the_history_are_reported_missed(self) -> None:
        """A process cut from Redis while more than `history` messages pass tells its members which ones they missed."""
        async with LocalRedis() as local:
            admin = redis.Redis.from_url(local.url)
            self.addCleanup(admin.close)
            stalled = await asyncio.to_thread(spawn, "chat", broker=local.url, history=3)
            self.addAsyncCleanup(stalled.aclose)
            other = await asyncio.to_thread(spawn, "chat", broker=local.url, history=3)
            self.addAsyncCleanup(other.aclose)
            listener, _ = await joined(stalled.url, "r", "listener")
            talker, _ = await joined(other.url, "r", "talker")
            await hear_until(listener, "user_joined", username="talker")
            await say(talker, type="chat", room="r", text="before")
            self.assertEqual((await hear_until(listener, "chat"))["seq"], 1)
            assert stalled.pid is not None
            # The stalled process stops (SIGSTOP) and its subscription is cut,
            # as a network fault between it and Redis would: it cannot hear
            # what is published until it runs again and reconnects.
            os.kill(stalled.pid, signal.SIGSTOP)
            try:
                subscriber = [
                    client for client in await asyncio.to_thread(admin.client_list, "pubsub")
                    if f"-pid{stalled.pid}-" in client["name"]
                ]
                self.assertEqual(len(subscriber), 1, "the stalled process's subscription, by its client name")
                await asyncio.to_thread(admin.client_kill_filter, _id=subscriber[0]["id"])
                for n in range(20):
                    await say(talker, type="chat", room="r", text=f"while cut off {n:02d} " + "x" * 60)
                    await hear_until(talker, "chat", text=f"while cut off {n:02d} " + "x" * 60)
            finally:
                os.kill(stalled.pid, signal.SIGCONT)
            heard = []
            while True:
                try:
                    message = await hear(listener)
                except (TimeoutError, asyncio.TimeoutError):
                    self.fail(f"seq 21 never came; heard {heard}; the stalled server said: {list(stalled.output)}")
                heard.append(message)
                if message["type"] == "chat" and message["seq"] == 21:
                    break
            missed = [message for message in heard if message["type"] == "missed"]
            chats = [message["seq"] for message in heard if message["type"] == "chat"]
            self.assertEqual(len(missed), 1, heard)
            self.assertEqual(missed[0]["last"] + 1, chats[chats.index(missed[0]["last"] + 1)])
            # Every seq from 2 to 21 either arrived or was reported missed, exactly once.
            reported = list(range(missed[0]["first"], missed[0]["last"] + 1))
            self.assertEqual(sorted(chats + reported), list(range(2, 22)))
            self.assertEqual(missed[0]["count"], len(reported))
            self.assertEqual(chats[-3:], [19, 20, 21])  # the history's 3 caught up
            self.assertIn("could not reach the message broker", missed[0]["reason"])
            for ws in (listener, talker):
                await ws.close()


@unittest.skipIf(REDIS_SERVER is None, NO_REDIS)
@with_timeouts
class TickerClusterTests(unittest.IsolatedAsyncioTestCase):
    async def test_one_stream_fanned_out_and_taken_over(self) -> None:
        """Two ticker processes (JSON and binary) relay one walk; when one dies the other carries it on."""
        async with LocalRedis() as local:
            json_process = await asyncio.to_thread(spawn, "ticker", broker=local.url, seed=7, rate=200, tick=0.01)
            self.addAsyncCleanup(json_process.aclose)
            binary_process = await asyncio.to_thread(spawn, "ticker", broker=local.url, seed=7, rate=200, tick=0.01, format="binary")
            self.addAsyncCleanup(binary_process.aclose)
            text_client = await connect(json_process.url)
            binary_client = await connect(binary_process.url)
            for ws in (text_client, binary_client):
                await ws.send(json.dumps({"action": "subscribe", "symbols": ["AAPL"]}))
                self.assertEqual(await hear_until(ws, "subscriptions"), {"type": "subscriptions", "symbols": ["AAPL"]})
            await binary_client.send(json.dumps({"action": "rate", "rate": 5}))

            async def updates(ws: ClientConnection, count: int) -> list[tuple[int, float]]:
                got: list[tuple[int, float]] = []
                while len(got) < count:
                    message = await asyncio.wait_for(ws.recv(), TIMEOUT)
                    if isinstance(message, bytes):
                        _, seq, price = TICKER_UPDATE.unpack(message)
                        got.append((seq, price))
                    elif '"price_update"' in message:
                        update = json.loads(message)
                        got.append((update["seq"], update["price"]))
                    elif '"error"' in message:
                        errors.append(json.loads(message)["error"])
                return got

            errors: list[str] = []
            text_updates = await updates(text_client, 50)
            binary_updates = await updates(binary_client, 50)
            self.assertEqual(len(errors), 1)
            self.assertIn("rate option", errors[0])  # one stream for all: no per-client rate
            walk = dict(itertools.islice(price_walk(7, "AAPL"), 100_000))
            for seq, price in text_updates + binary_updates:
                self.assertEqual(price, walk[seq])
            self.assertEqual([s for s, _ in text_updates], list(range(text_updates[0][0], text_updates[0][0] + 50)))
            common = set(text_updates) & set(binary_updates)
            self.assertTrue(common, "the two processes relayed the same updates")
            await unsubscribe_and_close(text_client)  # before its process dies

            await asyncio.to_thread(json_process.kill)  # whichever led, the survivor carries the walk on
            after = await updates(binary_client, 400)
            seqs = [s for s, _ in after]
            self.assertEqual(seqs, sorted(set(seqs)))  # in order, never repeated
            self.assertGreater(seqs[-1], binary_updates[-1][0])
            for seq, price in after:
                self.assertEqual(price, walk[seq])
            await unsubscribe_and_close(binary_client)


async def unsubscribe_and_close(ws: ClientConnection) -> None:
    """Unsubscribe, read up to the answer, close: a client that stopped reading would wait for its close timeout."""
    await ws.send(json.dumps({"action": "unsubscribe", "symbols": ["AAPL"]}))
    while True:
        message = await asyncio.wait_for(ws.recv(), TIMEOUT)
        if isinstance(message, str) and '"subscriptions"' in message:
            break
    await ws.close()


class CliTests(unittest.TestCase):
    @unittest.skipIf(REDIS_SERVER is None, NO_REDIS)
    def test_wsnb_serve_with_a_broker(self) -> None:
        """wsnb serve chat --option broker=redis://... serves, and two such servers share a room."""
        with LocalRedis() as local:
            command = [sys.executable, "-m", "wsnb", "serve", "chat", "--option", f"broker={local.url}"]
            children = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
            try:
                urls = []
                for child in children:
                    assert child.stdout is not None
                    line = child.stdout.readline()
                    self.assertRegex(line, r"^wsnb: chat listening on ws://127\.0\.0\.1:\d+/$")
                    urls.append(line.split()[-1])

                async def talk() -> dict:
                    ann, _ = await joined(urls[0], "cli", "ann")
                    bob, _ = await joined(urls[1], "cli", "bob")
                    await say(bob, type="chat", room="cli", text="across")
                    heard = await hear_until(ann, "chat")
                    await ann.close()
                    await bob.close()
                    return heard

                heard = asyncio.run(talk())
                self.assertEqual((heard["username"], heard["text"], heard["seq"]), ("bob", "across", 1))
            finally:
                for child in children:
                    child.terminate()
                    child.communicate(timeout=TIMEOUT)
        self.assertEqual([child.returncode for child in children], [0, 0])

    def test_wsnb_serve_with_a_bad_broker(self) -> None:
        """wsnb serve refuses a broker that is not a Redis URL (status 2) or not reachable (status 1)."""
        bad = subprocess.run(
            [sys.executable, "-m", "wsnb", "serve", "chat", "--option", "broker=http://x/"],
            capture_output=True, text=True, timeout=TIMEOUT,
        )
        self.assertEqual(bad.returncode, 2)
        self.assertIn("broker must be omitted (in-process) or a Redis URL", bad.stderr)
        unreachable = subprocess.run(
            [sys.executable, "-m", "wsnb", "serve", "chat", "--option", "broker=redis://127.0.0.1:1/0"],
            capture_output=True, text=True, timeout=TIMEOUT,
        )
        self.assertEqual(unreachable.returncode, 1)
        self.assertIn("the message broker (option broker=redis://127.0.0.1:1/0) is unreachable", unreachable.stderr)

