"""Our records carry every field the older tool's scripts read, with its types and meanings
(DESIGN.md section 11), and our readers read them back as the same decision."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from core.records import Guard, Verdict
from core.runs.layout import OVERRIDES_FILE, TUNING_REPORT_FILE, iter_file_name
from core.runs.views import IterationView, iteration_view
from core.runs.writer import overrides_signature
from tests.support.runs import finished_run

SHA256 = re.compile(r"^[0-9a-f]{64}$")
FLAG_OF = {  # written out here, not taken from core.records: the older tool's names, as it reads them
    Guard.OSCILLATION: "oscillation_detected",
    Guard.VELOCITY: "velocity_violation",
    Guard.COOLDOWN: "cooldown_active",
    Guard.FREEZE: "freeze_triggered",
}
GUARD_FLAGS = set(FLAG_OF.values())
FLAT_TYPES: dict[str, Any] = {  # the older tool's 16 flat fields, and freeze_triggered
    "iteration": int,
    "runtime_utc": str,
    "net_bps": (float, type(None)),
    "kpi_verdict": str,
    "neg_edge_drivers": list,
    "proposed_deltas": dict,
    "suggested_deltas": dict,
    "rationale": str,
    "applied": bool,
    "signature": str,
    "state_hash": str,
    "skip_reason": (str, dict),
    "changed_keys": list,
    **dict.fromkeys(GUARD_FLAGS, bool),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]], list[dict[str, Any]]]:
    """A real nightly run whose tuner (the rules, as the older tool's) applies, is held by a cooldown and freezes."""
    out = tmp_path_factory.mktemp("older")
    run_dir, _, _ = finished_run(out, iterations=16, gate="nightly", seed=42, tuner="rules")
    entries = json.loads((run_dir / TUNING_REPORT_FILE).read_text())["iterations"]
    records = [json.loads((run_dir / iter_file_name(i)).read_text()) for i in range(1, len(entries) + 1)]
    fired = {guard for record in records for guard in record["tuning"]["guards_fired"]}
    assert {Guard.COOLDOWN, Guard.FREEZE} <= fired and any(r["tuning"]["applied"] for r in records)
    return run_dir, entries, records


def check_skip_reason(value: Any, applied: bool, reasons: list[str]) -> None:
    if applied:
        assert value == ""
        return
    assert set(value) == {*Guard, "note"} and value["note"] == ",".join(reasons)
    assert {guard for guard in Guard if value[guard] is True} == {r for r in reasons if Guard.parse(r)}
    assert all(isinstance(value[guard], bool) for guard in Guard)


def test_each_report_entry_carries_every_flat_field_with_its_type(run):
    _, entries, records = run
    for entry, record in zip(entries, records, strict=True):
        for field, kind in FLAT_TYPES.items():
            assert isinstance(entry[field], kind), (entry["iteration"], field, entry[field])
        assert not isinstance(entry["iteration"], bool)
        assert datetime.fromisoformat(entry["runtime_utc"]).tzinfo is not None
        assert Verdict.parse(entry["kpi_verdict"]) == record["gate"]["verdict"]
        assert entry["net_bps"] == record["summary"]["net_bps"]
        assert all(isinstance(d, str) for d in entry["neg_edge_drivers"])
        assert entry["proposed_deltas"] == entry["suggested_deltas"] == record["tuning"]["proposed_deltas"]
        assert all(isinstance(v, float | int) for v in entry["proposed_deltas"].values())
        assert entry["rationale"] == " | ".join(record["tuning"]["rationale"])
        assert sorted(entry["changed_keys"]) == sorted(record["tuning"]["applied_deltas"])
        assert SHA256.match(entry["signature"]) and SHA256.match(entry["state_hash"])
        check_skip_reason(entry["skip_reason"], entry["applied"], record["tuning"]["skip_reasons"])
        fired = set(record["tuning"]["guards_fired"])
        for guard, flag in FLAG_OF.items():
            assert entry[flag] == (guard in fired), (entry["iteration"], flag)


def test_the_signature_is_the_sha256_of_the_overrides_file_the_iteration_ran_with(run):
    run_dir, entries, records = run
    assert entries[0]["signature"] == overrides_signature(records[0]["params"])
    for before, after, record in zip(entries, entries[1:], records[1:], strict=False):
        assert after["signature"] == before["state_hash"] == overrides_signature(record["params"])
    assert entries[-1]["state_hash"] == hashlib.sha256((run_dir / OVERRIDES_FILE).read_bytes()).hexdigest()
    changed = [e["signature"] != e["state_hash"] for e in entries]
    assert changed == [bool(r["tuning"]["applied_deltas"]) for r in records]  # it moves exactly when one applies


def test_iter_summary_tuning_and_summary_carry_the_older_fields(run):
    _, entries, records = run
    for entry, record in zip(entries, records, strict=True):
        tuning, summary = record["tuning"], record["summary"]
        assert "runtime" not in record and record["run"]["run_id"]  # ours moved: `runtime` is their parameters
        assert tuning["deltas"] == tuning["proposed_deltas"]
        for field in ("applied", "skip_reason", "signature", "state_hash", *GUARD_FLAGS):
            assert tuning[field] == entry[field], field
        assert len(tuning["guard_state_hash"]) == 16  # ours, no longer called state_hash
        assert summary["runtime_utc"] == entry["runtime_utc"] and summary["kpi_verdict"] == record["gate"]["verdict"]
        assert (summary["phase"], summary["warmup_active"], summary["rampdown_active"]) == ("STEADY", 0, 0)


def test_the_report_summary_also_counts_under_the_older_names(run):
    run_dir, _, records = run
    summary = json.loads((run_dir / TUNING_REPORT_FILE).read_text())["summary"]
    assert summary["count"] == len(records) and summary["applied"] == sum(r["tuning"]["applied"] for r in records)
    assert summary["cooldown_skips"] == summary["guards"]["cooldown"] >= 1
    assert (summary["blocked_oscillation"], summary["blocked_velocity"]) == (
        summary["guards"]["oscillation"],
        summary["guards"]["velocity"],
    )


def test_both_encodings_read_back_as_the_same_decision(run):
    _, entries, records = run
    for entry, record in zip(entries, records, strict=True):
        nested, flat = iteration_view(record), iteration_view(entry)
        for field in ("verdict", "applied", "proposed_deltas", "applied_deltas", "skip_reasons", "param_status"):
            assert getattr(flat, field) == getattr(nested, field), (record["iteration"], field)
        assert flat.rationale == nested.rationale and flat.phase == nested.phase == "steady"
        assert not nested.foreign_verdict and not flat.foreign_verdict
        assert flat.kpi("net_bps") == nested.kpi("net_bps")


def test_the_view_made_in_process_is_the_view_read_from_the_file(tmp_path: Path):
    run_dir, made, _ = finished_run(tmp_path, iterations=4, gate="nightly")
    for record in made:
        read = iteration_view(json.loads((run_dir / iter_file_name(record.iteration)).read_text()))
        mine = IterationView.from_record(record)
        assert {**vars(read), "raw": None} == {**vars(mine), "raw": None}
