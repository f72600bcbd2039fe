"""What the TUNING_REPORT write costs per iteration late in a long run (a benchmark, not a test).

    python bench/tuning_report_cost.py [--iterations 20000]

A run of --iterations iterations is written with the project's own writer (RunDirectory, with
its `latest` copy), each iteration's ITER_SUMMARY then its TUNING_REPORT entry, as the loop
does. The TUNING_REPORT writes are timed over the last iterations up to 100 and up to the last
that one rewrite of TUNING_REPORT.json covers (1/REWRITE_SHARE of them, so each window holds
one), fsync and all. Between the windows the writes are not timed and os.fsync is skipped, so
the run is built in minutes rather than an hour: durability is not what is measured there.

    tuning_report_ms_at_100=, tuning_report_ms_at_<N>=  mean per iteration in its window
    tuning_report_cost_ratio=  the second over the first (target: within 2)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.gates import run_verdict
from core.records import IterationRecord
from core.runs.writer import REWRITE_SHARE, RunDirectory

TEMPLATE = ROOT / "tests" / "fixtures" / "native" / "ITER_SUMMARY_3.json"
NEAR_START = 100


@contextlib.contextmanager
def fsync_skipped(skip: bool) -> Iterator[None]:
    real = os.fsync
    if skip:
        os.fsync = lambda fd: None
    try:
        yield
    finally:
        os.fsync = real


def window(last: int) -> range:
    return range(last - max(1, last // REWRITE_SHARE) + 1, last + 1)


def measure(iterations: int) -> dict[int, float]:
    """Mean seconds per TUNING_REPORT write in the window ending at NEAR_START and at `iterations`."""
    windows = {last: window(last) for last in (NEAR_START, iterations)}
    timed = {i for measured in windows.values() for i in measured}
    spent: dict[int, float] = {}
    base = IterationRecord.model_validate_json(TEMPLATE.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        run = RunDirectory.create(tmp, seed=1)
        run.start({"driver": "sim", "profile": "default", "gate": "smoke", "iterations": iterations})
        run.take_latest()
        records: list[IterationRecord] = []
        summary = lambda: {"verdict": run_verdict([r.gate.verdict for r in records]).model_dump()}  # noqa: E731
        for i in range(1, iterations + 1):
            record = base.model_copy(update={"iteration": i})
            with fsync_skipped(i not in timed):
                run.write_iteration(record)
                records.append(record)
                started = time.perf_counter()
                run.write_tuning_report(records, summary)
                spent[i] = time.perf_counter() - started
        run.finish("completed")
    return {last: sum(spent[i] for i in measured) / len(measured) for last, measured in windows.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20_000)
    args = parser.parse_args()
    cost = measure(args.iterations)
    print(f"tuning_report_ms_at_{NEAR_START}={cost[NEAR_START] * 1000:.3f}")
    print(f"tuning_report_ms_at_{args.iterations}={cost[args.iterations] * 1000:.3f}")
    print(f"tuning_report_cost_ratio={cost[args.iterations] / cost[NEAR_START]:.2f}")


if __name__ == "__main__":
    main()
