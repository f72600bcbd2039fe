"""What `soak run` leaves for CI once a run has finished: JUnit XML (`--junit`), a Markdown
summary (`--summary-md`), the report's JSON (`--export-json`), and the same summary appended to
GitHub's job summary page when GITHUB_STEP_SUMMARY names a file (what was there before stays;
other steps write to it too)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from core.errors import GateError, ReportError
from core.gates import load_gate
from core.records import IterationRecord, RunVerdict
from core.reporting.files import write_text_output
from core.reporting.junit import write_junit
from core.reporting.markdown import summary_markdown
from core.reporting.model import RunReport, build_report
from core.runs.discovery import UNKNOWN_STATUS, RunInfo, RunKind, detect_run
from core.runs.views import IterationView

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def write_run_outputs(
    run_dir: Path,
    records: Sequence[IterationRecord],
    verdict: RunVerdict | None,
    gate_name: str,
    junit: Path | None,
    summary_md: Path | None,
    env: Mapping[str, str],
    report_json: Path | None = None,
) -> None:
    """Write the outputs asked for; ReportError (one line) when a file cannot be written."""
    if junit is not None:
        write_junit(junit, records, verdict, gate_name, _run_info(run_dir).run_id)
    if report_json is not None:
        write_text_output(report_json, run_summary(run_dir, records, verdict, gate_name).json_text())
    step_summary = env.get(STEP_SUMMARY_ENV)
    if summary_md is None and not step_summary:
        return
    text = summary_markdown(run_summary(run_dir, records, verdict, gate_name))
    if summary_md is not None:
        write_text_output(summary_md, text)
    if step_summary:
        write_text_output(Path(step_summary), "\n" + text, append=True)


def run_summary(
    run_dir: Path, records: Sequence[IterationRecord], verdict: RunVerdict | None, gate_name: str
) -> RunReport:
    """The report model of a run that just finished, from its records (no re-reading of files)."""
    try:
        gate = load_gate(gate_name)
    except GateError as err:  # the run loaded it a moment ago: only a file removed since then
        raise ReportError(str(err)) from None
    views = [IterationView.from_record(record) for record in records]
    return build_report(_run_info(run_dir), views, gate, verdict=verdict)


def _run_info(run_dir: Path) -> RunInfo:
    info = detect_run(run_dir)
    if info is None:  # the directory went away, or the run failed before writing RUN.json
        return RunInfo(run_dir, RunKind.NATIVE, run_dir.name, UNKNOWN_STATUS, None, stale=False)
    return info
