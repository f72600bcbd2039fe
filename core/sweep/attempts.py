"""The attempts at each cell of a sweep, on the shared disk: <sweep>/attempts/<cell>.<n>.json.

Dask runs a task again when the worker running it dies, as often as the scheduler's
`allowed-failures` says, and the client submits it again when the scheduler gives up
(core/sweep/engine.py). Whichever reruns it, the task claims the next attempt number here as it
starts (creating the file is the claim), so the rule holds on any cluster: a soak runs at most
MAX_ATTEMPTS times, and the attempts of a dead worker are ended `failed` in their RUN.json.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from core.errors import ArtifactError, ReadError
from core.records import RunStatus
from core.runs.jsonio import atomic_write_json, read_object
from core.runs.writer import close_abandoned

MAX_ATTEMPTS = 2  # the first run and one retry


def _path(attempts: Path, cell: int, attempt: int) -> Path:
    return attempts / f"{cell}.{attempt}.json"


def claim(attempts: Path, cell: int) -> int:
    """This attempt's number: the first n whose file this call creates."""
    for attempt in itertools.count(1):
        try:
            os.close(os.open(_path(attempts, cell, attempt), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        except OSError as err:
            raise ArtifactError(_path(attempts, cell, attempt), err.strerror or str(err)) from err
        return attempt
    raise AssertionError("unreachable")


def note_run(attempts: Path, cell: int, attempt: int, run_dir: Path) -> None:
    """The run directory this attempt writes (the claim's file is empty until then)."""
    atomic_write_json(_path(attempts, cell, attempt), {"run_dir": str(run_dir), "pid": os.getpid()})


def count(attempts: Path, cell: int) -> int:
    return sum(1 for _ in itertools.takewhile(lambda n: _path(attempts, cell, n).exists(), itertools.count(1)))


def run_dirs(attempts: Path, cell: int, before: int | None = None) -> list[Path]:
    """The run directories of the attempts at `cell` (those numbered below `before`), in order;
    an attempt whose worker died before its run started has none."""
    last = count(attempts, cell) if before is None else before - 1
    found = []
    for attempt in range(1, last + 1):
        try:
            run_dir = read_object(_path(attempts, cell, attempt)).get("run_dir")
        except ReadError:  # claimed, run not started (an empty file)
            continue
        if isinstance(run_dir, str):
            found.append(Path(run_dir))
    return found


def close_attempts(attempts: Path, cell: int, status: RunStatus, error: str, before: int | None = None) -> None:
    """End every attempt at `cell` (below `before`) that still says running: its worker is gone."""
    for run_dir in run_dirs(attempts, cell, before):
        close_abandoned(run_dir, status, error)
