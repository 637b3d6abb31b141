"""The ``wsnb`` command.

::

    wsnb serve NAME [--host H] [--port N] [--option KEY=VALUE ...]
    wsnb lab [--dir DIR] [--port N] [--no-browser] [--force] [JUPYTER OPTION ...]

``wsnb serve`` runs a lab server (see :mod:`wsnb.servers`) until Ctrl-C or
SIGTERM.

``wsnb lab`` copies the course's notebooks into a working folder
(``./wsnb-course`` unless ``--dir`` says otherwise) and replaces itself with
JupyterLab, opened on ``00-start-here.ipynb`` in that folder. The notebooks
ship inside the package (``wsnb/course`` in an installed wheel); in a
checkout they are read from the repository's ``notebooks/`` folder. A copy
the learner has changed is never overwritten unless ``--force`` is given, so
running ``wsnb lab`` again is always safe. Options that ``wsnb lab`` does not
know (``--allow-root``, ``--ip=0.0.0.0`` ...) are passed on to JupyterLab.

"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .servers._main import add_arguments, run_args

__all__ = ["copy_course", "course_source", "lab_command", "lab_environment", "main"]

START = "00-start-here.ipynb"
"""The notebook JupyterLab opens first."""

JUPYTER_CONFIG = Path(__file__).resolve().parent / "jupyter-config"
"""Jupyter configuration that ``wsnb lab`` adds to JupyterLab's search path.

