"""Simulator throughput: simulated seconds per wall second (default parameters, `normal`, one
process), and the numba engine's start-up. Prints the per-window timings, then:

- `sim_seconds_per_wall_second=`: the engine `auto` picks on a long run (numba where installed),
  a whole window each (market, loop, ledger) on a core.sim.Simulator as a soak runs them, median
  over the runs;
- `python_sim_seconds_per_wall_second=`: the Python reference, the same way;
- `replay_sim_seconds_per_wall_second=`: per parameter set, 8 sets on one market (core.sim.Simulator
  .run_many: the market generated once, in the timing);
- `numba_first_run_s=` and `numba_warm_start_s=`: a whole process that runs one window on numba,
  with an empty cache (a temporary NUMBA_CACHE_DIR: it compiles) and then with that cache warm;
  `python_process_s=` the same process on the Python engine, for comparison.

Wall time is what the soak loop pays; CPU time is printed beside it because on a shared machine
the wall figure also measures the neighbours.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.params import Params
from core.sim import Simulator
from core.sim.engines import Engine, choose_engine

ONE_WINDOW = (
    "import sys; from core.params import Params; from core.sim import simulate_iteration;"
    "simulate_iteration(Params(), 'normal', 0, 1, 600.0, engine=sys.argv[1])"
)
REPLAY_SETS = 8


def timed(runs: int, work: Callable[[int], object]) -> tuple[float, float]:
    """Median wall and CPU seconds of work(run) over the runs."""
    walls, cpus = [], []
    for run in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work(run)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def windows(engine: Engine, args: argparse.Namespace) -> float:
    """One parameter set, a new window each run, as a soak's simulator runs them."""
    params = Params()
    simulator = Simulator(args.scenario, 0, args.window, engine=engine)
    simulator.run_many([params], 1)  # imports, caches, compile
    wall, cpu = timed(args.runs, lambda run: simulator.run_many([params], run + 2))
    print(f"{engine}: window={args.window:g}s runs={args.runs} wall_ms median={wall * 1e3:.2f} cpu_ms={cpu * 1e3:.2f}")
    return args.window / wall


def replays(engine: Engine, args: argparse.Namespace) -> float:
    sets = [Params(base_spread_bps=1.0 + 0.5 * i, min_interval_ms=50 + 25 * i) for i in range(REPLAY_SETS)]
    simulator = Simulator(args.scenario, 0, args.window, engine=engine)
    simulator.run_many(sets, 1)
    wall, cpu = timed(args.runs, lambda run: simulator.run_many(sets, run + 2))  # a new market each time
    print(f"{engine} replay: {REPLAY_SETS} sets on one market, wall_ms median={wall * 1e3:.2f} cpu_ms={cpu * 1e3:.2f}")
    return REPLAY_SETS * args.window / wall


def process_s(engine: Engine, cache: str | None = None) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if cache is not None:
        env["NUMBA_CACHE_DIR"] = cache
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", ONE_WINDOW, engine], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--window", type=float, default=600.0)
    parser.add_argument("--scenario", default="normal")
    args = parser.parse_args()
    auto = choose_engine("auto", 1e9)  # a long run
    print(f"sim_seconds_per_wall_second={windows(auto, args):.0f}")
    print(f"python_sim_seconds_per_wall_second={windows('python', args):.0f}")
    print(f"replay_sim_seconds_per_wall_second={replays(auto, args):.0f}")
    if auto == "numba":
        with tempfile.TemporaryDirectory() as cache:
            print(f"numba_first_run_s={process_s('numba', cache):.2f}")
            print(f"numba_warm_start_s={statistics.median(process_s('numba', cache) for _ in range(3)):.2f}")
        print(f"python_process_s={statistics.median(process_s('python') for _ in range(3)):.2f}")


if __name__ == "__main__":
    main()
