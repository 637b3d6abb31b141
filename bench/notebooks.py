"""How long each notebook of the course takes to run, top to bottom, in a fresh kernel.

The course promises that every notebook runs alone in under 15 seconds, so
that a learner's "Restart Kernel and Run All" is quick and CI stays short.
This runs each notebook as JupyterLab would (nbclient, a new ``python3``
kernel per notebook, cells in order; cells tagged ``raises-exception`` may
raise) and prints one row per notebook: cells, seconds from the first cell
to the last (kernel start-up excluded, as a learner's kernel is already
running), the same with the kernel's start-up, and whether the cells met
the target. Pass ``--repeat N`` to take the
slowest of N runs.

    python bench/notebooks.py [--repeat 1] [--limit 15] [notebooks/12-reconnecting.ipynb ...]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def run_once(path: Path) -> tuple[int, float, float]:
    """Run the notebook at ``path`` in a new kernel; return (code cells, seconds for the cells, with start-up)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]

    async def run() -> tuple[float, float]:
        launched = time.perf_counter()
        async with client.async_setup_kernel():
            start = time.perf_counter()
            for index, cell in enumerate(notebook.cells):
                await client.async_execute_cell(cell, index)
            end = time.perf_counter()
        return end - start, end - launched

    seconds, with_start = asyncio.run(run())
    return len(cells), seconds, with_start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook of the course")
    parser.add_argument("--repeat", type=int, default=1, help="runs per notebook; the slowest counts")
    parser.add_argument("--limit", type=float, default=15.0, help="the target, in seconds")
    args = parser.parse_args()
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    print(f"{'notebook':36} {'cells':>5} {'seconds':>8} {'+kernel':>8}  target")
    total = total_with_start = 0.0
    for path in paths:
        runs = [run_once(path) for _ in range(args.repeat)]
        cells = runs[0][0]
        seconds = max(run[1] for run in runs)
        with_start = max(run[2] for run in runs)
        total += seconds
        total_with_start += with_start
        verdict = f"<{args.limit:g} ok" if seconds < args.limit else f"<{args.limit:g} SLOW"
        print(f"{path.name:36} {cells:>5} {seconds:>8.1f} {with_start:>8.1f}  {verdict}", flush=True)
    print(f"{'all':36} {'':>5} {total:>8.1f} {total_with_start:>8.1f}")


if __name__ == "__main__":
    main()
