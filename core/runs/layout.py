"""Where runs live, what their files are called, and when a run is presumed dead.

    <root>/runs/<run_id>/RUN.json, ITER_SUMMARY_<i>.json, TUNING_REPORT.json(l),
                         runtime_overrides.json, driver/METRICS_<i>.json
    <root>/latest/       copies of the newest run's files (core/runs/latest.py)
    <root>/sweeps/<sweep_id>/SWEEP.json, attempts/   (a sweep: core/runs/sweep_file.py)

A root may also hold the older tool's flat directories (ITER_SUMMARY_*.json, no RUN.json): a run
lives in the root itself, in a child of it, or in runs/<run_id>.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.records import RunStatus

RUN_FILE = "RUN.json"
TUNING_REPORT_FILE = "TUNING_REPORT.json"
TUNING_JOURNAL_FILE = "TUNING_REPORT.jsonl"  # the same entries, one a line, appended as they come
OVERRIDES_FILE = "runtime_overrides.json"
LATEST_LINK = "latest"
LEGACY_END_FILE = "summary.txt"  # the older tool's; says when its run is over (core/runs/legacy.py)
RUNS_DIR = "runs"
DRIVER_DIR = "driver"
REPLAY_DIR = "replays"  # an external replaying driver's runs of other parameters, one folder per parameter set
ITER_PREFIX = "ITER_SUMMARY_"
# The canonical name only: ASCII digits, no leading zero, nothing after ".json" (`$` would let a
# newline through). ITER_SUMMARY_01.json and the like are named as ignored (ignored_name).
ITER_FILE_RE = re.compile(r"^ITER_SUMMARY_([1-9][0-9]*)\.json\Z", re.ASCII)
SWEEPS_DIR = "sweeps"
SWEEP_FILE = "SWEEP.json"

# A running run whose heartbeat is older than this is presumed dead. The loop heartbeats after
# every iteration and at least every HEARTBEAT_EVERY_S while it waits.
STALE_AFTER_S = 120.0
HEARTBEAT_EVERY_S = 15.0


def iter_file_name(iteration: int) -> str:
    return f"ITER_SUMMARY_{iteration}.json"


def metrics_file_name(iteration: int) -> str:
    return f"METRICS_{iteration}.json"


def iteration_number(path: Path | str) -> int | None:
    """i for a file named ITER_SUMMARY_<i>.json, else None."""
    name = path.name if isinstance(path, Path) else Path(path).name
    match = ITER_FILE_RE.match(name)
    return int(match.group(1)) if match else None


def ignored_name(name: str) -> bool:
    """A file named like an iteration that is not one (ITER_SUMMARY_01.json, a non-ASCII digit, a
    name ending in a newline): never read as an iteration, named as ignored."""
    return name.startswith(ITER_PREFIX) and ITER_FILE_RE.match(name) is None


IGNORED_REASON = "ignored: an iteration's file is named ITER_SUMMARY_<i>.json, i from 1 in ASCII digits"


def ignored_note(name: str) -> str:
    return f"{name!r} {IGNORED_REASON}"


def is_artifact(name: str) -> bool:
    return name in (RUN_FILE, TUNING_REPORT_FILE, LEGACY_END_FILE) or name.startswith(ITER_PREFIX)


def run_places(root: Path) -> tuple[Path, ...]:
    """The directories whose children may be runs (besides `root` itself)."""
    return (root, root / RUNS_DIR)


def may_hold_run(root: Path, directory: Path) -> bool:
    """Whether `directory` is a place a run under `root` can live."""
    return directory == root or directory.parent in run_places(root)


# --------------------------------------------------------------------------------------------
# Time and liveness


def utc_stamp(now: datetime | None = None) -> str:
    """ISO 8601 UTC with milliseconds and a Z, e.g. 2026-11-27T14:12:03.250Z."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def parse_utc(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def seconds_until_stale(manifest: Mapping[str, Any], now: datetime | None = None) -> float:
    """How long until a running run's heartbeat is too old (< 0: it is; -inf: it has none)."""
    beat = parse_utc(manifest.get("heartbeat_utc"))
    if beat is None:
        return -math.inf
    now = now or datetime.now(UTC)
    return STALE_AFTER_S - (now - beat).total_seconds()


def is_stale(manifest: Mapping[str, Any], now: datetime | None = None) -> bool:
    """True when the manifest says `running` but its heartbeat is older than STALE_AFTER_S
    (or missing): the process that wrote it is presumed dead."""
    return manifest.get("status") == RunStatus.RUNNING and seconds_until_stale(manifest, now) < 0
