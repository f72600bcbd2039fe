"""core/junit.py: the run's gate checks as JUnit XML, read back with junitparser (what CI uses)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from junitparser import Failure, JUnitXml

from core.gates import evaluate_iteration, load_gate, run_verdict
from core.records import IterationRecord, TuningRecord
from core.reporting.junit import junit_xml, write_junit
from tests.support.runs import finished_run

NIGHTLY = load_gate("nightly")
GOOD = {
    "maker_taker_ratio": 0.9,
    "net_bps": 3.5,
    "risk_ratio": 0.3,
    "p95_latency_ms": 250.0,
    "quote_presence": 0.95,
    "pnl_per_hour": 80.0,
}
# One KPI changed from GOOD; the nightly gate judges each.
SUMMARIES = {
    "pass": GOOD,
    "warn_maker": {**GOOD, "maker_taker_ratio": 0.86},
    "fail_maker": {**GOOD, "maker_taker_ratio": 0.70},
    "fail_net": {**GOOD, "net_bps": -1.5},
    "fail_net_worse": {**GOOD, "net_bps": -4.25},
    "fail_latency": {**GOOD, "p95_latency_ms": 512.0},
    "no_risk": {k: v for k, v in GOOD.items() if k != "risk_ratio"},
}
NO_TUNING = TuningRecord(
    proposed_deltas={},
    applied_deltas={},
    applied=False,
    skip_reasons=["no_op"],
    param_status={},
    guards_fired=["no_op"],
    changed_keys=[],
    guard_state_hash="",
    rationale=[],
)


def records_of(*names: str) -> list[IterationRecord]:
    return [
        IterationRecord(
            iteration=i,
            run={},
            params={},
            summary=SUMMARIES[name],
            tuning=NO_TUNING,
            gate=evaluate_iteration(SUMMARIES[name], NIGHTLY),
        )
        for i, name in enumerate(names, start=1)
    ]


def write_and_read(tmp_path: Path, records: list[IterationRecord], run_id: str = "run-1") -> tuple:
    verdict = run_verdict([r.gate.verdict for r in records]) if records else None
    path = tmp_path / "junit.xml"
    write_junit(path, records, verdict, "nightly", run_id)
    xml = JUnitXml.fromfile(str(path))
    suite = next(iter(xml))
    cases = {case.name: case for case in suite}
    return verdict, suite, cases


def failure_of(case) -> Failure | None:
    return next((r for r in case.result if isinstance(r, Failure)), None)


def test_a_failing_run_fails_the_verdict_and_each_kpi_that_failed(tmp_path):
    # 8 judged of 10: iterations 3..10. maker fails once, net fails twice (worst -4.25 at 9).
    records = records_of(
        "fail_latency",
        "fail_latency",
        "pass",
        "fail_maker",
        "pass",
        "fail_net",
        "warn_maker",
        "pass",
        "fail_net_worse",
        "pass",
    )
    verdict, suite, cases = write_and_read(tmp_path, records)
    assert verdict.verdict == "FAIL"
    assert suite.name == "soak gate nightly"
    assert list(cases) == [
        "run verdict",
        "maker_taker_ratio",
        "net_bps",
        "risk_ratio",
        "p95_latency_ms",
        "quote_presence",
        "pnl_per_hour",
    ]
    assert (suite.tests, suite.failures, suite.errors) == (7, 3, 0)
    assert failure_of(cases["run verdict"]).message == f"run verdict FAIL: {verdict.reasons[0]}"
    net = failure_of(cases["net_bps"])
    assert net.message == (
        "net_bps FAILed in 2 of the last 8 iteration(s): worst -4.25 at iteration 9, threshold net_bps >= 2.7"
    )
    assert "iteration 6: net_bps -1.5 < 2.7 (FAIL)" in net.text
    maker = failure_of(cases["maker_taker_ratio"])
    assert "maker_taker_ratio" in maker.message and "0.7 at iteration 4" in maker.message
    assert ">= 0.85" in maker.message and "iteration 7: maker_taker_ratio 0.86 < 0.88 (WARN)" in maker.text
    # p95 latency failed only before the judged window: not a failure of this run's gate.
    assert cases["p95_latency_ms"].is_passed and cases["risk_ratio"].is_passed


def test_a_missing_kpi_warns_as_the_gate_says_and_is_no_failure(tmp_path):
    verdict, suite, cases = write_and_read(tmp_path, records_of("no_risk", "no_risk", "pass"))
    assert verdict.verdict == "WARN" and suite.failures == 0  # missing is not a measured failure
    assert cases["risk_ratio"].is_passed


@pytest.mark.parametrize(
    "names, verdict",
    [
        (["pass"] * 8, "PASS"),
        (["pass", "warn_maker"] * 4, "WARN"),
        (["fail_net"] + ["pass"] * 7, "PASS"),  # one FAIL in 8 still passes 7/8 >= 75%
    ],
)
def test_a_run_that_does_not_fail_has_no_failure(tmp_path, names, verdict):
    result, suite, cases = write_and_read(tmp_path, records_of(*names))
    assert result.verdict == verdict
    assert suite.failures == 0 and all(case.is_passed for case in cases.values())
    assert cases["run verdict"].system_out.startswith(verdict)


def test_a_kpi_that_failed_in_a_passing_run_says_so_in_its_output(tmp_path):
    _, _, cases = write_and_read(tmp_path, records_of("fail_net", *["pass"] * 7))
    assert cases["net_bps"].is_passed
    assert "iteration 1: net_bps -1.5 < 2.7 (FAIL)" in cases["net_bps"].system_out


def test_a_run_with_no_iterations_fails_its_verdict(tmp_path):
    _, _suite, cases = write_and_read(tmp_path, [])
    assert list(cases) == ["run verdict"]
    assert "no iterations finished" in failure_of(cases["run verdict"]).message


def test_control_characters_in_names_still_give_valid_xml(tmp_path):
    _, _suite, cases = write_and_read(tmp_path, records_of("pass"), run_id="run\x1b[31m\x00")
    assert cases["run verdict"].classname == "soak.run\\x1b[31m\\x00"


# Mostly passing iterations, so that PASS and WARN runs with a failed iteration come up often.
ITERATION_KINDS = st.sampled_from(["pass"] * 12 + sorted(set(SUMMARIES) - {"pass"}))


@settings(max_examples=150, deadline=None)
@given(st.lists(ITERATION_KINDS, max_size=12))
def test_the_file_holds_a_failure_exactly_when_the_run_fails(names):
    records = records_of(*names)
    verdict = run_verdict([r.gate.verdict for r in records])
    xml = junit_xml(records, verdict, "nightly", "run-1")
    suite = next(iter(JUnitXml.fromstring(xml)))
    assert (suite.failures > 0) == (verdict.verdict == "FAIL")
    failed_kpis = {case.name for case in suite if not case.is_passed} - {"run verdict"}
    judged = records[len(records) - verdict.window :]
    expected = {c.kpi for r in judged for c in r.gate.checks if c.status == "FAIL"}
    assert failed_kpis == (expected if verdict.verdict == "FAIL" else set())


def test_a_real_run_of_the_loop(tmp_path):
    _run_dir, records, finished = finished_run(tmp_path, iterations=5, gate="nightly")
    path = tmp_path / "junit.xml"
    write_junit(path, records, finished.verdict, "nightly", finished.run_id)
    suite = next(iter(JUnitXml.fromfile(str(path))))
    assert suite.tests == 1 + len(NIGHTLY.rules)
    assert (suite.failures > 0) == (finished.exit_code == 1)
