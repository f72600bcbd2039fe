"""Sweeps for the tests: `soak sweep` as a user runs it, its manifest and runs, and a real Dask
cluster (`dask scheduler` and `dask worker` processes on 127.0.0.1), started and stopped here."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.console.lines import iteration_line
from core.runs.layout import RUN_FILE, SWEEP_FILE, SWEEPS_DIR, iter_file_name
from core.runs.views import read_iteration
from tests.support.soak import PATIENCE_S, ROOT, soak_command, soak_env

DASK = Path(sys.executable).with_name("dask")
# The sweep of the issue: 2 seeds x 2 scenarios x 4 iterations.
SMALL_SWEEP = ("--seeds", "1-2", "--scenarios", "normal,volatile", "--iterations", "4")


def sweep(out: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        soak_command("sweep", "--out", str(out), *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=soak_env(),
    )


def start_sweep(out: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        soak_command("sweep", "--out", str(out), *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=soak_env(),
    )


def expected_lines(out: Path, iterations: int = 4) -> dict[str, list[str]]:
    """Per run under `out`, what a headless watch of its sweep prints of each iteration, from its files."""
    return {
        run_dir.name: [
            f"{run_dir.name}  {iteration_line(read_iteration(run_dir / iter_file_name(i)), iterations)}"
            for i in range(1, iterations + 1)
        ]
        for run_dir in (out / "runs").iterdir()
    }


def sweep_dir(out: Path) -> Path:
    (directory,) = (out / SWEEPS_DIR).iterdir()
    return directory


def sweep_manifest(out: Path) -> dict[str, Any]:
    return json.loads((sweep_dir(out) / SWEEP_FILE).read_text(encoding="utf-8"))


def run_manifest(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))


def wait_until(condition: Any, what: str) -> Any:
    """Polls a condition on files another process writes (no event to await across processes);
    only a hang reaches PATIENCE_S."""
    deadline = time.monotonic() + PATIENCE_S
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
    return value


@contextlib.contextmanager
def dask_cluster(tmp: Path, workers: int = 2) -> Iterator[str]:
    """`dask scheduler` and `workers` x `dask worker` (one thread each) on 127.0.0.1 with free
    ports; yields the scheduler's address; stops them all."""
    scheduler_file = tmp / "scheduler.json"
    loopback = ("--host", "127.0.0.1", "--no-dashboard")
    processes = [_start([str(DASK), "scheduler", *loopback, "--port", "0", "--scheduler-file", str(scheduler_file)])]
    try:
        wait_until(lambda: scheduler_file.is_file() and scheduler_file.read_text(), "the scheduler file")
        address = json.loads(scheduler_file.read_text())["address"]
        for _ in range(workers):
            worker = [str(DASK), "worker", address, *loopback, "--nthreads", "1", "--nworkers", "1"]
            processes.append(_start(worker))
        _wait_for_workers(address, workers)
        yield address
    finally:
        for process in reversed(processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(PATIENCE_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _start(argv: list[str]) -> subprocess.Popen[bytes]:
    # Its own process group: the worker's nanny and its worker process stop together.
    return subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def _wait_for_workers(address: str, count: int) -> None:
    from distributed import Client

    with Client(address, timeout=PATIENCE_S) as client:
        client.wait_for_workers(count, timeout=PATIENCE_S)


def check_finished_sweep(out: Path, table: dict[str, Any], cells: int, iterations: int) -> dict[str, Any]:
    """What every finished sweep must be: one complete run directory per cell, tagged with the
    sweep; SWEEP.json agreeing with the runs; the closing table's figures equal to `soak report`
    on each run. Returns SWEEP.json."""
    manifest = sweep_manifest(out)
    runs = sorted((out / "runs").iterdir())
    assert len(runs) == cells and manifest["total"] == cells and manifest["status"] == "completed"
    entries = {entry["cell"]: entry for entry in manifest["runs"]}
    for run_dir in runs:
        run = run_manifest(run_dir)
        assert run["status"] == "completed", run
        assert (run["sweep_id"], run["sweep_total"], run["sweep_attempt"]) == (manifest["sweep_id"], cells, 1)
        assert sorted(p.name for p in run_dir.glob("ITER_SUMMARY_*.json")) == sorted(
            f"ITER_SUMMARY_{i}.json" for i in range(1, iterations + 1)
        )
        report_file = json.loads((run_dir / "TUNING_REPORT.json").read_text())
        assert report_file["summary"]["count"] == iterations
        entry = entries[run["sweep_cell"]]
        assert (entry["run_id"], entry["run_dir"]) == (run["run_id"], f"runs/{run_dir.name}")
        assert (entry["seed"], entry["scenario"]) == (run["seed"], run["scenario"])
        assert entry["verdict"] == run["verdict"]["verdict"]
        assert entry["exit_code"] == (1 if entry["verdict"] == "FAIL" else 0)
    verdicts = [entry["verdict"] for entry in manifest["runs"]]
    assert manifest["counts"] == {
        "done": cells,
        **{v: verdicts.count(v) for v in ("PASS", "WARN", "FAIL")},
        "could_not_run": 0,
    }
    assert manifest["exit_code"] == table["exit_code"] == (1 if "FAIL" in verdicts else 0)
    for row in table["rows"]:
        done = subprocess.run(
            soak_command("report", row["run_dir"], "--json", str(out / f"report-{row['cell']}.json")),
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=soak_env(),
            timeout=PATIENCE_S,
        )
        assert done.returncode == 0, done.stderr
        report = json.loads((out / f"report-{row['cell']}.json").read_text())
        recent = {kpi["kpi"]: kpi["recent"]["mean"] for kpi in report["kpis"]}
        assert row["verdict"] == report["verdict"]["verdict"] == entries[row["cell"]]["verdict"]
        assert row["kpis"] == {kpi: recent[kpi] for kpi in table["gate_kpis"]}
    return manifest
