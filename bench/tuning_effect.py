"""Tuning works and pays: nightly gate, `normal`, 24 iterations, with and without auto-tune, per
seed, on the same market paths (the simulator's iterations draw their markets from the seed and
the iteration alone).

Prints, per seed, each arm's run verdict, its PnL per hour over the judged (last 8) iterations and
over the whole run, its volume per hour and its net bps; then the totals as its last lines:
`tuned_pass=<n>/<seeds>`, `untuned_fail=<n>/<seeds>`, `tuned_pnl_per_hour=`, `untuned_pnl_per_hour=`
(means over seeds of the judged iterations) and `tuned_earns_more=<n>/<seeds>` (paired).
A PASS that earns less than the FAIL beside it is the wrong answer this bench exists to catch.
"""

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import build_config
from core.events import IterationFinished, RunFinished
from core.gates import RUN_WINDOW
from core.runner import SoakRun


def run_arm(seed: int, auto_tune: bool, iterations: int, scenario: str, out: str) -> dict[str, object]:
    settings = {"iterations": iterations, "seed": seed, "gate": "nightly", "auto_tune": auto_tune}
    config = build_config({**settings, "scenario": scenario, "out": out}, {})
    summaries, verdict = [], "?"
    for event in SoakRun(config).events():
        if isinstance(event, IterationFinished):
            summaries.append(event.record.summary)
        elif isinstance(event, RunFinished) and event.verdict is not None:
            verdict = event.verdict.verdict
    judged = summaries[-RUN_WINDOW:]

    def mean(rows: list, key: str) -> float:
        values = [row[key] for row in rows if row.get(key) is not None]
        return statistics.fmean(values) if values else float("nan")

    return {
        "verdict": str(verdict),
        "pnl_h": mean(judged, "pnl_per_hour"),
        "pnl_h_all": mean(summaries, "pnl_per_hour"),
        "vol_h": mean(judged, "volume_per_hour"),
        "net": mean(judged, "net_bps"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=24)
    parser.add_argument("--scenario", default="normal")
    args = parser.parse_args()
    arms = {"tuned": True, "untuned": False}
    rows: list[dict[str, dict[str, object]]] = []
    print(
        f"{'seed':>4}  "
        + "  ".join(f"{a + ' verdict':>15} {'PnL/h':>7} {'PnL/h all':>9} {'vol/h':>8} {'net':>6}" for a in arms)
    )
    with tempfile.TemporaryDirectory() as out:
        for seed in range(1, args.seeds + 1):
            row = {arm: run_arm(seed, tune, args.iterations, args.scenario, out) for arm, tune in arms.items()}
            rows.append(row)
            cells = "  ".join(
                f"{r['verdict']:>15} {r['pnl_h']:>7.1f} {r['pnl_h_all']:>9.1f} {r['vol_h']:>8.0f} {r['net']:>6.2f}"
                for r in row.values()
            )
            print(f"{seed:>4}  {cells}", flush=True)
    print(f"tuned_pass={sum(r['tuned']['verdict'] == 'PASS' for r in rows)}/{len(rows)}")
    print(f"untuned_fail={sum(r['untuned']['verdict'] == 'FAIL' for r in rows)}/{len(rows)}")
    for arm in arms:
        print(f"{arm}_pnl_per_hour={statistics.fmean(float(r[arm]['pnl_h']) for r in rows):.1f}")  # type: ignore[arg-type]
    more = sum(float(r["tuned"]["pnl_h"]) > float(r["untuned"]["pnl_h"]) for r in rows)  # type: ignore[arg-type]
    print(f"tuned_earns_more={more}/{len(rows)}")


if __name__ == "__main__":
    main()
