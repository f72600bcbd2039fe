"""core/runs/latest.py: `latest` is a directory of copies of the newest run, which the older tool
may delete and rewrite, and which is left untouched, said in one line, when it is not ours."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

from core.runs.discovery import RunKind, detect_run, discover_runs, read_run
from core.runs.latest import MARKER, mirrored_run
from core.runs.writer import RunDirectory
from tests.support.runs import make_record, run_at_once, started

NAMES = ["ITER_SUMMARY_1.json", "ITER_SUMMARY_2.json", "TUNING_REPORT.json", "runtime_overrides.json"]


def write_two_iterations(run: RunDirectory) -> None:
    records = [make_record(1), make_record(2)]
    for record in records:
        run.write_iteration(record)
    run.write_tuning_report(records)
    run.write_overrides({"base_spread_bps": 2.5})


def files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file() and p.name != MARKER}


def test_latest_holds_copies_of_the_newest_runs_files_and_reads_as_that_run(tmp_path: Path):
    run = started(tmp_path)
    assert run.take_latest() is None
    write_two_iterations(run)
    latest = tmp_path / "latest"
    assert latest.is_dir() and not latest.is_symlink()
    assert sorted(files(latest)) == NAMES
    assert files(latest) == {name: (run.path / name).read_bytes() for name in NAMES}  # RUN.json stays home
    assert mirrored_run(latest) == run.path
    assert [(info.path, info.kind) for info in discover_runs(tmp_path)] == [(run.path, RunKind.NATIVE)]
    assert detect_run(latest).path == run.path and read_run(latest).info.run_id == run.run_id


def test_a_newer_run_takes_latest_and_the_older_ones_copies_stop(tmp_path: Path):
    older, newer = started(tmp_path, seed=1), started(tmp_path, seed=2)
    assert older.take_latest() is None
    older.write_iteration(make_record(1))
    assert newer.take_latest() is None
    newer.write_overrides({"base_spread_bps": 9.0})
    older.write_iteration(make_record(2))  # still running: its copies must not land in the newer one's
    older.write_overrides({"base_spread_bps": 1.0})
    older.finish("completed")
    assert mirrored_run(tmp_path / "latest") == newer.path
    assert files(tmp_path / "latest") == {
        "runtime_overrides.json": (newer.path / "runtime_overrides.json").read_bytes()
    }
    assert sorted(os.listdir(tmp_path)) == ["latest", "runs"]  # nothing left aside


def test_our_latest_link_of_before_is_replaced(tmp_path: Path):
    run = started(tmp_path)
    (tmp_path / "latest").symlink_to(Path("runs") / run.run_id)
    assert run.take_latest() is None
    assert (tmp_path / "latest").is_dir() and not (tmp_path / "latest").is_symlink()


def test_the_older_tools_latest_directory_is_left_untouched_and_said_in_one_line(tmp_path: Path):
    latest = tmp_path / "latest"
    latest.mkdir()
    (latest / "ITER_SUMMARY_1.json").write_text('{"iteration": 1}')
    (latest / "summary.txt").write_text("ITERATIONS COMPLETED: 1\n")
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in latest.iterdir()}
    run = started(tmp_path)
    notice = run.take_latest()
    assert notice is not None and "\n" not in notice
    assert f"{latest} was not written by mm-soak" in notice and "ITER_SUMMARY_1.json, summary.txt" in notice
    assert f"this run is in {run.path}" in notice and f"mv {latest} {latest}.old" in notice
    write_two_iterations(run)
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in latest.iterdir()} == before
    assert sorted(files(run.path)) == sorted([*NAMES, "RUN.json", "TUNING_REPORT.jsonl"])  # the journal stays home


def test_files_added_to_our_copies_make_latest_someone_elses(tmp_path: Path):
    first = started(tmp_path, seed=1)
    first.take_latest()
    write_two_iterations(first)
    (tmp_path / "latest" / "DELTA_VERIFY_REPORT.md").write_text("the older tool's script wrote this")
    second = started(tmp_path, seed=2)
    notice = second.take_latest()
    assert notice is not None and "DELTA_VERIFY_REPORT.md" in notice
    assert (tmp_path / "latest" / "DELTA_VERIFY_REPORT.md").exists() and mirrored_run(tmp_path / "latest") == first.path


def test_the_older_tool_may_delete_latest_or_write_into_it_without_touching_our_run(tmp_path: Path):
    run = started(tmp_path)
    run.take_latest()
    write_two_iterations(run)
    kept = {name: data for name, data in files(run.path).items() if name in NAMES}
    latest = tmp_path / "latest"
    (latest / "ITER_SUMMARY_1.json").write_text('{"iteration": 1, "theirs": true}')  # --run-isolated writes in place
    shutil.rmtree(latest)  # what a run of it does first; a link here made it raise
    latest.mkdir()
    (latest / "ITER_SUMMARY_1.json").write_text('{"iteration": 1}')
    run.write_iteration(make_record(3))
    assert {name: data for name, data in files(run.path).items() if name in NAMES} == kept
    assert sorted(os.listdir(latest)) == ["ITER_SUMMARY_1.json"]  # our copies stopped: it is theirs now
    assert detect_run(latest).kind is RunKind.LEGACY


def test_a_marker_naming_no_run_of_ours_is_no_mirror(tmp_path: Path):
    latest = tmp_path / "latest"
    latest.mkdir()
    for marker in ('{"run_id": "../../etc"}', '{"run_id": 7}', "not json", '{"run_id": "gone"}'):
        (latest / MARKER).write_text(marker)
        assert mirrored_run(latest) is None
    assert json.loads((latest / MARKER).read_text()) == {"run_id": "gone"}


def test_runs_taking_latest_at_once_leave_one_runs_copies_and_nothing_aside(tmp_path: Path):
    runs = [started(tmp_path, seed=seed) for seed in range(6)]

    def soak(run: RunDirectory) -> Callable[[], None]:
        def body() -> None:
            for i in range(1, 13):
                assert run.take_latest() is None  # never taken for someone else's
                run.write_iteration(make_record(i))
            run.finish("completed")

        return body

    run_at_once([soak(run) for run in runs])
    shown = mirrored_run(tmp_path / "latest")
    assert shown in [run.path for run in runs]
    copies = files(tmp_path / "latest")
    assert copies and copies == {name: (shown / name).read_bytes() for name in copies}
    assert sorted(os.listdir(tmp_path)) == ["latest", "runs"]


def test_what_a_killed_run_left_beside_latest_is_removed_once_it_is_old(tmp_path: Path):
    first = started(tmp_path, seed=1)
    first.take_latest()
    left = [tmp_path / ".latest.0123abcd.tmp", tmp_path / ".latest.0123abcd4567.old", tmp_path / ".latest.theirs.old"]
    for directory in left:
        directory.mkdir()
    for directory in left[:2]:  # ours: killed while making or replacing latest
        (directory / MARKER).write_text(json.dumps({"run_id": first.run_id}))
    (left[2] / "summary.txt").write_text("someone else's")
    started(tmp_path, seed=2).take_latest()  # just now: could be another run's, still at it
    assert all(directory.exists() for directory in left)
    with mock.patch("core.runs.latest.time.time", return_value=time.time() + 3600):  # an hour on
        started(tmp_path, seed=3).take_latest()
    assert [directory.exists() for directory in left] == [False, False, True]  # not ours: left alone
