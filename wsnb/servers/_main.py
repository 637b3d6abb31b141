"""Run a lab server from the command line until Ctrl-C or SIGTERM.

``python -m wsnb.servers NAME`` and ``wsnb serve NAME`` both land here::

    python -m wsnb.servers echo --port 8765
    wsnb serve slow-reader --option pause_seconds=none
    wsnb serve reject -o status=401
    wsnb serve echo --tls --ca-file ca.pem          # wss://, trust ca.pem

Once listening, it prints one line that :func:`~wsnb.servers.spawn` waits
for: ``wsnb: echo listening on ws://127.0.0.1:8765/``.

"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..exceptions import BrokerUnavailable
from ._serve import SERVERS, LabServer, make_lab
from .tls import LabCertificate, write_private

__all__ = ["add_arguments", "convert_value", "format_value", "main", "run_args"]


def convert_value(text: str) -> Any:
    """Convert an option value from the command line.

    ``true``/``false`` become bools, ``none``/``null`` None, integers ints,
    other numbers floats; anything else stays a str.

    Args:
        text: The text after ``=`` in ``--option key=value``.

    """
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def format_value(value: Any) -> str:
    """Write an option value so that :func:`convert_value` reads it back."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_option(text: str) -> tuple[str, Any]:
    """Parse ``key=value`` into ``(key, converted value)``; ``-`` becomes ``_``."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.replace("-", "_"), convert_value(value)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``serve`` to ``parser``, and list each lab's options."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "options of each lab server:\n" + "\n".join(
        f"  {name:<12} {', '.join(lab.option_names()) or '(none)'}"
        for name, lab in sorted(SERVERS.items())
    )
    parser.add_argument("name", choices=sorted(SERVERS), help="which lab server")
    parser.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="default: 0, any free port")
    parser.add_argument(
        "-o",
        "--option",
        dest="options",
        action="append",
        type=parse_option,
        default=[],
        metavar="KEY=VALUE",
        help="a lab option, e.g. status=404 (repeatable)",
    )
    parser.add_argument(
        "--origin",
        dest="origins",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="also accept web pages from this origin, e.g. https://hub.example.org or "
        "http://notebook.local:* (repeatable; loopback pages are always accepted)",
    )
    parser.add_argument(
        "--any-origin",
        action="store_true",
        help="accept web pages from any origin (any site open in a browser here could connect)",
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        help="serve wss:// with a certificate from a throwaway test CA; its certificate "
        "goes to --ca-file (or a temporary file), for clients to trust",
    )
    parser.add_argument(
        "--ca-file", metavar="PATH", help="with --tls: where to write the test CA's certificate (PEM)"
    )
    parser.add_argument(
        "--certfile", metavar="PEM", help="serve wss:// with this certificate chain (and key, or see --keyfile)"
    )
    parser.add_argument("--keyfile", metavar="PEM", help="with --certfile: the private key")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log every connection"
    )


async def serve_until_stopped(
    server: LabServer, stop: asyncio.Event | None = None
) -> None:
    """Serve until SIGINT or SIGTERM, then close every connection with 1001.

    Args:
        server: The server, started or not.
        stop: An event that also stops the server when set.

    """
    loop = asyncio.get_running_loop()
    if stop is None:
        stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            pass
    try:
        async with server:
            print(f"wsnb: {server.name} listening on {server.url}", flush=True)
            await stop.wait()
    finally:
        for signum in signals:
            try:
                loop.remove_signal_handler(signum)
            except (NotImplementedError, RuntimeError):  # pragma: no cover
                pass
    print(f"wsnb: {server.name} stopped", flush=True)


def run_args(args: argparse.Namespace) -> int:
    """Run the server described by parsed ``serve`` arguments.

    Returns:
        The exit status: 0 after a clean stop, 2 for a bad option, 1 if the
        server could not listen.

    """
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(name)s: %(levelname)s: %(message)s",
    )
    ca_file: Path | None = None
    try:
        lab = make_lab(args.name, dict(args.options))
        tls = certificate_from_args(args)
        server = LabServer(lab, host=args.host, port=args.port, origins=args.origins, any_origin=args.any_origin, tls=tls)
        if args.tls and server.ca_pem is not None:
            ca_file = write_ca_file(server.ca_pem, args.ca_file, args.name)
    except (TypeError, ValueError, OSError) as exc:
        print(f"wsnb: {exc}", file=sys.stderr)
        return 2
    try:
        if ca_file is not None:
            print(f"wsnb: trust the test CA in {ca_file} to connect to the wss:// URL", flush=True)
        asyncio.run(serve_until_stopped(server))
    except KeyboardInterrupt:  # pragma: no cover - no signal handlers
        pass
    except BrokerUnavailable as exc:
        print(f"wsnb: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"wsnb: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    finally:
        if ca_file is not None and args.ca_file is None:
            ca_file.unlink(missing_ok=True)
    return 0


def certificate_from_args(args: argparse.Namespace) -> bool | LabCertificate:
    """What ``--tls`` and ``--certfile``/``--keyfile`` ask for, as ``LabServer``'s ``tls``.

    Raises:
        ValueError: If the options contradict each other or a file is unusable.
    """
    if args.certfile is not None:
        if args.tls:
            raise ValueError("--tls makes a test certificate; --certfile serves yours: give one of them")
        return LabCertificate.load(args.certfile, args.keyfile)
    if args.keyfile is not None:
        raise ValueError("--keyfile needs --certfile")
    if args.ca_file is not None and not args.tls:
        raise ValueError("--ca-file needs --tls")
    return bool(args.tls)


def write_ca_file(ca_pem: bytes, path: str | None, name: str) -> Path:
    """Write the test CA's certificate to ``path``, or to a new temporary file; return where."""
    if path is None:
        return write_private(ca_pem, f"wsnb-{name}-ca-")
    target = Path(path)
    target.write_bytes(ca_pem)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m wsnb.servers NAME [options]``."""
    parser = argparse.ArgumentParser(
        prog="python -m wsnb.servers",
        description="Run a wsnb lab server until Ctrl-C.",
    )
    add_arguments(parser)
    return run_args(parser.parse_args(argv))
