"""Simulator throughput: simulated seconds per wall second (default parameters, `normal`, one
process).

Prints per-run timings and, as its last line, `sim_seconds_per_wall_second=<median>`.
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
    walls = []
    for run in range(args.runs):
        start = time.perf_counter()
        simulate_iteration(params, args.scenario, seed=run, iteration=1, window_s=args.window)
        walls.append(time.perf_counter() - start)
    ms = sorted(w * 1e3 for w in walls)
    print(f"window={args.window:g}s runs={args.runs} wall_ms min={ms[0]:.1f} "
          f"median={statistics.median(ms):.1f} max={ms[-1]:.1f}")
    print(f"sim_seconds_per_wall_second={args.window / statistics.median(walls):.0f}")


if __name__ == "__main__":
    main()
