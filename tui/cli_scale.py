"""The command line of the scale-out commands (DESIGN.md sections 8-10): `soak sweep` (many soaks
on Dask), `soak compare` (two runs side by side) and `soak serve` (the monitor in a browser).

Each imports what it needs when it runs: Dask only for `sweep`, textual-serve only for `serve`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.config import DEFAULT_OUT

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000


def add_commands(commands: Any) -> None:
    """Add sweep, compare and serve to the `soak` subcommands."""
    sweep = commands.add_parser("sweep", help="many soaks (seeds x scenarios x profiles x gates) on Dask")
    sweep.add_argument("spec", metavar="SPEC.toml", nargs="?", help="the sweep spec (flags replace its values)")
    sweep.add_argument("--seeds", metavar="1-10", help="seeds: a range, a list (1,2,5) or both (1-3,7)")
    sweep.add_argument("--scenarios", metavar="a,b", help="market scenarios (normal)")
    sweep.add_argument("--profiles", metavar="a,b", help="parameter profiles (default)")
    sweep.add_argument("--gates", metavar="a,b", help="KPI gates (smoke)")
    sweep.add_argument("--iterations", metavar="N", help="iterations per soak (10)")
    sweep.add_argument("--window", metavar="SECONDS", help="market time per iteration (600)")
    sweep.add_argument("--pace", metavar="fast|realtime|SECONDS", help="wait between iterations (fast)")
    sweep.add_argument("--auto-tune", action=argparse.BooleanOptionalAction, default=None, help="auto-tune (on)")
    engine = sweep.add_mutually_exclusive_group()
    engine.add_argument("--workers", metavar="K", type=_positive_int, help="local worker processes (the core count)")
    engine.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask cluster, e.g. tcp://host:8786")
    sweep.add_argument("--out", metavar="DIR", default=str(DEFAULT_OUT), help="artifact root (artifacts/soak)")
    sweep.add_argument("--md", metavar="PATH", help="write the closing table as Markdown")
    sweep.add_argument("--json", metavar="PATH", help="write the closing table as JSON")

    compare = commands.add_parser("compare", help="two runs side by side, paired when their market paths match")
    compare.add_argument("run_a", metavar="RUN_A")
    compare.add_argument("run_b", metavar="RUN_B")
    compare.add_argument("--md", metavar="PATH", help="write the Markdown here (default: stdout)")
    compare.add_argument("--json", metavar="PATH", help="write the JSON here")

    serve = commands.add_parser("serve", help="serve `soak watch --read-only ROOT` in a browser (one per tab)")
    serve.add_argument("root", metavar="ROOT", nargs="?", default=str(DEFAULT_OUT))
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on ({DEFAULT_HOST})")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port to listen on ({DEFAULT_PORT})")


def _sweep(args: argparse.Namespace) -> int:
    from core.sweep.command import SweepOptions, sweep_command

    keys = ("seeds", "scenarios", "profiles", "gates", "iterations", "window", "pace", "auto_tune")
    options = SweepOptions(
        spec_file=_path(args.spec),
        flags={key: getattr(args, key) for key in keys},
        workers=args.workers,
        scheduler=args.scheduler,
        out=Path(args.out),
        md=_path(args.md),
        json=_path(args.json),
    )
    try:
        return sweep_command(options)
    except KeyboardInterrupt:  # while the cluster was starting
        return 130


def _compare(args: argparse.Namespace) -> int:
    from core.reporting.compare import compare_command

    return compare_command(Path(args.run_a), Path(args.run_b), _path(args.md), _path(args.json))


def _serve(args: argparse.Namespace) -> int:
    from tui.serve import serve

    return serve(Path(args.root), args.host, args.port)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"sweep": _sweep, "compare": _compare, "serve": _serve}


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _whole_number(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} must be between {low} and {high}")
        return value

    return parse


_positive_int, _port = _whole_number(1, 1024), _whole_number(1, 65535)
