"""Hostile run directories given to the readers: `soak report`, `soak watch --no-ui` and the
read side (core/runs). Every unusable file is named; nothing is read as something it is not."""

from __future__ import annotations

import asyncio
import io
import os
import sys
import threading
from pathlib import Path

import pytest

from core.console.watch import watch_headless
from core.errors import ReadError
from core.gates import run_verdict
from core.reporting.command import load_report, report_command
from core.reporting.markdown import SPARK_BARS, num, sparkline
from core.reporting.stats import stats
from core.runs import discovery, watcher
from core.runs.discovery import read_run
from core.runs.layout import IGNORED_REASON, iter_file_name
from core.runs.watch_events import RunDiscovered
from core.runs.watcher import RunWatcher
from tests.support.permissions import as_permissions_say
from tests.support.runs import make_record, started
from tests.support.screen import wait_for_screen
from tests.support.soak import PATIENCE_S
from tui.factory import create_replay_app

pytestmark = pytest.mark.fault

ODD_NAMES = ("ITER_SUMMARY_01.json", "ITER_SUMMARY_\u0661.json", "ITER_SUMMARY_1.json\n", "ITER_SUMMARY_0.json")


def finished_run(root: Path, iterations: int = 2, status: str = "completed"):
    run = started(root)
    records = [make_record(i) for i in range(1, iterations + 1)]
    for record in records:
        run.write_iteration(record)
    run.write_tuning_report(records, {})
    run.finish(status, run_verdict([record.gate.verdict for record in records]))
    return run


def test_only_the_canonical_name_of_an_iteration_counts_and_the_others_are_named(tmp_path, capsys):
    run = finished_run(tmp_path)
    one = (run.path / iter_file_name(1)).read_bytes()
    for name in ODD_NAMES:
        (run.path / name).write_bytes(one)

    snapshot = read_run(run.path)
    assert [view.iteration for view in snapshot.iterations] == [1, 2]
    assert sorted(snapshot.ignored) == sorted(ODD_NAMES)

    out = io.StringIO()
    assert report_command(run.path, None, None, out) == 0
    assert out.getvalue().count(" ignored: ") == len(ODD_NAMES)  # under "Data problems"
    problems = load_report(run.path).problems
    for name in ODD_NAMES:
        assert any(problem.startswith(repr(name)) for problem in problems)

    out = io.StringIO()
    assert watch_headless(run.path, out, timeout=30) == 0
    assert out.getvalue().count("\niter ") + out.getvalue().startswith("iter ") == 2
    said = capsys.readouterr().err.splitlines()
    assert len([line for line in said if line.endswith(IGNORED_REASON)]) == len(ODD_NAMES)


DBL_MAX = sys.float_info.max


def run_near_the_float_limit(root: Path):
    """A driver's DBL_MAX sentinel in its KPIs, both signs, and a parameter of 10**400 in a file."""
    run = started(root)
    records = [
        make_record(i, net_bps=DBL_MAX if i % 2 else -DBL_MAX, maker_taker_ratio=DBL_MAX, p95_latency_ms=-DBL_MAX)
        for i in range(1, 6)
    ]
    for record in records:
        run.write_iteration(record)
    run.finish("completed", run_verdict([record.gate.verdict for record in records]))
    path = run.path / iter_file_name(2)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"base_spread_bps": ', '"base_spread_bps": 1' + "0" * 400 + ', "was": '))
    return run


