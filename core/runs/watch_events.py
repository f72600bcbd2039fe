"""What `RunWatcher` reports of the runs under a root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.errors import ReadError
from core.runs.discovery import RunInfo
from core.runs.views import IterationView


@dataclass(frozen=True)
class RunDiscovered:
    info: RunInfo


@dataclass(frozen=True)
class IterationAdded:
    run: Path  # RunInfo.path of its run
    path: Path  # the file it was read from
    view: IterationView
    revised: bool = False  # this iteration was reported before and its file has changed since


@dataclass(frozen=True)
class RunClosed:
    """The run is over (status completed, aborted or failed), also when it was over before the
    watch began. Every iteration it left on disk has been reported before this event."""

    info: RunInfo


@dataclass(frozen=True)
class RunWentStale:
    """RUN.json says running but its heartbeat is older than STALE_AFTER_S: the writer is
    presumed dead (also when it was so before the watch began)."""

    info: RunInfo


@dataclass(frozen=True)
class RunUpdated:
    info: RunInfo  # status or liveness changed otherwise (a stale run's heartbeat came back)


@dataclass(frozen=True)
class RunRemoved:
    info: RunInfo  # its directory is gone


@dataclass(frozen=True)
class FileUnreadable:
    run: Path
    error: ReadError  # error.path names the file, error.message says why, in one line


@dataclass(frozen=True)
class SweepChanged:
    """A sweep's SWEEP.json was written (<root>/sweeps/<sweep_id>/, core/runs/sweep_file.py)."""

    sweep: Path  # its directory


@dataclass(frozen=True)
class ScanComplete:
    """Everything that was under the root when the watch began has been reported."""


WatchEvent = (
    RunDiscovered
    | IterationAdded
    | RunClosed
    | RunWentStale
    | RunUpdated
    | RunRemoved
    | FileUnreadable
    | SweepChanged
    | ScanComplete
)
