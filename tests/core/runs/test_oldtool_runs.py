"""The older soak tool's runs, read as it recorded them (DESIGN.md section 11): its verdicts, the
tunings it applied, its guards, its end. Fixtures: tests/fixtures/oldtool (its exact formats)."""

from __future__ import annotations

import io
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.console.lines import iteration_line
from core.console.watch import watch_headless
from core.records import APPLIED, RunStatus
from core.reporting.command import load_report
from core.runs.discovery import LEGACY_STATUS, RunKind, detect_run, read_run
from core.runs.layout import LEGACY_END_FILE
from tests.support.runs import age_files
from tests.support.soak import FIXTURES, PATIENCE_S

OLDTOOL = FIXTURES / "oldtool"
FIRST_APPLIED = {"base_spread_bps_delta": 0.02, "impact_cap_ratio": -0.01, "max_delta_ratio": -0.01, "tail_age_ms": 30}
THIRD_APPLIED = {"impact_cap_ratio": -0.01, "min_interval_ms": 5, "tail_age_ms": 30}


def its_run(tmp_path: Path, name: str = "mini_soak") -> Path:
    """A copy at artifacts/soak/latest, as the older tool leaves it, its files just written."""
    run = shutil.copytree(OLDTOOL / name, tmp_path / "artifacts" / "soak" / "latest")
    for path in run.iterdir():
        os.utime(path)
    return run


def test_its_verdicts_and_applied_tunings_are_shown_as_recorded(tmp_path: Path):
    snapshot = read_run(its_run(tmp_path))
    assert (snapshot.info.kind, snapshot.info.status, snapshot.errors) == (RunKind.LEGACY, RunStatus.COMPLETED, [])
    first, second, third = snapshot.iterations
    assert [v.verdict for v in snapshot.iterations] == ["FAIL", "FAIL", "PASS"]
    assert all(v.foreign_verdict for v in snapshot.iterations)
    assert first.gate_reasons == ("EDGE",) and third.gate_reasons == ()
    assert (first.applied, first.applied_deltas, first.skip_reason) == (True, FIRST_APPLIED, None)
    assert first.param_status == dict.fromkeys(FIRST_APPLIED, APPLIED)
    assert (second.applied, second.applied_deltas, second.proposed_deltas) == (False, {}, FIRST_APPLIED)
    assert (second.skip_reasons, second.skip_reason) == (("no_op",), "no_op (no effective change)")
    assert (third.applied, third.applied_deltas) == (True, THIRD_APPLIED)
    assert len(first.rationale) == 4 and first.rationale[0].startswith("DRIVER: adverse_p95=5.00 > 3.5")
    assert (first.kpi("maker_taker_ratio"), first.kpi("net_bps"), first.fills) == (0.5, -1.5, 1000)
    assert [v.problems for v in snapshot.iterations] == [(), (), ()]


def test_its_tuning_report_alone_says_the_same(tmp_path: Path):
    run = its_run(tmp_path)
    for path in run.glob("ITER_SUMMARY_*.json"):
        path.unlink()
    views = read_run(run).iterations
    assert [(v.iteration, v.verdict, v.foreign_verdict) for v in views] == [
        (1, "FAIL", True),
        (2, "FAIL", True),
        (3, "PASS", True),
    ]
    assert [v.applied_deltas for v in views] == [FIRST_APPLIED, {}, THIRD_APPLIED]
    assert views[1].skip_reasons == ("no_op",) and [v.kpi("net_bps") for v in views] == [-1.5, -0.8, 3.0]
    assert len(views[2].rationale) == 3


def test_a_line_per_iteration_shows_what_it_applied_and_what_it_skipped(tmp_path: Path):
    lines = [iteration_line(view, None) for view in read_run(its_run(tmp_path)).iterations]
    assert lines[0].endswith(
        "FAIL  tuned: impact_cap_ratio -0.01, max_delta_ratio -0.01, base_spread_bps_delta +0.02, tail_age_ms +30"
    )
    assert lines[1].endswith("FAIL  skipped: no_op (no effective change)")
    assert lines[2].endswith("PASS  tuned: min_interval_ms +5, impact_cap_ratio -0.01, tail_age_ms +30")


def test_the_report_keeps_its_verdicts_with_the_gates_beside_them(tmp_path: Path):
    report = load_report(its_run(tmp_path))
    assert [(j.iteration, j.verdict, j.ours) for j in report.verdict.rejudged] == [
        (1, "FAIL", "WARN"),
        (2, "FAIL", "WARN"),
        (3, "PASS", "WARN"),
    ]
    assert (report.verdict.verdict, report.verdict.evaluated) == ("FAIL", [])  # 1 of 3 passed, as it recorded
    assert (report.tuning.applied, report.tuning.skipped, report.tuning.guards["no_op"]) == (2, 1, 1)
    judged_again = load_report(its_run(tmp_path / "again"), gate="smoke")  # --gate: ours instead
    assert [j.verdict for j in judged_again.verdict.not_passing] == ["WARN", "WARN", "WARN"]


def test_each_of_its_guards_is_read_from_its_skip_reason(tmp_path: Path):
    views = read_run(its_run(tmp_path, "guarded")).iterations
    assert [v.skip_reasons for v in views] == [(), ("freeze",), ("oscillation",), ("velocity",), ("cooldown",)]
    assert views[4].skip_reason == "cooldown (cooldown 2 iters left)"
    assert views[0].applied_deltas == {"min_interval_ms": 5}
    report = load_report(its_run(tmp_path / "again", "guarded"))
    assert {g: n for g, n in report.tuning.guards.items() if n} == {
        "freeze": 1,
        "oscillation": 1,
        "velocity": 1,
        "cooldown": 1,
    }


def test_it_is_over_when_its_summary_txt_says_so_or_its_files_stop_changing(tmp_path: Path):
    run = its_run(tmp_path)
    assert detect_run(run).status == RunStatus.COMPLETED
    (run / LEGACY_END_FILE).write_text("started 3 iterations\n")  # not its end marker
    now = datetime.now(UTC)
    going = detect_run(run, now=now)
    assert (going.status, going.stale, going.live, going.finished) == (LEGACY_STATUS, False, True, False)
    quiet = detect_run(run, now=now + timedelta(seconds=601))
    assert (quiet.status, quiet.stale, quiet.live, quiet.finished) == (LEGACY_STATUS, True, False, True)


def test_watching_it_ends_with_the_code_its_verdicts_give(tmp_path: Path):
    out = io.StringIO()
    assert watch_headless(its_run(tmp_path), out, PATIENCE_S) == 1
    last = out.getvalue().splitlines()[-1]
    assert last.startswith("run completed (its summary.txt says so): 3 iteration(s)  verdict FAIL  1/3")
    assert last.endswith("exit 1")


def test_watching_it_once_its_files_stopped_changing_ends_at_once(tmp_path: Path):
    run = its_run(tmp_path)
    (run / LEGACY_END_FILE).unlink()  # killed before its last line: no end marker
    age_files(run)
    out = io.StringIO()
    assert watch_headless(run, out, PATIENCE_S) == 1
    assert "run legacy (its files stopped changing): 3 iteration(s)  verdict FAIL" in out.getvalue()
