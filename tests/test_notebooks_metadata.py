"""Checks on the course's notebook files themselves (notebooks/*.ipynb and nbval.cfg).

nbval runs the notebooks and compares their outputs; these tests check what
nbval does not: names, kernels, saved state, first cells, the map in
00-start-here, and that the sanitize file is well formed.
"""

from __future__ import annotations

import configparser
import importlib.util
import inspect
import re
import unittest
from collections.abc import Iterator
from pathlib import Path

import nbformat

import wsnb.patterns
from wsnb.websocket import SocketTarget

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
START = NOTEBOOKS / "00-start-here.ipynb"
NAME = re.compile(r"^(\d{2})-[a-z0-9]+(?:-[a-z0-9]+)*\.ipynb$")
RAISES = "# NBVAL_RAISES_EXCEPTION"
PATTERN_LESSONS = [f"{number}-" for number in range(12, 20)]
"""The file-name prefixes of the pattern lessons (12-19)."""


def course_nav() -> object:
    """The tools/course_nav.py module, which writes and checks the navigation lines."""
    spec = importlib.util.spec_from_file_location("course_nav", ROOT / "tools" / "course_nav.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def code_of(path: Path) -> str:
    """All the code cells of a notebook, as one text."""
    return "\n".join(cell.source for cell in read(path).cells if cell.cell_type == "code")


def lessons() -> list[Path]:
    """The lessons, which follow the checklist in full: every notebook but 00."""
    return [path for path in notebook_paths() if path != START]


def notebook_paths() -> list[Path]:
    """Every notebook of the course, in order."""
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def output_texts() -> Iterator[tuple[Path, str | None, str]]:
    """``(notebook, cell id, text)`` of every saved output: tracebacks, streams, text/plain; colours removed."""
    ansi = re.compile(r"\x1b\[[0-9;]*m")
    for notebook in notebook_paths():
        for cell in read(notebook).cells:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    text = "\n".join(output.traceback)
                elif output.output_type == "stream":
                    text = output.text
                else:
                    text = output.get("data", {}).get("text/plain", "")
                yield notebook, cell.get("id"), ansi.sub("", text)


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=nbformat.NO_CONVERT)