Its ``labconfig/page_config.json`` disables JupyterLab's announcements
plugin, whose first question ("Would you like to get notified about
official Jupyter news?") would otherwise cover the first notebook, and which
checks for updates on the internet. The learner's own Jupyter configuration
is searched first and still wins.
"""

MANIFEST = ".wsnb-course.json"
"""File in the working folder recording what ``wsnb lab`` copied there.

It holds the SHA-256 of each notebook as copied, so that a later run can tell
a notebook the learner changed (kept) from one it may update safely.
"""


def course_source() -> Path:
    """Return the folder that holds the course's notebooks.

    An installed package carries them as package data in ``wsnb/course``; a
    checkout (``pip install -e .``) has them in ``notebooks/`` next to the
    ``wsnb`` package.

    Raises:
        FileNotFoundError: If neither folder holds the course.

    """
    package = Path(__file__).resolve().parent
    candidates = [package / "course", package.parent / "notebooks"]
    for folder in candidates:
        if (folder / START).is_file():
            return folder
    looked = " and ".join(str(folder) for folder in candidates)
    raise FileNotFoundError(
        f"the course notebooks are missing (looked for {START} in {looked}); "
        "reinstall wsnb, or run wsnb lab from a complete checkout"
    )


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def copy_course(source: Path, target: Path, *, force: bool = False) -> list[tuple[str, str]]:
    """Copy the course's notebooks from ``source`` into ``target``.

    A notebook missing from ``target`` is copied. One that is already there
    is left alone when it equals the course's; updated when it is still
    exactly what an earlier ``wsnb lab`` copied (so a newer wsnb brings its
    fixes); and otherwise kept, because the learner changed it (ran it,
    edited it), unless ``force`` is true. Other files in ``target`` are never
    touched.

    Args:
        source: The folder holding the course (see :func:`course_source`).
        target: The working folder; created if needed.
        force: Replace notebooks the learner changed.

    Returns:
        One ``(action, file name)`` pair per notebook, in file-name order;
        the action is ``"copied"``, ``"unchanged"``, ``"updated"``,
        ``"replaced"`` (changed by the learner, replaced because of
        ``force``) or ``"kept"`` (changed by the learner, left as it is).

    Raises:
        NotADirectoryError: If ``target`` exists and is not a folder.

    """
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} exists and is not a folder")
    target.mkdir(parents=True, exist_ok=True)
    manifest = target / MANIFEST
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        recorded = {}
    if not isinstance(recorded, dict):
        recorded = {}
    files: dict[str, str] = {}
    actions: list[tuple[str, str]] = []
    for notebook in sorted(source.glob("*.ipynb")):
        name = notebook.name
        data = notebook.read_bytes()
        digest = _digest(data)
        copy = target / name
        if not copy.exists():
            action = "copied"
        else:
            current = _digest(copy.read_bytes())
            if current == digest:
                action = "unchanged"
            elif recorded.get(name) == current:
                action = "updated"
            elif force:
                action = "replaced"
            else:
                action = "kept"
        if action in ("copied", "updated", "replaced"):
            copy.write_bytes(data)
        if action != "kept":
            files[name] = digest
        elif name in recorded:
            # Still the learner's: remember what was copied, not their edit.
            files[name] = recorded[name]
        actions.append((action, name))
    record = {"about": "written by wsnb lab: what it copied here", "files": files}
    manifest.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return actions


def lab_command(
    folder: Path,
    *,
    port: int | None = None,
    no_browser: bool = False,
    extra: Sequence[str] = (),
) -> list[str]:
    """Build the command line that starts JupyterLab on the course.

    JupyterLab runs from this Python (``python -m jupyterlab``), serves
    ``folder`` as its root and opens ``00-start-here.ipynb``.

    Args:
        folder: The working folder holding the course.
        port: The port to serve on; None lets JupyterLab choose (8888 or the
            next free one).
        no_browser: Do not open a web browser.
        extra: More options for JupyterLab, passed on as they are.

    """
    folder = folder.resolve()
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}"]
    if port is not None:
        command.append(f"--port={port}")
    if no_browser:
        command.append("--no-browser")
    command.extend(extra)
    command.append(str(folder / START))
    return command


def lab_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Return the environment JupyterLab runs in: ``environ`` with :data:`JUPYTER_CONFIG` on its config path.

    ``JUPYTER_CONFIG_PATH`` lists extra configuration folders; the course's
    goes after any already listed, so that a learner's settings come first.
    """
    env = dict(environ)
    paths = [path for path in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if path]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join([*paths, str(JUPYTER_CONFIG)])
    return env


def run_lab(args: argparse.Namespace, extra: Sequence[str]) -> int:
    """Copy the course and replace this process with JupyterLab.

    Returns:
        An exit status, when JupyterLab could not be started (or, on
        Windows, when it ended).

    """
    try:
        source = course_source()
        actions = copy_course(source, args.dir, force=args.force)
    except (OSError, ValueError) as exc:
        print(f"wsnb lab: {exc}", file=sys.stderr)
        return 1
    folder = args.dir.resolve()
    print(f"wsnb lab: the course is in {folder}")
    unchanged = 0
    for action, name in actions:
        if action == "unchanged":
            unchanged += 1
        elif action == "kept":
            print(f"  kept      {name} (you changed it; wsnb lab --force replaces it with the course's version)")
        else:
            print(f"  {action:9} {name}")
    if unchanged:
        print(f"  {unchanged} notebook(s) already up to date")
    if importlib.util.find_spec("jupyterlab") is None:
        print(
            "wsnb lab: JupyterLab is not installed in this Python; "
            "install it with: pip install jupyterlab",
            file=sys.stderr,
        )
        return 1
    extra = list(extra)
    if os.name == "posix" and os.geteuid() == 0 and "--allow-root" not in extra:
        # Containers and CI machines often run as root, where JupyterLab
        # refuses to start without this flag.
        print("wsnb lab: running as root, so JupyterLab gets --allow-root")
        extra.append("--allow-root")
    command = lab_command(folder, port=args.port, no_browser=args.no_browser, extra=extra)
    print("wsnb lab: starting", " ".join(command[1:]), flush=True)
    sys.stderr.flush()
    env = lab_environment(os.environ)
    if os.name == "nt":
        return subprocess.call(command, env=env)
    os.execve(command[0], command, env)
    return 1  # pragma: no cover - execv does not return


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``wsnb`` command.

    Args:
        argv: Arguments after the program name; ``sys.argv[1:]`` by default.

    Returns:
        The exit status.

    """
    parser = argparse.ArgumentParser(
        prog="wsnb",
        description="Learn the browser WebSocket API in Jupyter.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run a lab server until Ctrl-C",
        description="Run a wsnb lab server until Ctrl-C or SIGTERM.",
    )
    add_arguments(serve)
    lab = commands.add_parser(
        "lab",
        help="open the course in JupyterLab",
        description=(
            "Copy the course's notebooks into a working folder and open "
            f"{START} there in JupyterLab. Notebooks you changed are kept "
            "unless --force is given. Other options are passed on to JupyterLab "
            "(for example --allow-root or --ip=0.0.0.0)."
        ),
        allow_abbrev=False,
    )
    lab.add_argument(
        "--dir",
        type=Path,
        default=Path("wsnb-course"),
        metavar="DIR",
        help="working folder for the course (default: ./wsnb-course)",
    )
    lab.add_argument("--port", type=int, metavar="N", help="port for JupyterLab (default: its own, 8888)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    lab.add_argument(
        "--force",
        action="store_true",
        help="replace notebooks you changed with the course's version",
    )
    args, extra = parser.parse_known_args(argv)
    if args.command == "lab":
        return run_lab(args, extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return run_args(args)
