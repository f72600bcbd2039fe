"""Sweep scaling (issue 14): the same 8 soaks run serially in this process, then as `soak sweep`
on an embedded LocalCluster of 2 worker processes, in one run of this script.

Prints:
- sweep_serial_s: the 8 soaks one after the other, each through SoakRun as a worker runs it
  (four before the sweep and four after it, so that a load that drifts weighs on both alike);
- sweep_wall_s: `soak sweep` (core/sweep/command.py, in this process) from the call to its
  return: the cluster's start and stop, SWEEP.json and the closing table included;
- sweep_speedup = sweep_serial_s / sweep_wall_s;
- sweep_startup_s: from the call to the first soak running on a worker (the earliest
  started_utc in the soaks' RUN.json; Dask is imported before the clock starts);
- sweep_soak_s: one soak's wall time, the median of the serial ones;
- parallel_ceiling: what two cores give this machine now, without Dask: two `soak run --no-ui`
  processes one after the other, over the same two at once. A speedup is read against it: on a
  machine whose other load takes a core, no sweep reaches 1.7.

The soaks: seeds 1-8, scenario normal, gate nightly, ITERATIONS iterations of 600 s each (a day
of market time). Run it as a script (the workers are spawned processes).
"""

from __future__ import annotations

import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from subprocess import DEVNULL

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import distributed  # noqa: F401  - imported before the clock starts, as the sweep command has it

from core.runner import SoakRun
from core.runs.layout import RUNS_DIR, parse_utc
from core.sweep.command import SweepOptions, sweep_command
from core.sweep.spec import load_spec

ITERATIONS = 144
FLAGS = {"seeds": "1-8", "scenarios": "normal", "gates": "nightly", "iterations": str(ITERATIONS)}
WORKERS = 2


def serial(out: Path, half: int) -> list[float]:
    """Half of the 8 soaks (0: the first four, 1: the others), one after the other."""
    spec = load_spec(None, FLAGS)
    cells = spec.cells()
    times = []
    for cell in cells[half * len(cells) // 2 : (half + 1) * len(cells) // 2]:
        started = time.perf_counter()
        for _ in SoakRun(cell.config(spec, out), env={}).events():
            pass
        times.append(time.perf_counter() - started)
    return times


def swept(out: Path) -> tuple[float, float, int]:
    options = SweepOptions(spec_file=None, flags=FLAGS, workers=WORKERS, scheduler=None, out=out)
    called = time.time()
    started = time.perf_counter()
    code = sweep_command(options, out=io.StringIO())
    wall = time.perf_counter() - started
    first = min(_started_at(run_dir) for run_dir in (out / RUNS_DIR).iterdir())
    return wall, first - called, code


def _started_at(run_dir: Path) -> float:
    stamp = parse_utc(json.loads((run_dir / "RUN.json").read_text())["started_utc"])
    assert isinstance(stamp, datetime)
    return stamp.timestamp()


def parallel_ceiling(out: Path) -> float:
    def soak(seed: int) -> subprocess.Popen[bytes]:
        argv = ["run", "--no-ui", "--iterations", str(ITERATIONS), "--gate", "nightly", "--seed", str(seed)]
        return subprocess.Popen([sys.executable, "-m", "tui.cli", *argv, "--out", str(out)], cwd=ROOT, stdout=DEVNULL)

    started = time.perf_counter()
    for seed in (1, 2):
        soak(seed).wait()
    one_by_one = time.perf_counter() - started
    started = time.perf_counter()
    for process in [soak(1), soak(2)]:
        process.wait()
    return one_by_one / (time.perf_counter() - started)


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        ceiling = parallel_ceiling(Path(scratch) / "ceiling")
        # Serial, sweep, serial: a load that drifts during the run weighs on both sides alike.
        times = serial(Path(scratch) / "serial", 0)
        wall, startup, code = swept(Path(scratch) / "sweep")
        times += serial(Path(scratch) / "serial", 1)
    serial_s = sum(times)
    print(f"sweep: 8 soaks x {ITERATIONS} iterations, exit code {code}", file=sys.stderr)
    print(f"sweep_soak_s={statistics.median(times):.3f}")
    print(f"sweep_serial_s={serial_s:.3f}")
    print(f"sweep_wall_s={wall:.3f}")
    print(f"sweep_startup_s={startup:.3f}")
    print(f"sweep_speedup={serial_s / wall:.3f}")
    print(f"parallel_ceiling={ceiling:.3f}")


if __name__ == "__main__":
    main()
