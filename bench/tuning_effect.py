"""Does tuning improve the strategy, not just the gate? Nightly gate, 24 iterations, per seed, three
arms on the same market paths: `--tuner whatif`, `--tuner rules`, and untuned (`--no-auto-tune`).

Every arm runs the control arm (the starting parameters on the same path), so each tuned run
carries its own paired uplift: the mean uplift in PnL per hour over all its windows, with the 90%
interval RUN.json records. Prints the table (seed x arm: verdict, PnL over the last 8 iterations,
volume over the last 8, uplift/h and its interval, wall seconds), then the counts as name=value
lines: whatif_pass, whatif_pnl_wins (PnL last 8 above the untuned run's), rules_pass,
rules_pnl_wins (at least the untuned run's), untuned_fail, and the mean uplift/h per arm with the
interval over the per-seed means (uplift_whatif_per_h, uplift_rules_per_h). `--jobs N` runs N seeds
at a time (one process each; the rows still come in seed order).
"""

import argparse
import concurrent.futures
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import build_config
from core.events import IterationFinished, RunFinished, RunStarted
from core.gates import RUN_WINDOW
from core.intervals import mean_interval
from core.runner import SoakRun
from core.runs.layout import RUN_FILE

ARMS = ("whatif", "rules", "untuned")


@dataclass
class Arm:
    verdict: str
    pnl_last: float
    volume_last: float
    uplift: dict  # RUN.json's uplift.pnl_per_hour: mean, low, high
    wall_s: float


def run_arm(seed: int, arm: str, iterations: int, scenario: str, out: str) -> Arm:
    settings = {"iterations": iterations, "seed": seed, "gate": "nightly", "scenario": scenario, "out": out}
    settings |= {"auto_tune": False} if arm == "untuned" else {"tuner": arm}
    started = time.perf_counter()
    records, run_dir, verdict = [], None, "?"
    for event in SoakRun(build_config(settings, {})).events():
        if isinstance(event, RunStarted):
            run_dir = event.run_dir
        elif isinstance(event, IterationFinished):
            records.append(event.record)
        elif isinstance(event, RunFinished) and event.verdict:
            verdict = event.verdict.verdict
    wall = time.perf_counter() - started
    last = [r.summary for r in records[-RUN_WINDOW:]]
    volume = sum(s["fills"]["maker_volume"] + s["fills"]["taker_volume"] for s in last)
    uplift = json.loads((run_dir / RUN_FILE).read_text())["uplift"]["pnl_per_hour"]
    return Arm(verdict, sum(s["pnl"] for s in last), volume, uplift, wall)


def run_seed(seed: int, iterations: int, scenario: str) -> dict[str, Arm]:
    with tempfile.TemporaryDirectory() as out:
        return {arm: run_arm(seed, arm, iterations, scenario, out) for arm in ARMS}


def shown(uplift: dict) -> str:
    if uplift["low"] is None:
        return f"{uplift['mean']:+8.1f}"
    return f"{uplift['mean']:+8.1f} [{uplift['low']:+7.1f}, {uplift['high']:+7.1f}]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=24)
    parser.add_argument("--scenario", default="normal")
    parser.add_argument("--jobs", type=int, default=1, help="seeds run at a time")
    args = parser.parse_args()
    headings = f"{'seed':>4} {'arm':>8} {'verdict':>7} {'pnl last8':>10} {'volume last8':>13}"
    print(f"{headings} {'uplift/h [90% CI]':>29} {'wall s':>7}")
    results: dict[str, list[Arm]] = {arm: [] for arm in ARMS}
    seeds = range(1, args.seeds + 1)
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        runs = pool.map(run_seed, seeds, [args.iterations] * len(seeds), [args.scenario] * len(seeds))
        for seed, arms in zip(seeds, runs, strict=True):
            for arm, r in arms.items():
                results[arm].append(r)
                print(
                    f"{seed:>4} {arm:>8} {r.verdict:>7} {r.pnl_last:>10.2f} {r.volume_last:>13.0f} "
                    f"{shown(r.uplift):>29} {r.wall_s:>7.1f}",
                    flush=True,
                )
    untuned = results["untuned"]
    print(f"scenario={args.scenario}")
    print(f"whatif_pass={sum(r.verdict == 'PASS' for r in results['whatif'])}/{args.seeds}")
    whatif_wins = sum(w.pnl_last > u.pnl_last for w, u in zip(results["whatif"], untuned, strict=True))
    rules_wins = sum(w.pnl_last >= u.pnl_last for w, u in zip(results["rules"], untuned, strict=True))
    print(f"whatif_pnl_wins={whatif_wins}/{args.seeds}")
    print(f"rules_pass={sum(r.verdict == 'PASS' for r in results['rules'])}/{args.seeds}")
    print(f"rules_pnl_wins={rules_wins}/{args.seeds}")
    print(f"untuned_fail={sum(r.verdict == 'FAIL' for r in untuned)}/{args.seeds}")
    for arm in ("whatif", "rules"):
        per_seed = mean_interval([r.uplift["mean"] for r in results[arm]])
        assert per_seed is not None
        low, high = ("-", "-") if per_seed.low is None else (f"{per_seed.low:+.1f}", f"{per_seed.high:+.1f}")
        print(f"uplift_{arm}_per_h={per_seed.mean:+.1f} ci90={low}..{high}")
        print(f"uplift_{arm}_nonneg={sum(r.uplift['mean'] >= 0 for r in results[arm])}/{args.seeds}")
        print(f"{arm}_wall_s_mean={sum(r.wall_s for r in results[arm]) / args.seeds:.2f}")


if __name__ == "__main__":
    main()
