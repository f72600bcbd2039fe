"""`soak report RUN_DIR`: the post-soak report of a native or legacy run, as Markdown and JSON.

A run the report cannot stand on (no run there, no iterations, a file that cannot be read) is a
ReportError: one line naming the directory or file, exit code 2. A field that cannot be used is
not an error: it counts as missing and is listed under "Data problems".
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from core.errors import GateError, ReadError, ReportError
from core.gates import DEFAULT_GATE, RUN_WINDOW, GateProfile, load_gate
from core.records import ExitCode
from core.reporting.baseline import BaselineReport, compare_with_baseline
from core.reporting.files import write_report_files
from core.reporting.markdown import report_markdown
from core.reporting.model import RunReport, build_report
from core.runs.discovery import RunSnapshot, discover_runs, read_run


def report_command(
    run_dir: Path,
    md_path: Path | None,
    json_path: Path | None,
    out: TextIO | None = None,
    *,
    gate: str | None = None,
    baseline: Path | None = None,
) -> int:
    """Write the Markdown and/or JSON report; with neither path, print the Markdown to `out`
    (stdout by default). Returns 0; with `baseline`, 1 when a gate KPI is worse than the
    baseline run's by more than the gate allows (core/reporting/baseline.py). A run or file
    that cannot be used raises ReportError.

    `gate` re-judges every iteration against that gate; without it, recorded verdicts stand and
    only iterations without one are judged (against the run's gate, else the default gate).
    """
    out = out or sys.stdout
    snapshot, report = load_run(run_dir, gate)
    code = ExitCode.OK
    if baseline is not None:
        report.baseline = _against(snapshot, baseline, _gate(snapshot, gate), report.recent_window)
        code = ExitCode.GATE_FAILED if report.baseline.regressed else ExitCode.OK
    if md_path is None and json_path is None:
        out.write(report_markdown(report))
    else:
        write_report_files(out, (md_path, report_markdown(report)), (json_path, report.json_text()))
    return code


def _against(snapshot: RunSnapshot, baseline: Path, gate: GateProfile, window: int) -> BaselineReport:
    try:
        base = _read(baseline)
    except ReportError as err:
        raise ReportError(f"--baseline: {err}") from None
    return compare_with_baseline(
        snapshot.iterations, base.iterations, base.info.run_id, str(base.info.path), gate, window
    )


def load_report(run_dir: Path | str, gate: str | None = None, window: int = RUN_WINDOW) -> RunReport:
    return load_run(run_dir, gate, window)[1]


def load_run(run_dir: Path | str, gate: str | None = None, window: int = RUN_WINDOW) -> tuple[RunSnapshot, RunReport]:
    """The run as read, and its report (ReportError when the report cannot stand on it)."""
    snapshot = _read(Path(run_dir))
    profile = _gate(snapshot, gate)
    return snapshot, build_report(
        snapshot.info, snapshot.iterations, profile, rejudge=gate is not None, window=window, ignored=snapshot.ignored
    )


def _read(run_dir: Path) -> RunSnapshot:
    try:
        snapshot = read_run(run_dir)
    except ReadError as err:
        raise ReportError(f"cannot report on {run_dir}: {err.message}{_runs_hint(run_dir)}") from None
    if snapshot.errors:
        first, more = snapshot.errors[0], len(snapshot.errors) - 1
        others = f" (and {more} more unreadable file(s))" if more else ""
        raise ReportError(f"cannot report on {run_dir}: {first.path}: {first.message}{others}")
    if not snapshot.iterations:
        raise ReportError(f"cannot report on {run_dir}: no iterations recorded (no ITER_SUMMARY_<i>.json)")
    return snapshot


def _runs_hint(directory: Path) -> str:
    """Someone who passes the artifact root wants one of the runs in it (one it can read)."""
    runs = [run for run in discover_runs(directory) if run.error is None]
    if not runs:
        return ""
    return f"; it holds {len(runs)} run(s), pass one of them, e.g. {runs[-1].path}"


def _gate(snapshot: RunSnapshot, explicit: str | None) -> GateProfile:
    manifest = snapshot.info.manifest or {}
    recorded = manifest.get("gate")
    name = explicit or (recorded if isinstance(recorded, str) and recorded else DEFAULT_GATE)
    try:
        return load_gate(name)
    except GateError as err:
        where = "" if explicit else " (the gate named in RUN.json; choose another with --gate)"
        raise ReportError(f"{err}{where}") from None
