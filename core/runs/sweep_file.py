"""SWEEP.json, a sweep's manifest (DESIGN.md sections 7 and 10): written by `soak sweep` alone,
atomically, once when the sweep starts and again as each soak finishes; read by `soak watch`.

    <root>/sweeps/<sweep_id>/SWEEP.json
    {"format": 1, "sweep_id", "status" (running|completed|aborted|failed), "started_utc",
     "finished_utc", "engine" (how the soaks ran), "spec", "total", "exit_code" (null until the
     end), "counts" {"done", "PASS", "WARN", "FAIL", "could_not_run"},
     "runs": [{"cell", "seed", "scenario", "profile", "gate", "status" (pending or the run's final
               status), "verdict", "exit_code", "run_id", "run_dir" (relative to the root),
               "attempts", "error"}, ...one per cell, in cell order]}

Each soak's own RUN.json names its sweep (SWEEP_TAGS), so a reader groups runs by sweep from
the runs alone (core/runs/sweeps.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import ArtifactError, ReadError
from core.records import RunStatus, Verdict
from core.runs.jsonio import atomic_write_json, read_object
from core.runs.layout import SWEEP_FILE, SWEEPS_DIR, utc_stamp

SWEEP_FORMAT = 1
PENDING = "pending"  # a cell whose soak has not finished
COULD_NOT_RUN = "could_not_run"  # the count of cells that ended without a verdict
ATTEMPTS_DIR = "attempts"
# RUN.json fields of a soak that is part of a sweep.
SWEEP_ID, SWEEP_CELL, SWEEP_TOTAL, SWEEP_ATTEMPT = "sweep_id", "sweep_cell", "sweep_total", "sweep_attempt"


def sweep_path(root: Path, sweep_id: str) -> Path:
    return root / SWEEPS_DIR / sweep_id


class SweepDirectory:
    """<root>/sweeps/<sweep_id>/ and the one writer of its SWEEP.json."""

    def __init__(self, root: Path, sweep_id: str) -> None:
        self.root = root
        self.sweep_id = sweep_id
        self.path = sweep_path(root, sweep_id)
        self._manifest: dict[str, Any] = {}

    @classmethod
    def create(cls, root: Path | str, now: datetime | None = None) -> SweepDirectory:
        """mkdir is the lock: a second sweep in the same second gets a -2, -3, ... suffix."""
        root = Path(root)
        base = f"{(now or datetime.now(UTC)).astimezone(UTC):%Y%m%d-%H%M%S}-sweep"
        try:
            (root / SWEEPS_DIR).mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ArtifactError(root / SWEEPS_DIR, err.strerror or str(err)) from err
        for attempt in range(1, 1000):
            sweep_id = base if attempt == 1 else f"{base}-{attempt}"
            try:
                os.mkdir(sweep_path(root, sweep_id))
                os.mkdir(sweep_path(root, sweep_id) / ATTEMPTS_DIR)
            except FileExistsError:
                continue
            except OSError as err:
                raise ArtifactError(sweep_path(root, sweep_id), err.strerror or str(err)) from err
            return cls(root, sweep_id)
        raise ArtifactError(root / SWEEPS_DIR / base, "too many sweeps started in the same second")

    @property
    def attempts(self) -> Path:
        return self.path / ATTEMPTS_DIR

    @property
    def manifest(self) -> dict[str, Any]:
        return dict(self._manifest)

    def start(
        self, spec: Mapping[str, Any], cells: Sequence[Mapping[str, Any]], engine: Mapping[str, Any], now: datetime
    ) -> None:
        """`cells`: each cell's index and values (seed, scenario, profile, gate)."""
        runs = [
            {
                **cell,
                "status": PENDING,
                "verdict": None,
                "exit_code": None,
                "run_id": None,
                "run_dir": None,
                "attempts": 0,
                "error": None,
            }
            for cell in cells
        ]
        self._manifest = {
            "format": SWEEP_FORMAT,
            "sweep_id": self.sweep_id,
            "status": RunStatus.RUNNING,
            "started_utc": utc_stamp(now),
            "finished_utc": None,
            "engine": dict(engine),
            "spec": dict(spec),
            "total": len(runs),
            "exit_code": None,
            "counts": counts(runs),
            "runs": runs,
        }
        self._write()

    def record(self, cell: int, **fields: Any) -> dict[str, Any]:
        """Update one cell's entry (status, verdict, exit_code, run_id, run_dir, attempts,
        error); returns the entry as written."""
        runs = self._manifest["runs"]
        runs[cell - 1] = {**runs[cell - 1], **fields}
        self._manifest["counts"] = counts(runs)
        self._write()
        return dict(runs[cell - 1])

    def finish(self, status: RunStatus, exit_code: int, now: datetime) -> None:
        self._manifest.update(status=status, exit_code=exit_code, finished_utc=utc_stamp(now))
        self._write()

    def _write(self) -> None:
        atomic_write_json(self.path / SWEEP_FILE, self._manifest)


def counts(runs: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many cells are done, and of those how many PASS, WARN, FAIL or could not run."""
    done = [run for run in runs if run.get("status") != PENDING]
    tally: dict[str, int] = {"done": len(done), **dict.fromkeys(Verdict, 0), COULD_NOT_RUN: 0}
    for run in done:
        verdict = Verdict.parse(run.get("verdict"))
        if run.get("status") == RunStatus.COMPLETED and verdict is not None:
            tally[verdict] += 1
        else:
            tally[COULD_NOT_RUN] += 1
    return tally


def read_sweep(directory: Path) -> dict[str, Any]:
    """SWEEP.json of the sweep in `directory`: ReadError when it cannot be used."""
    manifest = read_object(directory / SWEEP_FILE)
    if not isinstance(manifest.get("runs"), list) or RunStatus.parse(manifest.get("status")) is None:
        raise ReadError(directory / SWEEP_FILE, "wrong_shape", "not a sweep manifest (no runs list or status)")
    return manifest


def is_sweep_dir(directory: Path) -> bool:
    """Whether `directory` holds a SWEEP.json; not when it cannot be searched (its reader says why:
    Path.is_file() would raise there)."""
    return os.path.isfile(directory / SWEEP_FILE)
