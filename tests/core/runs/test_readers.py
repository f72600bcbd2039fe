"""core/runs (views, discovery, legacy, jsonio): tolerant reading of native and legacy artifacts."""

from __future__ import annotations

import json
import math
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import READ_ERROR_KINDS, ReadError
from core.runs import discovery, jsonio
from core.runs.discovery import RunKind, detect_run, discover_runs, read_run
from core.runs.jsonio import read_json
from core.runs.layout import STALE_AFTER_S, iteration_number
from core.runs.views import iteration_view, read_iteration
from tests.support.permissions import as_permissions_say
from tests.support.soak import FIXTURES
from tests.support.strategies import json_values, records

LEGACY = FIXTURES / "legacy"
NATIVE_RECORD = FIXTURES / "native" / "ITER_SUMMARY_3.json"


def native_record() -> dict:
    return json.loads(NATIVE_RECORD.read_text(encoding="utf-8"))


def write_json(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def test_native_record_is_read_field_by_field():
    view = iteration_view(native_record())
    assert view.iteration == 3
    assert (view.kpi("maker_taker_ratio"), view.kpi("net_bps"), view.kpi("risk_ratio")) == (0.88, 2.95, 0.31)
    assert (view.kpi("adverse_bps_p95"), view.kpi("slippage_bps_p95")) == (2.6, 1.5)
    assert (view.kpi("p95_latency_ms"), view.kpi("cancel_ratio"), view.kpi("order_age_p95_ms")) == (196.0, 0.35, 1800.0)
    assert view.fills == 42
    assert view.verdict == "PASS" and view.gate_reasons == ()
    assert view.thresholds == {"maker_taker_ratio": (">=", 0.85), "p95_latency_ms": ("present", None)}
    assert view.params["min_interval_ms"] == 240
    assert view.proposed_deltas == {"base_spread_bps": 0.1, "inventory_skew_bps": 0.2}
    assert view.applied_deltas == {"base_spread_bps": 0.1}
    assert view.applied is True and view.skip_reason is None
    assert view.param_status["inventory_skew_bps"] == "cooldown"
    assert view.rationale == ("maker share 0.87 < 0.90 -> skew",)
    assert view.problems == ()
    assert view.raw == native_record()


@pytest.mark.parametrize("bad", [True, "0.8", float("nan"), float("inf"), 10**400, [0.8], {"v": 1}])
def test_a_bad_kpi_becomes_none_and_is_noted_not_dropped_silently(bad):
    record = native_record()
    record["summary"]["net_bps"] = bad
    view = iteration_view(record)
    assert view.kpi("net_bps") is None
    assert view.kpi("maker_taker_ratio") == 0.88  # the rest of the record survives
    assert any(p.startswith("summary.net_bps:") for p in view.problems)


def test_legacy_record_without_iteration_uses_the_file_number():
    view = iteration_view({"summary": {"net_bps": -1.2, "fills": 17}}, fallback_iteration=5)
    assert view.iteration == 5 and view.kpi("net_bps") == -1.2 and view.fills == 17


def test_a_record_number_that_disagrees_with_the_file_name_is_kept_and_noted():
    view = iteration_view({"iteration": 4}, fallback_iteration=5)
    assert view.iteration == 4
    assert view.problems == ("iteration: record says 4, file name says 5",)


@pytest.mark.parametrize(
    "data",
    [
        [1, 2],
        "text",
        3,
        None,
        {"summary": {}},
        {"iteration": "3"},
        {"iteration": True},
        {"iteration": -1},
        {"iteration": 2.5},
    ],
)
def test_not_an_object_or_no_usable_iteration_is_wrong_shape(data):
    with pytest.raises(ReadError) as caught:
        iteration_view(data)
    assert caught.value.kind == "wrong_shape"
    assert "\n" not in caught.value.message


@pytest.mark.parametrize(
    ("skip", "expected"),
    [
        ("freeze", "freeze"),
        (None, None),
        ({"oscillation": True, "cooldown": False, "note": "sign flipped twice"}, "oscillation (sign flipped twice)"),
        ({"oscillation": True, "velocity": True}, "oscillation, velocity"),
        ({"oscillation": False, "note": "nothing fired"}, "nothing fired"),
        ({}, None),
    ],
)
def test_skip_reason_string_or_object_of_flags_becomes_readable_text(skip, expected):
    view = iteration_view({"iteration": 1, "tuning": {"skip_reason": skip}})
    assert view.skip_reason == expected


# --------------------------------------------------------------------------------------------
# Legacy fixtures (tests/fixtures/legacy/): flat directories, no RUN.json


def test_legacy_flat_run_loads_every_iteration():
    snapshot = read_run(LEGACY / "flat")
    assert snapshot.info.kind is RunKind.LEGACY
    assert (snapshot.info.run_id, snapshot.info.status, snapshot.info.manifest) == ("flat", "legacy", None)
    assert snapshot.errors == []
    assert [v.iteration for v in snapshot.iterations] == [1, 2, 3, 4]
    first, last = snapshot.iterations[0], snapshot.iterations[-1]
    assert (
        first.kpi("maker_taker_ratio"),
        first.kpi("net_bps"),
        first.kpi("risk_ratio"),
        first.kpi("p95_latency_ms"),
    ) == (0.62, -3.4, 0.55, 410.0)
    assert first.fills == 118 and first.applied is True and first.skip_reason is None
    assert last.skip_reason == "cooldown" and last.proposed_deltas == {"base_spread_bps": -0.1}
    assert last.verdict is None and last.thresholds == {}  # legacy has no gate
    assert snapshot.tuning_report["summary"]["count"] == 4


def test_legacy_awkward_files_each_degrade_alone():
    snapshot = read_run(LEGACY / "awkward")
    views = {v.iteration: v for v in snapshot.iterations}
    assert sorted(views) == [1, 2, 3, 5]  # the gap at 4 stays a gap; 6 and 7 are errors
    assert sorted((e.path.name, e.kind) for e in snapshot.errors) == [
        ("ITER_SUMMARY_6.json", "invalid_json"),
        ("ITER_SUMMARY_7.json", "wrong_shape"),
    ]
    assert all("\n" not in e.message for e in snapshot.errors)

    one = views[1]  # fills object, skip_reason flags with a note, unknown keys kept in raw
    assert one.fills == 37 and one.kpi("maker_taker_ratio") == 0.74
    assert one.skip_reason == "oscillation (base_spread_bps flipped sign twice)"
    assert one.raw["tool"] == "soak-legacy 0.3" and one.problems == ()

    two = views[2]  # missing fields and nulls
    assert (two.kpi("maker_taker_ratio"), two.kpi("net_bps"), two.fills, two.kpi("risk_ratio")) == (
        None,
        None,
        None,
        0.4,
    )
    assert two.proposed_deltas == {} and two.applied is None and two.problems == ()

    three = views[3]  # no iteration key, strings for numbers: None, each noted
    assert (three.kpi("maker_taker_ratio"), three.kpi("net_bps"), three.fills) == (None, None, None)
    assert three.kpi("risk_ratio") == 0.39 and three.kpi("p95_latency_ms") == 301
    assert three.proposed_deltas == {} and three.applied is None and three.skip_reason == "freeze"
    assert {p.split(":")[0] for p in three.problems} == {
        "summary.maker_taker_ratio",
        "summary.net_bps",
        "summary.fills",
        "tuning.proposed_deltas.base_spread_bps",
        "tuning.applied",
    }

    five = views[5]  # flags without a note; a fills object without a total
    assert five.skip_reason == "velocity, freeze" and five.fills is None
    assert any(p.startswith("summary.fills") for p in five.problems)


def test_legacy_report_only_directory_shows_the_report_entries():
    snapshot = read_run(LEGACY / "report_only")
    assert [v.iteration for v in snapshot.iterations] == [1, 2]
    assert snapshot.iterations[1].skip_reason == "cooldown (rest 2 iterations)"
    assert [(e.kind, e.path.name) for e in snapshot.errors] == [("wrong_shape", "TUNING_REPORT.json")]
    assert "iterations[2]" in snapshot.errors[0].message


# --------------------------------------------------------------------------------------------
# Hostile files


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b'{"iteration": 1, "summary": {', "invalid_json"),
        (b"", "invalid_json"),
        (b'{"iteration": 1, "net_bps": NaN}', "non_finite"),
        (b'{"iteration": 1, "net_bps": -Infinity}', "non_finite"),
        (b'{"iteration": 1, "net_bps": 1e999}', "non_finite"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not_text"),
        ('{"note": "caf\u00e9"}'.encode("latin-1"), "not_text"),
        (b"[" * 100_000, "invalid_json"),
        (b"1" * 5000, "invalid_json"),  # beyond Python's integer digit limit
    ],
    ids=["truncated", "empty", "nan", "-inf", "overflow", "binary", "latin-1", "deep", "digits"],
)
def test_read_json_rejects_hostile_content_with_one_typed_line(tmp_path, content, kind):
    path = write_bytes(tmp_path / "ITER_SUMMARY_1.json", content)
    with pytest.raises(ReadError) as caught:
        read_json(path)
    assert caught.value.kind == kind
    assert caught.value.path == path and "\n" not in str(caught.value)