def test_numbers_near_the_float_limit_are_reported_and_watched(tmp_path):
    run = run_near_the_float_limit(tmp_path)
    out = io.StringIO()
    assert report_command(run.path, None, None, out) == 0
    assert "net_bps" in out.getvalue()
    out = io.StringIO()
    assert watch_headless(run.path, out, timeout=30) in (0, 1)
    assert "net_bps" in out.getvalue().split("kpi", 1)[1]  # the summary table came out
    assert stats([(i, DBL_MAX * (-1) ** i) for i in range(1, 6)]).mean == pytest.approx(-DBL_MAX / 5)
    assert sparkline([DBL_MAX, -DBL_MAX, 0.0]) == SPARK_BARS[-1] + SPARK_BARS[0] + SPARK_BARS[len(SPARK_BARS) // 2]
    assert sparkline([DBL_MAX] * 100, width=10) == SPARK_BARS[(len(SPARK_BARS) - 1) // 2] * 10
    assert "e+308" in num(DBL_MAX)


@pytest.mark.asyncio
async def test_numbers_near_the_float_limit_are_charted(tmp_path):
    run = run_near_the_float_limit(tmp_path)
    app = create_replay_app(run.path, 1000, clock=None)
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_screen(pilot, "COMPLETED")
        await pilot.press("q")
    assert app.return_code in (0, 1)


UNUSABLE = {
    "corrupt": lambda path: path.write_text('{"iteration": 2, "summary": {'),
    "1e400": lambda path: path.write_text('{"iteration": 2, "summary": {"net_bps": 1e400}}'),
    "utf-16": lambda path: path.write_text(path.read_text(encoding="utf-8"), encoding="utf-16"),
    "fifo": lambda path: (path.unlink(), os.mkfifo(path)),
}


@pytest.mark.parametrize("kind", UNUSABLE)
def test_watching_a_finished_run_names_its_unusable_file(tmp_path: Path, capsys, kind: str):
    run = finished_run(tmp_path, iterations=3)
    UNUSABLE[kind](run.path / iter_file_name(2))
    out = io.StringIO()
    assert watch_headless(run.path, out, timeout=30) == 2
    said = capsys.readouterr().err
    assert str(run.path / iter_file_name(2)) in said
    assert "1 file(s) of the run could not be used" in said


def test_watching_a_root_whose_runs_have_all_finished_says_so(tmp_path: Path, capsys):
    finished_run(tmp_path)
    assert watch_headless(tmp_path, io.StringIO(), timeout=0.5) == 2  # still waiting, then gave up
    said = capsys.readouterr().err
    assert "no run is going on" in said and "1 finished" in said


def test_a_run_it_may_not_list_is_named_and_an_unrelated_directory_is_not(tmp_path: Path, capsys):
    finished_run(tmp_path)
    locked = finished_run(tmp_path).path  # runs/<id>: a run, even where it may not look inside
    private = tmp_path / "private"  # beside runs/: no run of ours, say ~/.ssh under `soak watch ~`
    private.mkdir()
    for directory in (locked, private):
        directory.chmod(0)
    try:
        with as_permissions_say():
            assert watch_headless(tmp_path, io.StringIO(), timeout=0.5) == 2  # still waiting, then gave up
            found = {info.path: info for info in discovery.iter_runs(tmp_path)}
            with pytest.raises(ReadError, match="permission denied"):
                read_run(locked)
    finally:
        for directory in (locked, private):
            directory.chmod(0o700)
    said = capsys.readouterr().err
    assert f"cannot read run {locked.name}: {locked}: permission denied" in said
    assert "1 finished" in said and str(private) not in said
    assert found[locked].unlisted is not None and found[locked].status == discovery.UNKNOWN_STATUS
    assert private not in found


def test_watching_a_directory_it_may_not_read_is_one_line(tmp_path: Path):
    locked = tmp_path / "locked"
    (locked / "below").mkdir(parents=True)
    locked.chmod(0)
    try:
        with as_permissions_say():
            for root in (locked, locked / "below"):
                with pytest.raises(ReadError, match="permission denied"):
                    watch_headless(root, io.StringIO(), timeout=5)
    finally:
        locked.chmod(0o700)


@pytest.mark.asyncio
async def test_the_run_list_comes_before_the_scan_of_every_run_is_done(tmp_path: Path, monkeypatch):
    for seed in (1, 2, 3):
        run = started(tmp_path, seed=seed)
        run.write_iteration(make_record(1))
        run.finish("completed")
    found, release = [], threading.Event()
    real = discovery.detect_run

    def slow_after_the_first(directory, *args, **kwargs):
        info = real(directory, *args, **kwargs)
        if info is not None:
            found.append(info)
            if len(found) > 1:  # the rest of the root is slow to read (2000 runs, a busy disk)
                release.wait(PATIENCE_S * 4)
        return info

    monkeypatch.setattr(discovery, "detect_run", slow_after_the_first)
    monkeypatch.setattr(watcher, "FIRST_BATCH_S", 0.0)
    watching = RunWatcher(tmp_path)
    batches = watching.batches()
    try:
        first = await asyncio.wait_for(anext(batches), PATIENCE_S)
        assert [type(event) for event in first] == [RunDiscovered]  # shown while the rest is read
    finally:
        release.set()
        watching.stop()
        await batches.aclose()
