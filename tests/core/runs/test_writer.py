"""core/runs/jsonio.py and writer.py: atomic JSON, run directories, liveness (latest: test_latest.py)."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from core.errors import ArtifactError
from core.records import RunVerdict
from core.runs import jsonio
from core.runs.discovery import RunKind, discover_runs, read_run
from core.runs.jsonio import atomic_write_json
from core.runs.layout import STALE_AFTER_S, is_stale, utc_stamp
from core.runs.views import read_iteration
from core.runs.writer import RunDirectory, overrides_signature
from tests.support.runs import NOW, make_record, run_at_once, started
from tests.support.soak import ROOT as MAIN


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------------------------
# atomic_write_json


def test_atomic_write_is_utf8_sorted_and_leaves_no_temp(tmp_path):
    path = tmp_path / "a.json"
    atomic_write_json(path, {"b": 1, "a": {"z": "caf\u00e9", "y": [1.5, None]}})
    text = path.read_text(encoding="utf-8")
    assert text.index('"a"') < text.index('"b"') and text.index('"y"') < text.index('"z"')
    assert "caf\u00e9" in text and text.endswith("\n")
    assert json.loads(text) == {"a": {"y": [1.5, None], "z": "caf\u00e9"}, "b": 1}
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_nan_or_infinity_is_refused_and_the_old_file_survives(tmp_path, bad):
    path = tmp_path / "a.json"
    atomic_write_json(path, {"v": 1})
    with pytest.raises(ArtifactError) as caught:
        atomic_write_json(path, {"summary": {"net_bps": bad}})
    assert str(path) in str(caught.value) and "$.summary.net_bps" in str(caught.value)
    assert json.loads(path.read_text()) == {"v": 1}
    assert leftovers(tmp_path) == []


def test_a_non_json_value_is_an_artifact_error(tmp_path):
    with pytest.raises(ArtifactError, match="not JSON-serialisable"):
        atomic_write_json(tmp_path / "a.json", {"when": NOW})
    assert list(tmp_path.iterdir()) == []


def test_disk_full_mid_write_is_a_one_line_artifact_error(tmp_path, monkeypatch):
    path = tmp_path / "ITER_SUMMARY_1.json"
    atomic_write_json(path, {"old": True})
    real_write = os.write

    def write_half_then_fail(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(jsonio.os, "write", write_half_then_fail)
    with pytest.raises(ArtifactError) as caught:
        atomic_write_json(path, {"new": "x" * 10_000})
    monkeypatch.undo()
    message = str(caught.value)
    assert message == f"cannot write {path}: No space left on device"
    assert caught.value.path == path
    assert json.loads(path.read_text()) == {"old": True}
    assert leftovers(tmp_path) == []


def test_fsync_failure_is_an_artifact_error_and_nothing_is_replaced(tmp_path, monkeypatch):
    path = tmp_path / "a.json"

    def fail(fd):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(jsonio.os, "fsync", fail)
    with pytest.raises(ArtifactError, match="Input/output error"):
        atomic_write_json(path, {"new": 1})
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_mid_write_leaves_the_old_file_and_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    atomic_write_json(path, {"old": True})

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(jsonio.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_json(path, {"new": True})
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"old": True}
    assert leftovers(tmp_path) == []


CRASH_SCRIPT = """
import os, signal, sys
from pathlib import Path
from core.runs import jsonio
# Die the hard way after the new bytes are written, before they are renamed into place.
jsonio.os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)
jsonio.atomic_write_json(Path(sys.argv[1]), {"new": "x" * 100000})
"""


@pytest.mark.fault
def test_a_killed_writer_leaves_the_old_file_whole_and_readers_ignore_its_temp(tmp_path):
    path = tmp_path / "ITER_SUMMARY_1.json"
    atomic_write_json(path, {"iteration": 1, "old": True})
    done = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(path)], cwd=MAIN)
    assert done.returncode == -9
    assert json.loads(path.read_text()) == {"iteration": 1, "old": True}
    assert len(leftovers(tmp_path)) == 1  # SIGKILL leaves the temp; it is hidden and ignored
    snapshot = read_run(tmp_path)
    assert [v.iteration for v in snapshot.iterations] == [1] and snapshot.errors == []


# --------------------------------------------------------------------------------------------
# RunDirectory


def test_create_names_the_run_by_utc_time_and_seed(tmp_path):
    run = RunDirectory.create(tmp_path / "soak", seed=42, now=NOW)
    assert run.run_id == "20261127-141203-s42"
    assert run.path == tmp_path / "soak" / "runs" / "20261127-141203-s42" and run.path.is_dir()
    local = NOW.astimezone(timezone(timedelta(hours=-5)))
    assert RunDirectory.create(tmp_path / "soak", seed=42, now=local).run_id == "20261127-141203-s42-2"


def test_run_ids_stay_unique_when_runs_start_at_once(tmp_path):
    root = tmp_path / "soak"
    ids: list[str] = []
    run_at_once([lambda: ids.append(RunDirectory.create(root, seed=7, now=NOW).run_id)] * 8)
    assert len(set(ids)) == 8
    assert sorted(p.name for p in (root / "runs").iterdir()) == sorted(ids)
    assert "20261127-141203-s7" in ids


CREATE_SCRIPT = """
import sys
from datetime import datetime, timezone
from core.runs.writer import RunDirectory, overrides_signature
now = datetime(2026, 11, 27, 14, 12, 3, tzinfo=timezone.utc)
print(RunDirectory.create(sys.argv[1], seed=1, now=now).run_id)
"""


def test_run_ids_stay_unique_across_processes(tmp_path):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CREATE_SCRIPT, str(tmp_path)], cwd=MAIN, stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    ids = [p.communicate()[0].strip() for p in procs]
    assert sorted(ids) == ["20261127-141203-s1", "20261127-141203-s1-2", "20261127-141203-s1-3"]


def test_create_in_an_unwritable_place_is_an_artifact_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ArtifactError) as caught:
        RunDirectory.create(blocker, seed=1)
    assert "\n" not in str(caught.value) and str(blocker) in str(caught.value)


def read_manifest(run: RunDirectory) -> dict:
    return json.loads((run.path / "RUN.json").read_text())


def test_manifest_lifecycle_running_heartbeat_finished(tmp_path):
    run = started(tmp_path)
    manifest = read_manifest(run)
    assert manifest["run_id"] == run.run_id and manifest["status"] == "running"
    assert manifest["started_utc"] == manifest["heartbeat_utc"] == "2026-11-27T14:12:03.000Z"
    assert manifest["finished_utc"] is None and manifest["pid"] == os.getpid()
    assert (manifest["seed"], manifest["driver"], manifest["gate"]) == (42, "sim", "smoke")
    assert manifest["config"]["seed"]["source"] == "cli"

    run.heartbeat(now=NOW + timedelta(seconds=30))
    assert read_manifest(run)["heartbeat_utc"] == "2026-11-27T14:12:33.000Z"

    verdict = RunVerdict(verdict="PASS", reasons=[], window=2, passed=2, warned=0, failed=0)
    run.finish("completed", verdict, now=NOW + timedelta(minutes=5))
    manifest = read_manifest(run)
    assert manifest["status"] == "completed" and manifest["finished_utc"] == "2026-11-27T14:17:03.000Z"
    assert manifest["verdict"]["verdict"] == "PASS" and manifest["error"] is None
    assert manifest["started_utc"] == "2026-11-27T14:12:03.000Z"  # the rest is kept


def test_bad_statuses_and_updates_before_start_are_refused(tmp_path):
    run = RunDirectory.create(tmp_path, seed=1)
    with pytest.raises(RuntimeError):
        run.heartbeat()
    with pytest.raises(ValueError, match="allowed completed, aborted, failed"):
        started(tmp_path).finish("running")
    with pytest.raises(ValueError, match="status='done'"):
        run.write_manifest({"status": "done"})


def test_stale_means_running_with_an_old_or_missing_heartbeat():
    beat = {"status": "running", "heartbeat_utc": utc_stamp(NOW)}
    assert not is_stale(beat, NOW + timedelta(seconds=STALE_AFTER_S))
    assert is_stale(beat, NOW + timedelta(seconds=STALE_AFTER_S + 1))
    assert not is_stale({**beat, "status": "completed"}, NOW + timedelta(days=1))
    assert is_stale({"status": "running"}, NOW)
    assert is_stale({"status": "running", "heartbeat_utc": "yesterday"}, NOW)


def test_iterations_round_trip_through_the_readers_and_beat_the_heart(tmp_path):
    run = started(tmp_path)
    for i in (1, 2):
        path = run.write_iteration(make_record(i, net_bps=i + 0.5))
        assert path.name == f"ITER_SUMMARY_{i}.json"
    view = read_iteration(run.path / "ITER_SUMMARY_2.json")
    assert view.iteration == 2 and view.kpi("net_bps") == 2.5 and view.problems == ()
    assert view.fills == 42 and view.thresholds["maker_taker_ratio"] == (">=", 0.85)
    assert read_manifest(run)["last_iteration"] == 2


def test_an_iteration_with_nan_is_refused_and_not_written(tmp_path):
    run = started(tmp_path)
    with pytest.raises(ArtifactError, match=r"\$\.summary\.net_bps"):
        run.write_iteration(make_record(1, net_bps=float("nan")))
    assert not (run.path / "ITER_SUMMARY_1.json").exists()


def test_tuning_report_holds_one_entry_per_iteration_of_this_run(tmp_path):
    run = started(tmp_path)
    records = [make_record(i) for i in (2, 1, 3)]
    run.write_tuning_report(records, {"verdict": "PASS", "count": 99})
    report = json.loads((run.path / "TUNING_REPORT.json").read_text())
    assert [e["iteration"] for e in report["iterations"]] == [1, 2, 3]
    assert report["summary"] == {"count": 3, "verdict": "PASS"}
    assert report["iterations"][0]["applied_deltas"] == {"base_spread_bps": 0.1}
    assert report["iterations"][0]["gate"] == {"verdict": "PASS", "reasons": []}
    with pytest.raises(ValueError, match="share an iteration"):
        run.write_tuning_report([*records, make_record(4), make_record(4)])
    with pytest.raises(ValueError, match="share an iteration"):
        run.write_tuning_report([*records, make_record(1)])


def test_tuning_report_entries_are_journalled_as_they_come_and_the_json_is_whole_at_the_end(tmp_path):
    run = started(tmp_path)
    records = []
    for i in range(1, 41):
        records.append(make_record(i))
        run.write_tuning_report(records, lambda: {"seen": len(records)})
        journal = (run.path / "TUNING_REPORT.jsonl").read_text().splitlines()
        assert [json.loads(line)["iteration"] for line in journal] == list(range(1, i + 1))
    lagging = json.loads((run.path / "TUNING_REPORT.json").read_text())
    assert lagging["summary"]["count"] == len(lagging["iterations"]) < 40  # rewritten at a bounded rate
    run.finish("completed")
    report = json.loads((run.path / "TUNING_REPORT.json").read_text())
    assert report["summary"] == {"count": 40, "seen": 40}
    assert report["iterations"] == [json.loads(line) for line in journal]


def test_overrides_are_the_parameters_in_force_and_their_signature_is_the_files_sha256(tmp_path):
    run = started(tmp_path)
    params = {"base_spread_bps": 2.45, "post_only": True}
    signature = run.write_overrides(params)
    written = (run.path / "runtime_overrides.json").read_bytes()
    assert json.loads(written) == params
    assert signature == hashlib.sha256(written).hexdigest() == overrides_signature(params)


def snapshot_files(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(directory.iterdir())}


def test_a_new_run_never_touches_an_earlier_one(tmp_path):
    first = started(tmp_path, seed=1)
    first.write_iteration(make_record(1))
    first.write_tuning_report([make_record(1)])
    first.write_overrides({"base_spread_bps": 1.0})
    first.finish("completed")
    assert first.take_latest() is None
    before = snapshot_files(first.path)

    second = started(tmp_path, seed=2)
    for i in (1, 2):
        second.write_iteration(make_record(i))
    second.write_tuning_report([make_record(1), make_record(2)])
    second.write_overrides({"base_spread_bps": 2.0})
    assert second.take_latest() is None
    second.finish("aborted")

    assert snapshot_files(first.path) == before
    runs = discover_runs(tmp_path)
    assert [(r.run_id, r.status, r.kind) for r in runs] == [
        (first.run_id, "completed", RunKind.NATIVE),
        (second.run_id, "aborted", RunKind.NATIVE),
    ]