def test_read_json_accepts_a_utf8_bom_and_keeps_text_as_is(tmp_path):
    text = '{"note": "[bold]x[/] \\u001b[31m caf\u00e9"}'
    path = write_bytes(tmp_path / "a.json", b"\xef\xbb\xbf" + text.encode())
    assert read_json(path) == {"note": "[bold]x[/] \x1b[31m caf\u00e9"}


def test_a_50_mb_file_is_rejected_without_being_read(tmp_path, monkeypatch):
    path = tmp_path / "ITER_SUMMARY_1.json"
    with path.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: costs no disk
    monkeypatch.setattr(jsonio.os, "fdopen", lambda *a, **k: pytest.fail("the file was read"))
    with pytest.raises(ReadError) as caught:
        read_json(path)
    assert caught.value.kind == "too_large" and "50.0 MiB > 20 MiB" in caught.value.message


def test_a_directory_named_like_an_iteration_is_an_error_row(tmp_path):
    write_json(tmp_path / "ITER_SUMMARY_1.json", {"iteration": 1})
    (tmp_path / "ITER_SUMMARY_9.json").mkdir()
    snapshot = read_run(tmp_path)
    assert [v.iteration for v in snapshot.iterations] == [1]
    assert [(e.path.name, e.kind) for e in snapshot.errors] == [("ITER_SUMMARY_9.json", "is_directory")]


