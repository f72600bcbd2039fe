"""core/report*: the post-soak report of native and legacy runs.

Every expected number is computed here from the raw JSON files with numpy, not through the
readers or the report model; verdicts come from core.gates, the one place that decides them.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.config import build_config
from core.errors import ReportError
from core.events import IterationFinished, RunFinished
from core.gates import evaluate_iteration, load_gate, run_verdict
from core.kpi import KPIS, MONITORED, lookup
from core.loop import SoakLoop
from core.records import Guard, IterationRecord, RunVerdict
from core.reporting.command import load_report, report_command
from core.reporting.markdown import SPARK_BARS, SPARK_MISSING, SPARK_WIDTH, md, report_markdown, sparkline
from core.reporting.stats import JUMP_FACTOR, WORST_COUNT
from core.tuning.tuner import summarise_guards
from tests.support.soak import FIXTURES

LEGACY_FLAT = FIXTURES / "legacy" / "flat"
LEGACY_GAPS = FIXTURES / "report" / "legacy_gaps"
NATIVE_ITERATIONS = 10  # more than the verdict window (8), so "last n" differs from "all"


def finished_run(out: Path, **settings) -> tuple[Path, list[IterationRecord], RunFinished]:
    """A real run of the soak loop (simulator, tuner, artifacts), as the CLI would make it."""
    config = build_config({"iterations": 6, "window_s": 60, "out": str(out), "seed": 3, **settings})
    records, finished = [], None
    for event in SoakLoop(config).run():
        if isinstance(event, IterationFinished):
            records.append(event.record)
        elif isinstance(event, RunFinished):
            finished = event
    assert finished is not None and finished.status == "completed", finished
    return out / "runs" / finished.run_id, records, finished


@pytest.fixture(scope="module")
def native(tmp_path_factory) -> tuple[Path, list[IterationRecord], RunFinished]:
    return finished_run(tmp_path_factory.mktemp("soak"), iterations=NATIVE_ITERATIONS, gate="nightly")


def raw_records(run_dir: Path) -> list[dict]:
    files = sorted(run_dir.glob("ITER_SUMMARY_*.json"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    return [json.loads(path.read_text(encoding="utf-8")) for path in files]


def usable(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def expected_stats(points: list[tuple[int, object]]) -> dict:
    """mean, median, min, max and least-squares slope of the usable values, by numpy."""
    present = [(i, v) for i, v in points if usable(v)]
    xs = np.array([i for i, _ in present], dtype=float)
    ys = np.array([v for _, v in present], dtype=float)
    return {
        "count": len(present),
        "missing": len(points) - len(present),
        "mean": float(np.mean(ys)) if len(ys) else None,
        "median": float(np.median(ys)) if len(ys) else None,
        "min": float(np.min(ys)) if len(ys) else None,
        "max": float(np.max(ys)) if len(ys) else None,
        "trend_per_iteration": float(np.polyfit(xs, ys, 1)[0]) if len(set(xs)) >= 2 else None,
    }


def kpi_points(raws: list[dict], kpi: str) -> list[tuple[int, object]]:
    return [(raw["iteration"], lookup(raw.get("summary") or {}, kpi)) for raw in raws]  # a dotted KPI is a path


def assert_stats_match(actual, expected: dict) -> None:
    got = actual.model_dump()
    assert (got["count"], got["missing"]) == (expected["count"], expected["missing"])
    for key in ("mean", "median", "min", "max", "trend_per_iteration"):
        if expected[key] is None:
            assert got[key] is None, key
        else:
            assert got[key] == pytest.approx(expected[key], rel=1e-9, abs=1e-12), key


def expected_guard_counts(raws: list[dict]) -> dict[str, int]:
    """Iterations in which each guard held something, read from the raw tuning records."""
    counts = dict.fromkeys(tuple(Guard), 0)
    for raw in raws:
        tuning = raw.get("tuning") or {}
        held = {s for s in (tuning.get("param_status") or {}).values() if s != "applied"}
        skip = tuning.get("skip_reason")
        if isinstance(skip, str):
            held.update(skip.split(","))
        elif isinstance(skip, dict):
            held.update(key for key, on in skip.items() if on is True)
        for guard in held & set(tuple(Guard)):
            counts[guard] += 1
    return counts


# --------------------------------------------------------------------------------------------
# A native run


def test_native_kpi_statistics_match_numpy_over_all_and_the_last_window(native):
    run_dir, _, _ = native
    raws = raw_records(run_dir)
    report = load_report(run_dir)
    assert report.kind == "native" and report.iterations == list(range(1, NATIVE_ITERATIONS + 1))
    assert [k.kpi for k in report.kpis] == list(MONITORED)
    for kpi in report.kpis:
        points = kpi_points(raws, kpi.kpi)
        # Every iteration has the KPI, or has it missing: slippage of a window without taker fills
        # (the tuner gives inventory room, so no hedge), never a made-up 0.
        assert kpi.all.count + kpi.all.missing == NATIVE_ITERATIONS and kpi.all.count, kpi.kpi
        assert_stats_match(kpi.all, expected_stats(points))
        assert_stats_match(kpi.recent, expected_stats(points[-report.recent_window :]))
        assert kpi.last == points[-1][1]
    assert report.recent_window == 8


def test_native_verdict_is_the_gates_verdict_over_the_recorded_iteration_verdicts(native):
    run_dir, records, finished = native
    report = load_report(run_dir)
    expected = run_verdict([raw["gate"]["verdict"] for raw in raw_records(run_dir)])
    assert report.verdict.model_dump(include=set(RunVerdict.model_fields)) == expected.model_dump()
    assert expected == finished.verdict  # what decided the run's exit code
    assert report.verdict.gate == "nightly" and report.verdict.evaluated == []
    judged = records[-expected.window :]
    assert [(j.iteration, j.verdict, j.reasons) for j in report.verdict.not_passing] == [
        (r.iteration, r.gate.verdict, r.gate.reasons) for r in judged if r.gate.verdict != "PASS"
    ]


def test_native_tuning_activity_counts_match_the_records_and_the_tuner(native):
    run_dir, records, _ = native
    raws = raw_records(run_dir)
    tuning = load_report(run_dir).tuning
    assert tuning.decisions == NATIVE_ITERATIONS
    assert tuning.applied == sum(raw["tuning"]["applied"] is True for raw in raws)
    assert tuning.skipped == sum(raw["tuning"]["applied"] is False for raw in raws)
    assert tuning.unknown == 0
    assert tuning.guards == expected_guard_counts(raws)
    assert tuning.guards == summarise_guards([r.tuning for r in records])["guards"]
    tuning_report = json.loads((run_dir / "TUNING_REPORT.json").read_text(encoding="utf-8"))
    assert tuning.guards == tuning_report["summary"]["guards"]
    first, last = raws[0]["params"], raws[-1]["params"]
    changes = {p.param: p for p in tuning.params}
    assert set(changes) == set(first)
    for name, start in first.items():
        assert (changes[name].start, changes[name].end) == (start, last[name])
        if not isinstance(start, bool):
            assert changes[name].change == pytest.approx(last[name] - start)
        steps = [raw["params"][name] for raw in raws]
        assert changes[name].times_changed == sum(a != b for a, b in itertools.pairwise(steps))


def test_native_worst_iterations_and_jumps_follow_their_definitions(native):
    run_dir, _, _ = native
    raws = raw_records(run_dir)
    for kpi in load_report(run_dir).kpis:
        points = [(i, v) for i, v in kpi_points(raws, kpi.kpi) if usable(v)]  # the iterations that have it
        sign = 1 if KPIS[kpi.kpi].better == "higher" else -1
        worst = sorted(points, key=lambda p: (sign * p[1], p[0]))[:WORST_COUNT]
        assert [(w.iteration, w.value) for w in kpi.worst] == worst
        values = np.array([v for _, v in points], dtype=float)
        steps = np.diff(values)
        threshold = max(JUMP_FACTOR * float(np.median(np.abs(steps))), KPIS[kpi.kpi].min_jump)
        assert kpi.jump_threshold == pytest.approx(threshold)
        jumps = [(points[k][0], points[k + 1][0]) for k in np.flatnonzero(np.abs(steps) > threshold)]
        assert [(j.from_iteration, j.to_iteration) for j in kpi.anomalies] == jumps


def test_json_and_markdown_files_come_from_the_same_model(native, tmp_path):
    run_dir, _, _ = native
    md_path, json_path = tmp_path / "report.md", tmp_path / "report.json"
    out = io.StringIO()
    assert report_command(run_dir, md_path, json_path, out=out) == 0
    assert out.getvalue().splitlines() == [f"wrote {md_path}", f"wrote {json_path}"]
    model = load_report(run_dir)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data == json.loads(model.model_dump_json())
    markdown = md_path.read_text(encoding="utf-8")
    assert markdown == report_markdown(model)
    assert f"**Verdict: {data['verdict']['verdict']}**" in markdown
    for kpi in data["kpis"]:
        row = next(line for line in markdown.splitlines() if line.startswith(f"| {kpi['kpi']} | "))
        assert sparkline(kpi["series"]) in row


def test_without_paths_the_markdown_goes_to_stdout(native):
    run_dir, _, _ = native
    out = io.StringIO()
    assert report_command(run_dir, None, None, out=out) == 0
    assert out.getvalue() == report_markdown(load_report(run_dir))
    assert "### KPIs over the last 8 iterations" in out.getvalue()


def test_an_explicit_gate_rejudges_every_iteration(native):
    run_dir, _, _ = native
    smoke = load_gate("smoke")
    expected = [evaluate_iteration(raw["summary"], smoke) for raw in raw_records(run_dir)]
    report = load_report(run_dir, gate="smoke")
    assert report.verdict.verdict == run_verdict([g.verdict for g in expected]).verdict
    assert report.verdict.gate == "smoke"
    assert report.verdict.evaluated == list(range(1, NATIVE_ITERATIONS + 1))
    assert next(k for k in report.kpis if k.kpi == "net_bps").gate == "> -10"


# --------------------------------------------------------------------------------------------
# Legacy runs


@pytest.mark.parametrize("directory", [LEGACY_FLAT, LEGACY_GAPS], ids=["flat", "gaps"])
def test_legacy_statistics_use_only_usable_values_and_count_the_rest(directory):
    raws = raw_records(directory)
    report = load_report(directory)
    assert report.kind == "legacy" and report.iterations == [raw["iteration"] for raw in raws]
    for kpi in report.kpis:
        points = kpi_points(raws, kpi.kpi)
        assert_stats_match(kpi.all, expected_stats(points))
        assert kpi.series == [v if usable(v) else None for _, v in points]


def test_legacy_with_missing_and_null_fields_has_the_expected_counts():
    raws = raw_records(LEGACY_GAPS)
    report = load_report(LEGACY_GAPS)
    by_kpi = {k.kpi: k for k in report.kpis}
    # iteration 2 has null, 7 has no summary: 4 of 6 maker/taker values; "n/a" does not count.
    assert (by_kpi["maker_taker_ratio"].all.count, by_kpi["maker_taker_ratio"].all.missing) == (4, 2)
    assert (by_kpi["net_bps"].all.count, by_kpi["net_bps"].all.missing) == (4, 2)
    assert by_kpi["order_age_p95_ms"].all.model_dump() == {
        "count": 0,
        "missing": 6,
        "mean": None,
        "median": None,
        "min": None,
        "max": None,
        "trend_per_iteration": None,
    }
    tuning = report.tuning
    applied = [(raw.get("tuning") or {}).get("applied") for raw in raws]
    assert (tuning.applied, tuning.skipped, tuning.unknown) == (
        applied.count(True),
        applied.count(False),
        sum(not isinstance(a, bool) for a in applied),
    )
    assert tuning.guards == expected_guard_counts(raws)
    assert tuning.guards == {"no_op": 1, "oscillation": 1, "cooldown": 0, "velocity": 1, "freeze": 2}
    changes = {p.param: p for p in tuning.params}
    assert changes["base_spread_bps"].change == pytest.approx(1.5 - 1.0)
    assert (changes["post_only"].start, changes["post_only"].end, changes["post_only"].change) == (False, True, None)
    assert any("summary.net_bps" in p and "n/a" in p for p in report.problems)


@pytest.mark.parametrize("directory", [LEGACY_FLAT, LEGACY_GAPS], ids=["flat", "gaps"])
def test_legacy_iterations_without_a_verdict_are_judged_by_the_default_gate(directory):
    smoke = load_gate("smoke")
    judged = [evaluate_iteration((raw.get("summary") or {}), smoke) for raw in raw_records(directory)]
    report = load_report(directory)
    expected = run_verdict([g.verdict for g in judged])
    assert report.verdict.model_dump(include=set(RunVerdict.model_fields)) == expected.model_dump()
    assert report.verdict.gate == "smoke"
    assert report.verdict.evaluated == report.iterations


def test_legacy_markdown_shows_gaps_and_problems():
    markdown = report_markdown(load_report(LEGACY_GAPS))
    assert "| maker_taker_ratio | >= 0.5 | — | 0.775 |" in markdown
    assert "4 (2 missing)" in markdown
    assert "### Data problems (2)" in markdown
    assert "held by no_op 1, oscillation 1, velocity 1, freeze 2" in markdown


# --------------------------------------------------------------------------------------------
# Anomalies, sparklines, escaping


def write_legacy_run(directory: Path, net_bps: list[float | None], **extra) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for i, value in enumerate(net_bps, start=1):
        record = {"iteration": i, "summary": {"net_bps": value, "maker_taker_ratio": 0.7 + 0.001 * i}, **extra}
        (directory / f"ITER_SUMMARY_{i}.json").write_text(json.dumps(record), encoding="utf-8")
    return directory


def test_a_jump_beyond_the_threshold_is_an_anomaly_and_a_slow_drift_is_not(tmp_path):
    run = write_legacy_run(tmp_path / "run", [1.0, 1.2, 0.9, 1.1, 9.0, 1.0])
    by_kpi = {k.kpi: k for k in load_report(run).kpis}
    net = by_kpi["net_bps"]
    assert net.jump_threshold == pytest.approx(max(JUMP_FACTOR * 0.3, KPIS["net_bps"].min_jump))
    assert [(j.from_iteration, j.to_iteration, j.change) for j in net.anomalies] == [
        (4, 5, pytest.approx(7.9)),
        (5, 6, pytest.approx(-8.0)),
    ]
    assert by_kpi["maker_taker_ratio"].anomalies == []  # steady steps of 0.001


def test_a_constant_kpi_that_moves_a_little_once_is_not_an_anomaly(tmp_path):
    run = write_legacy_run(tmp_path / "run", [2.0, 2.0, 2.0, 2.5, 2.5, 2.5])
    net = next(k for k in load_report(run).kpis if k.kpi == "net_bps")
    assert net.jump_threshold == KPIS["net_bps"].min_jump and net.anomalies == []


def test_sparkline_scales_between_min_and_max_and_marks_missing_values():
    assert sparkline([0.0, 7.0, None, 3.5]) == SPARK_BARS[0] + SPARK_BARS[-1] + SPARK_MISSING + SPARK_BARS[4]
    assert sparkline([-2.0, -2.0]) == SPARK_BARS[3] * 2  # flat: mid-height, not "all low"
    assert sparkline([None, None]) == SPARK_MISSING * 2
    long = sparkline([float(i % 7) for i in range(1000)] + [None] * 5)
    assert len(long) == SPARK_WIDTH and set(long) <= set(SPARK_BARS)


def test_text_from_artifacts_cannot_change_the_markdown(tmp_path):
    hostile = "<img src=x onerror=alert(1)> | [link](http://x) *bold* `code` \x1b[31m\nnext"
    run = write_legacy_run(tmp_path / "run", [1.0, 2.0], params={hostile: 1})
    markdown = report_markdown(load_report(run))
    assert hostile not in markdown and "\x1b" not in markdown
    assert "\\<img" in markdown and not re.search(r"(?<!\\)<img", markdown)
    row = next(line for line in markdown.splitlines() if "onerror" in line)
    assert row.count(" | ") == 4  # five columns: the "|" in the name did not open another
    assert md("net_bps <= 0 & a_b") == "net_bps <= 0 & a_b"  # ordinary text reads as it is


# --------------------------------------------------------------------------------------------
# Runs the report cannot stand on: one line, naming the directory or file


def report_error(run_dir: Path) -> str:
    with pytest.raises(ReportError) as caught:
        report_command(run_dir, None, None, out=io.StringIO())
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_an_empty_directory_is_not_a_run(tmp_path):
    message = report_error(tmp_path)
    assert str(tmp_path) in message and "not a run" in message


def test_a_missing_directory_is_named(tmp_path):
    assert "no such run directory" in report_error(tmp_path / "nope")


def test_a_run_with_no_iterations_is_an_error(tmp_path):
    (tmp_path / "RUN.json").write_text(json.dumps({"run_id": "r1", "status": "running"}), encoding="utf-8")
    assert "no iterations recorded" in report_error(tmp_path)


def test_a_corrupt_file_among_good_ones_is_named(tmp_path):
    run = shutil.copytree(LEGACY_FLAT, tmp_path / "run")
    (run / "ITER_SUMMARY_3.json").write_text('{"iteration": 3, "summary": {', encoding="utf-8")
    message = report_error(run)
    assert str(run / "ITER_SUMMARY_3.json") in message and "invalid JSON" in message


def test_every_corrupt_file_is_counted_and_the_first_named():
    message = report_error(FIXTURES / "legacy" / "awkward")
    assert "ITER_SUMMARY_6.json" in message and "1 more unreadable file" in message


def test_the_artifact_root_points_at_its_runs(native):
    run_dir, _, _ = native
    message = report_error(run_dir.parent.parent)
    assert "not a run" in message and str(run_dir) in message


def test_an_unwritable_output_is_a_report_error(native, tmp_path):
    run_dir, _, _ = native
    with pytest.raises(ReportError, match="cannot write"):
        report_command(run_dir, tmp_path / "missing" / "r.md", None, out=io.StringIO())


def test_an_unknown_gate_is_a_report_error(native):
    run_dir, _, _ = native
    with pytest.raises(ReportError, match="unknown gate 'weekly'"):
        load_report(run_dir, gate="weekly")
