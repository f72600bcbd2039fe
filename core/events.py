"""What the soak loop yields (DESIGN.md section 1: everything outside the core sees a run only
through these)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.records import ExitCode, IterationRecord, RunStatus, RunVerdict
from core.runs.views import IterationView


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    run_dir: Path
    manifest: dict[str, Any]  # the content of RUN.json
    total_iterations: int | None  # None when the run is bounded by hours
    window_s: float


@dataclass(frozen=True)
class RunNotice:
    """One line the user should read, the run going on (e.g. why `latest` does not show it)."""

    text: str


@dataclass(frozen=True)
class IterationFinished:
    record: IterationRecord  # as written to ITER_SUMMARY_<i>.json
    view: IterationView  # the same, as every reader shows it
    elapsed_wall_s: float


@dataclass(frozen=True)
class TuningApplied:
    iteration: int
    deltas: dict[str, float]
    params: dict[str, Any]  # the values the next iteration runs with


@dataclass(frozen=True)
class TuningSkipped:
    iteration: int
    reason: str


@dataclass(frozen=True)
class RunPaused:
    iteration: int


@dataclass(frozen=True)
class RunResumed:
    iteration: int


@dataclass(frozen=True)
class RunFinished:
    run_id: str
    status: RunStatus  # a final one
    verdict: RunVerdict | None
    exit_code: ExitCode
    error: str | None = None
    iterations: int = 0


SoakEvent = (
    RunStarted | RunNotice | IterationFinished | TuningApplied | TuningSkipped | RunPaused | RunResumed | RunFinished
)
