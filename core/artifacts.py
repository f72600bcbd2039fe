"""Writing a run's artifacts atomically (DESIGN.md section 7).

Layout: <root>/runs/<run_id>/{RUN.json, ITER_SUMMARY_<i>.json, TUNING_REPORT.json,
runtime_overrides.json} and <root>/latest -> runs/<run_id>. A run writes only inside its own
directory (plus the `latest` link); every file goes through `atomic_write_json`.
"""
from __future__ import annotations

import errno
import json
import math
import os
import secrets
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from core.records import IterationRecord, RunVerdict

RUN_FILE = "RUN.json"
TUNING_REPORT_FILE = "TUNING_REPORT.json"
OVERRIDES_FILE = "runtime_overrides.json"
LATEST_LINK = "latest"
RUNS_DIR = "runs"

RUN_STATUSES: tuple[str, ...] = ("running", "completed", "aborted", "failed")
FINAL_STATUSES: tuple[str, ...] = RUN_STATUSES[1:]

# A running run whose heartbeat is older than this is presumed dead. The loop heartbeats after
# every iteration and should call `heartbeat()` at least every HEARTBEAT_EVERY_S while it waits.
STALE_AFTER_S = 120.0
HEARTBEAT_EVERY_S = 15.0


class ArtifactError(Exception):
    """An artifact could not be written; the message is one line naming the path."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot write {path}: {reason}")


def iter_file_name(iteration: int) -> str:
    return f"ITER_SUMMARY_{iteration}.json"


# --------------------------------------------------------------------------------------------
# Atomic JSON


def _encode_json(path: Path, obj: Any, indent: int | None) -> bytes:
    """UTF-8 JSON with sorted keys; NaN/Infinity or a non-JSON value is a bug -> ArtifactError."""
    try:
        text = json.dumps(obj, allow_nan=False, sort_keys=True, indent=indent, ensure_ascii=False)
    except ValueError:
        where = _non_finite_at(obj) or "?"
        raise ArtifactError(path, f"NaN or Infinity at {where} (JSON allows neither)") from None
    except TypeError as err:
        raise ArtifactError(path, f"not JSON-serialisable: {err}") from None
    return (text + "\n").encode("utf-8")


def _non_finite_at(obj: Any, where: str = "$") -> str | None:
    if isinstance(obj, float) and not math.isfinite(obj):
        return where
    if isinstance(obj, Mapping):
        items = ((f"{where}.{key}", value) for key, value in obj.items())
    elif isinstance(obj, (list, tuple)):
        items = ((f"{where}[{index}]", value) for index, value in enumerate(obj))
    else:
        return None
    for child_where, value in items:
        found = _non_finite_at(value, child_where)
        if found:
            return found
    return None


def atomic_write_json(path: Path | str, obj: Any, indent: int | None = 2) -> None:
    """Write `obj` to `path` so that a reader sees the old file or the new one, never a part.

    Temp file in the same directory, fsync, os.replace, fsync of the directory. On failure the
    temp file is removed and an OSError becomes ArtifactError. indent=None writes compact JSON
    (several times faster to encode: for files rewritten often and growing with the run).
    """
    path = Path(path)
    atomic_write_bytes(path, _encode_json(path, obj, indent))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """The atomic write itself (see atomic_write_json)."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        _write_synced(temp, data)
        os.replace(temp, path)
    except BaseException as err:
        _remove_quietly(temp)
        if isinstance(err, OSError):
            raise ArtifactError(path, err.strerror or str(err)) from err
        raise
    try:
        _fsync_dir(path.parent)
    except OSError as err:
        raise ArtifactError(path, f"fsync of directory failed: {err.strerror or err}") from err


