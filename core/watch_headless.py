"""`soak watch --no-ui`: follow one run written by another process, a line per iteration.

Which run is followed:
- `root` itself, when it is a run directory (native or legacy);
- otherwise the newest run that is running (with a live heartbeat) when the watch starts;
- otherwise the first run that appears under `root` after the watch has started.

Its iterations already on disk are printed first, then each one as it lands, then the summary.
The watch ends when the run does, with the run's exit code: its gate's (0 PASS or WARN, 1 FAIL)
when it completed, 130 when it was aborted, 2 when it failed, went stale (its writer died) or
was deleted. A legacy run never says it is over: it is followed until interrupted (130) or until
`timeout` seconds have passed, which end a watch whose run is still going with exit code 2.
"""
from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from core.gates import exit_code_for
from core.headless import iteration_line, summary_table
from core.loop import EXIT_ERROR, EXIT_INTERRUPTED
from core.readers import IterationView, RunInfo, detect_run
from core.text import escape_controls
from core.watch import (
    FileUnreadable, IterationAdded, RunDiscovered, RunFinished, RunRemoved, RunWatcher,
    RunWentStale, WatchEvent,
)


def watch_headless(root: Path | str, out: TextIO = sys.stdout, timeout: float | None = None) -> int:
    """Raises core.readers.ReadError (one line, naming the path) when `root` is not a directory."""
    follower = RunFollower(RunWatcher(root), out)
    try:
        return asyncio.run(follower.follow(timeout))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


class RunFollower:
    def __init__(self, watcher: RunWatcher, out: TextIO) -> None:
        self.watcher = watcher
        self.out = out
        self.given = watcher.root if detect_run(watcher.root) is not None else None
        self.run: RunInfo | None = None
        self.choosing = self.given is None  # the scan's discoveries come before its iterations
        self.running: dict[Path, RunInfo] = {}  # runs found running, while choosing
        self.views: dict[int, IterationView] = {}  # a revised iteration replaces its first version

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
        return EXIT_ERROR

    def handle(self, event: WatchEvent) -> int | None:
        """The exit code once the followed run has ended, else None."""
        if self.choosing and not isinstance(event, RunDiscovered):
            self._choose()
        match event:
            case RunDiscovered(info=info) if self.run is None:
                self._discovered(info)
            case IterationAdded(run=run, view=view) if self._followed(run):
                self._iteration(view)
            case FileUnreadable(run=run, error=error) if self._followed(run):
                self._error(str(error))
            case RunFinished(info=info) if self._followed(info.path):
                return self._end(info, exit_code_of(info))
            case RunWentStale(info=info) if self._followed(info.path):
                self._error(f"run {info.run_id} went stale: RUN.json says running but its heartbeat "
                            "stopped, so its writer is presumed dead")
                return self._end(info, EXIT_ERROR)
            case RunRemoved(info=info) if self._followed(info.path):
                self._error(f"run {info.run_id} was deleted: {info.path}")
                return self._end(info, EXIT_ERROR)
        return None

    def _discovered(self, info: RunInfo) -> None:
        if self.given is not None:
            if Path(os.path.realpath(info.path)) == self.given:
                self._start(info)
        elif self.choosing:
            if info.status == "running" and not info.stale:
                self.running[info.path] = info
        else:
            self._start(info)

    def _choose(self) -> None:
        self.choosing = False
        if self.running:
            self._start(max(self.running.values(), key=start_time))

    def _start(self, info: RunInfo) -> None:
        self.run = info
        self._print(f"soak watch: following run {info.run_id} ({info.kind}, {info.status})  {info.path}")

    def _followed(self, run: Path) -> bool:
        return self.run is not None and run == self.run.path

    def _iteration(self, view: IterationView) -> None:
        self.views[view.iteration] = dataclasses.replace(view, raw={})  # the summary needs KPIs only
        self._print(iteration_line(view, _total(self.run)))

    def _end(self, info: RunInfo, code: int) -> int:
        if self.views:
            self._print("")
            for line in summary_table(self.views[i] for i in sorted(self.views)):
                self._print(line)
        verdict = recorded_verdict(info)
        head = f"run {info.status}: {len(self.views)} iteration(s)"
        if verdict:
            head += f"  verdict {verdict.get('verdict')}  " + "; ".join(map(str, verdict.get("reasons") or ()))
        self._print(head + f"  exit {code}")
        return code

    def _print(self, line: str) -> None:
        try:
            print(escape_controls(line), file=self.out, flush=True)
        except BrokenPipeError:  # the reader went away (`| head`); keep following for the exit code
            self.out = open(os.devnull, "w")

    def _error(self, line: str) -> None:
        print(f"soak watch: {escape_controls(line)}", file=sys.stderr, flush=True)


def exit_code_of(info: RunInfo) -> int:
    """The exit code `soak run` gave a finished run: the gate's, 130 aborted, 2 failed."""
    if info.status == "aborted":
        return EXIT_INTERRUPTED
    verdict = recorded_verdict(info)
    if info.status != "completed" or verdict is None:
        return EXIT_ERROR
    try:
        return exit_code_for(str(verdict.get("verdict")))
    except ValueError:  # a verdict this tool does not know
        return EXIT_ERROR


def recorded_verdict(info: RunInfo) -> dict[str, Any] | None:
    """RUN.json's verdict of a finished native run: {"verdict", "reasons", ...}."""
    verdict = (info.manifest or {}).get("verdict")
    return verdict if isinstance(verdict, dict) else None


def _total(info: RunInfo | None) -> int | None:
    total = (info.manifest or {}).get("iterations") if info else None
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def start_time(info: RunInfo) -> tuple[str, str]:
    """A sort key: when the run started (RUN.json), then its id."""
    started = (info.manifest or {}).get("started_utc")
    return (started if isinstance(started, str) else "", info.run_id)