class NotebookFilesTests(unittest.TestCase):
    def test_there_is_a_course(self) -> None:
        """The course folder holds 00-start-here and the numbered notebooks after it."""
        names = [path.name for path in notebook_paths()]
        self.assertIn("00-start-here.ipynb", names)
        self.assertGreater(len(names), 1)

    def test_file_names(self) -> None:
        """Notebook files are named NN-kebab-case.ipynb, and no two share a number."""
        numbers: dict[str, str] = {}
        for path in notebook_paths():
            with self.subTest(notebook=path.name):
                match = NAME.match(path.name)
                self.assertIsNotNone(match, f"{path.name} is not NN-kebab-case.ipynb")
                assert match is not None
                self.assertNotIn(match[1], numbers, f"{path.name} and {numbers.get(match[1])} share a number")
                numbers[match[1]] = path.name

    def test_valid_nbformat(self) -> None:
        """Every notebook is valid nbformat 4."""
        for path in notebook_paths():
            with self.subTest(notebook=path.name):
                notebook = read(path)
                self.assertEqual(notebook.nbformat, 4)
                nbformat.validate(notebook)

    def test_kernelspec(self) -> None:
        """Every notebook runs on the kernel named python3 (what nbval and Binder start)."""
        for path in notebook_paths():
            with self.subTest(notebook=path.name):
                kernelspec = read(path).metadata.get("kernelspec", {})
                self.assertEqual(kernelspec.get("name"), "python3")
                self.assertEqual(kernelspec.get("language"), "python")

    def test_no_saved_widget_state(self) -> None:
        """No notebook saves widget state: widgets are live, and the state is large and volatile."""
        for path in notebook_paths():
            with self.subTest(notebook=path.name):
                notebook = read(path)
                self.assertNotIn("widgets", notebook.metadata)
                for cell in notebook.cells:
                    self.assertNotIn("widgets", cell.metadata, f"cell {cell.get('id')}")

    def test_first_cell(self) -> None:
        """The first cell is markdown: an H1 '# NN · Title' and a 'What you will learn' paragraph."""
        for path in notebook_paths():
            with self.subTest(notebook=path.name):
                first = read(path).cells[0]
                self.assertEqual(first.cell_type, "markdown")
                lines = first.source.splitlines()
                self.assertRegex(lines[0], rf"^# {path.name[:2]} · \S")
                paragraph = " ".join(line for line in lines[1:] if line.strip())
                self.assertRegex(paragraph, r"(?i)^\**what you will learn\b")
                self.assertGreater(len(paragraph.split()), 15, "the paragraph says too little")

    def test_outputs_committed(self) -> None:
        """Every code cell was run (outputs are committed), and only cells marked to raise hold an error."""
        for path in notebook_paths():
            with self.subTest(notebook=path.name):
                for cell in read(path).cells:
                    if cell.cell_type != "code":
                        continue
                    where = f"cell {cell.get('id')}: {cell.source[:60]!r}"
                    self.assertIsNotNone(cell.execution_count, f"{where} was not run")
                    errors = [out for out in cell.outputs if out.output_type == "error"]
                    if cell.source.startswith(RAISES):
                        self.assertTrue(errors, f"{where} is marked to raise but holds no error")
                    else:
                        self.assertFalse(errors, f"{where} holds an error: {errors[:1]}")

    def test_start_here_links_every_notebook(self) -> None:
        """00-start-here links every other notebook, and every notebook it links exists."""
        text = "\n".join(cell.source for cell in read(START).cells if cell.cell_type == "markdown")
        linked = set(re.findall(r"\]\(([^)\s]+\.ipynb)\)", text)) - {START.name}  # its own "Contents" link
        others = {path.name for path in notebook_paths()} - {START.name}
        self.assertFalse(others - linked, f"00-start-here does not link {sorted(others - linked)}")
        self.assertFalse(linked - others, f"00-start-here links missing notebooks {sorted(linked - others)}")

    def test_no_paths_in_outputs(self) -> None:
        """No output, traceback included, shows a file's path (the learner's machine is not the author's)."""
        path = re.compile(r"(?:/[\w.+-]+)+/[\w.+-]+\.py\b")
        for notebook, cell_id, text in output_texts():
            with self.subTest(notebook=notebook.name, cell=cell_id):
                self.assertIsNone(path.search(text), "a path: try %xmode Minimal")

    def test_no_loopback_ports_in_outputs(self) -> None:
        """No saved output shows a port the system picked (a lab server's, Redis's): it differs on every run and machine.

        Widgets write it ``PORT`` (``display_url``); printed text does the same.
        The ports 80 and 443 of notebook 01's URL lesson are the lesson.
        """
        port = re.compile(r"(?:127\.0\.0\.1|localhost|\[::1\]):(\d{4,5})\b")
        for notebook, cell_id, text in output_texts():
            with self.subTest(notebook=notebook.name, cell=cell_id):
                found = port.search(text)
                self.assertIsNone(found, f"a loopback port in an output: {found and found.group(0)}")

    def test_raising_cells_are_tagged(self) -> None:
        """A cell that raises on purpose carries the raises-exception tag, so Run All in JupyterLab goes on past it."""
        for path in notebook_paths():
            for cell in read(path).cells:
                if cell.cell_type != "code":
                    continue
                with self.subTest(notebook=path.name, cell=cell.get("id")):
                    tagged = "raises-exception" in cell.metadata.get("tags", [])
                    self.assertEqual(tagged, cell.source.startswith(RAISES))

    def test_navigation(self) -> None:
        """Every notebook has the previous | contents | next line after its title and at its end."""
        nav = course_nav()
        lines = nav.expected_lines(NOTEBOOKS)  # type: ignore[attr-defined]
        self.assertEqual(set(lines), {path.name for path in notebook_paths()})
        for name, line in lines.items():
            with self.subTest(notebook=name):
                self.assertIn("[Contents](00-start-here.ipynb)", line)
                self.assertEqual(nav.problems(NOTEBOOKS / name, line), [])  # type: ignore[attr-defined]

    def test_navigation_writer(self) -> None:
        """course_nav.write() puts the line after the title and at the end, replaces old ones, and keeps the rest."""
        import shutil
        import tempfile

        nav = course_nav()
        with tempfile.TemporaryDirectory() as folder:
            source = NOTEBOOKS / "08-buffered-amount.ipynb"
            path = Path(folder) / source.name
            shutil.copy(source, path)
            before = [cell for cell in read(path).cells if not nav.is_nav(cell)]  # type: ignore[attr-defined]
            for line in ("[Contents](00-start-here.ipynb)", "[← A](a.ipynb) | [Contents](00-start-here.ipynb)"):
                nav.write(path, line)  # type: ignore[attr-defined]
                self.assertEqual(nav.problems(path, line), [])  # type: ignore[attr-defined]
            after = read(path).cells
            self.assertEqual(len(after), len(before) + 2)
            self.assertEqual([cell.source for cell in after[:1] + after[2:-1]], [cell.source for cell in before])
            self.assertEqual(after[1].source, "[← A](a.ipynb) | [Contents](00-start-here.ipynb)")


