"""What the soak loop yields (DESIGN.md section 1: the TUI sees the core only through these)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.records import IterationRecord, RunVerdict


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    run_dir: Path
    manifest: dict[str, Any]  # the content of RUN.json
    total_iterations: int | None  # None when the run is bounded by hours
    window_s: float


@dataclass(frozen=True)
class IterationFinished:
    record: IterationRecord
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
    status: str  # completed | aborted | failed
    verdict: RunVerdict | None
    exit_code: int
    error: str | None = None
    iterations: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


SoakEvent = (
    RunStarted | IterationFinished | TuningApplied | TuningSkipped | RunPaused | RunResumed | RunFinished
)
