"""What is particular to the older soak tool's runs: flat directories with no RUN.json, whose
only record may be a TUNING_REPORT.json (DESIGN.md section 11).

Nothing says whether such a run is going on. It counts as finished once its summary.txt has the
line the older tool appends when its last iteration is done ("ITERATIONS COMPLETED: <n>"), or
once none of its files has changed for LEGACY_QUIET_S (more than that tool's default pause of
300 s between iterations): then it is `stale`, its writer presumed gone.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import Any

from core.errors import ReadError
from core.records import RunStatus
from core.runs.jsonio import json_type, read_json
from core.runs.layout import LEGACY_END_FILE, is_artifact
from core.runs.views import IterationView, iteration_view

LEGACY_STATUS = "legacy"  # no RUN.json and no end marker: nothing says whether the run is going on
LEGACY_QUIET_S = 600.0
END_MARKER = b"ITERATIONS COMPLETED:"
END_FILE_MAX_BYTES = 64 * 1024  # summary.txt is a few lines; a larger one is read this far


def legacy_state(directory: Path, names: Collection[str], now: float, quiet_s: float) -> tuple[str, bool]:
    """(status, stale): COMPLETED once summary.txt says so; else LEGACY_STATUS, stale once no
    file of the run has changed for `quiet_s` (`now` in seconds since the epoch)."""
    if LEGACY_END_FILE in names and says_completed(directory / LEGACY_END_FILE):
        return RunStatus.COMPLETED, False
    return LEGACY_STATUS, quiet_for(directory, names, now) >= quiet_s


def says_completed(path: Path) -> bool:
    try:
        with open(path, "rb") as file:
            return END_MARKER in file.read(END_FILE_MAX_BYTES)
    except OSError:
        return False


def quiet_for(directory: Path, names: Collection[str], now: float) -> float:
    """Seconds since the newest of the run's files changed (0 when none can be looked at)."""
    stamps = []
    for name in names:
        if is_artifact(name):
            try:
                stamps.append(os.stat(directory / name).st_mtime)
            except OSError:
                continue
    return max(now - max(stamps), 0.0) if stamps else 0.0


def read_tuning_report(path: Path, errors: list[ReadError]) -> dict[str, Any] | None:
    """TUNING_REPORT.json as an object; None when it is missing or unusable (then in `errors`)."""
    try:
        report = read_json(path)
    except ReadError as err:
        if err.kind != "missing":
            errors.append(err)
        return None
    if not isinstance(report, dict):
        errors.append(ReadError(path, "wrong_shape", f"expected a JSON object, got {json_type(report)}"))
        return None
    return report


def report_iterations(path: Path, report: dict[str, Any], errors: list[ReadError]) -> list[IterationView]:
    """A run with a TUNING_REPORT.json but no ITER_SUMMARY files: the report's entries."""
    entries = report.get("iterations")
    if not isinstance(entries, list):
        return []
    views = []
    for index, entry in enumerate(entries):
        try:
            views.append(iteration_view(entry))
        except ReadError as err:
            errors.append(ReadError(path, err.kind, f"iterations[{index}]: {err.message}"))
    return views