def test_a_file_without_read_permission(tmp_path):
    path = write_json(tmp_path / "ITER_SUMMARY_1.json", {"iteration": 1})
    path.chmod(0)
    try:
        with as_permissions_say(), pytest.raises(ReadError) as caught:
            read_json(path)
        assert caught.value.kind == "unreadable"
    finally:
        path.chmod(0o644)


def test_symlink_loop_and_dangling_link(tmp_path):
    loop = tmp_path / "ITER_SUMMARY_1.json"
    os.symlink(loop.name, loop)
    dangling = tmp_path / "ITER_SUMMARY_2.json"
    os.symlink("gone.json", dangling)
    snapshot = read_run(tmp_path)
    assert sorted((e.path.name, e.kind) for e in snapshot.errors) == [
        ("ITER_SUMMARY_1.json", "symlink_loop"),
        ("ITER_SUMMARY_2.json", "missing"),
    ]


def test_a_fifo_does_not_block_the_reader(tmp_path):
    fifo = tmp_path / "ITER_SUMMARY_1.json"
    os.mkfifo(fifo)
    with pytest.raises(ReadError) as caught:
        read_json(fifo)
    assert caught.value.kind == "not_a_file"


def test_run_directory_deleted_while_reading(tmp_path, monkeypatch):
    run = tmp_path / "run"
    run.mkdir()
    for i in (1, 2, 3):
        write_json(run / f"ITER_SUMMARY_{i}.json", {"iteration": i})
    real_read = discovery.read_iteration

    def read_then_delete(path):
        view = real_read(path)
        shutil.rmtree(run, ignore_errors=True)
        return view

    monkeypatch.setattr(discovery, "read_iteration", read_then_delete)
    snapshot = read_run(run)
    assert [v.iteration for v in snapshot.iterations] == [1]
    assert [(e.path.name, e.kind) for e in snapshot.errors] == [
        ("ITER_SUMMARY_2.json", "missing"),
        ("ITER_SUMMARY_3.json", "missing"),
    ]
    with pytest.raises(ReadError) as caught:
        read_run(run)
    assert caught.value.kind == "missing"


def test_iteration_number_parses_only_the_exact_name():
    assert iteration_number("a/b/ITER_SUMMARY_12.json") == 12
    for name in (
        "ITER_SUMMARY_x.json",
        "ITER_SUMMARY_1.json.tmp",
        ".ITER_SUMMARY_1.json.ab.tmp",
        "iter_summary_1.json",
        "ITER_SUMMARY_-1.json",
    ):
        assert iteration_number(name) is None


# --------------------------------------------------------------------------------------------
# Native runs and discovery


NOW = datetime(2026, 11, 27, 14, 12, 3, tzinfo=UTC)


def beating_run(root: Path, run_id: str, status: str = "completed", beat: datetime = NOW) -> Path:
    """A native run whose last heartbeat is at `beat` (a fixed time, so staleness is exact)."""
    run = root / "runs" / run_id
    run.mkdir(parents=True)
    write_json(run / "RUN.json", {"run_id": run_id, "status": status, "seed": 42, "heartbeat_utc": beat.isoformat()})
    record = native_record()
    for i in (1, 2):
        write_json(run / f"ITER_SUMMARY_{i}.json", {**record, "iteration": i})
    return run


