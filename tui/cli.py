"""The `soak` command line: parses arguments, then hands off to the headless runner or the TUI.

Nothing here imports Textual unless a UI is opened: `soak run --no-ui` must stay light.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from core.records import ExitCode
from tui import cli_scale

if TYPE_CHECKING:
    from tui.app import SoakApp


class _Parser(argparse.ArgumentParser):
    listing: Callable[[], str] | None = None  # appended to --help, computed only when asked

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.ERROR, f"{self.prog}: error: {message}\n")

    def format_help(self) -> str:
        text = super().format_help()
        return text + "\n" + self.listing() if self.listing else text


class _Version(argparse.Action):
    """`soak --version`: the installed package's version, looked up only when asked."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("mm-soak")
        except PackageNotFoundError:
            found = "unknown (not installed)"
        print(f"soak {found}")
        parser.exit(0)


def _run_choices() -> str:
    """What `soak run` can be given by name, from the code that defines each."""
    from core.gates import GATES
    from core.params import available_profiles
    from core.scenarios import FEE_TIERS, SCENARIOS

    named = {
        "scenarios (--scenario)": SCENARIOS,
        "fee tiers (--fees)": tuple(FEE_TIERS),
        "profiles (--profile)": available_profiles(),
        "gates (--gate)": GATES,
    }
    return "".join(f"{what}: {', '.join(names)}\n" for what, names in named.items())


