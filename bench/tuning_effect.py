"""Tuning works and is the cause: nightly gate, 24 iterations, with and without auto-tune, per seed.

Prints a table of seeds and run verdicts, then `tuned_pass=<n>/<seeds>` and
`untuned_fail=<n>/<seeds>` as its last lines. Target (issue 3): at least 8 of 10 each.
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import build_config
from core.events import RunFinished
from core.runner import SoakRun


def run_verdict(seed: int, auto_tune: bool, iterations: int, scenario: str, out: str) -> str:
    config = build_config(
        {
            "iterations": iterations,
            "seed": seed,
            "gate": "nightly",
            "auto_tune": auto_tune,
            "scenario": scenario,
            "out": out,
        },
        {},
    )
    finished = [e for e in SoakRun(config).events() if isinstance(e, RunFinished)][-1]
    return finished.verdict.verdict


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=24)
    parser.add_argument("--scenario", default="normal")
    args = parser.parse_args()
    tuned_pass = untuned_fail = 0
    print(f"{'seed':>4}  {'auto-tune':>9}  {'no auto-tune':>12}")
    with tempfile.TemporaryDirectory() as out:
        for seed in range(1, args.seeds + 1):
            tuned = run_verdict(seed, True, args.iterations, args.scenario, out)
            untuned = run_verdict(seed, False, args.iterations, args.scenario, out)
            tuned_pass += tuned == "PASS"
            untuned_fail += untuned == "FAIL"
            print(f"{seed:>4}  {tuned:>9}  {untuned:>12}", flush=True)
    print(f"tuned_pass={tuned_pass}/{args.seeds}")
    print(f"untuned_fail={untuned_fail}/{args.seeds}")


if __name__ == "__main__":
    main()
