"""Messages about a run read from disk rather than run here (`soak watch`, `soak replay`)."""

from __future__ import annotations

from core.runs.discovery import RunInfo
from tui.messages import RunEnded, RunIdentity


def header_info(info: RunInfo, total_iterations: int | None = None) -> RunIdentity:
    """Who the run is, from its RUN.json (a legacy run has only its directory's name)."""
    return RunIdentity.from_manifest(info.manifest or {"run_id": info.run_id}, info.path, total_iterations)


def run_ended(info: RunInfo, status: str, exit_code: int, history: bool = False) -> RunEnded:
    """The end of a run as RUN.json records it: its verdict and reasons, and its error if any.
    `history`: it had ended before the monitor found it."""
    verdict = info.recorded_verdict() or {}
    reasons = verdict.get("reasons")
    error = (info.manifest or {}).get("error")
    return RunEnded(
        status,
        exit_code,
        verdict.get("verdict") if isinstance(verdict.get("verdict"), str) else None,
        tuple(map(str, reasons)) if isinstance(reasons, list) else (),
        error if isinstance(error, str) else None,
        history,
    )