def test_native_run_reads_manifest_and_iterations(tmp_path):
    run = beating_run(tmp_path, "20261127-141203-s42", status="running")
    snapshot = read_run(run, now=NOW)
    assert snapshot.info.kind is RunKind.NATIVE and snapshot.info.status == "running"
    assert snapshot.info.manifest["seed"] == 42 and snapshot.info.stale is False
    assert [v.iteration for v in snapshot.iterations] == [1, 2] and snapshot.errors == []
    assert snapshot.tuning_report is None


def test_a_running_run_with_an_old_heartbeat_is_stale(tmp_path):
    run = beating_run(tmp_path, "r1", status="running", beat=NOW - timedelta(seconds=STALE_AFTER_S + 1))
    assert detect_run(run, now=NOW).stale is True
    assert detect_run(run, now=NOW - timedelta(seconds=2)).stale is False


def test_a_corrupt_manifest_keeps_the_run_readable(tmp_path):
    run = beating_run(tmp_path, "r1")
    write_bytes(run / "RUN.json", b"{not json")
    snapshot = read_run(run)
    assert snapshot.info.kind is RunKind.NATIVE
    assert (snapshot.info.status, snapshot.info.run_id, snapshot.info.manifest) == ("unknown", "r1", None)
    assert [e.kind for e in snapshot.errors] == ["invalid_json"]
    assert len(snapshot.iterations) == 2


def test_not_a_run_directory(tmp_path):
    assert detect_run(tmp_path) is None and detect_run(tmp_path / "nope") is None
    with pytest.raises(ReadError) as caught:
        read_run(tmp_path)
    assert caught.value.kind == "wrong_shape"


def artifact_root(tmp_path: Path) -> Path:
    root = tmp_path / "artifacts" / "soak"
    beating_run(root, "20261127-141203-s42")
    beating_run(root, "20261127-150000-s7")
    os.symlink("runs/20261127-150000-s7", root / "latest")
    return root


def test_discover_runs_under_a_root_lists_each_run_once(tmp_path):
    root = artifact_root(tmp_path)
    os.symlink("loop", root / "loop")  # hostile neighbours are ignored
    (root / "notes").mkdir()
    runs = discover_runs(root)
    assert [(r.run_id, r.path) for r in runs] == [
        ("20261127-141203-s42", root / "runs" / "20261127-141203-s42"),
        ("20261127-150000-s7", root / "runs" / "20261127-150000-s7"),
    ]


@pytest.mark.parametrize("where", ["runs", "runs/20261127-141203-s42", "latest"])
def test_discover_runs_from_a_runs_dir_a_run_dir_or_the_latest_link(tmp_path, where):
    root = artifact_root(tmp_path)
    runs = discover_runs(root / where)
    expected = {"runs": 2, "runs/20261127-141203-s42": 1, "latest": 1}[where]
    assert len(runs) == expected and len({r.run_id for r in runs}) == expected


def test_discover_runs_finds_a_legacy_flat_latest_beside_native_runs(tmp_path):
    root = tmp_path / "soak"
    beating_run(root, "20261127-141203-s42")
    shutil.copytree(LEGACY / "flat", root / "latest")
    runs = discover_runs(root)
    assert [(r.run_id, r.kind) for r in runs] == [("20261127-141203-s42", RunKind.NATIVE), ("latest", RunKind.LEGACY)]
    assert [r.kind for r in discover_runs(LEGACY / "awkward")] == [RunKind.LEGACY]


# --------------------------------------------------------------------------------------------
# Properties: any JSON in, a value or a ReadError out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=records | json_values, fallback=st.none() | st.integers(0, 50))
def test_iteration_view_returns_a_view_or_raises_read_error_for_any_json(data, fallback):
    try:
        view = iteration_view(data, fallback_iteration=fallback)
    except ReadError as err:
        assert err.kind == "wrong_shape" and "\n" not in err.message
        return
    numbers = [*view.kpis.values(), view.fills]
    assert all(n is None or (type(n) is float and math.isfinite(n)) for n in numbers)
    assert all(type(v) is float for v in (*view.proposed_deltas.values(), *view.applied_deltas.values()))
    assert view.skip_reason is None or isinstance(view.skip_reason, str)
    assert all(isinstance(line, str) for line in (*view.rationale, *view.gate_reasons, *view.problems))


@pytest.fixture(scope="module")
def scratch_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("property") / "ITER_SUMMARY_1.json"


@settings(max_examples=150, deadline=None)
@given(content=st.binary(max_size=64) | records.map(lambda r: json.dumps(r).encode()))
def test_read_iteration_returns_a_view_or_raises_read_error_for_any_bytes(scratch_file, content):
    path = scratch_file
    path.write_bytes(content)
    try:
        read_iteration(path)
    except ReadError as err:
        assert err.kind in READ_ERROR_KINDS and "\n" not in err.message
