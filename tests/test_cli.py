"""Tests of wsnb.cli's ``wsnb lab``: copying the course, the JupyterLab command, a real JupyterLab.

``wsnb serve`` is tested with the lab servers (tests/servers/test_process.py).
"""

from __future__ import annotations

import fnmatch
import io
import json
import os
import queue
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from wsnb import cli

from .support import MS

ROOT = Path(__file__).resolve().parent.parent
LAB_TIMEOUT = 90_000 * MS  # JupyterLab starts in seconds; a busy machine is slower


def make_course(folder: Path, notebooks: dict[str, str]) -> Path:
    """Write a small stand-in course: file name -> text."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in notebooks.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


class CourseSourceTests(unittest.TestCase):
    def test_course_source_holds_the_course(self) -> None:
        """course_source() finds the course: 00-start-here and every notebook of the checkout."""
        source = cli.course_source()
        self.assertTrue((source / cli.START).is_file())
        shipped = {path.name for path in source.glob("*.ipynb")}
        in_checkout = {path.name for path in (ROOT / "notebooks").glob("*.ipynb")}
        self.assertEqual(shipped, in_checkout)

    def test_every_package_ships(self) -> None:
        """pyproject lists every package of wsnb/ and maps notebooks/ into the wheel as wsnb/course."""
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # the test extra installs tomli, tomllib's original, on 3.10
            import tomli as tomllib

        config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        setuptools = config["tool"]["setuptools"]
        listed = set(setuptools["packages"])
        on_disk = {
            ".".join(init.parent.relative_to(ROOT).parts)
            for init in (ROOT / "wsnb").rglob("__init__.py")
            if "__pycache__" not in init.parts
        }
        missing = on_disk - listed
        self.assertFalse(missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml")
        self.assertIn("wsnb.course", listed)
        self.assertEqual(setuptools["package-dir"]["wsnb.course"], "notebooks")
        self.assertIn("*.ipynb", setuptools["package-data"]["wsnb.course"])
        for package in listed - {"wsnb.course"}:
            with self.subTest(package=package):
                self.assertTrue((ROOT / package.replace(".", "/")).is_dir(), f"{package} is listed but has no folder")
        # Files that are not Python (a widget's JavaScript) ship only if package-data lists them:
        # an editable install would not notice, Binder's `pip install .` would.
        for path in (ROOT / "wsnb").rglob("*.js"):
            package = ".".join(path.parent.relative_to(ROOT).parts)
            with self.subTest(file=path.name):
                patterns = setuptools["package-data"].get(package, [])
                self.assertTrue(any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns),
                                f"add {path.name!r} to [tool.setuptools.package-data] {package!r} in pyproject.toml")


class CopyCourseTests(unittest.TestCase):
    def setUp(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.tmp = Path(tmp.name)
        self.source = make_course(self.tmp / "course", {"00-start-here.ipynb": "start v1", "01-a.ipynb": "a v1"})
        self.target = self.tmp / "work" / "wsnb-course"

    def test_first_copy(self) -> None:
        """The first run creates the folder and copies every notebook, and only notebooks."""
        (self.source / "nbval.cfg").write_text("not for learners")
        actions = cli.copy_course(self.source, self.target)
        self.assertEqual(actions, [("copied", "00-start-here.ipynb"), ("copied", "01-a.ipynb")])
        self.assertEqual((self.target / "01-a.ipynb").read_text(), "a v1")
        self.assertFalse((self.target / "nbval.cfg").exists())
        self.assertTrue((self.target / cli.MANIFEST).is_file())

    def test_real_course(self) -> None:
        """The real course copies whole: every notebook, byte for byte."""
        source = cli.course_source()
        actions = cli.copy_course(source, self.target)
        names = sorted(path.name for path in source.glob("*.ipynb"))
        self.assertEqual(actions, [("copied", name) for name in names])
        for name in names:
            self.assertEqual((self.target / name).read_bytes(), (source / name).read_bytes())

    def test_second_run_changes_nothing(self) -> None:
        """Running again with nothing changed reports every notebook unchanged."""
        cli.copy_course(self.source, self.target)
        actions = cli.copy_course(self.source, self.target)
        self.assertEqual(actions, [("unchanged", "00-start-here.ipynb"), ("unchanged", "01-a.ipynb")])

    def test_edited_copy_is_kept(self) -> None:
        """A notebook the learner changed is kept, again and again, until --force."""
        cli.copy_course(self.source, self.target)
        (self.target / "01-a.ipynb").write_text("my notes")
        for _ in range(2):
            actions = cli.copy_course(self.source, self.target)
            self.assertIn(("kept", "01-a.ipynb"), actions)
            self.assertEqual((self.target / "01-a.ipynb").read_text(), "my notes")
        (self.source / "01-a.ipynb").write_text("a v2")  # a newer course does not overwrite it either
        self.assertIn(("kept", "01-a.ipynb"), cli.copy_course(self.source, self.target))
        self.assertEqual((self.target / "01-a.ipynb").read_text(), "my notes")

        actions = cli.copy_course(self.source, self.target, force=True)
        self.assertEqual(actions, [("unchanged", "00-start-here.ipynb"), ("replaced", "01-a.ipynb")])
        self.assertEqual((self.target / "01-a.ipynb").read_text(), "a v2")

    def test_untouched_copy_is_updated(self) -> None:
        """A newer course replaces copies the learner never changed, and keeps the changed ones."""
        cli.copy_course(self.source, self.target)
        (self.target / "00-start-here.ipynb").write_text("my start")
        (self.source / "00-start-here.ipynb").write_text("start v2")
        (self.source / "01-a.ipynb").write_text("a v2")
        make_course(self.source, {"02-new.ipynb": "new"})
        actions = cli.copy_course(self.source, self.target)
        self.assertEqual(
            actions,
            [("kept", "00-start-here.ipynb"), ("updated", "01-a.ipynb"), ("copied", "02-new.ipynb")],
        )
        self.assertEqual((self.target / "00-start-here.ipynb").read_text(), "my start")
        self.assertEqual((self.target / "01-a.ipynb").read_text(), "a v2")

    def test_copy_without_a_record_is_kept(self) -> None:
        """A notebook already there that wsnb lab did not copy (no record) is treated as the learner's."""
        make_course(self.target, {"01-a.ipynb": "someone else's"})
        actions = cli.copy_course(self.source, self.target)
        self.assertEqual(actions, [("copied", "00-start-here.ipynb"), ("kept", "01-a.ipynb")])
        (self.target / cli.MANIFEST).write_text("{not json")
        self.assertEqual(cli.copy_course(self.source, self.target)[1], ("kept", "01-a.ipynb"))

    def test_other_files_untouched(self) -> None:
        """The learner's own files in the folder are left alone."""
        make_course(self.target, {"my-experiment.ipynb": "mine", "data.csv": "1,2"})
        cli.copy_course(self.source, self.target, force=True)
        self.assertEqual((self.target / "my-experiment.ipynb").read_text(), "mine")
        self.assertEqual((self.target / "data.csv").read_text(), "1,2")

    def test_target_is_a_file(self) -> None:
        """wsnb lab --dir naming a file fails with exit status 1 and says why."""
        target = self.tmp / "a-file"
        target.write_text("x")
        with self.assertRaises(NotADirectoryError):
            cli.copy_course(self.source, target)
        stderr, stdout = io.StringIO(), io.StringIO()
        with redirect_stderr(stderr), redirect_stdout(stdout):
            status = cli.main(["lab", "--dir", str(target), "--no-browser"])
        self.assertEqual(status, 1)
        self.assertEqual(stderr.getvalue(), f"wsnb lab: {target} exists and is not a folder\n")
        self.assertEqual(target.read_text(), "x")


