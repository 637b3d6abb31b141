"""Binder's build, rehearsed: a fresh virtual environment made from binder/ only, then nbval in it.

repo2docker builds a Binder image from a repository in this order: the
Python of ``binder/runtime.txt``, ``pip install -r binder/requirements.txt``,
then ``binder/postBuild`` run from the repository's root. This test does the
same in a new virtual environment (without ``--system-site-packages``, so a
dependency missing from requirements.txt fails here as it would on Binder),
on a copy of the repository, then runs one notebook under nbval inside it.

It is slow (about a minute: installing JupyterLab, building the wheel), so it
carries the ``slow`` mark: ``pytest -m "not slow"`` skips it while working;
the default run, and so CI, runs it. pip's cache is reused.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from importlib import metadata
from pathlib import Path

import pytest

from .support import MS

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
STEP_TIMEOUT = 900_000 * MS  # one install step; generous for a busy machine

# What repo2docker would see: the repository without caches and build output.
IGNORED = shutil.ignore_patterns(
    ".git", "__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache", ".ruff_cache",
    ".benchmarks", "build", "dist", "*.egg-info", "test-artifacts", ".ipynb_checkpoints",
    "wsnb-course", ".venv", "venv",
)


def run(command: list[str], *, cwd: Path, env: dict[str, str]) -> str:
    """Run one build step; fail with its output if it fails."""
    done = subprocess.run(
        command, check=False, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=STEP_TIMEOUT,
    )
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout[-6000:]}")
    return done.stdout


class BinderFilesTests(unittest.TestCase):
    def test_files(self) -> None:
        """binder/ has pinned requirements, a python-3.X runtime and an executable postBuild that installs wsnb."""
        requirements = [
            line.strip() for line in (BINDER / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
        self.assertTrue(requirements)
        for line in requirements:
            self.assertRegex(line, r"^[A-Za-z0-9._-]+==[0-9][^=\s]*$", "every requirement is pinned with ==")
        self.assertRegex((BINDER / "runtime.txt").read_text(), r"^python-3\.\d+\n?$")
        post_build = BINDER / "postBuild"
        self.assertTrue(os.access(post_build, os.X_OK), "postBuild must be executable")
        text = post_build.read_text()
        self.assertTrue(text.startswith("#!"), "postBuild needs a shebang line")
        self.assertRegex(text, r"(?m)^set -e")
        self.assertRegex(text, r"pip install .*--no-deps")

    def test_requirements_cover_dependencies(self) -> None:
        """Every runtime dependency in pyproject.toml is pinned in binder/requirements.txt."""
        names = {
            re.split(r"[=<>!~\[; ]", line, maxsplit=1)[0].lower().replace("_", "-")
            for line in (BINDER / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        }
        for requirement in metadata.requires("wsnb") or []:
            if "extra ==" in requirement:
                continue
            name = re.split(r"[=<>!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
            with self.subTest(dependency=name):
                self.assertIn(name, names)


@pytest.mark.slow
class BinderBuildTests(unittest.TestCase):
    def test_fresh_environment_runs_the_course(self) -> None:
        """requirements.txt then postBuild, in a fresh venv, give a working wsnb: nbval passes on 01."""
        tmp = tempfile.TemporaryDirectory(prefix="wsnb-binder-")
        self.addCleanup(tmp.cleanup)
        repo = Path(tmp.name) / "repo"
        shutil.copytree(ROOT, repo, ignore=IGNORED)
        venv = Path(tmp.name) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=STEP_TIMEOUT)
        bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
        python = str(bin_dir / "python")
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        # Kernels, settings and runtime files of this run stay in it.
        for variable, folder in [("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTER_CONFIG_DIR", "config"),
                                 ("JUPYTER_DATA_DIR", "data"), ("IPYTHONDIR", "ipython")]:
            env[variable] = str(Path(tmp.name) / folder)

        # As repo2docker: requirements first, then postBuild from the repository's root.
        run([python, "-m", "pip", "install", "-r", "binder/requirements.txt"], cwd=repo, env=env)
        run([str(repo / "binder" / "postBuild")], cwd=repo, env=env)

        # wsnb comes from the wheel postBuild built, with its course inside.
        where = run(
            [python, "-c", "import wsnb, wsnb.cli; print(wsnb.__file__); print(wsnb.cli.course_source()); "
             "print((wsnb.cli.JUPYTER_CONFIG / 'labconfig' / 'page_config.json').is_file())"],
            cwd=Path(tmp.name), env=env,
        ).split()
        self.assertTrue(Path(where[0]).is_relative_to(venv), where[0])
        course = Path(where[1])
        self.assertEqual(course.name, "course")
        self.assertTrue(course.is_relative_to(venv), course)
        self.assertEqual(
            sorted(path.name for path in course.glob("*.ipynb")),
            sorted(path.name for path in (ROOT / "notebooks").glob("*.ipynb")),
        )
        self.assertEqual(where[2], "True", "the JupyterLab page config of wsnb lab ships in the wheel")
        self.assertTrue((bin_dir / "wsnb").exists(), "the wsnb command is installed")

        # The test tools are not Binder's business: same versions as here.
        tools = [f"{name}=={metadata.version(name)}" for name in ("pytest", "nbval")]
        run([python, "-m", "pip", "install", *tools], cwd=repo, env=env)
        output = run(
            [python, "-m", "pytest", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
             "--nbval-sanitize-with", "notebooks/nbval.cfg", "notebooks/01-first-connection.ipynb"],
            cwd=repo, env=env,
        )
        summary = output.strip().splitlines()[-1]
        self.assertRegex(summary, r"^=+ \d+ passed", output[-3000:])
        self.assertNotIn("failed", summary)


if __name__ == "__main__":
    unittest.main()
