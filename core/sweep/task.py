"""One soak of a sweep as a Dask task: it runs on a worker, writes its own run directory under
the shared root (RUN.json tagged with the sweep, DESIGN.md section 7) through SoakRun, the one
composition root, and returns what SWEEP.json records of it.

The task and its outcome are plain data, so any worker that can import mm-soak runs it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import SoakError
from core.events import RunFinished, RunStarted
from core.records import ExitCode, RunStatus
from core.runner import SoakRun
from core.runs.discovery import read_manifest
from core.runs.sweep_file import ATTEMPTS_DIR, SWEEP_ATTEMPT, SWEEP_CELL, SWEEP_ID, SWEEP_TOTAL, sweep_path
from core.runs.sweeps import SweepTag
from core.sweep import attempts
from core.sweep.spec import Cell, SweepSpec


@dataclass(frozen=True)
class SoakTask:
    sweep_id: str
    root: str  # absolute: workers may run in another directory
    spec: dict[str, Any]  # SweepSpec.model_dump()
    cell: Cell
    total: int  # cells in the sweep

    @property
    def attempts(self) -> Path:
        return sweep_path(Path(self.root), self.sweep_id) / ATTEMPTS_DIR

    @property
    def key(self) -> str:
        return f"soak-{self.sweep_id}-cell{self.cell.index}"


@dataclass(frozen=True)
class SoakOutcome:
    cell: int
    status: str  # a final RunStatus
    exit_code: int
    attempts: int
    verdict: str | None = None
    run_dir: str | None = None  # absolute
    run_id: str | None = None
    iterations: int = 0
    error: str | None = None
    started_at: float | None = None  # time.time() when the task began on its worker

    def fields(self) -> dict[str, Any]:
        """What SWEEP.json and the closing table record of the outcome."""
        names = ("status", "verdict", "exit_code", "attempts", "run_id", "run_dir", "iterations", "error")
        return {name: getattr(self, name) for name in names}

    @property
    def could_not_run(self) -> bool:
        return self.status != RunStatus.COMPLETED or self.verdict is None


def run_soak(task: SoakTask) -> SoakOutcome:
    """The task: claim an attempt, run the soak to its end, and say how it went."""
    started_at = time.time()
    cell = task.cell.index
    attempt = attempts.claim(task.attempts, cell)
    if attempt > attempts.MAX_ATTEMPTS:
        died = f"its worker died in each of {attempt - 1} attempts"
        attempts.close_attempts(task.attempts, cell, RunStatus.FAILED, died, before=attempt)
        return gave_up(task, attempt - 1, died)
    done = completed_before(task, attempt)
    if done is not None:  # its worker died holding the result: the soak itself is on disk
        return done
    tags = {SWEEP_ID: task.sweep_id, SWEEP_CELL: cell, SWEEP_TOTAL: task.total, SWEEP_ATTEMPT: attempt}
    try:
        soak = SoakRun(task.cell.config(SweepSpec(**task.spec), Path(task.root)), env={}, tags=tags)
        run_dir, finished = None, None
        for event in soak.events():
            if isinstance(event, RunStarted):
                run_dir = event.run_dir
                attempts.note_run(task.attempts, cell, attempt, run_dir)
                note = f"its worker died; attempt {attempt} is run {event.run_id}"
                attempts.close_attempts(task.attempts, cell, RunStatus.FAILED, note, before=attempt)
            elif isinstance(event, RunFinished):
                finished = event
    except SoakError as err:
        return SoakOutcome(cell, RunStatus.FAILED, ExitCode.ERROR, attempt, error=str(err), started_at=started_at)
    assert finished is not None and run_dir is not None  # the loop always starts and finishes
    return SoakOutcome(
        cell=cell,
        status=finished.status,
        exit_code=int(finished.exit_code),
        attempts=attempt,
        verdict=finished.verdict.verdict if finished.verdict else None,
        run_dir=str(run_dir),
        run_id=finished.run_id,
        iterations=finished.iterations,
        error=finished.error,
        started_at=started_at,
    )


def completed_before(task: SoakTask, attempt: int) -> SoakOutcome | None:
    """The outcome of an earlier attempt that completed. Dask runs a finished task again when
    the worker holding its result dies before the client has fetched it: a soak that completed
    is never run twice."""
    for run_dir in attempts.run_dirs(task.attempts, task.cell.index, before=attempt):
        info = read_manifest(run_dir)
        if info.status == RunStatus.COMPLETED:
            verdict = (info.recorded_verdict() or {}).get("verdict")
            return SoakOutcome(
                cell=task.cell.index,
                status=info.status,
                exit_code=int(info.exit_code()),
                attempts=tag.attempt if (tag := SweepTag.of(info)) else attempt,
                verdict=verdict if isinstance(verdict, str) else None,
                run_dir=str(run_dir),
                run_id=info.run_id,
                iterations=_last_iteration(info.manifest),
            )
    return None


def _last_iteration(manifest: dict[str, Any] | None) -> int:
    value = (manifest or {}).get("last_iteration")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def gave_up(task: SoakTask, tried: int, error: str) -> SoakOutcome:
    """The outcome of a cell that could not run to its end: its last run directory, if any."""
    runs = attempts.run_dirs(task.attempts, task.cell.index)
    last = runs[-1] if runs else None
    return SoakOutcome(
        cell=task.cell.index,
        status=RunStatus.FAILED,
        exit_code=ExitCode.ERROR,
        attempts=tried,
        run_dir=str(last) if last else None,
        run_id=last.name if last else None,
        error=error,
    )
