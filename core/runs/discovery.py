"""Finding runs under a root and reading one whole: what kind it is, its manifest, its iterations.

Nothing here raises anything but ReadError: a malformed file becomes one error and the rest of
the run still loads.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from core.errors import ReadError
from core.records import FINAL_STATUSES, ExitCode, RunStatus, Verdict
from core.runs import legacy
from core.runs.jsonio import check_directory, os_read_error, read_object
from core.runs.latest import mirrored_run
from core.runs.layout import (
    ITER_FILE_RE,
    RUN_FILE,
    RUNS_DIR,
    TUNING_REPORT_FILE,
    ignored_name,
    is_stale,
    iteration_number,
    run_places,
)
from core.runs.legacy import LEGACY_QUIET_S, LEGACY_STATUS
from core.runs.views import IterationView, read_iteration

UNKNOWN_STATUS = "unknown"  # RUN.json cannot be used, or says something this tool does not know
__all__ = ["LEGACY_STATUS", "UNKNOWN_STATUS", "RunInfo", "RunKind", "RunSnapshot"]


class RunKind(StrEnum):
    NATIVE = "native"  # runs/<run_id>/ with RUN.json
    LEGACY = "legacy"  # an older tool's flat directory: ITER_SUMMARY_*.json, no RUN.json


@dataclass(frozen=True)
class RunInfo:
    """A run found on disk."""

    path: Path
    kind: RunKind
    run_id: str  # from RUN.json; the directory name for a legacy run
    status: str  # a RunStatus; LEGACY_STATUS; UNKNOWN_STATUS; or what an unknown RUN.json says
    manifest: dict[str, Any] | None
    stale: bool  # running (or legacy) but its heartbeat (its files) stopped: the writer is presumed dead
    error: ReadError | None = None  # why RUN.json (or the run's directory) could not be used

    @property
    def unlisted(self) -> ReadError | None:
        """Why this process may not list the run's directory (None: it may)."""
        return self.error if self.error is not None and self.error.path == self.path else None

    @property
    def finished(self) -> bool:
        """Over: a final status, or a legacy run whose files stopped changing (core/runs/legacy.py)."""
        return self.status in FINAL_STATUSES or (self.kind is RunKind.LEGACY and self.stale)

    @property
    def live(self) -> bool:
        """Running, with a heartbeat recent enough that its writer is presumed alive (a legacy
        run: not finished, its files changed recently)."""
        going = self.status == RunStatus.RUNNING or (self.kind is RunKind.LEGACY and self.status == LEGACY_STATUS)
        return going and not self.stale

    def recorded_verdict(self) -> dict[str, Any] | None:
        """RUN.json's verdict of a finished native run: {"verdict", "reasons", ...}."""
        verdict = (self.manifest or {}).get("verdict")
        return verdict if isinstance(verdict, dict) else None

    def exit_code(self) -> ExitCode:
        """The exit code `soak run` gave this finished run: the gate's, 130 aborted, 2 failed."""
        if self.status == RunStatus.ABORTED:
            return ExitCode.INTERRUPTED
        verdict = Verdict.parse((self.recorded_verdict() or {}).get("verdict"))
        if self.status != RunStatus.COMPLETED or verdict is None:
            return ExitCode.ERROR
        return ExitCode.for_verdict(verdict)

    def total_iterations(self) -> int | None:
        total = (self.manifest or {}).get("iterations")
        return total if isinstance(total, int) and not isinstance(total, bool) else None

    def start_key(self) -> tuple[str, str]:
        """A sort key: when the run started (RUN.json), then its id."""
        started = (self.manifest or {}).get("started_utc")
        return (started if isinstance(started, str) else "", self.run_id)


@dataclass(frozen=True)
class RunSnapshot:
    info: RunInfo
    iterations: list[IterationView]  # sorted by iteration
    errors: list[ReadError]  # one per file that could not be used; the rest still loads
    tuning_report: dict[str, Any] | None
    ignored: list[str] = dataclasses.field(default_factory=list)  # layout.ignored_name: not read


def detect_run(directory: Path | str, now: datetime | None = None, quiet_s: float = LEGACY_QUIET_S) -> RunInfo | None:
    """What kind of run `directory` holds, or None when it is not a run. A `latest` directory of
    ours is the run it mirrors (core/runs/latest.py). A directory in a `runs` folder that this
    process may not list is a run it cannot read (its error says so); elsewhere such a directory
    is no run (`soak watch ~` passes ~/.ssh by)."""
    directory = Path(directory)
    directory = mirrored_run(directory) or directory
    try:
        names = set(os.listdir(directory))
    except OSError as err:
        if directory.parent.name != RUNS_DIR or err.errno not in (errno.EACCES, errno.EPERM):
            return None
        error = os_read_error(directory, err)
        return RunInfo(directory, RunKind.NATIVE, directory.name, UNKNOWN_STATUS, None, False, error)
    if RUN_FILE in names:
        return read_manifest(directory, now)
    if TUNING_REPORT_FILE in names or any(ITER_FILE_RE.match(name) for name in names):
        epoch = now.timestamp() if now is not None else time.time()
        status, stale = legacy.legacy_state(directory, names, epoch, quiet_s)
        return RunInfo(directory, RunKind.LEGACY, directory.name, status, None, stale=stale)
    return None


