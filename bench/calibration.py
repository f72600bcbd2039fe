"""The market's calibration on `normal` (DESIGN.md section 2, issue 15): seeds x {the defaults,
the `nightly_ready` profile}, 24 iterations with fixed parameters, judged by the nightly gate.

With fixed parameters the iterations are independent and the run's verdict reads the last 8, so
those are what is simulated. Prints per seed and set: the run verdict, PnL per hour, volume per
hour, maker share and net bps (means over the judged iterations); then `defaults_fail=`,
`ready_pass=` and `ready_earns_more=` (paired on the same market paths) as its last lines.
"""

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.gates import RUN_WINDOW, evaluate_iteration, load_gate, run_verdict
from core.params import Params, load_profile
from core.sim import simulate_iteration

KPIS = ("pnl_per_hour", "volume_per_hour", "maker_taker_ratio", "net_bps")


def judge(params: Params, scenario: str, seed: int, iterations: int) -> dict[str, object]:
    gate = load_gate("nightly")
    judged = range(max(1, iterations - RUN_WINDOW + 1), iterations + 1)
    rows = [simulate_iteration(params, scenario, seed, i).summary.model_dump() for i in judged]
    verdict = run_verdict([evaluate_iteration(row, gate).verdict for row in rows]).verdict
    means = {k: statistics.fmean(r[k] for r in rows if r[k] is not None) for k in KPIS}
    return {"verdict": str(verdict), **means}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1-10", help="first-last")
    parser.add_argument("--iterations", type=int, default=24)
    parser.add_argument("--scenario", default="normal")
    args = parser.parse_args()
    first, last = (int(x) for x in args.seeds.split("-"))
    sets = {"defaults": Params(), "nightly_ready": Params(**load_profile("nightly_ready"))}
    print(f"{'seed':>4}  {'set':<14}{'verdict':>8}{'PnL/h':>9}{'volume/h':>11}{'maker':>7}{'net bps':>8}")
    results = []
    for seed in range(first, last + 1):
        row = {name: judge(params, args.scenario, seed, args.iterations) for name, params in sets.items()}
        results.append(row)
        for name, r in row.items():
            print(
                f"{seed:>4}  {name:<14}{r['verdict']:>8}{r['pnl_per_hour']:>9.1f}{r['volume_per_hour']:>11.0f}"
                f"{r['maker_taker_ratio']:>7.3f}{r['net_bps']:>8.2f}",
                flush=True,
            )
    n = len(results)
    print(f"defaults_fail={sum(r['defaults']['verdict'] == 'FAIL' for r in results)}/{n}")
    print(f"ready_pass={sum(r['nightly_ready']['verdict'] == 'PASS' for r in results)}/{n}")
    more = sum(float(r["nightly_ready"]["pnl_per_hour"]) > float(r["defaults"]["pnl_per_hour"]) for r in results)  # type: ignore[arg-type]
    print(f"ready_earns_more={more}/{n}")


if __name__ == "__main__":
    main()
