"""Every benchmark in bench/, one table: figure, value, target, unit.

    python -m bench [--json PATH] [--only SCRIPT ...] [--timeout SECONDS]

Each script runs as its own process (so one's imports, caches and memory do not colour
another's figures) and prints its figures as `name=value` lines; the figures, their targets and
units are defined once, in FIGURES below. A script that is missing, fails or times out leaves
its figures missing, with the reason, and the others still run. The table goes to stdout, the
progress to stderr; --json writes the same table with the machine it ran on.

Exit code: 0 when every figure that has a target is present and meets it, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import operator
import os
import platform
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
TIMEOUT_S = 900.0
OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
FIGURE_LINE = re.compile(r"^(\w+)=(\S+)")


@dataclass(frozen=True)
class Figure:
    name: str  # as the script prints it: name=value
    label: str
    script: str
    unit: str
    op: str | None = None  # with `target`: what the value must satisfy; None: reported only
    target: float | None = None


FIGURES: tuple[Figure, ...] = (
    Figure(
        "sim_seconds_per_wall_second",
        "simulator throughput, the engine auto picks",
        "sim_throughput.py",
        "sim s / wall s",
        ">=",
        200_000,
    ),
    Figure(
        "python_sim_seconds_per_wall_second",
        "simulator throughput, pure Python",
        "sim_throughput.py",
        "sim s / wall s",
        ">=",
        15_000,
    ),
    Figure(
        "replay_sim_seconds_per_wall_second",
        "replay throughput per parameter set (8 on one market)",
        "sim_throughput.py",
        "sim s / wall s",
        ">=",
        400_000,
    ),
    Figure("numba_first_run_s", "numba engine, first run (empty cache), whole process", "sim_throughput.py", "s"),
    Figure("numba_warm_start_s", "numba engine, warm cache, whole process", "sim_throughput.py", "s"),
    Figure("smoke_wall_s", "smoke soak, 3 iterations, wall time", "soak_wall.py", "s", "<=", 0.5),
    Figure("nightly24_wall_s", "nightly soak, 24 iterations, wall time", "soak_wall.py", "s", "<=", 1.0),
    Figure("watch_latency_ms_p50", "watch latency p50 (file lands -> monitor)", "watch_latency.py", "ms", "<", 100),
    Figure("watch_latency_ms_p95", "watch latency p95", "watch_latency.py", "ms", "<", 100),
    Figure("ingest_10k_s", "watch ingest of 10k iterations, time", "watch_latency.py", "s", "<", 2),
    Figure("ingest_10k_rss_mb", "watch ingest of 10k iterations, peak RSS", "watch_latency.py", "MB", "<", 300),
    Figure(
        "watch_2000_runs_first_paint_s", "watch a root of 2000 runs: list on screen", "watch_latency.py", "s", "<=", 1.0
    ),
    Figure("watch_2000_runs_full_load_s", "watch a root of 2000 runs: every run read", "watch_latency.py", "s"),
    Figure("watch_2000_runs_max_stall_ms", "watch a root of 2000 runs: longest UI stall", "watch_latency.py", "ms"),
    Figure("watch_2000_runs_headless_first_line_s", "watch --no-ui, 2000 runs: first line", "watch_latency.py", "s"),
    Figure("watch_2000_runs_headless_landed_s", "watch --no-ui, 2000 runs: iteration lands", "watch_latency.py", "s"),
    Figure("headless_iterations_per_second", "headless soak rate (1000 iterations)", "tui_stream.py", "iterations/s"),
    Figure("iterations_per_second", "TUI stream rate (same run in the monitor)", "tui_stream.py", "iterations/s"),
    Figure("ratio_to_headless", "TUI stream rate / headless rate", "tui_stream.py", "ratio", ">=", 0.7),
    Figure("max_key_latency_ms", "key latency while streaming, worst", "tui_stream.py", "ms", "<", 100),
    Figure("median_key_latency_ms", "key latency while streaming, median", "tui_stream.py", "ms"),
    Figure("idle_cpu_percent", "idle CPU of the monitor", "tui_stream.py", "% of a core", "<", 1),
    Figure("quit_ms", "quit during a paced wait", "tui_stream.py", "ms"),
    Figure(
        "whatif24_wall_s",
        "nightly soak, 24 iterations, --tuner whatif, wall time (the engine auto picks)",
        "soak_wall.py",
        "s",
        "<=",
        1.5,
    ),
    Figure(
        "python_whatif24_wall_s",
        "the same on the Python engine, with its replay workers",
        "soak_wall.py",
        "s",
        "<=",
        3.0,
    ),
    Figure("python_whatif24_cpu_s", "... its CPU time, the soak's process and its workers", "soak_wall.py", "s"),
    Figure("python_whatif24_alone_wall_s", "the same, --replay-workers 0", "soak_wall.py", "s"),
    Figure("whatif_pass", "nightly PASS with --tuner whatif", "tuning_effect.py", "share of seeds", ">=", 0.8),
    Figure("whatif_pnl_wins", "whatif PnL last 8 > untuned", "tuning_effect.py", "share of seeds", ">=", 0.8),
    Figure("rules_pass", "nightly PASS with --tuner rules", "tuning_effect.py", "share of seeds", ">=", 0.7),
    Figure("rules_pnl_wins", "rules PnL last 8 >= untuned", "tuning_effect.py", "share of seeds", ">=", 0.7),
    Figure("untuned_fail", "nightly FAIL without auto-tune", "tuning_effect.py", "share of seeds", ">=", 0.8),
    Figure("defaults_fail", "defaults FAIL nightly on normal", "calibration.py", "share of seeds", ">=", 0.8),
    Figure("ready_pass", "nightly_ready PASSes nightly on normal", "calibration.py", "share of seeds", ">=", 0.8),
    Figure("ready_earns_more", "nightly_ready earns more than defaults", "calibration.py", "share of seeds", ">=", 0.8),
    Figure("sweep_speedup", "sweep of 8 soaks on 2 local workers / serial", "sweep_scaling.py", "x", ">=", 1.7),
    Figure("sweep_startup_s", "sweep: cluster start to first soak running", "sweep_scaling.py", "s", "<=", 3.0),
    Figure(
        "tuning_report_cost_ratio",
        "TUNING_REPORT write per iteration, at 20,000 / at 100",
        "tuning_report_cost.py",
        "ratio",
        "<=",
        2.0,
    ),
    Figure("parallel_ceiling", "2 soak processes at once / one by one", "sweep_scaling.py", "x"),
)
SCRIPTS: tuple[str, ...] = tuple(dict.fromkeys(figure.script for figure in FIGURES))


@dataclass
class ScriptRun:
    script: str
    exit_code: int | None = None
    wall_s: float | None = None
    error: str | None = None  # why its figures may be missing
    printed: dict[str, str] | None = None  # name -> value text, as printed


@dataclass
class Result:
    name: str
    label: str
    unit: str
    target: str | None  # e.g. ">= 20000"
    value: float | None
    shown: str | None  # the value as the script printed it
    met: bool | None  # None: missing, or no target
    missing: str | None  # why there is no value


def run_script(path: Path, timeout: float) -> ScriptRun:
    run = ScriptRun(path.name)
    if not path.is_file():
        run.error = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} not found"
        return run
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOAK_")}
    started = time.perf_counter()
    # Its own session: on a timeout the processes it started go with it.
    with subprocess.Popen(
        [sys.executable, str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            run.error = f"timed out after {timeout:g} s"
            return run
    run.wall_s = time.perf_counter() - started
    run.exit_code = process.returncode
    run.printed = parse_figures(stdout)
    if process.returncode != 0:
        last = (stderr.strip().splitlines() or ["no error output"])[-1]
        run.error = f"exit code {process.returncode}: {last}"
    return run


def parse_figures(stdout: str) -> dict[str, str]:
    """name -> value text from `name=value` lines (the value is the first word; later lines win)."""
    return {m.group(1): m.group(2) for line in stdout.splitlines() if (m := FIGURE_LINE.match(line))}


def number(text: str) -> float | None:
    """'28571' -> 28571.0, '9/10' -> 0.9; None when it is not a finite number."""
    try:
        if "/" in text:
            part, whole = text.split("/", 1)
            value = float(part) / float(whole)
        else:
            value = float(text)
    except (ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) else None


def judge(figure: Figure, run: ScriptRun) -> Result:
    shown = (run.printed or {}).get(figure.name)
    value = number(shown) if shown is not None else None
    op, bound = figure.op, figure.target
    target = f"{op} {bound:g}" if op is not None and bound is not None else None
    missing = None
    if value is None:
        missing = run.error or ("not printed" if shown is None else f"not a number: {shown}")
    met = OPERATORS[op](value, bound) if op is not None and bound is not None and value is not None else None
    return Result(figure.name, figure.label, figure.unit, target, value, shown, met, missing)


def status(result: Result) -> str:
    if result.value is None:
        return f"MISSING ({result.missing})"
    if result.met is None:
        return ""
    return "ok" if result.met else "MISSED"


def table(results: Sequence[Result]) -> list[str]:
    rows = [("figure", "value", "target", "unit", "status")]
    rows += [
        (r.label, (r.shown or "—") if r.value is not None else "—", r.target or "", r.unit, status(r)) for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return [
        f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:<{widths[2]}}  {d:<{widths[3]}}  {e}".rstrip()
        for a, b, c, d, e in rows
    ]


def machine() -> dict[str, object]:
    """What the figures came from: CPU (as /proc/cpuinfo names it), cores, Python, OS, commit."""
    cpu: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                cpu.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    family, model = cpu.get("cpu family"), cpu.get("model")
    return {
        "cpu_model": cpu.get("model name", platform.processor() or "unknown"),
        "cpu_family_model": f"{family}/{model}" if family and model else None,
        "cpu_mhz": cpu.get("cpu MHz"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit.stdout.strip() or None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="also write the figures and the machine as JSON here")
    parser.add_argument(
        "--only", metavar="SCRIPT", action="append", choices=SCRIPTS, help="run only this script (repeatable)"
    )
    parser.add_argument(
        "--timeout", metavar="SECONDS", type=float, default=TIMEOUT_S, help=f"per script ({TIMEOUT_S:g})"
    )
    parser.add_argument(
        "--scripts-dir", metavar="DIR", type=Path, default=BENCH_DIR, help="where the scripts are (default: bench/)"
    )
    args = parser.parse_args(argv)

    host = machine()
    load_before = os.getloadavg()
    print(
        f"{host['cpu_model']} ({host['cpu_mhz']} MHz), {host['cores']} cores, Python {host['python']}, "
        f"load {load_before[0]:.2f} at start",
        file=sys.stderr,
    )
    runs: dict[str, ScriptRun] = {}
    for script in args.only or SCRIPTS:
        print(f"running bench/{script} ...", file=sys.stderr, flush=True)
        runs[script] = run_script(args.scripts_dir / script, args.timeout)
        took = f"{runs[script].wall_s:.1f} s" if runs[script].wall_s is not None else runs[script].error
        print(f"  {script}: {took}", file=sys.stderr, flush=True)
    results = [judge(figure, runs[figure.script]) for figure in FIGURES if figure.script in runs]
    print("\n".join(table(results)))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": {**host, "load_average_at_start": load_before, "load_average_at_end": os.getloadavg()},
                    "figures": [asdict(result) for result in results],
                    "scripts": [{k: v for k, v in asdict(run).items() if k != "printed"} for run in runs.values()],
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0 if all(r.met for r in results if r.target is not None) else 1


if __name__ == "__main__":
    sys.exit(main())
