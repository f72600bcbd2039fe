"""A sweep's worker killed with SIGKILL mid-soak costs only that soak: it runs once more (a
second death marks it failed), the other soaks complete, the exit code says so, and every run
directory, the killed ones too, stays readable with its finished iterations intact."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from core.runs.discovery import read_run
from core.runs.watch_events import IterationAdded, RunDiscovered
from core.runs.watcher import RunWatcher
from tests.support.soak import PATIENCE_S
from tests.support.sweeps import run_manifest, start_sweep, sweep_manifest
from tests.support.waiting import Recorder

pytestmark = [pytest.mark.slow, pytest.mark.fault, pytest.mark.asyncio]
SLOW_SOAKS = ("--seeds", "1-4", "--iterations", "10", "--pace", "0.25", "--workers", "2")


def early(run_dir: Path) -> bool:
    """Still running, with a second or more of its soak to go: its worker is busy with it. (An
    event seen earlier may be of a soak that has ended since: its worker has moved on.)"""
    return run_manifest(run_dir)["status"] == "running" and not (run_dir / "ITER_SUMMARY_4.json").exists()


async def test_killed_workers_cost_only_their_soaks(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    tags: dict[Path, tuple[int, int, int]] = {}  # run -> (cell, attempt, worker pid)

    def running(cell: int | None = None, attempt: int = 1, not_cell: int | None = None):
        def started(event: object) -> bool:
            if isinstance(event, RunDiscovered) and event.info.manifest:
                m = event.info.manifest
                tags[event.info.path] = (m["sweep_cell"], m["sweep_attempt"], m["pid"])
            if not isinstance(event, IterationAdded) or event.run not in tags:
                return False
            tagged_cell, tagged_attempt, _ = tags[event.run]
            wanted = tagged_attempt == attempt and tagged_cell != not_cell and cell in (None, tagged_cell)
            return wanted and early(event.run)

        return started

    def kill(event: IterationAdded) -> int:
        cell, _, pid = tags[event.run]
        os.kill(pid, signal.SIGKILL)  # the worker process running this soak
        return cell

    async with Recorder(RunWatcher(out)) as seen:
        process = start_sweep(out, *SLOW_SOAKS)
        once = kill(await seen.wait_for(running()))
        twice = kill(await seen.wait_for(running(not_cell=once)))
        kill(await seen.wait_for(running(cell=twice, attempt=2)))
        stdout, stderr = await asyncio.to_thread(process.communicate, timeout=PATIENCE_S * 2)

    assert process.returncode == 2, stderr  # a soak could not run
    manifest = sweep_manifest(out)
    entries = {entry["cell"]: entry for entry in manifest["runs"]}
    assert (entries[twice]["status"], entries[twice]["attempts"]) == ("failed", 2)
    assert entries[twice]["error"] == "its worker died in each of 2 attempts"
    assert (entries[once]["status"], entries[once]["attempts"]) == ("completed", 2)
    others = set(entries) - {twice, once}
    assert [(entries[c]["status"], entries[c]["attempts"]) for c in others] == [("completed", 1)] * 2
    assert manifest["counts"]["could_not_run"] == 1 and manifest["exit_code"] == 2
    assert f"cell {twice} " in stdout and "error: its worker died in each of 2 attempts" in stdout
    assert "(attempt 2)" in stdout

    by_cell: dict[int, list[dict]] = {}
    for run_dir in (out / "runs").iterdir():
        run = run_manifest(run_dir)
        by_cell.setdefault(run["sweep_cell"], []).append(run)
        snapshot = read_run(run_dir)
        assert snapshot.errors == [], snapshot.errors  # no file of any run is corrupt
        numbers = [view.iteration for view in snapshot.iterations]
        assert numbers == list(range(1, len(numbers) + 1))
        # The report follows each iteration's file: a kill in between leaves it one behind.
        count = snapshot.tuning_report["summary"]["count"] if snapshot.tuning_report else 0
        assert count in (len(numbers) - 1, len(numbers))
        if run["status"] == "completed":
            assert len(numbers) == 10
        else:  # ended by the attempt that took over, or by the client after the last one
            assert run["status"] == "failed" and "worker died" in run["error"] and 1 <= len(numbers) < 10
    assert sorted(run["sweep_attempt"] for run in by_cell[twice]) == [1, 2]
    assert sorted((run["sweep_attempt"], run["status"]) for run in by_cell[once]) == [(1, "failed"), (2, "completed")]
    assert [[run["status"] for run in by_cell[cell]] for cell in others] == [["completed"]] * 2
