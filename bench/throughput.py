"""Throughput of wsnb.WebSocket against the raw websockets client.

Runs a lab server in its own process and measures, for 64-byte text
messages:

- stream: the server pushes N messages as fast as it can; msgs/s received
  by a client with a no-op handler;
- echo: the client sends one message and waits for its echo, N times;
  round trips per second.

Both for the raw ``websockets`` asyncio client and for ``wsnb.WebSocket``
with a no-op ``onmessage``. Each repeat runs raw then wsnb back to back; the
ratio printed is the median of the repeats' wsnb / raw ratios, which drift
of the machine between repeats moves less than a ratio of two medians.
Targets: >= 1.2 on the stream, >= 1.0 on echo (wsnb's push engine over
websockets' Sans-I/O layer does less per message than the pull-based client).

    python bench/throughput.py [--messages 100000] [--round-trips 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from websockets.asyncio.client import connect

from wsnb import WebSocket
from wsnb.servers import spawn

PAYLOAD = "x" * 64


async def raw_stream(url: str, count: int) -> float:
    async with connect(url, compression=None, max_size=None, ping_interval=None) as ws:
        await ws.send(f"stream {count} 64")
        start = time.perf_counter()
        received = 0
        while received < count:
            await ws.recv()
            received += 1
        return count / (time.perf_counter() - start)


async def wsnb_stream(url: str, count: int) -> float:
    ws = WebSocket(url, compression=None)
    await ws.wait_for("open")
    done = asyncio.get_running_loop().create_future()
    received = 0

    def on_message(event: object) -> None:
        nonlocal received
        received += 1
        if received == count:
            done.set_result(None)

    ws.onmessage = on_message
    ws.send(f"stream {count} 64")
    start = time.perf_counter()
    await done
    elapsed = time.perf_counter() - start
    ws.close()
    await ws.wait_for("close")
    return count / elapsed


async def raw_echo(url: str, count: int) -> float:
    async with connect(url, compression=None, ping_interval=None) as ws:
        start = time.perf_counter()
        for _ in range(count):
            await ws.send(PAYLOAD)
            await ws.recv()
        return count / (time.perf_counter() - start)


async def wsnb_echo(url: str, count: int) -> float:
    ws = WebSocket(url, compression=None)
    await ws.wait_for("open")
    done = asyncio.get_running_loop().create_future()
    left = count

    def on_message(event: object) -> None:
        nonlocal left
        left -= 1
        if left:
            ws.send(PAYLOAD)
        else:
            done.set_result(None)

    ws.onmessage = on_message
    start = time.perf_counter()
    ws.send(PAYLOAD)
    await done
    elapsed = time.perf_counter() - start
    ws.close()
    await ws.wait_for("close")
    return count / elapsed


async def measure(url: str, messages: int, round_trips: int, repeat: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {key: [] for key in ("raw stream", "wsnb stream", "raw echo", "wsnb echo")}
    for _ in range(repeat):
        # Interleave the runs so that drift of the machine hits both sides.
        results["raw stream"].append(await raw_stream(url, messages))
        results["wsnb stream"].append(await wsnb_stream(url, messages))
        results["raw echo"].append(await raw_echo(url, round_trips))
        results["wsnb echo"].append(await wsnb_echo(url, round_trips))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--round-trips", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with spawn("stream") as server:
        results = asyncio.run(measure(server.url, args.messages, args.round_trips, args.repeat))
    print(f"64 B text messages, median of {args.repeat} runs (server: wsnb stream lab in its own process)")
    print(f"{'scenario':<10} {'raw websockets':>16} {'wsnb.WebSocket':>16} {'ratio':>7} {'target':>7}")
    for scenario, unit, target in (("stream", "msgs/s", 1.2), ("echo", "rtt/s", 1.0)):
        raw = statistics.median(results[f"raw {scenario}"])
        ours = statistics.median(results[f"wsnb {scenario}"])
        ratio = statistics.median(
            mine / theirs for mine, theirs in zip(results[f"wsnb {scenario}"], results[f"raw {scenario}"], strict=True)
        )
        verdict = "ok" if ratio >= target else "MISSED"
        print(f"{scenario:<10} {raw:>9,.0f} {unit:<6} {ours:>9,.0f} {unit:<6} {ratio:>7.2f} {f'>={target}':>7} {verdict}")


if __name__ == "__main__":
    main()
