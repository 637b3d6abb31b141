"""The ``wsnb`` command.

::

    wsnb serve NAME [--host H] [--port N] [--option KEY=VALUE ...]
    wsnb lab

``wsnb serve`` runs a lab server (see :mod:`wsnb.servers`) until Ctrl-C or
SIGTERM. ``wsnb lab`` will open the course in JupyterLab.

"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .servers._main import add_arguments, run_args

__all__ = ["main"]


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
    lab = commands.add_parser("lab", help="open the course in JupyterLab")
    lab.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.command == "lab":
        print(
            "wsnb lab: not implemented yet: the course issue adds it", file=sys.stderr
        )
        return 2
    return run_args(args)