def _write_synced(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno != errno.EINVAL:  # some filesystems cannot fsync a directory
            raise
    finally:
        os.close(fd)


def _remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


# --------------------------------------------------------------------------------------------
# Time and liveness


def utc_stamp(now: datetime | None = None) -> str:
    """ISO 8601 UTC with milliseconds and a Z, e.g. 2026-11-27T14:12:03.250Z."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def parse_utc(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def is_stale(manifest: Mapping[str, Any], now: datetime | None = None) -> bool:
    """True when the manifest says `running` but its heartbeat is older than STALE_AFTER_S
    (or missing): the process that wrote it is presumed dead."""
    if manifest.get("status") != "running":
        return False
    beat = parse_utc(manifest.get("heartbeat_utc"))
    if beat is None:
        return True
    now = now or datetime.now(timezone.utc)
    return (now - beat).total_seconds() > STALE_AFTER_S


def tool_version() -> str:
    try:
        return metadata.version("mm-soak")
    except metadata.PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------------------------------
# One run's directory


class RunDirectory:
    """The directory of one run, and the only writer of its files."""

    def __init__(self, root: Path, run_id: str, seed: int) -> None:
        self.root = root
        self.run_id = run_id
        self.seed = seed
        self.path = root / RUNS_DIR / run_id
        self._manifest: dict[str, Any] = {}
        self._report_entries: dict[int, bytes] = {}  # encoded TUNING_REPORT entries by iteration
        self._lock = threading.Lock()  # heartbeat() may come from another thread than finish()

    @classmethod
    def create(cls, root: Path | str, seed: int, now: datetime | None = None) -> RunDirectory:
        """Make <root>/runs/<run_id>/, where run_id is e.g. 20261127-141203-s42. mkdir is the
        lock: a second run in the same second (any process) gets a -2, -3, ... suffix."""
        root = Path(root)
        runs = root / RUNS_DIR
        base = f"{(now or datetime.now(timezone.utc)).astimezone(timezone.utc):%Y%m%d-%H%M%S}-s{seed}"
        try:
            runs.mkdir(parents=True, exist_ok=True)
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
            "status": "running",
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
        if status not in RUN_STATUSES:
            raise ValueError(f"status={status!r}: allowed {', '.join(RUN_STATUSES)}")
        atomic_write_json(self.path / RUN_FILE, manifest)
        self._manifest = manifest

    def heartbeat(self, now: datetime | None = None, **fields: Any) -> None:
        """Refresh heartbeat_utc (and any extra fields, e.g. last_iteration) in RUN.json."""
        self._update({**fields, "heartbeat_utc": utc_stamp(now)})

    def finish(
        self,
        status: str,
        verdict: RunVerdict | Mapping[str, Any] | None = None,
        error: str | None = None,
        now: datetime | None = None,
    ) -> None:
        if status not in FINAL_STATUSES:
            raise ValueError(f"status={status!r}: allowed {', '.join(FINAL_STATUSES)}")
        if isinstance(verdict, RunVerdict):
            verdict = verdict.model_dump()
        stamp = utc_stamp(now)
        self._update({"status": status, "finished_utc": stamp, "heartbeat_utc": stamp,
                      "verdict": verdict, "error": error})

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
        atomic_write_json(path, record.model_dump(mode="python"))
        if self._manifest:
            self.heartbeat(last_iteration=record.iteration)
        return path

    def write_tuning_report(
        self, records: Sequence[IterationRecord], summary: Mapping[str, Any] | None = None
    ) -> Path:
        """TUNING_REPORT.json: one entry per iteration of this run, summary.count = their number."""
        by_iteration = {record.iteration: record for record in records}
        if len(by_iteration) != len(records):
            raise ValueError("write_tuning_report: two records share an iteration number")
        path = self.path / TUNING_REPORT_FILE
        # Rewritten every iteration: each entry is encoded once, so a long run stays linear.
        for i, record in by_iteration.items():
            if i not in self._report_entries:
                self._report_entries[i] = _encode_json(path, tuning_entry(record), None).rstrip()
        entries = b",".join(self._report_entries[i] for i in sorted(by_iteration))
        summary_json = _encode_json(path, {**(summary or {}), "count": len(by_iteration)}, None).rstrip()
        atomic_write_bytes(path, b'{"iterations": [' + entries + b'], "summary": ' + summary_json + b"}\n")
        return path

    def write_overrides(self, params: Mapping[str, Any]) -> Path:
        path = self.path / OVERRIDES_FILE
        atomic_write_json(path, dict(params))
        return path

    def update_latest(self) -> bool:
        """Point <root>/latest at this run by an atomic symlink swap; racing runs leave it valid.

        Returns False, touching nothing, when `latest` is a real directory or file (an older
        tool's flat layout) rather than a link: that data is not ours to replace.
        """
        latest = self.root / LATEST_LINK
        if latest.exists() and not latest.is_symlink():
            return False
        temp = self.root / f".{LATEST_LINK}.{secrets.token_hex(4)}.tmp"
        try:
            os.symlink(Path(RUNS_DIR) / self.run_id, temp)
            os.replace(temp, latest)
        except OSError as err:
            _remove_quietly(temp)
            raise ArtifactError(latest, err.strerror or str(err)) from err
        return True


def tuning_entry(record: IterationRecord) -> dict[str, Any]:
    """One TUNING_REPORT entry: the iteration's params, tuning decision and gate verdict (the
    KPIs stay in ITER_SUMMARY_<i>.json, so rewriting the report stays cheap)."""
    return {
        "iteration": record.iteration,
        "params": record.params,
        "tuning": record.tuning.model_dump(mode="python"),
        "gate": {"verdict": record.gate.verdict, "reasons": list(record.gate.reasons)},
    }
