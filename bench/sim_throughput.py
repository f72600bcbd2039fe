"""Simulator throughput: simulated seconds per wall second (default parameters, `normal`, one
process). Prints the per-window timings, then as its last line
`sim_seconds_per_wall_second=<median over the runs>`.

Wall time is what the soak loop pays; CPU time is printed beside it because on a shared machine
the wall figure also measures the neighbours.
"""

from __future__ import annotations

import argparse
import statistics
import time

from core.params import Params
from core.sim import simulate_iteration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--window", type=float, default=600.0)
    parser.add_argument("--scenario", default="normal")
    args = parser.parse_args()
    params = Params()
    simulate_iteration(params, args.scenario, 0, 1, args.window)  # warm imports and caches
    walls, cpus = [], []
    for run in range(args.runs):
        wall, cpu = time.perf_counter(), time.process_time()
        simulate_iteration(params, args.scenario, seed=run, iteration=1, window_s=args.window)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    print(
        f"window={args.window:g}s runs={args.runs} wall_ms min={min(walls) * 1e3:.1f} "
        f"median={statistics.median(walls) * 1e3:.1f} max={max(walls) * 1e3:.1f} "
        f"cpu_ms median={statistics.median(cpus) * 1e3:.1f}"
    )
    print(f"sim_seconds_per_wall_second={args.window / statistics.median(walls):.0f}")


if __name__ == "__main__":
    main()