def _screenshots_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--screenshots", metavar="DIR", type=Path, help="where ctrl+s saves SVGs (default: the run's directory)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="soak", description="Soak-test a market-making strategy with live auto-tuning.")
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    run = commands.add_parser("run", help="run a soak (TUI in a terminal, headless otherwise)")
    run.listing = _run_choices
    length = run.add_mutually_exclusive_group()
    length.add_argument("--iterations", metavar="N", help="number of iterations (default 10)")
    length.add_argument("--hours", metavar="H", help="run until H hours of market time are covered")
    run.add_argument("--window", dest="window_s", metavar="SECONDS", help="market time per iteration (600)")
    run.add_argument("--seed", metavar="S", help="random seed (42)")
    run.add_argument(
        "--auto-tune",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="let the tuner apply deltas between iterations (on)",
    )
    driver = run.add_mutually_exclusive_group()
    driver.add_argument(
        "--mock",
        dest="driver",
        action="store_const",
        const="sim",
        help="the seeded market simulation (same as --driver sim)",
    )
    driver.add_argument("--driver", metavar="CMD", help='"sim" or an external command run per iteration')
    run.add_argument(
        "--driver-timeout",
        dest="driver_timeout_s",
        metavar="SECONDS",
        help="stop an external driver's iteration after this long and fail the run (3 windows, at least 300)",
    )
    run.add_argument(
        "--driver-replay",
        action="store_true",
        default=None,
        help="the external driver gives one market path per {seed} and {iteration}: run it for the control and what-if",
    )
    run.add_argument(
        "--tuner", metavar="rules|whatif", help="how deltas are chosen (whatif when the driver can replay, else rules)"
    )
    run.add_argument(
        "--control", metavar="PROFILE", help="the control arm's parameters (default: the run's starting values)"
    )
    run.add_argument(
        "--engine",
        metavar="auto|python|numba",
        help="the simulator's loop: python (the reference) or numba (extra fast); auto: numba on long runs",
    )
    run.add_argument(
        "--replay-workers",
        metavar="K",
        help="processes that replay the control and what-if candidates beside the soak (auto: one per core, "
        "for what-if on the Python engine)",
    )
    run.add_argument("--profile", metavar="NAME", help="parameter profile: name or .toml path (default)")
    run.add_argument(
        "--set",
        dest="overrides",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="override one parameter (repeatable)",
    )
    run.add_argument("--gate", metavar="NAME", help="KPI gate: smoke or nightly or a .toml path (smoke)")
    run.add_argument("--scenario", metavar="NAME", help="market scenario: name or .toml path (normal)")
    run.add_argument("--fees", metavar="TIER", help="venue fee tier, e.g. vip0 or mm_program (the scenario's)")
    run.add_argument("--pace", metavar="fast|realtime|SECONDS", help="wait between iterations (fast)")
    run.add_argument("--out", metavar="DIR", help="artifact root (artifacts/soak)")
    run.add_argument("--no-ui", action="store_true", help="headless: progress lines, summary, exit code")
    run.add_argument(
        "--json", dest="json_events", action="store_true", default=None, help="headless: one JSON object per event"
    )
    run.add_argument("--junit", metavar="PATH", help="write the gate checks as JUnit XML")
    run.add_argument("--summary-md", metavar="PATH", help="write a Markdown summary")
    run.add_argument(
        "--warmup",
        metavar="N",
        nargs="?",
        const="",
        help="N conservative iterations first, then a ramp to the tuned parameters (bare: 4)",
    )
    older = run.add_argument_group("the older soak tool's flags, honoured or refused (docs/migrating.md)")
    older.add_argument("--preset", metavar="NAME", help="read as --profile NAME when it is one; else refused")
    older.add_argument("--preset-file", metavar="PATH", help="refused: use --profile or --set")
    older.add_argument("--warmup-preset", metavar="NAME", help="refused: use --warmup N")
    older.add_argument("--run-isolated", action="store_true", help="what every run does here")
    older.add_argument("--export-json", metavar="PATH", help="write the run's report as JSON")
    older.add_argument("--export-md", metavar="PATH", help="read as --summary-md")
    older.add_argument("--gate-summary", metavar="PATH", help="refused: use --junit or --export-json")
    _screenshots_option(run)
    watch = commands.add_parser("watch", help="live monitor of runs written by other processes")
    watch.add_argument("root", metavar="ROOT_OR_RUN_DIR", nargs="?", default="artifacts/soak")
    watch.add_argument("--no-ui", action="store_true", help="print a line per iteration, exit with the run")
    watch.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_positive_float,
        help="--no-ui: give up (exit 2) after this long if the run has not ended",
    )
    watch.add_argument("--read-only", action="store_true", help="offer no key that changes anything (soak serve)")
    _screenshots_option(watch)
    replay = commands.add_parser("replay", help="replay a recorded run in the TUI, for demos")
    replay.add_argument("run_dir", metavar="RUN_DIR")
    replay.add_argument("--speed", metavar="X", type=_positive_float, default=2.0, help="iterations per second (2)")
    _screenshots_option(replay)
    report = commands.add_parser("report", help="post-soak report (Markdown and JSON) of a run directory")
    report.add_argument("run_dir", metavar="RUN_DIR")
    report.add_argument("--md", metavar="PATH", help="write the Markdown report here (default: stdout)")
    report.add_argument("--json", metavar="PATH", help="write the JSON report here")
    report.add_argument("--gate", metavar="NAME", help="judge every iteration again against this gate")
    report.add_argument(
        "--baseline", metavar="RUN", help="exit 1 when a gate KPI is worse than this run's beyond its WARN band"
    )
    cli_scale.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from core.console.streams import prepare_streams

    prepare_streams()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # `soak` alone: what it can do
        parser.print_help()
        return ExitCode.ERROR
    from core.errors import SoakError

    try:
        return COMMANDS[args.command](args)
    except SoakError as err:
        print(f"soak: error: {err}", file=sys.stderr)
        return err.exit_code


def _run(args: argparse.Namespace) -> int:
    from core.compat import OLDER_FLAGS, older_flags, run_notes
    from core.config import build_config
    from core.errors import ConfigError
    from core.runner import SoakRun

    cli = {
        key: getattr(args, key)
        for key in (
            "iterations",
            "hours",
            "window_s",
            "seed",
            "auto_tune",
            "tuner",
            "control",
            "driver",
            "engine",
            "driver_timeout_s",
            "driver_replay",
            "replay_workers",
            "profile",
            "gate",
            "scenario",
            "fees",
            "pace",
            "out",
            "json_events",
            "junit",
            "summary_md",
        )
    }
    notes = older_flags({flag: getattr(args, flag) for flag in OLDER_FLAGS}, cli)
    config = build_config(cli, os.environ, _parse_overrides(args.overrides, ConfigError))
    notes += run_notes(os.environ, config.sources, config.settings.model_dump(), config.total_iterations)
    for note in notes:
        print(f"soak: note: {note}", file=sys.stderr)
    if config.engine == "numba":  # before the monitor: the line is read on the terminal
        from core.sim.engines import start_numba

        start_numba(lambda line: print(f"soak: note: {line}", file=sys.stderr, flush=True))
    soak = SoakRun(config)
    if args.no_ui or config.settings.json_events or not _monitor_possible():
        from core.console.run import run_headless
        from core.stop_signals import stop_on_signals

        stop_on_signals(soak.loop.cancel)
        return run_headless(soak.events(), config.settings.json_events)
    from tui.factory import create_run_app

    return _open_monitor(create_run_app(soak, screenshot_dir=args.screenshots), soak.loop.cancel)


