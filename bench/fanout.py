"""Fan-out through the chat lab's broker: in-process against Redis, over 1, 2 and 4 processes.

N clients join one room, spread round robin over P chat server processes.
A few of them (the senders) send chat messages; every message goes to all N
clients, so each one sent is N deliveries. Each sender keeps at most
``--window`` of its messages unanswered (it waits to receive its own
message back before it sends more), so the load is closed-loop and queues
stay bounded. Measured, per scenario:

- deliveries per second: chat messages received by all clients together,
  divided by the time from the first send to the last delivery;
- p99 latency: from a sender's send() to a client's receipt, over every
  delivery (the clients run in this process, so one clock serves both).

The in-process broker cannot span processes (a client on another process
would never hear the room), so it runs with P = 1 only; Redis runs with
P = 1, 2 and 4. All the clients run in this one process: on a small machine
they compete with the servers and Redis for the CPU, which the table's
last column reminds of.

    python bench/fanout.py [--clients 32] [--senders 4] [--messages 500] [--window 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection, connect

from wsnb.servers import LocalRedis, ServerProcess, spawn


@dataclass
class Result:
    """One scenario's numbers."""

    deliveries: int
    seconds: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.deliveries / self.seconds


async def measure(urls: list[str], clients: int, senders: int, messages: int, window: int, room: str = "bench") -> Result:
    """Run one scenario against chat servers at ``urls`` (clients round robin over them)."""
    connections: list[ClientConnection] = []
    for index in range(clients):
        ws = await connect(urls[index % len(urls)], compression=None, max_queue=None, ping_interval=None)
        await ws.send(json.dumps({"type": "join", "room": room, "username": f"c{index}"}))
        while json.loads(await ws.recv())["type"] != "joined":
            pass
        connections.append(ws)
    expected = senders * messages
    latencies: list[float] = []
    credits = [asyncio.Semaphore(window) for _ in range(senders)]
    done = [asyncio.get_running_loop().create_future() for _ in connections]

    async def receive(index: int, ws: ClientConnection) -> None:
        received = 0
        async for raw in ws:
            now = time.perf_counter()
            if '"chat"' not in raw:
                continue  # presence of late joiners
            text = json.loads(raw)["text"]
            sender, _, sent = text.partition(" ")
            latencies.append(now - float(sent))
            if int(sender) == index:
                credits[index].release()
            received += 1
            if received == expected:
                done[index].set_result(None)
                return

    async def send(index: int, ws: ClientConnection) -> None:
        for _ in range(messages):
            await credits[index].acquire()
            await ws.send(json.dumps({"type": "chat", "room": room, "text": f"{index} {time.perf_counter()!r}"}))

    readers = [asyncio.ensure_future(receive(i, ws)) for i, ws in enumerate(connections)]
    start = time.perf_counter()
    writers = [asyncio.ensure_future(send(i, connections[i])) for i in range(senders)]
    await asyncio.wait_for(asyncio.gather(*done), 300)
    seconds = time.perf_counter() - start
    await asyncio.gather(*writers, *readers)
    for ws in connections:
        await ws.close()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000
    return Result(len(latencies), seconds, p99)


async def scenario(broker: str | None, processes: int, args: argparse.Namespace) -> Result:
    children: list[ServerProcess] = []
    try:
        for _ in range(processes):
            children.append(await asyncio.to_thread(spawn, "chat", broker=broker, history=0))
        return await measure([c.url for c in children], args.clients, args.senders, args.messages, args.window)
    finally:
        for child in children:
            await child.aclose()


async def run(args: argparse.Namespace) -> None:
    rows: list[tuple[str, int, Result]] = []
    async with LocalRedis() as redis:
        rows.append(("in-process", 1, await scenario(None, 1, args)))
        for processes in (1, 2, 4):
            rows.append(("redis", processes, await scenario(redis.url, processes, args)))
    cores = os.cpu_count() or 1
    print(
        f"{args.clients} clients in one room, {args.senders} senders x {args.messages} messages "
        f"(window {args.window}), every message to every client; {cores} cores"
    )
    print(f"{'broker':<11} {'processes':>9} {'clients':>7} {'deliveries/s':>13} {'p99 ms':>8}  note")
    for broker, processes, result in rows:
        note = "cannot span processes" if broker == "in-process" else ""
        if broker == "redis" and processes + 2 > cores:
            note = f"{processes} server process(es), Redis and the clients share {cores} cores"
        print(f"{broker:<11} {processes:>9} {args.clients:>7} {result.rate:>13,.0f} {result.p99_ms:>8.1f}  {note}")
    base = rows[1][2].rate
    print("redis, speed-up over 1 process: " + ", ".join(f"P={p}: {r.rate / base:.2f}x" for b, p, r in rows if b == "redis"))
    print(f"median p99 over the Redis rows: {statistics.median(r.p99_ms for b, _, r in rows if b == 'redis'):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--messages", type=int, default=500, help="per sender")
    parser.add_argument("--window", type=int, default=8, help="unanswered messages per sender")
    args = parser.parse_args()
    if not 1 <= args.senders <= args.clients:
        parser.error("--senders must be from 1 to --clients")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
