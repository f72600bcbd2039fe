"""What is particular to the older soak tool's runs: flat directories with no RUN.json, whose
only record may be a TUNING_REPORT.json (DESIGN.md section 11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.errors import ReadError
from core.runs.jsonio import json_type, read_json
from core.runs.views import IterationView, iteration_view


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
