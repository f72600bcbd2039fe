"""Properties not covered next to their modules (the others live there; see below).

- the tuner never leaves parameter bounds nor the maximum step: test_tuner.py
  (test_the_tuner_never_leaves_the_bounds_nor_the_max_step)
- the edge identity net = gross - fees - slippage - adverse - inventory: test_sim_ledger.py
  (test_net_is_gross_less_fees_slippage_adverse_and_inventory)
- a stricter threshold never turns an iteration's FAIL into a PASS: test_gates.py
  (test_a_stricter_threshold_never_turns_a_fail_into_a_pass); here, the same for a whole run
- an ITER_SUMMARY record or file of any content gives a view or a ReadError: test_readers.py
  (test_iteration_view_..., test_read_iteration_...); here, a whole run directory: RUN.json and
  TUNING_REPORT.json of any content, through the readers, `soak watch --no-ui`'s exit code and
  `soak report`
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ReadError, ReportError
from core.gates import GateProfile, evaluate_iteration, run_verdict
from core.records import RunStatus
from core.reporting.command import load_report
from core.reporting.markdown import report_markdown
from core.runs.discovery import RunInfo, discover_runs, read_run
from core.runs.layout import RUN_FILE, TUNING_REPORT_FILE, iter_file_name
from tests.support.strategies import GATE_KPIS, gate_and_tightening, json_values, kpi_value, records

VERDICTS = st.sampled_from(["PASS", "WARN", "FAIL"])


@given(gates=gate_and_tightening(), run=st.lists(st.tuples(*[kpi_value] * len(GATE_KPIS)), min_size=1, max_size=12))
def test_a_stricter_gate_never_turns_a_failing_run_into_a_passing_one(
    gates: tuple[GateProfile, GateProfile], run: list[tuple[float | None, ...]]
) -> None:
    gate, stricter = gates
    summaries = [dict(zip(GATE_KPIS, values, strict=True)) for values in run]
    before = run_verdict([evaluate_iteration(s, gate).verdict for s in summaries]).verdict
    after = run_verdict([evaluate_iteration(s, stricter).verdict for s in summaries]).verdict
    assert after.severity >= before.severity


manifests = st.fixed_dictionaries(
    {},
    optional={
        "run_id": st.text(max_size=12) | json_values,
        "status": st.sampled_from(tuple(RunStatus)) | json_values,
        "started_utc": st.sampled_from(["2026-11-27T14:12:03.250Z", "not a time"]) | json_values,
        "heartbeat_utc": st.sampled_from(["2026-11-27T14:12:03.250Z", "2026-13-45T99:00:00Z"]) | json_values,
        "verdict": st.fixed_dictionaries({}, optional={"verdict": VERDICTS | json_values, "reasons": json_values})
        | json_values,
        "gate": st.sampled_from(["smoke", "nightly", "no-such-gate"]) | json_values,
        "iterations": json_values,
        "error": json_values,
    },
)
reports = st.fixed_dictionaries(
    {},
    optional={
        "iterations": st.lists(records | json_values, max_size=3) | json_values,
        "summary": json_values,
    },
)
ABSENT = object()  # the file is not there at all
maybe = lambda strategy: st.just(ABSENT) | strategy  # noqa: E731


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("property-runs")


def lay_out(root: Path, files: dict[str, Any]) -> Path:
    run_dir = root / "runs" / "20261127-141203-s42"
    shutil.rmtree(root, ignore_errors=True)
    run_dir.mkdir(parents=True)
    for name, content in files.items():
        if content is not ABSENT:
            (run_dir / name).write_text(json.dumps(content), encoding="utf-8")
    return run_dir


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    manifest=maybe(manifests | json_values), report=maybe(reports | json_values), record=maybe(records | json_values)
)
def test_a_run_directory_of_any_json_reads_to_a_value_or_a_typed_error(scratch, manifest, report, record):
    run_dir = lay_out(scratch, {RUN_FILE: manifest, TUNING_REPORT_FILE: report, iter_file_name(1): record})
    try:
        snapshot = read_run(run_dir)
    except ReadError as err:
        assert "\n" not in err.message
        return
    assert all(isinstance(error, ReadError) and "\n" not in error.message for error in snapshot.errors)
    assert [info.path for info in discover_runs(scratch)] == [run_dir]
    info: RunInfo = snapshot.info
    assert isinstance(info.run_id, str) and isinstance(info.status, str)
    assert info.exit_code() in (0, 1, 2, 130)
    assert all(isinstance(part, str) for part in info.start_key())
    try:
        report_of_run = load_report(run_dir)
    except ReportError as err:
        assert "\n" not in str(err)
        return
    assert report_markdown(report_of_run) and json.loads(report_of_run.json_text())
