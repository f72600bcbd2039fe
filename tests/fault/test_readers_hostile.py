"""Hostile run directories given to the readers: `soak report`, `soak watch --no-ui` and the
read side (core/runs). Every unusable file is named; nothing is read as something it is not."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from core.console.watch import watch_headless
from core.gates import run_verdict
from core.reporting.command import load_report, report_command
from core.runs.discovery import read_run
from core.runs.layout import IGNORED_REASON, iter_file_name
from tests.support.runs import make_record, started

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
