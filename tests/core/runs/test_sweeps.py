"""core/runs/sweeps.py: runs grouped by their sweep, and each sweep's progress, from RUN.json alone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from core.records import RunStatus
from core.runs.discovery import discover_runs
from core.runs.follow import sweep_to_follow
from core.runs.sweep_file import SweepDirectory
from core.runs.sweeps import SweepTag, group_by_sweep, sweep_progress
from tests.support.runs import finish, native_run


def soak(root: Path, run_id: str, sweep: str, cell: int, attempt: int = 1, **fields) -> Path:
    tags = {"sweep_id": sweep, "sweep_cell": cell, "sweep_total": 3, "sweep_attempt": attempt}
    return native_run(root, run_id, **tags, **fields)


def test_a_sweep_counts_each_cell_by_its_newest_attempt(tmp_path: Path):
    finish(soak(tmp_path, "a1", "S", 1), "completed", "PASS")
    finish(soak(tmp_path, "b1", "S", 2), "failed", "FAIL")  # its worker died ...
    soak(tmp_path, "b2", "S", 2, attempt=2)  # ... and the retry is running
    finish(soak(tmp_path, "c1", "S", 3), "completed", "FAIL")
    native_run(tmp_path, "solo")
    progress = sweep_progress("S", discover_runs(tmp_path))
    assert (progress.total, progress.done, progress.live) == (3, 2, 1)
    assert progress.verdicts == {"PASS": 1, "FAIL": 1} and progress.could_not_run == 0
    assert progress.done_text() == "2/3" and progress.counts_text() == "PASS 1 WARN 0 FAIL 1"
    assert not progress.finished


def test_runs_are_grouped_where_their_sweeps_first_run_stands(tmp_path: Path):
    soak(tmp_path, "a1", "S", 1)
    native_run(tmp_path, "b-solo")
    soak(tmp_path, "c1", "T", 1)
    soak(tmp_path, "d2", "S", 2)
    groups = group_by_sweep(discover_runs(tmp_path), lambda info: info)
    shown = [(progress.sweep_id if progress else None, [info.run_id for info in runs]) for progress, runs in groups]
    assert shown == [("S", ["a1", "d2"]), (None, ["b-solo"]), ("T", ["c1"])]


def test_a_run_with_a_malformed_tag_is_a_run_of_its_own(tmp_path: Path):
    native_run(tmp_path, "odd", sweep_id=7, sweep_cell="x")
    native_run(tmp_path, "half", sweep_id="S", sweep_cell=True, sweep_total=-3)
    odd, half = sorted(discover_runs(tmp_path), key=lambda info: info.run_id, reverse=True)
    assert SweepTag.of(odd) is None
    assert SweepTag.of(half) == SweepTag("S", None, None, 1)


def test_a_headless_watch_follows_the_sweep_of_a_soak_while_the_sweep_runs(tmp_path: Path):
    directory = SweepDirectory.create(tmp_path)
    directory.start({}, [{"cell": 1}], {}, datetime.now(UTC))
    soak(tmp_path, "a1", directory.sweep_id, 1)
    (info,) = discover_runs(tmp_path)
    assert sweep_to_follow(info) == directory.path
    directory.finish(RunStatus.COMPLETED, 0, datetime.now(UTC))
    assert sweep_to_follow(info) is None
