"""A run that was stopped or failed has no PASS badge: its verdict shows as "incomplete" beside
the partial figures (DESIGN.md section 6), headless, in `soak watch --no-ui`, in the report and
in the monitor's header."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from core.config import build_config
from core.console.run import run_headless
from core.console.watch import watch_headless
from core.events import IterationFinished
from core.records import INCOMPLETE, ExitCode, RunStatus
from core.reporting.command import load_report, report_command
from core.runner import SoakRun
from tests.support.runs import newest_run
from tui.widgets.run_header import RunHeader

pytestmark = pytest.mark.fault


def stopped_after(out: Path, iterations: int, printed: io.StringIO) -> int:
    soak = SoakRun(build_config({"iterations": 6, "window_s": 60, "out": out}))

    def events():
        for event in soak.events():
            yield event
            if isinstance(event, IterationFinished) and event.record.iteration == iterations:
                soak.loop.cancel()  # as `s` or Ctrl-C does

    return run_headless(events(), json_events=False, out=printed)


def closing_line(printed: str) -> str:
    (line,) = [line for line in printed.splitlines() if line.startswith("run ") and " exit " in line]
    return line


def test_a_stopped_run_is_incomplete_headless_in_watch_and_in_the_report(tmp_path: Path):
    printed = io.StringIO()
    assert stopped_after(tmp_path, 2, printed) == ExitCode.INTERRUPTED
    line = closing_line(printed.getvalue())
    assert f"verdict {INCOMPLETE}" in line and "PASS" not in line
    assert "2/2 of the last 2 iterations passed" in line  # the partial figures beside it

    run_dir = newest_run(tmp_path)
    assert json.loads((run_dir / "RUN.json").read_text())["status"] == RunStatus.ABORTED
    watched = io.StringIO()
    assert watch_headless(run_dir, watched, timeout=30) == ExitCode.INTERRUPTED
    line = closing_line(watched.getvalue())
    assert f"verdict {INCOMPLETE}" in line and "PASS" not in line

    markdown = io.StringIO()
    report_command(run_dir, None, None, markdown)
    title = markdown.getvalue().splitlines()[0]
    assert f"**{INCOMPLETE}**" in title and "PASS" not in title
    assert load_report(run_dir).complete is False


@pytest.mark.parametrize("status", [RunStatus.ABORTED, RunStatus.FAILED])
def test_the_monitor_shows_a_stopped_run_as_incomplete(status: str):
    header = RunHeader(clock=None)
    header.show_status(status, "PASS")
    shown = header.line(100).plain
    assert INCOMPLETE.upper() in shown.upper() and "PASS" not in shown
    header.show_status(RunStatus.COMPLETED, "PASS")
    assert "PASS" in header.line(100).plain
