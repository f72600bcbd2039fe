"""The writer of one run's directory (DESIGN.md section 7): the only code that writes its files.

A run writes only inside <root>/runs/<run_id>/ (plus its copies in `latest`, core/runs/latest.py),
every file atomically; `close_abandoned` ends a run whose writer died (a sweep's worker), also
atomically. The shape of a TUNING_REPORT entry is made here (`tuning_entry`), with the older
tool's encodings from core/records.py.

The TUNING_REPORT costs the same per iteration at iteration 20,000 as at 100 (DESIGN.md section
7): each entry is appended to TUNING_REPORT.jsonl as it comes (one line, fsynced), and
TUNING_REPORT.json, whole, is rewritten only once the entries it lacks are 1/REWRITE_SHARE of
those it holds, and when the run finishes. So the bytes rewritten per iteration stay at about
REWRITE_SHARE entries, and a killed run's TUNING_REPORT.json may lag its journal (its
ITER_SUMMARY files, which the readers take, are all there).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from core.errors import ArtifactError, ReadError
from core.records import (
    FINAL_STATUSES,
    OLDER_RATIONALE_SEPARATOR,
    IterationRecord,
    RunStatus,
    RunVerdict,
    older_tuning_fields,
)
from core.runs.jsonio import (
    append_durably,
    atomic_write_bytes,
    atomic_write_json,
    encode_json,
    finite_number,
    read_object,
)
from core.runs.latest import LatestMirror, is_mirrored
from core.runs.layout import (
    OVERRIDES_FILE,
    RUN_FILE,
    RUNS_DIR,
    TUNING_JOURNAL_FILE,
    TUNING_REPORT_FILE,
    iter_file_name,
    utc_stamp,
)

REWRITE_SHARE = 8
Summary = Mapping[str, Any] | Callable[[], Mapping[str, Any]]  # a callable: computed only when written


def tool_version() -> str:
    try:
        return metadata.version("mm-soak")
    except metadata.PackageNotFoundError:
        return "unknown"


class RunDirectory:
    """The directory of one run, and the only writer of its files."""

    def __init__(self, root: Path, run_id: str, seed: int) -> None:
        self.root = root
        self.run_id = run_id
        self.seed = seed
        self.path = root / RUNS_DIR / run_id
        self._manifest: dict[str, Any] = {}
        self._report_entries: dict[int, bytes] = {}  # encoded TUNING_REPORT entries by iteration
        self._recorded = 0  # how many of the records given to write_tuning_report are in the journal
        self._unwritten = 0  # entries in the journal, not yet in TUNING_REPORT.json
        self._report_summary: Summary | None = None
        self._lock = threading.Lock()  # heartbeat() may come from another thread than finish()
        self._latest: LatestMirror | None = None

    @classmethod
    def create(cls, root: Path | str, seed: int, now: datetime | None = None) -> RunDirectory:
        """Make <root>/runs/<run_id>/, where run_id is e.g. 20261127-141203-s42. mkdir is the
        lock: a second run in the same second (any process) gets a -2, -3, ... suffix."""
        root = Path(root)
        runs = root / RUNS_DIR
        base = f"{(now or datetime.now(UTC)).astimezone(UTC):%Y%m%d-%H%M%S}-s{seed}"
        try:
            runs.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise _in_the_way(runs) from None
        except OSError as err:
            raise ArtifactError(runs, err.strerror or str(err)) from err
        for attempt in range(1, 1000):
            run_id = base if attempt == 1 else f"{base}-{attempt}"
            try:
                os.mkdir(runs / run_id)
            except FileExistsError:
                continue
            except OSError as err:
                raise ArtifactError(runs / run_id, err.strerror or str(err)) from err
            return cls(root, run_id, seed)
        raise ArtifactError(runs / base, "too many runs started in the same second")

    @property
    def manifest(self) -> dict[str, Any]:
        return dict(self._manifest)

    def start(self, manifest: Mapping[str, Any], now: datetime | None = None) -> dict[str, Any]:
        """Write RUN.json for a run that starts now. `manifest` gives driver, profile, gate,
        scenario, config (with sources) and anything else worth recording."""
        stamp = utc_stamp(now)
        full = {
            "tool_version": tool_version(),
            "seed": self.seed,
            **manifest,
            "run_id": self.run_id,
            "status": RunStatus.RUNNING,
            "started_utc": stamp,
            "heartbeat_utc": stamp,
            "finished_utc": None,
            "pid": os.getpid(),
        }
        self.write_manifest(full)
        return self.manifest

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        """Replace RUN.json as a whole (start/heartbeat/finish are the usual way in)."""
        with self._lock:
            self._write_manifest(dict(manifest))

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        status = manifest.get("status")
        if RunStatus.parse(status) is None:
            raise ValueError(f"status={status!r}: allowed {', '.join(RunStatus)}")
        atomic_write_json(self.path / RUN_FILE, manifest)
        self._manifest = manifest

    def heartbeat(self, now: datetime | None = None, **fields: Any) -> None:
        """Refresh heartbeat_utc (and any extra fields, e.g. last_iteration) in RUN.json."""
        self._update({**fields, "heartbeat_utc": utc_stamp(now)})

    def finish(
        self,
        status: RunStatus | str,
        verdict: RunVerdict | Mapping[str, Any] | None = None,
        error: str | None = None,
        now: datetime | None = None,
    ) -> None:
        if status not in FINAL_STATUSES:
            raise ValueError(f"status={status!r}: allowed {', '.join(FINAL_STATUSES)}")
        if isinstance(verdict, RunVerdict):
            verdict = verdict.model_dump()
        if self._unwritten:
            self._rewrite_report()
        stamp = utc_stamp(now)
        self._update(
            {"status": status, "finished_utc": stamp, "heartbeat_utc": stamp, "verdict": verdict, "error": error}
        )
        if self._latest is not None:
            self._latest.close()

    def _update(self, fields: Mapping[str, Any]) -> None:
        # Merge under the lock: a heartbeat racing finish() must not write back "running".
        with self._lock:
            if not self._manifest:
                raise RuntimeError("RunDirectory.start() must come before updating RUN.json")
            self._write_manifest({**self._manifest, **fields})

    def write_iteration(self, record: IterationRecord) -> Path:
        """ITER_SUMMARY_<i>.json, then a heartbeat naming the last finished iteration."""
        path = self.path / iter_file_name(record.iteration)
        # mode="python": a NaN must reach the encoder and fail, not be turned into null.
        self._write_file(path, encode_json(path, record.model_dump(mode="python"), 2))
        if self._manifest:
            self.heartbeat(last_iteration=record.iteration)
        return path

    def write_tuning_report(self, records: Sequence[IterationRecord], summary: Summary | None = None) -> Path:
        """Record the TUNING_REPORT entries of `records`, the run's records so far: the ones past
        those given before are new. `summary` (summary.count is added) is the report's summary
        when TUNING_REPORT.json is next written; a callable is called only then."""
        path = self.path / TUNING_REPORT_FILE
        fresh = records[self._recorded :]
        iterations = [record.iteration for record in fresh]
        if len(set(iterations)) != len(iterations) or any(i in self._report_entries for i in iterations):
            raise ValueError("write_tuning_report: two records share an iteration number")
        encoded = [encode_json(path, tuning_entry(record), None).rstrip() for record in fresh]
        if encoded:
            append_durably(self.path / TUNING_JOURNAL_FILE, b"".join(entry + b"\n" for entry in encoded))
        self._report_entries.update(zip(iterations, encoded, strict=True))
        self._recorded, self._report_summary = len(records), summary
        self._unwritten += len(encoded)
        if self._unwritten * REWRITE_SHARE >= len(self._report_entries) - self._unwritten:
            self._rewrite_report()
        return path

    def _rewrite_report(self) -> None:
        """TUNING_REPORT.json as a whole: every entry recorded, in iteration order."""
        path = self.path / TUNING_REPORT_FILE
        summary = self._report_summary() if callable(self._report_summary) else self._report_summary
        entries = b",".join(self._report_entries[i] for i in sorted(self._report_entries))
        count = len(self._report_entries)
        summary_json = encode_json(path, {**(summary or {}), "count": count}, None).rstrip()
        self._write_file(path, b'{"iterations": [' + entries + b'], "summary": ' + summary_json + b"}\n")
        self._unwritten = 0

    def write_overrides(self, params: Mapping[str, Any]) -> str:
        """runtime_overrides.json; returns its signature (overrides_signature)."""
        data = overrides_bytes(params)
        self._write_file(self.path / OVERRIDES_FILE, data)
        return hashlib.sha256(data).hexdigest()

    def _write_file(self, path: Path, data: bytes) -> None:
        atomic_write_bytes(path, data)
        if self._latest is not None and is_mirrored(path.name):
            self._latest.write(path.name, data)

    def take_latest(self) -> str | None:
        """Make <root>/latest this run's mirror (core/runs/latest.py). Returns None when it is, or
        the one line to say when a `latest` that is not ours is in the way (left untouched)."""
        self._latest, notice = LatestMirror.take(self.root, self.run_id)
        return notice


def _in_the_way(path: Path) -> ArtifactError:
    """What stops a directory being made at `path` (mkdir says only "File exists")."""
    for place in (path, *path.parents):
        if place.is_symlink() and not place.exists():
            return ArtifactError(place, f"a link to a path that does not exist ({os.readlink(place)})")
        if place.exists() and not place.is_dir():
            return ArtifactError(place, "exists and is not a directory")
    return ArtifactError(path, "exists and is not a directory")


def overrides_bytes(params: Mapping[str, Any]) -> bytes:
    """runtime_overrides.json as written: the bytes its signature is the sha256 of."""
    return encode_json(Path(OVERRIDES_FILE), dict(params), 2)


def overrides_signature(params: Mapping[str, Any]) -> str:
    """The sha256 of runtime_overrides.json holding `params` (the older tool's `signature`)."""
    return hashlib.sha256(overrides_bytes(params)).hexdigest()


def tuning_entry(record: IterationRecord) -> dict[str, Any]:
    """One TUNING_REPORT entry: the older tool's flat record (its sixteen fields and
    freeze_triggered), then ours: phase, params, the rest of the decision, the gate's verdict. The
    KPIs stay in ITER_SUMMARY_<i>.json, so rewriting the report stays cheap."""
    tuning, summary = record.tuning, record.summary
    older = older_tuning_fields(tuning)
    del older["deltas"]  # ITER_SUMMARY's name for the proposal, which the report calls proposed_deltas
    drivers = summary.get("neg_edge_drivers")
    runtime_utc = summary.get("runtime_utc")
    return {
        "iteration": record.iteration,
        "runtime_utc": runtime_utc if isinstance(runtime_utc, str) else None,
        "net_bps": finite_number(summary.get("net_bps")),
        "kpi_verdict": record.gate.verdict,
        "neg_edge_drivers": [str(d) for d in drivers] if isinstance(drivers, list) else [],
        "proposed_deltas": tuning.proposed_deltas,
        "suggested_deltas": tuning.proposed_deltas,
        "rationale": OLDER_RATIONALE_SEPARATOR.join(tuning.rationale),
        "applied": tuning.applied,
        "signature": tuning.signature,
        "state_hash": tuning.state_hash,
        "changed_keys": tuning.changed_keys,
        **older,
        "phase": record.phase,
        "params": record.params,
        "applied_deltas": tuning.applied_deltas,
        "param_status": tuning.param_status,
        "guards_fired": tuning.guards_fired,
        "skip_reasons": tuning.skip_reasons,
        "guard_state_hash": tuning.guard_state_hash,
        "tuner": tuning.tuner,
        "candidates": [c.model_dump() for c in tuning.candidates],
        "gate": {"verdict": record.gate.verdict, "reasons": list(record.gate.reasons)},
    }


def close_abandoned(run_dir: Path, status: RunStatus, error: str, now: datetime | None = None) -> bool:
    """End a run whose writer is gone (its sweep worker died or was stopped): RUN.json says
    `status` and `error` from now on, if it still says running. Returns whether it did."""
    try:
        manifest = read_object(run_dir / RUN_FILE)
    except ReadError:
        return False
    if manifest.get("status") != RunStatus.RUNNING:
        return False
    stamp = utc_stamp(now)
    atomic_write_json(run_dir / RUN_FILE, {**manifest, "status": status, "finished_utc": stamp, "error": error})
    return True