class LabCommandTests(unittest.TestCase):
    def test_command_line(self) -> None:
        """The command runs this Python's JupyterLab on the folder and opens 00-start-here."""
        folder = Path("some") / "course"
        absolute = folder.resolve()
        self.assertEqual(
            cli.lab_command(folder),
            [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={absolute}", str(absolute / "00-start-here.ipynb")],
        )
        self.assertEqual(
            cli.lab_command(folder, port=9999, no_browser=True, extra=["--ip=0.0.0.0"]),
            [
                sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={absolute}",
                "--port=9999", "--no-browser", "--ip=0.0.0.0", str(absolute / "00-start-here.ipynb"),
            ],
        )

    def test_environment(self) -> None:
        """JupyterLab's config path gets the course's folder after the learner's own; nothing else changes."""
        page_config = cli.JUPYTER_CONFIG / "labconfig" / "page_config.json"
        self.assertIn("@jupyterlab/apputils-extension:announcements", json.loads(page_config.read_text()).get(
            "disabledExtensions", {}))
        env = cli.lab_environment({"HOME": "/home/ann"})
        self.assertEqual(env, {"HOME": "/home/ann", "JUPYTER_CONFIG_PATH": str(cli.JUPYTER_CONFIG)})
        env = cli.lab_environment({"JUPYTER_CONFIG_PATH": os.pathsep.join(["/mine", "/also-mine"])})
        self.assertEqual(env["JUPYTER_CONFIG_PATH"].split(os.pathsep), ["/mine", "/also-mine", str(cli.JUPYTER_CONFIG)])

    def test_serve_refuses_unknown_options(self) -> None:
        """Unknown options pass on to JupyterLab only: wsnb serve still refuses them."""
        stderr = io.StringIO()
        with redirect_stderr(stderr), self.assertRaises(SystemExit) as raised:
            cli.main(["serve", "echo", "--bogus"])
        self.assertEqual(raised.exception.code, 2)
        self.assertIn("unrecognized arguments: --bogus", stderr.getvalue())


def free_port() -> int:
    """Return a loopback port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LabProcess:
    """``python -m wsnb lab ...`` as a child process whose output is read line by line."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wsnb", "lab", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[tuple[str, str | None]] = queue.Queue()
        self.seen: list[str] = []
        for name, stream in (("stdout", self.process.stdout), ("stderr", self.process.stderr)):
            threading.Thread(target=self._pump, args=(name, stream), daemon=True).start()

    def _pump(self, name: str, stream: io.TextIOBase) -> None:
        for line in stream:
            self.lines.put((name, line))
        self.lines.put((name, None))

    def wait_for_line(self, text: str, stream: str = "stdout") -> str:
        """Return the first line of ``stream`` containing ``text``; fail if none comes in time."""
        deadline = time.monotonic() + LAB_TIMEOUT
        ended = set()
        while True:
            try:
                name, line = self.lines.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise AssertionError(f"no line with {text!r} within {LAB_TIMEOUT} s:\n{''.join(self.seen)}") from None
            if line is None:
                ended.add(name)
                if len(ended) == 2:
                    raise AssertionError(f"wsnb lab ended before printing {text!r}:\n{''.join(self.seen)}")
                continue
            self.seen.append(line)
            if name == stream and text in line:
                return line

    def wait_until_listening(self, port: int) -> None:
        """Return once JupyterLab accepts connections on ``port``.

        jupyter_server logs its URL first and binds its port in the first
        turn of its event loop, and logs nothing after that. So this checks
        the port itself, again every 50 ms (waiting on the process, so that
        it fails at once if JupyterLab exits), for at most LAB_TIMEOUT.
        """
        self.wait_for_line(f"http://127.0.0.1:{port}/", stream="stderr")
        deadline = time.monotonic() + LAB_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=LAB_TIMEOUT).close()
                return
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"JupyterLab never listened on port {port}") from None
            try:
                status = self.process.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                continue
            raise AssertionError(f"wsnb lab exited with status {status}:\n{''.join(self.seen)}")

    def stop(self) -> None:
        """Stop JupyterLab (SIGTERM shuts it down without asking)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=LAB_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class RealLabTests(unittest.TestCase):
    """``wsnb lab`` copies the course and really starts JupyterLab (never a real browser)."""

    def setUp(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.tmp = Path(tmp.name)
        self.token = "wsnb-test-token"
        # Keep JupyterLab's runtime files, settings and workspaces out of the user's home.
        self.env = dict(os.environ)
        for variable, folder in [
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTERLAB_SETTINGS_DIR", "settings"),
            ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ]:
            self.env[variable] = str(self.tmp / folder)
        self.port = free_port()
        self.server_options = [
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
        ]

    def start(self, *args: str) -> LabProcess:
        lab = LabProcess([*args, "--port", str(self.port), *self.server_options], cwd=self.tmp, env=self.env)
        self.addCleanup(lab.stop)
        return lab

    def get(self, path: str) -> object:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=LAB_TIMEOUT) as response:
            self.assertEqual(response.status, 200)
            body = response.read()
        return json.loads(body) if path.startswith("/api/") else body.decode()

    def test_lab_serves_the_course(self) -> None:
        """wsnb lab --no-browser copies into ./wsnb-course, keeps an edited notebook, and serves the folder."""
        edited = self.tmp / "wsnb-course" / "01-first-connection.ipynb"
        edited.parent.mkdir()
        edited.write_text("{}")  # there before wsnb lab: the learner's
        lab = self.start("--no-browser")
        lab.wait_for_line(f"wsnb lab: the course is in {self.tmp.resolve() / 'wsnb-course'}")
        lab.wait_for_line("  copied    00-start-here.ipynb")
        lab.wait_for_line("  kept      01-first-connection.ipynb (you changed it;")
        lab.wait_until_listening(self.port)

        listing = self.get("/api/contents?content=1")
        served = {item["name"] for item in listing["content"]}  # type: ignore[index]
        course = {path.name for path in cli.course_source().glob("*.ipynb")}
        self.assertLessEqual(course, served)
        start = self.get(f"/api/contents/{cli.START}?content=0")
        self.assertEqual((start["name"], start["type"]), (cli.START, "notebook"))  # type: ignore[index]
        page = self.get("/lab")
        self.assertIn("JupyterLab", page)
        # No "Would you like to get notified about official Jupyter news?"
        # over the first notebook: the announcements plugin is disabled.
        config = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
        self.assertIsNotNone(config, "JupyterLab's page has no config data")
        assert config is not None
        disabled = json.loads(config.group(1)).get("disabledExtensions", [])
        self.assertIn("@jupyterlab/apputils-extension:announcements", disabled)
        self.assertEqual(edited.read_text(), "{}")

    def test_lab_opens_start_here(self) -> None:
        """Without --no-browser, the browser is sent to 00-start-here.ipynb; --force replaces an edited copy."""
        folder = self.tmp / "my course"
        cli.copy_course(cli.course_source(), folder)
        edited = folder / "02-ready-state.ipynb"
        edited.write_text("{}")
        # A stand-in "browser" that prints the address JupyterLab gives it.
        show = "import sys; print('BROWSER', sys.argv[1], flush=True)"
        browser = f"{shlex.quote(sys.executable)} -c {shlex.quote(show)} %s"
        lab = self.start("--dir", str(folder), "--force", f"--ServerApp.browser={browser}")
        lab.wait_for_line("  replaced  02-ready-state.ipynb")
        line = lab.wait_for_line("BROWSER ")
        address = line.split(" ", 1)[1].strip()
        # JupyterLab opens a local page that redirects to the notebook.
        self.assertTrue(address.startswith("file://"), address)
        page = Path(urllib.request.url2pathname(address[len("file://"):])).read_text(encoding="utf-8")
        self.assertIn(f"http://127.0.0.1:{self.port}/lab/tree/00-start-here.ipynb?token={self.token}", page)
        self.assertEqual(edited.read_bytes(), (cli.course_source() / edited.name).read_bytes())


if __name__ == "__main__":
    unittest.main()