class LessonTests(unittest.TestCase):
    """The lessons follow the course's checklist: exercise, summary, questions, error listener."""

    def test_all_there(self) -> None:
        """The pattern lessons 12 to 19 exist, one per number, and follow the checklist."""
        names = [path.name for path in lessons()]
        self.assertEqual([name[:3] for name in names if name.startswith(tuple(PATTERN_LESSONS))], PATTERN_LESSONS)

    def test_every_pattern_is_taught(self) -> None:
        """Each pattern class of wsnb.patterns is made in the code of at least one notebook."""
        code = "\n".join(code_of(path) for path in notebook_paths())
        classes = [
            name for name in wsnb.patterns.__all__
            if inspect.isclass(getattr(wsnb.patterns, name)) and issubclass(getattr(wsnb.patterns, name), SocketTarget)
        ]
        self.assertGreaterEqual(len(classes), 12)
        for name in classes:
            with self.subTest(pattern=name):
                self.assertRegex(code, rf"\b{name}\(", f"no notebook makes a {name}")

    def test_sections(self) -> None:
        """Each lesson has an exercise with a solution that runs, a summary, and 3-5 check-yourself questions with answers."""
        for path in lessons():
            with self.subTest(notebook=path.name):
                cells = read(path).cells
                headings = [
                    (index, line.strip())
                    for index, cell in enumerate(cells) if cell.cell_type == "markdown"
                    for line in cell.source.splitlines() if line.startswith("#")
                ]
                titles = [title for _, title in headings]
                for title in ("## Exercise", "### Solution", "## Summary", "## Check yourself"):
                    self.assertIn(title, titles)
                solution = next(index for index, title in headings if title == "### Solution")
                self.assertTrue(
                    any(cell.cell_type == "code" and cell.source.strip() for cell in cells[solution + 1:]),
                    "no code cell follows the solution heading",
                )
                check = next(cells[index] for index, title in headings if title == "## Check yourself")
                questions = re.findall(r"(?m)^\s*\d+\.\s.*\?", check.source.split("<details>")[0])
                self.assertTrue(3 <= len(questions) <= 5, f"{len(questions)} numbered questions")
                self.assertIn("<details>", check.source, "the answers are missing")

    def test_error_events_used(self) -> None:
        """Each lesson listens for the error event somewhere (onerror or addEventListener("error", ...))."""
        for path in lessons():
            with self.subTest(notebook=path.name):
                self.assertRegex(code_of(path), r"\.onerror\s*=|addEventListener\(\s*[\"']error[\"']")


class SanitizeFileTests(unittest.TestCase):
    def test_nbval_cfg(self) -> None:
        """nbval.cfg is a configparser file whose every section is one regex and its replacement."""
        from nbval.plugin import get_sanitize_patterns

        path = NOTEBOOKS / "nbval.cfg"
        text = path.read_text(encoding="utf-8")
        parser = configparser.RawConfigParser()
        parser.read_string(text, source=str(path))
        self.assertTrue(parser.sections())
        for section in parser.sections():
            with self.subTest(section=section):
                self.assertEqual(set(parser[section]), {"regex", "replace"})
                re.compile(parser[section]["regex"])
        # nbval reads "regex:" and "replace:" on consecutive lines: a pair it
        # cannot see would silently sanitize nothing.
        pairs = get_sanitize_patterns(text)
        self.assertEqual(
            [regex for regex, _ in pairs],
            [parser[section]["regex"] for section in parser.sections()],
        )

    def test_sanitize_examples(self) -> None:
        """The sanitize file hides ports, addresses, pids and times, and leaves short hex values alone."""
        from nbval.plugin import get_sanitize_patterns

        pairs = get_sanitize_patterns((NOTEBOOKS / "nbval.cfg").read_text(encoding="utf-8"))

        def sanitize(text: str) -> str:
            for regex, replace in pairs:
                text = re.sub(regex, replace, text)
            return text

        same = [
            ("ws://127.0.0.1:45447/", "ws://127.0.0.1:8765/"),
            ("http://localhost:8888/lab", "http://localhost:9999/lab"),
            ("ws://[::1]:5000/", "ws://[::1]:6001/"),
            ("<ServerProcess echo port 41234 running>", "<ServerProcess echo port 8765 running>"),
            ("<object at 0x7f3a2c1e5d90>", "<object at 0x7f00deadbeef>"),
            ("pid 12345", "pid 7"),
            ("round trip 0.42 ms", "round trip 12 ms"),
            ("took 1.5 s", "took 2 s"),
            ("at 2025-11-25 19:15:02.123", "at 2026-01-01 00:00:00.000"),
            ("19:15:02 > text", "08:00:59 > text"),
        ]
        for first, second in same:
            with self.subTest(text=first):
                self.assertEqual(sanitize(first), sanitize(second))
        for kept in ["0x01 0xff", "code 1000", "12 bytes", "3 sockets", "readyState=OPEN", "ws://127.0.0.1:443/"]:
            with self.subTest(text=kept):
                self.assertEqual(sanitize(kept), kept)


if __name__ == "__main__":
    unittest.main()
