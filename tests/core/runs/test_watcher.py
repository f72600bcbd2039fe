"""core/watch.py: a directory of runs written by other processes, turned into events."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from core.errors import ReadError
from core.runs.discovery import RunKind
from core.runs.layout import STALE_AFTER_S, iter_file_name
from core.runs.views import read_iteration
from core.runs.watch_events import (
    FileUnreadable,
    IterationAdded,
    RunClosed,
    RunDiscovered,
    RunRemoved,
    RunWentStale,
    ScanComplete,
)
from core.runs.watcher import RunWatcher
from tests.support.permissions import as_permissions_say
from tests.support.runs import age_files, finish, native_run, record, write_iteration
from tests.support.soak import FIXTURES, ROOT, soak_env, soak_run_argv
from tests.support.waiting import Recorder

pytestmark = pytest.mark.asyncio
LEGACY = FIXTURES / "legacy"

PATIENT_SETTLE_S = 60.0  # longer than any test: a half-written file is never reported as an error


def added(recorder: Recorder, run: Path | None = None) -> list[int]:
    return [e.view.iteration for e in recorder.of(IterationAdded) if run is None or e.run == run]


def unreadable(recorder: Recorder) -> dict[str, str]:
    return {e.error.path.name: e.error.kind for e in recorder.of(FileUnreadable)}


async def test_a_run_in_another_process_arrives_once_in_order_and_completes(tmp_path: Path):
    async with Recorder(RunWatcher(tmp_path)) as recorder:
        soak = await asyncio.create_subprocess_exec(
            *soak_run_argv(tmp_path), cwd=ROOT, env=soak_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        finished = await recorder.wait_for(lambda e: isinstance(e, RunClosed))
        _, stderr = await soak.communicate()
        assert soak.returncode in (0, 1), stderr.decode()

    run_dir = finished.info.path
    assert finished.info.status == "completed" and finished.info.kind == RunKind.NATIVE
    assert [e.info.path for e in recorder.of(RunDiscovered)] == [run_dir]  # not again via `latest`
    assert added(recorder) == [1, 2, 3, 4, 5]
    assert recorder.events.index(finished) > max(recorder.events.index(e) for e in recorder.of(IterationAdded))
    for event in recorder.of(IterationAdded):
        assert event.view == read_iteration(run_dir / iter_file_name(event.view.iteration))
    assert not recorder.of(FileUnreadable)


async def test_what_is_already_there_is_reported_once_native_legacy_and_latest(tmp_path: Path):
    native = native_run(tmp_path, "20261127-100000-s1", written=3)
    finish(native)
    (tmp_path / "latest").symlink_to(Path("runs") / native.name)
    age_files(shutil.copytree(LEGACY / "flat", tmp_path / "old"))
    async with Recorder(RunWatcher(tmp_path)) as recorder:
        pass
    assert sorted(e.info.path.name for e in recorder.of(RunDiscovered)) == ["20261127-100000-s1", "old"]
    assert added(recorder, native) == [1, 2, 3]
    assert added(recorder, tmp_path / "old") == [1, 2, 3, 4]
    # Over before the watch: the native run completed, the legacy one's files stopped changing.
    assert sorted(e.info.path for e in recorder.of(RunClosed)) == [tmp_path / "old", native]


class ScanRacingWriter(RunWatcher):
    """Writes one file as the scan begins (seen by the scan and by the watch) and one after the
    scan has listed the run (seen by the watch only)."""

    def __init__(self, root: Path, run: Path) -> None:
        super().__init__(root)
        self.run = run

    def _scan(self):
        write_iteration(self.run, 1)
        for event in super()._scan():
            if isinstance(event, ScanComplete):
                write_iteration(self.run, 2)
            yield event


async def test_watching_starts_before_the_scan_and_nothing_is_missed_or_doubled(tmp_path: Path):
    run = native_run(tmp_path, "r1")
    async with Recorder(ScanRacingWriter(tmp_path, run)) as recorder:
        await recorder.wait_for(lambda e: isinstance(e, IterationAdded) and e.view.iteration == 2)
        write_iteration(run, 3)
        await recorder.wait_for(lambda e: isinstance(e, IterationAdded) and e.view.iteration == 3)
    assert added(recorder) == [1, 2, 3]


async def test_a_file_written_slowly_in_place_becomes_an_iteration_once_complete(tmp_path: Path):
    run = native_run(tmp_path, "r1")
    text = json.dumps(record(1))
    async with Recorder(RunWatcher(tmp_path, settle_s=PATIENT_SETTLE_S)) as recorder:
        with open(run / iter_file_name(1), "w", encoding="utf-8") as slow:
            slow.write(text[: len(text) // 2])
            slow.flush()
            write_iteration(run, 2)  # lands after the half file: once it is seen, so was the half
            await recorder.wait_for(lambda e: isinstance(e, IterationAdded) and e.view.iteration == 2)
            assert added(recorder) == [2]
            slow.write(text[len(text) // 2 :])
        await recorder.wait_for(lambda e: isinstance(e, IterationAdded) and e.view.iteration == 1)
    assert added(recorder) == [2, 1]
    assert not recorder.of(FileUnreadable)
    assert recorder.of(IterationAdded)[1].view == read_iteration(run / iter_file_name(1))


async def test_a_file_left_half_written_is_reported_then_becomes_an_iteration(tmp_path: Path):
    run = native_run(tmp_path, "r1")
    text = json.dumps(record(1))
    path = run / iter_file_name(1)
    async with Recorder(RunWatcher(tmp_path, settle_s=0.05)) as recorder:
        path.write_text(text[:-1], encoding="utf-8")
        error = await recorder.wait_for(lambda e: isinstance(e, FileUnreadable))
        assert error.error.path == path and error.error.kind == "invalid_json"
        with open(path, "a", encoding="utf-8") as rest:
            rest.write(text[-1])
        await recorder.wait_for(lambda e: isinstance(e, IterationAdded))
    assert added(recorder) == [1]
    assert len(recorder.of(FileUnreadable)) == 1


def plant_hostile_files(run: Path) -> dict[str, str]:
    """Files no reader can use, each under an ITER_SUMMARY name; returns name -> error kind."""
    (run / "ITER_SUMMARY_2.json").write_text('{"iteration": 2, "summary": {', encoding="utf-8")
    (run / "ITER_SUMMARY_3.json").write_text("[1, 2, 3]", encoding="utf-8")
    (run / "ITER_SUMMARY_4.json").write_text('{"iteration": 4, "summary": {"net_bps": NaN}}', encoding="utf-8")
    with open(run / "ITER_SUMMARY_5.json", "wb") as huge:
        huge.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing on disk
    (run / "ITER_SUMMARY_6.json").write_bytes(bytes(range(256)) * 4)
    (run / "ITER_SUMMARY_7.json").mkdir()
    os.symlink("ITER_SUMMARY_8.json", run / "ITER_SUMMARY_8.json")
    return {
        "ITER_SUMMARY_2.json": "invalid_json",
        "ITER_SUMMARY_3.json": "wrong_shape",
        "ITER_SUMMARY_4.json": "non_finite",
        "ITER_SUMMARY_5.json": "too_large",
        "ITER_SUMMARY_6.json": "not_text",
        "ITER_SUMMARY_7.json": "is_directory",
        "ITER_SUMMARY_8.json": "symlink_loop",
    }


@pytest.mark.parametrize("when", ["before the watch", "while watched"])
async def test_hostile_files_are_reported_by_name_and_the_watch_goes_on(tmp_path: Path, when: str):
    run = native_run(tmp_path, "r1", written=1)
    doomed = native_run(tmp_path, "r2", written=1)
    expected = plant_hostile_files(run) if when == "before the watch" else None
    async with Recorder(RunWatcher(tmp_path, settle_s=0.05)) as recorder:
        expected = expected or plant_hostile_files(run)
        for name in expected:
            await recorder.wait_for(lambda e, n=name: isinstance(e, FileUnreadable) and e.error.path.name == n)
        shutil.rmtree(doomed)
        removed = await recorder.wait_for(lambda e: isinstance(e, RunRemoved))
        write_iteration(run, 9)
        await recorder.wait_for(lambda e: isinstance(e, IterationAdded) and e.view.iteration == 9)
    assert unreadable(recorder) == expected
    assert all(e.run == run and e.error.message for e in recorder.of(FileUnreadable))
    assert removed.info.path == doomed
    assert added(recorder, run) == [1, 9]


async def test_a_file_it_may_not_read_is_reported(tmp_path: Path):
    run = native_run(tmp_path, "r1")
    with as_permissions_say():  # the watcher's threads start inside, and so inherit it
        async with Recorder(RunWatcher(tmp_path, settle_s=0.05)) as recorder:
            path = run / iter_file_name(1)
            path.write_text("{}", encoding="utf-8")
            path.chmod(0)
            error = await recorder.wait_for(lambda e: isinstance(e, FileUnreadable))
    assert error.error.path == path and error.error.kind == "unreadable"


async def test_a_run_it_may_not_list_is_reported(tmp_path: Path):
    run = native_run(tmp_path, "r1", written=1)
    run.chmod(0)
    try:
        with as_permissions_say():
            async with Recorder(RunWatcher(tmp_path)) as recorder:
                error = await recorder.wait_for(lambda e: isinstance(e, FileUnreadable))
    finally:
        run.chmod(0o700)
    assert [e.info.path for e in recorder.of(RunDiscovered)] == [run]
    assert error.run == run and error.error.path == run and error.error.message == "permission denied"


async def test_a_run_whose_heartbeat_stops_goes_stale(tmp_path: Path):
    dying = native_run(tmp_path, "dying", written=1, heartbeat_age_s=STALE_AFTER_S - 0.3)
    dead = native_run(tmp_path, "dead", written=1, heartbeat_age_s=STALE_AFTER_S + 60)
    async with Recorder(RunWatcher(tmp_path)) as recorder:
        stale = await recorder.wait_for(lambda e: isinstance(e, RunWentStale) and e.info.path == dying)
    discovered = {e.info.path: e.info for e in recorder.of(RunDiscovered)}
    assert discovered[dying].stale is False and discovered[dead].stale is True
    assert stale.info.stale and stale.info.status == "running"
    assert [e.info.path for e in recorder.of(RunWentStale)] == [dead, dying]


async def test_runs_appearing_later_are_discovered_and_followed_to_their_end(tmp_path: Path):
    async with Recorder(RunWatcher(tmp_path, settle_s=0.05)) as recorder:
        run = native_run(tmp_path, "r1")
        await recorder.wait_for(lambda e: isinstance(e, RunDiscovered))
        for i in (1, 2):
            write_iteration(run, i)
        finish(run, "failed", "FAIL")
        finished = await recorder.wait_for(lambda e: isinstance(e, RunClosed))
        legacy = shutil.copytree(LEGACY / "awkward", tmp_path / "legacy")
        found = await recorder.wait_for(lambda e: isinstance(e, RunDiscovered) and e.info.path == legacy)
        for name in ("ITER_SUMMARY_6.json", "ITER_SUMMARY_7.json"):  # broken in the fixture
            await recorder.wait_for(lambda e, n=name: isinstance(e, FileUnreadable) and e.error.path.name == n)
    assert finished.info.status == "failed"
    assert added(recorder, run) == [1, 2]
    assert found.info.kind == RunKind.LEGACY
    assert added(recorder, legacy) == [1, 2, 3, 5]


async def test_a_missing_root_is_one_line(tmp_path: Path):
    with pytest.raises(ReadError, match="no such directory"):
        RunWatcher(tmp_path / "nowhere")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ReadError, match="not a directory"):
        RunWatcher(tmp_path / "file")
