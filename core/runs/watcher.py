"""Following a directory of runs written by other processes, as events (DESIGN.md sections 7, 9).

`RunWatcher(root).events()` turns `root` (an artifact root, a runs/ directory, one run directory
or a legacy flat directory) into what happens there (core/runs/watch_events.py). It starts
watching before it scans what is already there, and remembers what it has reported (by file name
and stat signature), so nothing is missed and nothing is reported twice.

Every file is read through the readers of core/runs. An unusable file is reported only once it
has stopped changing for `settle_s`: a writer that is not atomic lets a reader see half a file,
and that file becomes an iteration, not an error, when the writer is done with it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchfiles import Change

from core.errors import ReadError
from core.runs import legacy
from core.runs.discovery import RunInfo, RunKind, detect_run, discover_runs, iter_runs, manifest_file, report_entries
from core.runs.jsonio import check_directory
from core.runs.latest import mirrored_run
from core.runs.layout import (
    IGNORED_REASON,
    ITER_FILE_RE,
    LEGACY_END_FILE,
    RUN_FILE,
    SWEEP_FILE,
    SWEEPS_DIR,
    TUNING_REPORT_FILE,
    ignored_name,
    is_artifact,
    is_stale,
    may_hold_run,
    run_places,
    seconds_until_stale,
)
from core.runs.legacy import LEGACY_QUIET_S, LEGACY_STATUS
from core.runs.root_watch import RootWatch
from core.runs.views import read_iteration
from core.runs.watch_events import (
    FileUnreadable,
    IterationAdded,
    RunClosed,
    RunDiscovered,
    RunRemoved,
    RunUpdated,
    RunWentStale,
    ScanComplete,
    SweepChanged,
    WatchEvent,
)

# watchfiles groups changes for up to 1600 ms by default; a live view wants them within ~50 ms.
DEBOUNCE_MS = 50
STEP_MS = 20
SETTLE_S = 0.5
CHUNK = 1000  # most events per batch, so a run of 10,000 iterations is not held in one list
BATCH_S = 1.0  # and at most this long gathering them: a slow scan is shown as it goes
FIRST_BATCH_S = 0.1  # the first sooner: a monitor's run list is on screen at once


Signature = tuple[int, ...]  # (inode, size, mtime_ns, ctime_ns), or (-errno,) when stat fails


@dataclass
class _Unsettled:
    signature: Signature
    since: float
    error: ReadError


@dataclass
class _Run:
    info: RunInfo
    reported: dict[str, Signature] = field(default_factory=dict)  # file name -> what we read
    unsettled: dict[str, _Unsettled] = field(default_factory=dict)
    iterations: set[int] = field(default_factory=set)
    said: tuple[str, bool, str, bool] | None = None  # (status, stale, kind, finished) last announced
    changed_at: float = 0.0  # a legacy run's last change, on the watcher's clock

    @property
    def path(self) -> Path:
        return self.info.path

    def has_iteration_files(self) -> bool:
        return any(ITER_FILE_RE.match(name) for name in (*self.reported, *self.unsettled))


# --------------------------------------------------------------------------------------------
# The watcher


class RunWatcher:
    def __init__(
        self,
        root: Path | str,
        *,
        debounce_ms: int = DEBOUNCE_MS,
        step_ms: int = STEP_MS,
        settle_s: float = SETTLE_S,
        quiet_s: float = LEGACY_QUIET_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        given = Path(root)
        check_directory(given)  # one it may not list would be watched forever, showing nothing
        self.root = Path(os.path.realpath(mirrored_run(given) or given))  # `latest`: the run it shows
        self.debounce_ms, self.step_ms, self.settle_s = debounce_ms, step_ms, settle_s
        self.quiet_s = quiet_s
        self._clock = clock
        self._stop = threading.Event()
        self._changes: RootWatch | None = None
        self._runs: dict[str, _Run] = {}  # by real path

    def stop(self) -> None:
        """End `events()` soon (within a step). Safe from any thread."""
        self._stop.set()
        if self._changes is not None:
            self._changes.stop()

    async def events(self) -> AsyncIterator[WatchEvent]:
        async for batch in self.batches():
            for event in batch:
                yield event

    async def batches(self) -> AsyncIterator[list[WatchEvent]]:
        """Events in lists: one per change the file system reported, or per CHUNK of a scan.
        Files are read in a worker thread, so a big scan does not block the event loop.

        When the root itself is deleted, its runs are reported removed; once a directory is there
        again it is watched and scanned afresh (core/runs/root_watch.py)."""
        self._changes = changes = RootWatch(self.root, self.debounce_ms, self.step_ms)
        if self._stop.is_set():
            changes.stop()
        scan = self._scan()
        try:
            await changes.start()
            while True:
                within = FIRST_BATCH_S
                while not self._stop.is_set() and (batch := await asyncio.to_thread(_take, scan, within)):
                    yield batch
                    within = BATCH_S
                while (change := await changes.next(self._seconds_to_next_check())) is not None:
                    if changes.replaced():  # what else the changes say is of the directory that went
                        break
                    applied = self._apply(change)
                    while batch := await asyncio.to_thread(_take, applied):
                        yield batch
                if change is None:
                    return
                yield self._forget_runs()  # they were in the directory that is gone
                if not await changes.back():
                    return
                scan = self._directory_changed(self.root)
        finally:
            self._stop.set()
            changes.close()

    # -- scanning ---------------------------------------------------------------------------
    def _scan(self) -> Iterator[WatchEvent]:
        """Every run first (so a viewer can choose one), then their files, newest run first."""
        runs = []
        for info in iter_runs(self.root, quiet_s=self.quiet_s):  # each as found: a list shows at once
            runs.append(self._register(info))
            yield RunDiscovered(info)
        runs.sort(key=lambda run: (run.info.run_id, str(run.info.path)))
        for run in reversed(runs):
            yield from self._read_run(run)
            yield from self._announce(run)
        yield ScanComplete()

    def _register(self, info: RunInfo) -> _Run:
        run = _Run(info)
        if info.kind is RunKind.LEGACY:  # its quiet time runs from its newest file's change
            run.changed_at = self._clock() - legacy.quiet_for(info.path, _names(info.path), time.time())
        self._runs[os.path.realpath(info.path)] = run
        return run

    def _read_run(self, run: _Run) -> Iterator[WatchEvent]:
        """Every artifact of the run that has not been reported yet."""
        try:
            names = os.listdir(run.path)
        except OSError:
            if (unlisted := run.info.unlisted) is not None:
                yield FileUnreadable(run.path, unlisted)
            return
        yield from self._files_changed(run, names)

    # -- changes ----------------------------------------------------------------------------
    def _apply(self, changes: set[tuple[Change, str]]) -> Iterator[WatchEvent]:
        directories: set[Path] = set()
        files: dict[Path, set[str]] = {}
        sweeps: set[Path] = set()
        for _, raw in changes:
            path = Path(raw)
            if path.name == SWEEP_FILE and path.parent.parent == self.root / SWEEPS_DIR:
                sweeps.add(path.parent)
            place = self._place(path)
            if place is None:
                continue
            directory, name = place
            if name is None:
                directories.add(directory)
            else:
                files.setdefault(directory, set()).add(name)
        for directory in sorted(directories):
            yield from self._directory_changed(directory)
        for directory, names in sorted(files.items()):
            if self._run_at(directory) is None:  # its first artifact made it a run
                yield from self._directory_changed(directory)
            if (run := self._run_at(directory)) is not None:
                yield from self._files_changed(run, names)
        if any(change == Change.deleted for change, _ in changes):
            yield from self._removed_runs()
        for sweep in sorted(sweeps):  # after its runs' files: a sweep ends after its soaks
            yield SweepChanged(sweep)
        yield from self._due_checks()

    def _place(self, path: Path) -> tuple[Path, str | None] | None:
        """(run directory, artifact name) for a run's file; (directory, None) for a directory
        that may hold a run; None for anything else (temporary files, deeper files)."""
        if is_artifact(path.name) and self._may_hold_run(path.parent):
            return path.parent, path.name
        if self._may_hold_run(path):
            return path, None
        return None

    def _may_hold_run(self, directory: Path) -> bool:
        return may_hold_run(self.root, directory)

    def _run_at(self, directory: Path) -> _Run | None:
        return self._runs.get(os.path.realpath(directory))

    def _directory_changed(self, directory: Path) -> Iterator[WatchEvent]:
        if directory in run_places(self.root):  # its children may be new runs
            infos = discover_runs(directory, quiet_s=self.quiet_s)
        elif self._run_at(directory) is None and (info := detect_run(directory, quiet_s=self.quiet_s)) is not None:
            infos = [info]
        else:
            return
        for info in infos:
            if not self._may_hold_run(info.path) or self._run_at(info.path) is not None:
                continue
            real = Path(os.path.realpath(info.path))
            if real != info.path and self._may_hold_run(real):  # `latest`: name the run by its home
                info = dataclasses.replace(info, path=real)
            run = self._register(info)
            yield RunDiscovered(info)
            yield from self._read_run(run)
            yield from self._announce(run)

    def _files_changed(self, run: _Run, names: Collection[str]) -> Iterator[WatchEvent]:
        """Iterations in order, then the report, then RUN.json: a run ends after its iterations."""
        numbered = sorted((int(match.group(1)), name) for name in names if (match := ITER_FILE_RE.match(name)))
        for name in sorted(filter(ignored_name, names)):
            yield from self._ignored(run, name)
        for _, name in numbered:
            yield from self._file_changed(run, name)
        for name in (TUNING_REPORT_FILE, RUN_FILE, LEGACY_END_FILE):
            if name in names:
                yield from self._file_changed(run, name)

    def _file_changed(self, run: _Run, name: str) -> Iterator[WatchEvent]:
        if name == TUNING_REPORT_FILE and run.has_iteration_files():
            return  # the report repeats what the ITER_SUMMARY files say
        path = run.path / name
        signature = _signature(path)
        if signature is None:  # deleted: what it said stays reported
            run.reported.pop(name, None)
            run.unsettled.pop(name, None)
            return
        if run.reported.get(name) == signature:
            return
        yield from self._changed_again(run, name)
        try:
            value = self._reader_for(name)(path)
        except ReadError as err:
            if err.kind == "missing":
                return
            if run.info.finished:  # its writer is done with it: no later version to wait for
                run.unsettled.pop(name, None)
                run.reported[name] = signature
                yield FileUnreadable(run.path, err)
            else:
                self._hold(run, name, signature, err)
            return
        run.unsettled.pop(name, None)
        run.reported[name] = signature
        yield from self._handle(run, path, value)

    def _ignored(self, run: _Run, name: str) -> Iterator[WatchEvent]:
        """Named like an iteration but not one: said once (again if it changes), never read."""
        signature = _signature(run.path / name)
        if signature is not None and run.reported.get(name) != signature:
            run.reported[name] = signature
            yield FileUnreadable(run.path, ReadError(run.path / name, "wrong_name", IGNORED_REASON))

    def _hold(self, run: _Run, name: str, signature: Signature, error: ReadError) -> None:
        """Keep an unusable file back until it has not changed for settle_s."""
        held = run.unsettled.get(name)
        since = held.since if held is not None and held.signature == signature else self._clock()
        run.unsettled[name] = _Unsettled(signature, since, error)

    def _handle(self, run: _Run, path: Path, value: Any) -> Iterator[WatchEvent]:
        if path.name in (RUN_FILE, LEGACY_END_FILE):
            yield from self._manifest_changed(run, value)
        elif path.name == TUNING_REPORT_FILE:
            views, problems = value
            for view in views:
                if view.iteration not in run.iterations:
                    run.iterations.add(view.iteration)
                    yield IterationAdded(run.path, path, view)
            for problem in problems:
                yield FileUnreadable(run.path, problem)
        else:
            revised = value.iteration in run.iterations
            run.iterations.add(value.iteration)
            yield IterationAdded(run.path, path, value, revised)

    def _manifest_changed(self, run: _Run, info: RunInfo) -> Iterator[WatchEvent]:
        finishing = info.finished and not run.info.finished
        run.info = info
        if run.said is None:
            return  # still being discovered: announced once its files are read
        if finishing:
            yield from self._read_run(run)  # any iteration whose event has not come in yet
        yield from self._announce(run)

    def _announce(self, run: _Run) -> Iterator[WatchEvent]:
        """RunClosed when a run is over (also one that was over before the watch began),
        RunWentStale when its writer died, RunUpdated for any other change of state."""
        info, before = run.info, run.said
        run.said = (info.status, info.stale, info.kind, info.finished)
        if run.said == before:
            return
        if info.finished and (before is None or not before[3]):
            yield RunClosed(info)
        elif info.stale and not info.finished and (before is None or not before[1]):
            yield RunWentStale(info)
        elif before is not None:
            yield RunUpdated(info)

    def _forget_runs(self) -> list[WatchEvent]:
        removed: list[WatchEvent] = [RunRemoved(run.info) for run in self._runs.values()]
        self._runs.clear()
        return removed

    def _removed_runs(self) -> Iterator[WatchEvent]:
        for key, run in list(self._runs.items()):
            if not os.path.isdir(run.path):
                del self._runs[key]
                yield RunRemoved(run.info)

    def _reader_for(self, name: str) -> Callable[[Path], Any]:
        readers = {RUN_FILE: manifest_file, TUNING_REPORT_FILE: report_entries, LEGACY_END_FILE: self._read_end_file}
        return readers.get(name, read_iteration)

    def _read_end_file(self, path: Path) -> RunInfo:
        """What a run is, once its summary.txt (the older tool's end marker) has changed."""
        info = detect_run(path.parent, quiet_s=self.quiet_s)
        if info is None:
            raise ReadError(path, "missing", "no such run (missing or deleted)")
        return info

    def _changed_again(self, run: _Run, name: str) -> Iterator[WatchEvent]:
        """A file of a legacy run is read: its quiet time runs from that file's change at the
        latest (and a run that had gone quiet is going on after all)."""
        if run.info.kind is not RunKind.LEGACY:
            return
        now = self._clock()
        run.changed_at = max(run.changed_at, now - legacy.quiet_for(run.path, (name,), time.time()))
        if run.info.stale and run.info.status == LEGACY_STATUS and now - run.changed_at < self.quiet_s:
            run.info = dataclasses.replace(run.info, stale=False)
            yield from self._announce(run)

    def _went_quiet(self, run: _Run, now: float) -> bool:
        return run.info.kind is RunKind.LEGACY and now - run.changed_at >= self.quiet_s

    # -- timers -----------------------------------------------------------------------------
    def _due_checks(self) -> Iterator[WatchEvent]:
        now = self._clock()
        for run in list(self._runs.values()):
            for name, held in list(run.unsettled.items()):
                if now - held.since >= self.settle_s:
                    yield from self._settle(run, name, held)
            info = run.info
            if info.live and (is_stale(info.manifest or {}) or self._went_quiet(run, now)):
                run.info = dataclasses.replace(info, stale=True)
                yield from self._announce(run)

    def _settle(self, run: _Run, name: str, held: _Unsettled) -> Iterator[WatchEvent]:
        del run.unsettled[name]
        if _signature(run.path / name) != held.signature:
            yield from self._file_changed(run, name)  # it moved on: judge it afresh
            return
        run.reported[name] = held.signature
        yield FileUnreadable(run.path, held.error)

    def _seconds_to_next_check(self) -> float | None:
        now = self._clock()
        due = []
        for run in self._runs.values():
            due += [held.since + self.settle_s - now for held in run.unsettled.values()]
            if run.info.live and run.info.kind is RunKind.LEGACY:
                due.append(run.changed_at + self.quiet_s - now)
            elif run.info.live:
                due.append(seconds_until_stale(run.info.manifest or {}))
        return max(min(due), 0.01) if due else None


# --------------------------------------------------------------------------------------------
# Helpers


def _names(directory: Path) -> list[str]:
    try:
        return os.listdir(directory)
    except OSError:
        return []


def _take(events: Iterator[WatchEvent], within: float = BATCH_S) -> list[WatchEvent]:
    """Up to CHUNK events, or what came `within` seconds."""
    deadline = time.monotonic() + within
    batch: list[WatchEvent] = []
    for event in events:
        batch.append(event)
        if len(batch) >= CHUNK or time.monotonic() >= deadline:
            break
    return batch


def _signature(path: Path) -> Signature | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as err:  # a symlink loop, a directory we may not search: still a file to report
        return (-(err.errno or errno.EIO),)
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
