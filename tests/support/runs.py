"""Runs for the tests: records and run directories written by hand, and real runs of the loop."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.config import build_config
from core.events import IterationFinished, RunFinished
from core.records import IterationRecord
from core.runner import SoakRun
from core.runs.jsonio import atomic_write_json
from core.runs.latest import mirrored_run
from core.runs.layout import LATEST_LINK, RUN_FILE, RUNS_DIR, iter_file_name, utc_stamp
from core.runs.writer import RunDirectory
from tests.support.soak import FIXTURES

NATIVE_RECORD = FIXTURES / "native" / "ITER_SUMMARY_3.json"
NOW = datetime(2026, 11, 27, 14, 12, 3, tzinfo=UTC)
# KPIs that pass the nightly gate with room.
PASSING = {
    "maker_taker_ratio": 0.95,
    "net_bps": 4.0,
    "risk_ratio": 0.2,
    "p95_latency_ms": 150.0,
    "quote_presence": 0.97,  # the nightly gate's since market v2 (issue 15); 0.95 is at risk (rules.AT_RISK_BANDS)
    "pnl_per_hour": 100.0,
}


def make_record(iteration: int, **summary: Any) -> IterationRecord:
    """The native fixture as an IterationRecord of iteration `iteration`; `summary` replaces KPIs."""
    data = json.loads(NATIVE_RECORD.read_text(encoding="utf-8"))
    data["summary"].update(summary)
    return IterationRecord(**{**data, "iteration": iteration})


def started(root: Path, seed: int = 42, now: datetime = NOW) -> RunDirectory:
    """A run directory under `root` whose RUN.json says it started `now`."""
    run = RunDirectory.create(root, seed=seed, now=now)
    run.start(
        {
            "driver": "sim",
            "profile": "default",
            "gate": "smoke",
            "scenario": "mixed",
            "config": {"seed": {"value": seed, "source": "cli"}},
            "tool_version": "0.1.0",
        },
        now=now,
    )
    return run


def newest_run(root: Path) -> Path:
    """The run <root>/latest shows (a copy of it: core/runs/latest.py)."""
    run = mirrored_run(root / LATEST_LINK)
    assert run is not None, f"{root / LATEST_LINK} shows no run of ours"
    return run


def kpis(**changes: float) -> dict[str, float]:
    """Passing KPIs, with some changed."""
    return {**PASSING, **changes}


def record(i: int, **summary: Any) -> dict[str, Any]:
    """A native ITER_SUMMARY record for iteration i; `summary` replaces KPI values."""
    data = json.loads(NATIVE_RECORD.read_text(encoding="utf-8"))
    data["iteration"] = i
    data["summary"].update({"net_bps": round(0.5 * i - 1.0, 3), **summary})
    return data


def manifest(run_id: str, status: str = "running", heartbeat_age_s: float = 0.0, **extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "run_id": run_id,
        "status": status,
        "driver": "sim",
        "seed": 7,
        "profile": "default",
        "gate": "smoke",
        "started_utc": utc_stamp(now - timedelta(seconds=heartbeat_age_s + 1)),
        "heartbeat_utc": utc_stamp(now - timedelta(seconds=heartbeat_age_s)),
        **extra,
    }


def native_run(root: Path, run_id: str, written: int = 0, **manifest_fields: Any) -> Path:
    """<root>/runs/<run_id>/ with a RUN.json and iterations 1..written."""
    directory = root / RUNS_DIR / run_id
    directory.mkdir(parents=True)
    atomic_write_json(directory / RUN_FILE, manifest(run_id, **manifest_fields))
    for i in range(1, written + 1):
        write_iteration(directory, i)
    return directory


def write_iteration(directory: Path, i: int, **summary: Any) -> Path:
    path = directory / iter_file_name(i)
    atomic_write_json(path, record(i, **summary))
    return path


def age_files(directory: Path, seconds: float = 3600.0) -> None:
    """Backdate every file in `directory`: its writer stopped `seconds` ago, however fresh the checkout."""
    then = datetime.now(UTC).timestamp() - seconds
    for path in directory.iterdir():
        os.utime(path, (then, then))


def finish(directory: Path, status: str = "completed", verdict: str = "PASS") -> None:
    data = json.loads((directory / RUN_FILE).read_text(encoding="utf-8"))
    data.update(
        status=status,
        finished_utc=utc_stamp(),
        heartbeat_utc=utc_stamp(),
        verdict={"verdict": verdict, "reasons": [f"{verdict} for the test"]},
    )
    atomic_write_json(directory / RUN_FILE, data)


def finished_run(out: Path, **settings: Any) -> tuple[Path, list[IterationRecord], RunFinished]:
    """A real run of the soak (simulator, tuner, artifacts), as the CLI would make it."""
    config = build_config({"iterations": 6, "window_s": 60, "out": str(out), "seed": 3, **settings})
    records, finished = [], None
    for event in SoakRun(config, env={}).events():
        if isinstance(event, IterationFinished):
            records.append(event.record)
        elif isinstance(event, RunFinished):
            finished = event
    assert finished is not None and finished.status == "completed", finished
    return out / RUNS_DIR / finished.run_id, records, finished


def recorded_run(out: Path, iterations: int = 5, seed: int = 7) -> Path:
    """A real run of the soak loop, in this process; returns its directory."""
    run_dir, _, _ = finished_run(out, iterations=iterations, seed=seed, pace="fast")
    return run_dir


def run_at_once(jobs: list[Callable[[], object]]) -> None:
    """Run each job in its own thread, released together by a barrier; re-raise a failure."""
    go = threading.Barrier(len(jobs))
    failures: list[BaseException] = []

    def body(job: Callable[[], object]) -> None:
        go.wait()
        try:
            job()
        except BaseException as err:  # reported below, in the test's thread
            failures.append(err)

    threads = [threading.Thread(target=body, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
