"""Keep the course's previous | contents | next lines right, at the top and bottom of every notebook.

Each notebook of ``notebooks/`` gets two markdown cells holding the same
navigation line: one right after its title cell, one at the very end::

    [← 11 · The reference …](11-reference-vs-standard.ipynb) | [Contents](00-start-here.ipynb) | [13 · Heartbeat →](13-heartbeat.ipynb)

Titles come from each notebook's first line (``# NN · Title``), order from
the file names, so adding or renaming a notebook only needs::

    python tools/course_nav.py          # rewrite the lines where they are wrong
    python tools/course_nav.py --check  # exit 1 and list the notebooks that are wrong

``tests/test_notebooks_metadata.py`` runs the check. Only the two navigation
cells are touched; outputs and every other cell stay as they are.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CONTENTS = "00-start-here.ipynb"
NAV = re.compile(r"^(\[← [^\]]+\]\([^)]+\.ipynb\) \| )?\[Contents\]\(00-start-here\.ipynb\)( \| \[[^\]]+ →\]\([^)]+\.ipynb\))?$")
"""What a navigation cell holds (and nothing else): how the old ones are found."""


def title(path: Path) -> str:
    """The notebook's title: its first cell's first line without the leading '# '."""
    first = nbformat.read(path, as_version=nbformat.NO_CONVERT).cells[0].source.splitlines()[0]
    if not first.startswith("# "):
        raise ValueError(f"{path.name}: the first cell does not start with an H1 title")
    return first[2:].strip()


def expected_lines(folder: Path = NOTEBOOKS) -> dict[str, str]:
    """Every notebook's navigation line, by file name."""
    paths = sorted(folder.glob("[0-9][0-9]-*.ipynb"))
    titles = [title(path) for path in paths]
    lines = {}
    for index, path in enumerate(paths):
        parts = []
        if index > 0:
            parts.append(f"[← {titles[index - 1]}]({paths[index - 1].name})")
        parts.append(f"[Contents]({CONTENTS})")
        if index + 1 < len(paths):
            parts.append(f"[{titles[index + 1]} →]({paths[index + 1].name})")
        lines[path.name] = " | ".join(parts)
    return lines


def is_nav(cell: nbformat.NotebookNode) -> bool:
    """Whether ``cell`` is a navigation cell (a markdown cell holding only a navigation line)."""
    return cell.cell_type == "markdown" and bool(NAV.match(cell.source.strip()))


def problems(path: Path, line: str) -> list[str]:
    """What is wrong with the navigation cells of one notebook ([] when nothing is)."""
    cells = nbformat.read(path, as_version=nbformat.NO_CONVERT).cells
    found = []
    if len(cells) < 3 or not is_nav(cells[1]) or cells[1].source.strip() != line:
        found.append("the cell after the title is not the navigation line")
    if not is_nav(cells[-1]) or cells[-1].source.strip() != line:
        found.append("the last cell is not the navigation line")
    if sum(is_nav(cell) for cell in cells) != 2:
        found.append("it holds other navigation cells")
    return [f"{path.name}: {problem} (expected {line!r})" for problem in found]


def write(path: Path, line: str) -> None:
    """Put ``line`` in the two navigation cells of ``path``, replacing old ones."""
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    cells = [cell for cell in notebook.cells if not is_nav(cell)]
    number = path.name[:2]
    top = nbformat.v4.new_markdown_cell(line, id=f"{number}-nav-top")
    bottom = nbformat.v4.new_markdown_cell(line, id=f"{number}-nav-bottom")
    notebook.cells = [cells[0], top, *cells[1:], bottom]
    nbformat.write(notebook, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if a notebook is wrong")
    args = parser.parse_args(argv)
    wrong = 0
    for name, line in expected_lines().items():
        path = NOTEBOOKS / name
        found = problems(path, line)
        if not found:
            continue
        wrong += 1
        if args.check:
            print("\n".join(found))
        else:
            write(path, line)
            print(f"{name}: navigation written")
    return 1 if args.check and wrong else 0


if __name__ == "__main__":
    sys.exit(main())