def _report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from core.reporting.command import report_command

    optional = lambda value: Path(value) if value else None  # noqa: E731
    return report_command(
        Path(args.run_dir), optional(args.md), optional(args.json), gate=args.gate, baseline=optional(args.baseline)
    )


def _watch(args: argparse.Namespace) -> int:
    if args.no_ui or not _monitor_possible():
        from core.console.watch import watch_headless

        return watch_headless(args.root, timeout=args.timeout)
    from tui.factory import create_watch_app

    return _open_monitor(create_watch_app(args.root, read_only=args.read_only, screenshot_dir=args.screenshots))


def _replay(args: argparse.Namespace) -> int:
    from tui.factory import create_replay_app

    app = create_replay_app(args.run_dir, args.speed, screenshot_dir=args.screenshots)  # bad input first
    if problem := terminal_problem():
        from core.errors import ConfigError

        raise ConfigError(f"replay needs a terminal: {problem}")
    return _open_monitor(app)


def terminal_problem(env: Mapping[str, str] = os.environ) -> str | None:
    """Why the full-screen monitor cannot work here, or None. Textual reads keys on stdin and
    draws on stderr, and the closing lines go to stdout: all three must be a terminal, and one
    that understands escape codes. A named Textual driver (textual-serve's, on pipes) draws anywhere."""
    if "TEXTUAL_DRIVER" in env:
        return None
    for name in ("stdin", "stdout", "stderr"):
        stream = getattr(sys, name)
        try:
            if stream is None or stream.closed:
                return f"{name} is closed"
            if not stream.isatty():
                return f"{name} is not a terminal"
        except (OSError, ValueError):
            return f"{name} is closed"
    if env.get("TERM") == "dumb":
        return "TERM=dumb"
    return None


def _monitor_possible() -> bool:
    """Whether `run` and `watch` may open the monitor; else they go headless, and say why when
    a person is likely to read it (stdout is a terminal: without one, headless is the norm)."""
    problem = terminal_problem()
    if problem and problem != "stdout is not a terminal" and sys.stderr is not None:
        print(f"soak: note: no monitor: {problem}; running headless (as with --no-ui)", file=sys.stderr)
    return problem is None


def _open_monitor(app: SoakApp, cancel: Callable[[bool], None] | None = None) -> int:
    """Run the monitor until it exits. A stop signal (SIGINT, SIGTERM, SIGHUP) quits it as a
    confirmed `q` does, with exit code 130 and the terminal restored by Textual's own exit; a
    second one, or one after the monitor has exited while the run records its end, stops the
    run at once."""
    from core.stop_signals import stop_on_signals
    from tui.app import StopSignalled
    from tui.factory import run_app

    def stop(at_once: bool) -> None:
        posted = app.post_message(StopSignalled())  # thread-safe; False once the app has closed
        if cancel is not None and (at_once or not posted):
            cancel(at_once)

    stop_on_signals(stop)
    return run_app(app)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


COMMANDS = {"run": _run, "watch": _watch, "replay": _replay, "report": _report, **cli_scale.COMMANDS}


def _parse_overrides(pairs: list[str], error: type[Exception]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise error(f"--set {pair!r}: expected KEY=VALUE, for example base_spread_bps=1.5")
        overrides[key.strip()] = value.strip()
    return overrides


if __name__ == "__main__":
    sys.exit(main())