def read_manifest(directory: Path, now: datetime | None = None) -> RunInfo:
    """The native run in `directory`, from its RUN.json (an unusable one is the RunInfo's error)."""
    try:
        manifest = read_object(directory / RUN_FILE)
    except ReadError as err:
        return RunInfo(directory, RunKind.NATIVE, directory.name, UNKNOWN_STATUS, None, False, err)
    run_id = manifest.get("run_id")
    status = manifest.get("status")
    return RunInfo(
        path=directory,
        kind=RunKind.NATIVE,
        run_id=run_id if isinstance(run_id, str) and run_id else directory.name,
        status=status if isinstance(status, str) else UNKNOWN_STATUS,
        manifest=manifest,
        stale=is_stale(manifest, now),
    )


def manifest_file(path: Path) -> RunInfo:
    """The run whose RUN.json `path` is (a watcher reading one changed file); ReadError if unusable."""
    if not path.parent.is_dir():
        raise ReadError(path, "missing", "no such file (missing or deleted)")
    info = read_manifest(path.parent)
    if info.error is not None:
        raise info.error
    return info


def report_entries(path: Path) -> tuple[list[IterationView], list[ReadError]]:
    """A legacy run that has a TUNING_REPORT.json and no ITER_SUMMARY files: its entries, from the
    report `path` (a watcher reading one changed file); ReadError when none can be used."""
    snapshot = read_run(path.parent)
    problems = [error for error in snapshot.errors if error.path == path]
    if problems and not snapshot.iterations:
        raise problems[0]
    return snapshot.iterations, problems


def read_run(directory: Path | str, now: datetime | None = None) -> RunSnapshot:
    """Everything readable in one run. ReadError only when the directory itself is unusable."""
    directory = Path(directory)
    info = detect_run(directory, now)
    directory = info.path if info is not None else directory
    if info is None or info.unlisted is not None:
        check_directory(directory, missing="no such run directory (missing or deleted)")
    if info is None:
        raise ReadError(
            directory,
            "wrong_shape",
            "not a run: no RUN.json, ITER_SUMMARY_*.json or TUNING_REPORT.json (or not readable)",
        )
    errors = [info.error] if info.error else []
    iterations = []
    names = _names(directory)
    files = _iteration_files(directory, names)
    for path in files:
        try:
            iterations.append(read_iteration(path))
        except ReadError as err:
            errors.append(err)
    report_errors: list[ReadError] = []
    report = legacy.read_tuning_report(directory / TUNING_REPORT_FILE, report_errors)
    # Beside ITER_SUMMARY files the report only repeats them: a long run's is past the size the
    # readers take, and that is no fault of the run.
    errors += [err for err in report_errors if not (files and err.kind == "too_large")]
    if not iterations and report is not None:
        iterations = legacy.report_iterations(directory / TUNING_REPORT_FILE, report, errors)
    iterations.sort(key=lambda view: view.iteration)
    return RunSnapshot(info, iterations, errors, report, sorted(filter(ignored_name, names)))


def _names(directory: Path) -> list[str]:
    try:
        return os.listdir(directory)
    except OSError:  # deleted since detect_run: nothing left to read
        return []


def _iteration_files(directory: Path, names: list[str]) -> list[Path]:
    numbered = [(number, name) for name in names if (number := iteration_number(name)) is not None]
    return [directory / name for _, name in sorted(numbered)]


def discover_runs(root: Path | str, now: datetime | None = None, quiet_s: float = LEGACY_QUIET_S) -> list[RunInfo]:
    """Every run under `root`, each once, ordered by run_id.

    `root` may be an artifact root (runs/<id>/ and `latest`), a runs/ directory, a single run
    directory, or a legacy flat directory. A `latest` link or copy of ours does not add a second
    copy of the run it shows; a legacy flat `latest` directory is a run of its own.
    """
    return sorted(iter_runs(root, now, quiet_s), key=lambda info: (info.run_id, str(info.path)))


def iter_runs(root: Path | str, now: datetime | None = None, quiet_s: float = LEGACY_QUIET_S) -> Iterator[RunInfo]:
    """discover_runs' runs one by one as they are found (a monitor lists them at once), in no
    particular order. Links come last: a run is named by its own directory, not a link to it."""
    root = Path(root)
    candidates = [root, *(child for place in run_places(root) for child in _subdirectories(place))]
    seen: set[str] = set()
    linked = [candidate for candidate in candidates if os.path.islink(candidate)]  # False where it may not look
    for candidate in [*(c for c in candidates if not os.path.islink(c)), *linked]:
        info = detect_run(candidate, now, quiet_s)
        if info is None:
            continue
        try:
            key = os.path.realpath(info.path, strict=True)
        except OSError:  # deleted or a broken link by now
            continue
        if key not in seen:
            seen.add(key)
            yield info


def _subdirectories(directory: Path) -> list[Path]:
    try:
        with os.scandir(directory) as entries:
            return sorted(Path(entry.path) for entry in entries if _is_dir(entry))
    except OSError:
        return []


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows `latest`; False for a loop or a dangling link
    except OSError:
        return False
