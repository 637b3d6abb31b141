"""What a connection panel costs a fast stream: throughput, update rate and memory.

A stream lab server runs in its own process and pushes 64-byte text
messages as fast as the client reads them. For each run a wsnb.WebSocket
counts the messages in a no-op ``onmessage``; it runs

- without a panel, and
- with ``wsnb.widgets.panel(ws)`` attached (built before the socket opens),

interleaved, N messages each, and the table gives the median msgs/s of each
and their ratio (target: with a panel >= 0.5x without). With the panel it
also gives the panel's coalesced updates per second (target: <= 20) and the
widget messages a front end would receive per second: there is no front end
here, so ipywidgets' comm is swapped for one that counts what it would send.

Then one panel watches a socket through 1,000,000 messages, and the table
gives the process's resident memory at checkpoints: it must stay flat,
because the log is a ring of 1,000 rows and nothing else grows with the
number of messages.

    python bench/panel.py [--messages 200000] [--repeat 3] [--memory-messages 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import time
from typing import Any

import comm
from comm import DummyComm

from wsnb import WebSocket
from wsnb.servers import spawn
from wsnb.widgets import panel

SIZE = 64
CHUNK = 100_000  # messages per stream command (the lab queues at most 64 MiB per command)


class CountingComm(DummyComm):
    """A comm with no front end that counts the messages it would send."""

    sent = 0

    def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any) -> None:
        if msg_type == "comm_msg":
            CountingComm.sent += 1


async def stream(ws: WebSocket, count: int) -> float:
    """Receive ``count`` messages on an open socket; return the seconds it took."""
    loop = asyncio.get_running_loop()
    received = 0
    target = 0
    done: asyncio.Future[None] = loop.create_future()

    def on_message(event: object) -> None:
        nonlocal received
        received += 1
        if received == target:
            done.set_result(None)

    ws.onmessage = on_message
    start = time.perf_counter()
    left = count
    while left:
        chunk = min(left, CHUNK)
        target += chunk + 1  # the messages, then the lab's "streamed N"
        done = loop.create_future()
        ws.send(f"stream {chunk} {SIZE}")
        await done
        left -= chunk
    return time.perf_counter() - start


async def one_run(url: str, count: int, with_panel: bool) -> dict[str, float]:
    ws = WebSocket(url, compression=None)
    watched = panel(ws) if with_panel else None
    await ws.wait_for("open")
    updates_before = watched.updates if watched else 0
    sent_before = CountingComm.sent
    elapsed = await stream(ws, count)
    result = {"msgs/s": count / elapsed}
    if watched is not None:
        result["updates/s"] = (watched.updates - updates_before) / elapsed
        result["widget msgs/s"] = (CountingComm.sent - sent_before) / elapsed
        if watched.counters.messages_in < count - CHUNK:
            raise AssertionError("the panel did not keep up with its socket")
    ws.close()
    await ws.wait_for("close")
    if watched is not None:
        watched.close()
    return result


def rss_mib() -> float:
    """Resident memory of this process now, in MiB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


async def memory_run(url: str, total: int) -> list[tuple[int, float, int]]:
    ws = WebSocket(url, compression=None)
    watched = panel(ws)
    await ws.wait_for("open")
    checkpoints: list[tuple[int, float, int]] = [(0, rss_mib(), len(watched.watcher.log))]
    done = 0
    marks = {total // 10, total // 4, total // 2, total}
    while done < total:
        chunk = min(CHUNK, total - done)
        await stream(ws, chunk)
        done += chunk
        if any(done >= mark > done - chunk for mark in marks):
            watched.watcher.update_now()
            checkpoints.append((done, rss_mib(), len(watched.watcher.log)))
    ws.close()
    await ws.wait_for("close")
    watched.close()
    return checkpoints


async def measure(url: str, messages: int, repeat: int, memory_messages: int) -> tuple[dict[str, list[float]], list[tuple[int, float, int]]]:
    results: dict[str, list[float]] = {"without": [], "with": [], "updates/s": [], "widget msgs/s": []}
    await one_run(url, min(messages, CHUNK), False)  # warm up both paths
    await one_run(url, min(messages, CHUNK), True)
    for _ in range(repeat):
        # Interleave the runs so that drift of the machine hits both sides.
        results["without"].append((await one_run(url, messages, False))["msgs/s"])
        run = await one_run(url, messages, True)
        results["with"].append(run["msgs/s"])
        results["updates/s"].append(run["updates/s"])
        results["widget msgs/s"].append(run["widget msgs/s"])
    return results, await memory_run(url, memory_messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-messages", type=int, default=1_000_000)
    args = parser.parse_args()
    comm.create_comm = lambda *a, **k: CountingComm(*a, **k)
    with spawn("stream") as server:
        results, memory = asyncio.run(measure(server.url, args.messages, args.repeat, args.memory_messages))
    without = statistics.median(results["without"])
    with_panel = statistics.median(results["with"])
    updates = max(results["updates/s"])
    widget_msgs = max(results["widget msgs/s"])
    ratio = with_panel / without
    print(f"{SIZE} B text messages, {args.messages:,} per run, median of {args.repeat} runs "
          "(server: wsnb stream lab in its own process)")
    print(f"{'measure':<34} {'value':>14} {'target':>10}")
    print(f"{'msgs/s without a panel':<34} {without:>14,.0f}")
    print(f"{'msgs/s with a panel':<34} {with_panel:>14,.0f}")
    print(f"{'ratio with / without':<34} {ratio:>14.2f} {'>= 0.50':>10} {'ok' if ratio >= 0.5 else 'MISSED'}")
    print(f"{'panel updates/s (worst run)':<34} {updates:>14.1f} {'<= 20':>10} {'ok' if updates <= 20 else 'MISSED'}")
    print(f"{'widget messages/s (worst run)':<34} {widget_msgs:>14.1f}")
    print()
    print("Memory with a panel attached (RSS of this process; the log is a ring of 1,000 rows)")
    print(f"{'messages received':>18} {'RSS MiB':>9} {'log rows':>9}")
    for count, rss, rows in memory:
        print(f"{count:>18,} {rss:>9.1f} {rows:>9,}")
    growth = memory[-1][1] - memory[1][1]
    print(f"growth from {memory[1][0]:,} to {memory[-1][0]:,} messages: {growth:+.1f} MiB "
          f"(peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB)")


if __name__ == "__main__":
    main()
