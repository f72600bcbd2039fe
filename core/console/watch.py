"""`soak watch --no-ui`: follow one run written by another process, a line per iteration.

Which run is followed: core/runs/follow.py (a headless watch waits for a live run rather than
replaying a finished one, unless the root names one; a soak of a running sweep brings its whole
sweep, followed by core/console/sweep_watch.py). Its iterations already on disk are printed
first, then each one as it lands, then the summary. The watch ends when the run does, with the
run's exit code: its gate's (0 PASS or WARN, 1 FAIL) when it completed, 130 when it was aborted,
2 when it failed, went stale (its writer died) or was deleted. A legacy run is over when its
summary.txt says so or its files stop changing (core/runs/legacy.py); its exit code is the one
its recorded verdicts give (0 or 1; 2 with none). When the directory the watch was given is
deleted, the watch waits for it to come back (the older tool deletes and recreates its `latest`
at the start of each run) and follows the run there. Interrupted: 130; `timeout` seconds passed
with the run still going: 2.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from core.console.lines import closing_lines, iteration_line, summary_table
from core.console.streams import Log, say
from core.console.sweep_watch import SweepFollower
from core.gates import run_verdict
from core.records import ExitCode, RunVerdict, Verdict
from core.runs.discovery import RunInfo, RunKind, detect_run
from core.runs.follow import follows_new_run, initial_run, sweep_to_follow
from core.runs.sweep_file import is_sweep_dir
from core.runs.views import IterationView
from core.runs.watch_events import (
    FileUnreadable,
    IterationAdded,
    RunClosed,
    RunDiscovered,
    RunRemoved,
    RunWentStale,
    SweepChanged,
    WatchEvent,
)
from core.runs.watcher import RunWatcher
from core.text import escape_controls


def watch_headless(root: Path | str, out: TextIO | None = None, timeout: float | None = None) -> int:
    """Raises ReadError (one line, naming the path) when `root` is not a directory. Exit code 2
    when the log on `out` (stdout by default) could not be written (core/console/streams.py)."""
    root = Path(root)
    log = Log(out if out is not None else sys.stdout)
    if is_sweep_dir(root):  # <root>/sweeps/<id>: its soaks live in <root>/runs
        sweep = Path(os.path.realpath(root))
        follower = RunFollower(RunWatcher(sweep.parent.parent), log, sweep)
    else:
        follower = RunFollower(RunWatcher(root), log)
    try:
        code = asyncio.run(follower.follow(timeout))
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
    lost = log.lost_line("the watch followed the run to its end")
    if lost is None:
        return code
    say(lost)
    return ExitCode.ERROR


class RunFollower:
    def __init__(self, watcher: RunWatcher, out: Log, sweep: Path | None = None) -> None:
        self.watcher = watcher
        self.out = out
        self.given = watcher.root if detect_run(watcher.root) is not None else None
        self.run: RunInfo | None = None
        self.sweep = SweepFollower(sweep, self._print, self._error) if sweep is not None else None
        self.choosing = True  # the scan's discoveries come before its iterations
        self.found: list[RunInfo] = []  # while choosing
        self.views: dict[int, IterationView] = {}  # a revised iteration replaces its first version
        self.unusable: set[Path | None] = set()  # files of the followed run named as unusable

    async def follow(self, timeout: float | None) -> int:
        try:
            async with asyncio.timeout(timeout):
                async for event in self.watcher.events():
                    if (code := self.handle(event)) is not None:
                        return code
        except TimeoutError:
            self._error(f"the run did not end within {timeout:g} s")
        finally:
            self.watcher.stop()
        return ExitCode.ERROR

    def handle(self, event: WatchEvent) -> int | None:
        """The exit code once the followed run (or sweep) has ended, else None."""
        if self.choosing:
            if isinstance(event, RunDiscovered):
                self.found.append(event.info)
                return None
            if (code := self._choose()) is not None:
                return code
        if self.sweep is not None:
            return self._sweep_event(self.sweep, event)
        match event:
            case RunDiscovered(info=info) if follows_new_run(info, self._path(), self.given):
                return self._start(info, [info])
            case IterationAdded(run=run, view=view) if self._followed(run):
                self._iteration(view)
            case FileUnreadable(run=run, error=error) if self._followed(run):
                self._error(str(error))
                if error.kind != "wrong_name":  # named as ignored, not a file of the run
                    self.unusable.add(error.path)
            case RunClosed(info=info) if self._followed(info.path) and info.kind is RunKind.LEGACY:
                return self._end_legacy(info)
            case RunClosed(info=info) if self._followed(info.path):
                return self._end(info, info.exit_code())
            case RunWentStale(info=info) if self._followed(info.path):
                self._error(
                    f"run {info.run_id} went stale: RUN.json says running but its heartbeat "
                    "stopped, so its writer is presumed dead"
                )
                return self._end(info, ExitCode.ERROR)
            case RunRemoved(info=info) if self._followed(info.path) and info.path == self.given:
                self._error(f"{info.path} was deleted: waiting for it to come back and following the run there")
                self.run, self.views = None, {}
            case RunRemoved(info=info) if self._followed(info.path):
                self._error(f"run {info.run_id} was deleted: {info.path}")
                return self._end(info, ExitCode.ERROR)
        return None

    def _sweep_event(self, sweep: SweepFollower, event: WatchEvent) -> int | None:
        match event:
            case RunDiscovered(info=info) if sweep.owns(info):
                sweep.join(info)
            case IterationAdded(run=run, view=view) if sweep.follows(run):
                sweep.iteration(run, view)
            case RunClosed(info=info) if sweep.follows(info.path):
                return sweep.run_ended(info)
            case RunWentStale(info=info) if sweep.follows(info.path):
                return sweep.run_went_stale(info)
            case FileUnreadable(run=run, error=error) if sweep.follows(run):
                self._error(str(error))
            case SweepChanged(sweep=directory) if directory == sweep.directory:
                return sweep.sweep_changed()
        return None

    def _choose(self) -> int | None:
        self.choosing = False
        if self.sweep is not None:
            return self.sweep.start(self.found)
        for info in self.found:
            if info.error is not None:  # its RUN.json, or the run's directory
                self._error(f"cannot read run {info.run_id}: {info.error}")
        chosen = initial_run(self.found, self.given, finished_ok=False)
        finished = [info for info in self.found if info.finished]
        if chosen is None and finished:
            newest = max(finished, key=RunInfo.start_key)
            self._error(
                f"no run is going on under {self.watcher.root} ({len(finished)} finished, the newest "
                f"{newest.path}): waiting for one to start; name a run directory to see a finished one"
            )
        return self._start(chosen, self.found) if chosen is not None else None

    def _start(self, info: RunInfo, found: list[RunInfo]) -> int | None:
        if self.given is None and (sweep := sweep_to_follow(info)) is not None:
            self.sweep = SweepFollower(sweep, self._print, self._error)
            return self.sweep.start(found)
        self.run = info
        self._print(f"soak watch: following run {info.run_id} ({info.kind}, {info.status})  {info.path}")
        return None

    def _path(self) -> Path | None:
        return self.run.path if self.run is not None else None

    def _followed(self, run: Path) -> bool:
        return self.run is not None and run == self.run.path

    def _iteration(self, view: IterationView) -> None:
        self.views[view.iteration] = dataclasses.replace(view, raw={})  # the summary needs KPIs only
        self._print(iteration_line(view, self.run.total_iterations() if self.run else None))

    def _end(self, info: RunInfo, code: int, verdict: dict[str, Any] | None = None, how: str = "") -> int:
        if self.unusable and code in (ExitCode.OK, ExitCode.GATE_FAILED):
            self._error(f"{len(self.unusable)} file(s) of the run could not be used (named above): exit 2")
            code = ExitCode.ERROR
        if self.views:
            self._print("")
            for line in summary_table(self.views[i] for i in sorted(self.views)):
                self._print(line)
        verdict = verdict or info.recorded_verdict() or {}
        named = verdict.get("verdict")
        for line in closing_lines(
            info.path,
            f"{info.status}{how}",
            len(self.views),
            str(named) if named else None,
            verdict.get("reasons") or (),
            code,
        ):
            self._print(line)
        return code

    def _end_legacy(self, info: RunInfo) -> int:
        """The older tool records no run verdict: ours, over the verdicts its iterations recorded."""
        verdict = recorded_run_verdict(self.views.values())
        code = ExitCode.for_verdict(verdict) if verdict else ExitCode.ERROR
        how = " (its summary.txt says so)" if info.finished and not info.stale else " (its files stopped changing)"
        return self._end(info, code, verdict.model_dump() if verdict else None, how)

    def _print(self, line: str) -> None:
        self.out.line(escape_controls(line))

    def _error(self, line: str) -> None:
        say(f"soak watch: {escape_controls(line)}")


def recorded_run_verdict(views: Iterable[IterationView]) -> RunVerdict | None:
    """The run verdict (gates.run_verdict) over the verdicts the iterations recorded; None when
    none recorded one this tool knows."""
    verdicts = [known for view in views if (known := Verdict.parse(view.verdict)) is not None]
    return run_verdict(verdicts) if verdicts else None
