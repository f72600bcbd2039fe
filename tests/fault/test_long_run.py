"""A long run, written with the project's own writer: it opens in `soak report` and `soak watch
--no-ui`, and its TUNING_REPORT costs no more per iteration at the end than near the start.

LONG iterations here, once per module; bench/tuning_report_cost.py builds 20,000 and times the
writes (`tuning_report_cost_ratio=`). Here the cost is counted in bytes written, which does not
depend on the machine.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.gates import run_verdict
from core.runs import jsonio, latest, writer
from core.runs.discovery import read_run
from core.runs.layout import LATEST_LINK, TUNING_JOURNAL_FILE, TUNING_REPORT_FILE
from core.runs.writer import REWRITE_SHARE, RunDirectory
from tests.support.runs import make_record, started
from tests.support.soak import run_soak

pytestmark = pytest.mark.fault
LONG = 1000
NEAR_START = 100


@dataclass
class LongRun:
    run: RunDirectory
    report_bytes: Counter[int]  # bytes written for the TUNING_REPORT, by iteration


@pytest.fixture(scope="module")
def long_run(tmp_path_factory: pytest.TempPathFactory) -> LongRun:
    root = tmp_path_factory.mktemp("long")
    counted: Counter[int] = Counter()
    current = [0]

    def counting(write, name_of):
        def wrapped(*args, **kwargs):
            if name_of(args).startswith("TUNING_REPORT"):
                counted[current[0]] += len(args[-1] if "data" not in kwargs else kwargs["data"])
            return write(*args, **kwargs)

        return wrapped

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "fsync", lambda fd: None)  # durability is not what this measures
        patch.setattr(writer, "atomic_write_bytes", counting(writer.atomic_write_bytes, lambda a: a[0].name))
        patch.setattr(writer, "append_durably", counting(writer.append_durably, lambda a: a[0].name))
        patch.setattr(latest, "atomic_write_at", counting(latest.atomic_write_at, lambda a: a[1]))
        run = started(root)
        assert run.take_latest() is None
        base = make_record(1)
        records = []
        for i in range(1, LONG + 1):
            current[0] = i
            record = base.model_copy(update={"iteration": i})
            run.write_iteration(record)
            records.append(record)
            run.write_tuning_report(
                records, lambda: {"verdict": run_verdict([r.gate.verdict for r in records]).model_dump()}
            )
        current[0] = LONG + 1
        run.finish("completed", run_verdict([r.gate.verdict for r in records]))
    return LongRun(run, counted)


def per_iteration(counted: Counter[int], last: int) -> float:
    """Bytes per iteration over the iterations up to `last` that one rewrite of the JSON covers."""
    first = last - max(1, last // REWRITE_SHARE) + 1
    return sum(counted[i] for i in range(first, last + 1)) / (last - first + 1)


def test_the_tuning_report_costs_no_more_per_iteration_at_the_end(long_run: LongRun):
    near_start = per_iteration(long_run.report_bytes, NEAR_START)
    at_end = per_iteration(long_run.report_bytes, LONG)
    assert at_end <= 2 * near_start, (near_start, at_end)


def test_the_tuning_report_holds_every_iteration_at_the_end(long_run: LongRun):
    path = long_run.run.path
    report = json.loads((path / TUNING_REPORT_FILE).read_text(encoding="utf-8"))
    assert [entry["iteration"] for entry in report["iterations"]] == list(range(1, LONG + 1))
    assert report["summary"]["count"] == LONG and report["summary"]["verdict"]["verdict"] == "PASS"
    journal = (path / TUNING_JOURNAL_FILE).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in journal] == report["iterations"]
    mirrored = path.parent.parent / LATEST_LINK / TUNING_REPORT_FILE
    assert mirrored.read_bytes() == (path / TUNING_REPORT_FILE).read_bytes()


def test_a_long_run_opens_in_report_and_watch(long_run: LongRun, tmp_path: Path):
    path = long_run.run.path
    done = run_soak("report", str(path), "--json", str(tmp_path / "report.json"))
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "report.json").read_text())["iterations"] == list(range(1, LONG + 1))
    done = run_soak("watch", str(path), "--no-ui", "--timeout", "60")
    assert done.returncode == 0, done.stderr
    assert sum(line.startswith("iter ") for line in done.stdout.splitlines()) == LONG
    assert f"run completed: {LONG} iteration(s)" in done.stdout


def test_a_report_past_the_readers_size_limit_does_not_stop_a_run_being_read(
    long_run: LongRun, monkeypatch: pytest.MonkeyPatch
):
    path = long_run.run.path
    monkeypatch.setattr(jsonio, "MAX_FILE_BYTES", (path / TUNING_REPORT_FILE).stat().st_size - 1)
    snapshot = read_run(path)
    assert snapshot.errors == [] and len(snapshot.iterations) == LONG
