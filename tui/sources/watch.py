"""The watch source: runs written by other processes, followed through core.runs.watcher.

It keeps the run list (every run under the root, with its status, iteration count and the files
it could not use) and follows one run at a time in the monitor, as core/runs/follow.py says.
Picking another run posts RunSwitched (the monitor starts afresh) and its recorded iterations.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from textual.app import App
from textual.message import Message

from core.errors import ReadError
from core.records import ExitCode, RunStatus
from core.runs.discovery import LEGACY_STATUS, RunInfo, RunKind, detect_run, read_run
from core.runs.follow import follows_new_run, initial_run
from core.runs.views import IterationView
from core.runs.watch_events import (
    FileUnreadable,
    IterationAdded,
    RunClosed,
    RunDiscovered,
    RunRemoved,
    RunUpdated,
    RunWentStale,
    ScanComplete,
    WatchEvent,
)
from core.runs.watcher import RunWatcher
from tui import messages
from tui.format import REMOVED, STALE, WATCH
from tui.sources.recorded import header_info, run_ended

WORKER_GROUP = "soak-watch"


@dataclass
class _Run:
    """What the source knows of one run under the root."""

    info: RunInfo
    iterations: set[int] = field(default_factory=set)
    problems: dict[Path, ReadError] = field(default_factory=dict)  # by file
    removed: bool = False

    def row(self) -> messages.WatchedRun:
        return messages.WatchedRun(self.info, len(self.iterations), tuple(self.problems.values()), self.removed)


class WatchSource:
    controllable = False  # the run belongs to another process
    mode = WATCH
    badge = "WATCH"

    def __init__(self, root: Path | str) -> None:
        """Raises ReadError (one line, naming the path) when `root` is not a directory."""
        self.watcher = RunWatcher(root)
        self.given = self.watcher.root if detect_run(self.watcher.root) is not None else None
        self.runs: dict[Path, _Run] = {}
        self.current: Path | None = None
        self._choosing = True  # the scan reports every run before any iteration
        self._history: list[IterationView] | None = []  # the followed run's, until the scan ends
        self._shown: set[int] = set()
        self._app: App[int] | None = None
        self._commands: asyncio.Queue[list[WatchEvent] | Path | BaseException | None] = asyncio.Queue()

    # -- RunSource ------------------------------------------------------------------------------
    def start(self, app: App[int]) -> None:
        self._app = app
        app.run_worker(self._follow(), name="soak watch", group=WORKER_GROUP, exit_on_error=False)

    def pause(self) -> None:
        pass

    def resume(self) -> None:
        pass

    def stop(self) -> None:
        self.watcher.stop()

    def select(self, run: Path) -> None:
        """Follow `run` from now on (the user picked it)."""
        if run != self.current:
            self._commands.put_nowait(run)

    # -- the worker -----------------------------------------------------------------------------
    async def _follow(self) -> None:
        pump = asyncio.create_task(self._pump())
        try:
            while (item := await self._commands.get()) is not None:
                if isinstance(item, Path):
                    await self._switch(item, load=True)
                elif isinstance(item, BaseException):
                    self._post(messages.RunEnded(RunStatus.FAILED, ExitCode.ERROR, error=f"the watch stopped: {item}"))
                    return
                else:
                    await self._apply(item)
        finally:
            self.watcher.stop()
            pump.cancel()

    async def _pump(self) -> None:
        """The watcher's batches into the same queue as the user's picks, so both go in order."""
        try:
            async for batch in self.watcher.batches():
                self._commands.put_nowait(batch)
        except Exception as err:  # the root went away, say
            self._commands.put_nowait(err)
            return
        self._commands.put_nowait(None)

    async def _apply(self, batch: list[WatchEvent]) -> None:
        problems: list[ReadError] = []
        for event in batch:
            if self._choosing and not isinstance(event, RunDiscovered):
                await self._choose()
            match event:
                case RunDiscovered(info=info):
                    # A followed directory deleted and created again (the older tool's latest/)
                    # holds a new run: shown afresh.
                    again = info.path == self.current and info.path in self.runs and self.runs[info.path].removed
                    self.runs[info.path] = _Run(info)
                    if not self._choosing and again:
                        await self._switch(info.path, load=False)
                    elif not self._choosing:
                        await self._new_run(info)
                case IterationAdded(run=run, view=view):
                    self.runs[run].iterations.add(view.iteration)
                    self.runs[run].problems.pop(event.path, None)  # it was half written
                    if run == self.current and (event.revised or view.iteration not in self._shown):
                        self._show([view])
                case FileUnreadable(run=run, error=error):
                    if error.path is not None:
                        self.runs[run].problems[error.path] = error
                    problems.append(error)
                case ScanComplete():
                    history, self._history = self._history or [], None
                    self._show(history, history=True)
                    if self.current is not None:
                        await self._state_changed(revived=False, history=True)
                case RunClosed(info=info) | RunWentStale(info=info) | RunUpdated(info=info):
                    self.runs[info.path].info = info
                    if info.path == self.current and self._history is None:  # else at ScanComplete
                        await self._state_changed(revived=isinstance(event, RunUpdated))
                case RunRemoved(info=info):
                    self.runs[info.path].removed = True
                    if info.path == self.current:
                        self._post(
                            messages.RunEnded(REMOVED, ExitCode.ERROR, error=f"its directory was deleted: {info.path}")
                        )
        self._post_runs()
        if problems:
            self._post(messages.FilesUnreadable(tuple(problems)))

    async def _new_run(self, info: RunInfo) -> None:
        """A run that started after the scan: followed if none is yet, else announced."""
        if follows_new_run(info, self.current, self.given):
            await self._switch(info.path, load=False)
        elif self.given is None:
            self._post(messages.RunAnnounced(info))

    async def _choose(self) -> None:
        self._choosing = False
        chosen = initial_run((run.info for run in self.runs.values()), self.given, finished_ok=True)
        if chosen is not None:
            await self._switch(chosen.path, load=False)

    async def _switch(self, run: Path, load: bool) -> None:
        """Follow `run`. With `load`, its iterations are read now (they were reported while
        another run was followed); otherwise the watcher is about to report them."""
        if run not in self.runs or self.runs[run].removed:
            return
        if self.current is not None:
            self._post(messages.RunSwitched())
        self.current, self._shown = run, set()
        if self._history is not None:
            self._history = []
        info = self.runs[run].info
        self._post(messages.RunOpened(header_info(info)))
        if info.kind == RunKind.LEGACY:  # no RUN.json: nothing says whether it is going on
            self._post(messages.RunStateChanged(LEGACY_STATUS))
        self._post_runs()  # the run list marks the followed run
        if load:
            try:
                snapshot = await asyncio.to_thread(read_run, run)
            except ReadError as err:  # deleted meanwhile: the watcher will say so too
                self._post(messages.FilesUnreadable((err,)))
                return
            self._show(snapshot.iterations, history=True)
            await self._state_changed(revived=False, history=True)

    async def _state_changed(self, revived: bool, history: bool = False) -> None:
        """Tell the monitor how the followed run stands when it is no longer simply running.
        `history`: as it was found (a run picked or found ended), not as it changed."""
        assert self.current is not None
        info = self.runs[self.current].info
        if revived:  # a stale run's heartbeat came back, say: start afresh
            await self._switch(info.path, load=True)
        elif info.kind is RunKind.LEGACY:  # shown as legacy, over or not (`watch --no-ui` tells its end)
            return
        elif info.finished:
            self._post(run_ended(info, info.status, info.exit_code(), history))
        elif info.stale:
            self._post(
                messages.RunEnded(
                    STALE,
                    ExitCode.ERROR,
                    error="RUN.json says running but its heartbeat stopped: the writer is presumed dead",
                    history=history,
                )
            )

    def _show(self, views: list[IterationView], history: bool = False) -> None:
        if self._history is not None:
            self._history += views  # shown together once the scan is done
            return
        self._shown.update(view.iteration for view in views)
        if views:
            self._post(messages.IterationsArrived(views, history))

    def _post_runs(self) -> None:
        rows = tuple(run.row() for run in self.runs.values())
        self._post(messages.RunsChanged(rows, self.current, scanning=self._history is not None))

    def _post(self, message: Message) -> None:
        if self._app is not None:
            self._app.post_message(message)
