"""LivePlot under load: a ticker at 1k, 10k and 50k messages/s into a plot in a real kernel.

For each rate, a ticker lab runs in its own process (``wsnb.servers.spawn``)
and streams one symbol's JSON price updates at that rate. A real IPython
kernel (started with jupyter_client, as a notebook's would be) holds a
``wsnb.WebSocket`` and a ``LivePlot`` (inline renderer: Agg renders a PNG
into an ``ipywidgets.Image`` in the kernel, the full cost of a frame) fed by
a values function that parses each JSON update and checks its ``seq``. While the stream runs, this script
sends the kernel a trivial execute request (``pass``) every 100 ms and times
the reply, as a person typing in the notebook would feel it.

Columns:

- offered: the ticker's rate (messages/s);
- ingested: messages stored by the plot per second during the window;
- lost: updates the plot never saw (``seq`` gaps; the ticker slows down
  rather than drops when the client falls behind, so 0 is expected);
- redraws/s: frames drawn per second (target fps 20);
- frame p50/p99: milliseconds one frame takes in the kernel;
- answer p50/p99/max: milliseconds the kernel takes to answer ``pass``.

Target at 10k msgs/s: >= 15 redraws/s, every message ingested (lost 0 and
ingested close to offered), kernel answers < 100 ms p99.

    python bench/liveplot.py [--seconds 6] [--rates 1000,10000,50000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from jupyter_client.manager import start_new_kernel

from wsnb.servers import spawn

SETUP = """
import json, time
from wsnb import WebSocket
from wsnb.widgets.live_plot import LivePlot

last_seq = -1
gaps = 0

def values(event):
    # What json_values("price", key="symbol") does, plus a check that no
    # update is missing (seq is contiguous per subscription).
    global last_seq, gaps
    data = json.loads(event.data)
    if data.get("type") != "price_update":
        return None
    gaps += data["seq"] - last_seq - 1
    last_seq = data["seq"]
    return {{data["symbol"]: data["price"]}}

ws = WebSocket({url!r})
await ws.wait_for("open", timeout=30)
plot = LivePlot(ws, values, renderer="inline", x="index", window=2000)
ws.send(json.dumps({{"action": "subscribe", "symbols": ["BENCH"]}}))
await plot.wait_samples({warmup}, series="BENCH", timeout=60)
start = (time.perf_counter(), plot.messages, plot.redraws)
"""

COLLECT = """
elapsed = time.perf_counter() - start[0]
drawn = plot.redraws - start[2]
frames = sorted(list(plot.frame_times)[-drawn:]) if drawn else [0.0]
print(json.dumps({
    "elapsed": elapsed,
    "messages": plot.messages - start[1],
    "redraws": drawn,
    "frame_p50": frames[len(frames) // 2],
    "frame_p99": frames[min(len(frames) - 1, int(len(frames) * 0.99))],
    "lost": gaps,
    "errors": plot.errors,
}))
ws.close()
await ws.wait_for("close", timeout=30)
"""


def run_cell(kc: Any, code: str, timeout: float = 120.0) -> str:
    """Execute code and return its printed output (raise on error)."""
    msg_id = kc.execute(code)
    output: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            output.append(content["text"])
        elif kind == "error":
            raise RuntimeError("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(output)


def drain_iopub(kc: Any) -> None:
    """Read what the kernel published meanwhile (frames are sent there), without waiting."""
    while kc.iopub_channel.msg_ready():
        kc.get_iopub_msg(timeout=0)


def answer_times(kc: Any, seconds: float, every: float = 0.1) -> list[float]:
    """Time trivial execute requests, one every ``every`` seconds, for ``seconds``."""
    times: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sent = time.perf_counter()
        msg_id = kc.execute("pass", silent=True, store_history=False)
        while True:
            reply = kc.get_shell_msg(timeout=60)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        times.append(time.perf_counter() - sent)
        drain_iopub(kc)
        # Pace the requests: this is a person typing, not a load generator.
        time.sleep(max(0.0, every - (time.perf_counter() - sent)))
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def measure(rate: int, seconds: float) -> dict[str, Any]:
    with spawn("ticker", rate=float(rate), seed=1) as ticker:
        km, kc = start_new_kernel(kernel_name="python3", startup_timeout=120)
        try:
            run_cell(kc, SETUP.format(url=ticker.url, warmup=max(100, rate // 2)))
            answers = answer_times(kc, seconds)
            result: dict[str, Any] = json.loads(run_cell(kc, COLLECT))
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    result["rate"] = rate
    result["answers"] = answers
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="measurement window per rate")
    parser.add_argument("--rates", default="1000,10000,50000", help="comma-separated messages/s")
    args = parser.parse_args()
    rows = [measure(int(rate), args.seconds) for rate in args.rates.split(",")]
    print(f"LivePlot, inline renderer (Agg + PNG into an Image widget), fps 20, in a real kernel; "
          f"{args.seconds:g} s window per rate; ticker in its own process")
    header = (f"{'offered/s':>10} {'ingested/s':>11} {'lost':>5} {'redraws/s':>10} "
              f"{'frame p50':>10} {'frame p99':>10} {'answer p50':>11} {'answer p99':>11} {'answer max':>11} {'n':>4}")
    print(header)
    for row in rows:
        elapsed = row["elapsed"]
        answers = [a * 1000 for a in row["answers"]]
        print(
            f"{row['rate']:>10,} {row['messages'] / elapsed:>11,.0f} {row['lost']:>5} "
            f"{row['redraws'] / elapsed:>10.1f} {row['frame_p50'] * 1000:>8.1f}ms {row['frame_p99'] * 1000:>8.1f}ms "
            f"{statistics.median(answers):>9.1f}ms {pct(answers, 99):>9.1f}ms {max(answers):>9.1f}ms {len(answers):>4}"
        )
    for row in rows:
        if row["rate"] == 10_000:
            elapsed = row["elapsed"]
            answers = [a * 1000 for a in row["answers"]]
            checks = {
                "redraws/s >= 15": row["redraws"] / elapsed >= 15,
                "every message ingested": row["lost"] == 0 and row["messages"] / elapsed >= 0.95 * row["rate"],
                "answer p99 < 100 ms": pct(answers, 99) < 100,
            }
            print("target at 10k msgs/s: " + ", ".join(f"{name}: {'ok' if ok else 'MISSED'}" for name, ok in checks.items()))


if __name__ == "__main__":
    main()
