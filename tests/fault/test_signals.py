"""Stopping a soak while its driver runs (issue 16, items 3, 4, 7, 23 and the torture case): the
run ends `aborted`, exit 130, its finished iterations intact, no process left, no traceback; and a
run whose RUN.json is written always ends with a final status."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys

import pytest

from core.config import build_config
from core.events import RunStarted
from core.records import IterationRecord
from core.runner import SoakRun
from core.runs.discovery import read_run
from core.runs.writer import RunDirectory
from tests.support.driving import (
    alive,
    hostile_driver,
    marked_pids,
    run_dir,
    run_manifest,
    soak_process,
    wait_until,
)
from tests.support.soak import ROOT

pytestmark = pytest.mark.fault
MIB = 1024 * 1024


def soak_args(out, driver, iterations=3):
    return ["run", "--no-ui", "--iterations", str(iterations), "--window", "60", "--out", str(out), "--driver", driver]


def assert_aborted_with_intact_iterations(soak, out, finished):
    assert "Traceback" not in soak.stderr
    manifest = run_manifest(out)
    assert manifest["status"] == "aborted" and manifest["error"] is None
    assert "no metrics" not in soak.stderr
    files = sorted(run_dir(out).glob("ITER_SUMMARY_*.json"))
    assert [f.name for f in files] == [f"ITER_SUMMARY_{i}.json" for i in range(1, finished + 1)]
    for path in files:
        IterationRecord.model_validate_json(path.read_text())
    report = json.loads((run_dir(out) / "TUNING_REPORT.json").read_text())
    assert [entry["iteration"] for entry in report["iterations"]] == list(range(1, finished + 1))
    assert read_run(run_dir(out)).errors == []  # the product's own readers use every file
    assert soak.leftovers() == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_stop_signal_while_the_driver_runs_aborts_the_run(tmp_path, signum):
    marks, out = tmp_path / "marks", tmp_path / "out"
    with soak_process(soak_args(out, hostile_driver(marks, "--from", "2", "--hang")), tmp_path, marks) as soak:
        wait_until(lambda: (marks / "started_2").exists(), "the driver's second iteration")
        soak.signal(signum)
        assert soak.wait() == 130, soak.stderr
        assert_aborted_with_intact_iterations(soak, out, finished=1)


def test_a_driver_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path):
    marks, out = tmp_path / "marks", tmp_path / "out"
    driver = hostile_driver(marks, "--from", "2", "--hang", "--ignore-term")
    with soak_process(soak_args(out, driver), tmp_path, marks) as soak:
        wait_until(lambda: (marks / "started_2").exists(), "the driver's second iteration")
        soak.signal(signal.SIGTERM)
        assert soak.wait() == 130, soak.stderr
        assert (marks / "term_2").exists(), "the driver was asked first"
        assert_aborted_with_intact_iterations(soak, out, finished=1)


def test_a_second_sigint_during_shutdown_is_absorbed(tmp_path):
    """Ctrl-C twice (CI runners escalate so): the second one finds the soak stopping its driver."""
    marks, out = tmp_path / "marks", tmp_path / "out"
    driver = hostile_driver(marks, "--from", "2", "--hang", "--ignore-term")
    with soak_process(soak_args(out, driver), tmp_path, marks) as soak:
        wait_until(lambda: (marks / "started_2").exists(), "the driver's second iteration")
        soak.signal(signal.SIGINT)
        wait_until(lambda: (marks / "term_2").exists(), "the soak to stop its driver")
        soak.signal(signal.SIGINT)
        assert soak.wait() == 130, soak.stderr
        assert_aborted_with_intact_iterations(soak, out, finished=1)


def test_the_torture_driver_is_stopped_with_nothing_lost_or_left(tmp_path):
    """Floods both streams, forks a child holding stderr, ignores SIGTERM and runs past the
    heartbeat; then the soak is stopped."""
    marks, out = tmp_path / "marks", tmp_path / "out"
    behaviours = ("--from", "3", "--flood", str(MIB), "--fork-child", "--ignore-term", "--hang")
    with soak_process(soak_args(out, hostile_driver(marks, *behaviours), 5), tmp_path, marks) as soak:
        wait_until(lambda: (marks / "started_3").exists(), "the driver's third iteration")
        before = run_manifest(out)["heartbeat_utc"]
        wait_until(lambda: run_manifest(out)["heartbeat_utc"] != before, "a heartbeat while the driver runs")
        soak.signal(signal.SIGINT)
        assert soak.wait() == 130, soak.stderr
        assert_aborted_with_intact_iterations(soak, out, finished=2)
        assert len(soak.leftovers()) == 0 and len((marks / "started_3").read_text().split()) == 2


# -- a run whose RUN.json is written ends with a final status, whatever stops it ---------------


def status_of(path):
    return json.loads((path / "RUN.json").read_text())["status"]


def test_a_consumer_that_stops_reading_the_events_still_ends_the_run(tmp_path):
    """The first output line failing (a closed stdout) ends the consumer: RUN.json must not stay running."""
    events = SoakRun(build_config({"iterations": 3, "out": tmp_path})).events()
    started = next(event for event in events if isinstance(event, RunStarted))
    events.close()
    assert status_of(started.run_dir) == "failed"
    assert "no longer read" in json.loads((started.run_dir / "RUN.json").read_text())["error"]


def test_a_latest_that_cannot_be_swapped_fails_the_run_in_its_manifest(tmp_path, monkeypatch):
    def refuse(self):
        from core.errors import ArtifactError

        raise ArtifactError(self.root / "latest", "Read-only file system")

    monkeypatch.setattr(RunDirectory, "take_latest", refuse)
    finished = list(SoakRun(build_config({"iterations": 2, "out": tmp_path})).events())[-1]
    assert finished.exit_code == 2 and "Read-only file system" in finished.error
    [run] = (tmp_path / "runs").iterdir()
    assert status_of(run) == "failed"


@pytest.mark.asyncio
async def test_the_stop_key_while_the_driver_runs_aborts_the_run(tmp_path):
    from tests.support.waiting import AppMessages
    from tui.factory import create_run_app
    from tui.messages import RunEnded

    marks, out = tmp_path / "marks", tmp_path / "out"
    driver = hostile_driver(marks, "--from", "2", "--hang")
    app = create_run_app(build_config({"iterations": 3, "out": out, "driver": driver}), clock=None)
    messages = AppMessages()
    try:
        async with app.run_test(size=(120, 40), message_hook=messages) as pilot:
            await asyncio.to_thread(wait_until, lambda: (marks / "started_2").exists(), "the second iteration")
            await pilot.press("s", "y")
            ended = await messages.wait_for(lambda m: isinstance(m, RunEnded))
            assert (ended.status, ended.exit_code, ended.error) == ("aborted", 130, None)
            await pilot.press("q")
        assert app.return_value == 130
        assert run_manifest(out)["status"] == "aborted"
    finally:
        app.source.stop()
        await asyncio.to_thread(app.source.done.wait, 30)
    assert [pid for pid in marked_pids(marks) if alive(pid)] == []


HELD_LOCK = """
import os, signal, threading
from core.stop_signals import stop_on_signals

cancelled = threading.Event()
stop_on_signals(lambda at_once: cancelled.set())
with cancelled._cond:  # as the loop's cancelled.wait(POLL_S) holds it between two polls
    os.kill(os.getpid(), signal.SIGTERM)
    sum(range(1000))  # the handler runs between these bytecodes, the lock still held
assert cancelled.wait(30)
"""


def test_a_signal_landing_while_the_main_thread_holds_the_stop_events_lock_does_not_deadlock():
    """Seen as a hang one run in many of the second-SIGINT case: the handler set the Event whose
    lock the interrupted main thread held."""
    result = subprocess.run([sys.executable, "-c", HELD_LOCK], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
