"""Watching the older tool's runs: the end it writes (summary.txt), the end it does not write (its
files stop changing), and its `latest/`, which it deletes and creates again on every run."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from core.console.watch import watch_headless
from core.records import RunStatus
from core.runs.discovery import LEGACY_STATUS
from core.runs.layout import LEGACY_END_FILE
from core.runs.watch_events import IterationAdded, RunClosed, RunDiscovered, RunRemoved
from core.runs.watcher import RunWatcher
from tests.support.soak import FIXTURES, PATIENCE_S
from tests.support.waiting import Output, Recorder

OLDTOOL = FIXTURES / "oldtool" / "mini_soak"
END = "\nREAL DURATION (wall-clock): 0:00:01\nITERATIONS COMPLETED: 3\n"


def write_its_run(latest: Path, iterations: int, ended: bool) -> None:
    """The older tool's files as a run of it writes them, ITER_SUMMARY_1.. then summary.txt."""
    latest.mkdir(parents=True, exist_ok=True)
    for i in range(1, iterations + 1):
        name = f"ITER_SUMMARY_{i}.json"
        temp = latest / f".{name}.part"  # whole files only: this test is not about half-written ones
        shutil.copyfile(OLDTOOL / name, temp)
        temp.rename(latest / name)
    if ended:
        (latest / LEGACY_END_FILE).write_text(END)


@pytest.mark.asyncio
async def test_its_summary_txt_ends_its_run(tmp_path: Path):
    latest = tmp_path / "latest"
    write_its_run(latest, 2, ended=False)
    async with Recorder(RunWatcher(latest)) as recorder:
        write_its_run(latest, 3, ended=True)
        closed = await recorder.wait_for(lambda e: isinstance(e, RunClosed))
    assert closed.info.status == RunStatus.COMPLETED and not closed.info.stale
    assert sorted({e.view.iteration for e in recorder.of(IterationAdded)}) == [1, 2, 3]
    assert recorder.events.index(closed) > max(recorder.events.index(e) for e in recorder.of(IterationAdded))


@pytest.mark.asyncio
async def test_its_run_is_over_once_its_files_stop_changing(tmp_path: Path):
    latest = tmp_path / "latest"
    write_its_run(latest, 1, ended=False)
    async with Recorder(RunWatcher(latest, quiet_s=0.4)) as recorder:
        write_its_run(latest, 2, ended=False)  # still going: the quiet time starts again
        closed = await recorder.wait_for(lambda e: isinstance(e, RunClosed))
    assert (closed.info.status, closed.info.stale, closed.info.finished) == (LEGACY_STATUS, True, True)
    assert 2 in {e.view.iteration for e in recorder.of(IterationAdded)}


@pytest.mark.asyncio
async def test_a_watched_directory_deleted_and_created_again_is_followed(tmp_path: Path):
    latest = tmp_path / "latest"
    write_its_run(latest, 3, ended=True)
    async with Recorder(RunWatcher(latest)) as recorder:

        def after_removal(event: object) -> bool:  # by identity: the new run's records equal the old one's
            removed = False
            for seen in recorder.events:
                removed = removed or isinstance(seen, RunRemoved)
                if seen is event:
                    return removed
            return False

        shutil.rmtree(latest)  # what a new run of the older tool does first
        write_its_run(latest, 2, ended=False)
        await recorder.wait_for(lambda e: isinstance(e, IterationAdded) and e.view.iteration == 2 and after_removal(e))
    removed = recorder.of(RunRemoved)
    assert [e.info.path for e in removed] == [latest]
    after = recorder.events[next(i for i, e in enumerate(recorder.events) if e is removed[0]) :]
    assert [e.info.path for e in after if isinstance(e, RunDiscovered)] == [latest]
    assert [e.view.iteration for e in after if isinstance(e, IterationAdded)] == [1, 2]


def test_watch_no_ui_follows_its_latest_through_a_new_run_of_it(tmp_path: Path, capsys):
    latest = tmp_path / "latest"
    write_its_run(latest, 1, ended=False)
    out, result = Output(), {}
    watch = threading.Thread(target=lambda: result.update(code=watch_headless(latest, out, PATIENCE_S)))
    watch.start()
    out.wait_for(lambda text: "iter       1" in text)
    shutil.rmtree(latest)
    write_its_run(latest, 3, ended=True)
    watch.join(PATIENCE_S)
    assert not watch.is_alive() and result["code"] == 1  # FAIL, FAIL, PASS as it recorded
    assert f"{latest} was deleted: waiting for it to come back" in capsys.readouterr().err
    last = out.getvalue().splitlines()[-1]
    assert last.startswith("run completed (its summary.txt says so): 3 iteration(s)  verdict FAIL")


def test_a_headless_watch_of_a_run_that_is_gone_for_good_ends_at_its_timeout(tmp_path: Path, capsys):
    latest = tmp_path / "latest"
    write_its_run(latest, 1, ended=False)
    out, result = Output(), {}
    watch = threading.Thread(target=lambda: result.update(code=watch_headless(latest, out, timeout=1.0)))
    watch.start()
    out.wait_for(lambda text: "iter       1" in text)
    shutil.rmtree(latest)
    watch.join(PATIENCE_S)
    assert result["code"] == 2
    err = capsys.readouterr().err
    assert "was deleted: waiting for it to come back" in err and "did not end within 1 s" in err
    assert not os.path.exists(latest)
