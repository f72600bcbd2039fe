"""The monitor for runs this process does not run: `soak watch` and `soak replay` (for tui/cli.py).

Both build the same SoakApp as `soak run`, with another source; `soak watch` adds the run list
above the iteration table.
Building the source reads the directory first, so bad input is one line before any screen:
core.readers.ReadError (missing directory, not a run, nothing to replay) or ValueError (speed).
"""
from __future__ import annotations

import time
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding

from core.loop import EXIT_ERROR
from tui.app import SoakApp
from tui.messages import RunEnded
from tui.sources.replay import ReplaySource
from tui.sources.watch import FilesUnreadable, RunsChanged, WatchSource
from tui import format as fmt
from tui.widgets.run_header import Clock
from tui.widgets.run_list import RunList, RunsPanel, relative_to

NOTICE_FILES = 3  # files named in one notice; the run list's panel names them all


class WatchApp(SoakApp):
    """The monitor with the run list above it: pick a run to follow it (r shows or hides it)."""

    BINDINGS = [Binding("r", "runs", "runs", tooltip="Show or hide the run list")]

    source: WatchSource

    def compose(self) -> ComposeResult:
        yield RunsPanel(id="runs")
        yield from super().compose()

    def on_mount(self) -> None:
        self._show_runs()

    def on_runs_changed(self, _: RunsChanged) -> None:
        self._show_runs()

    def on_files_unreadable(self, message: FilesUnreadable) -> None:
        root = self.source.watcher.root
        lines = [fmt.escape_controls(f"{relative_to(error.path, root)}: {error.message}")
                 for error in message.errors]
        more = f"\n... and {len(lines) - NOTICE_FILES} more" if len(lines) > NOTICE_FILES else ""
        self.notify("\n".join(lines[:NOTICE_FILES]) + more, title="cannot read", severity="warning",
                    markup=False)

    def on_run_ended(self, message: RunEnded) -> None:
        if message.status in ("stale", "removed"):  # the monitor itself speaks of failed runs
            self.notify(fmt.escape_controls(message.error or ""), title=f"run {message.status}",
                        severity="warning", markup=False)

    def on_run_list_picked(self, message: RunList.Picked) -> None:
        self.source.select(message.run)

    def action_runs(self) -> None:
        panel = self.query_one(RunsPanel)
        panel.display = not panel.display
        if panel.display:
            self.query_one(RunList).focus()

    def _show_runs(self) -> None:
        self.query_one(RunsPanel).show(self.source.runs, self.source.current)


def create_watch_app(root: Path | str, *, clock: Clock | None = time.monotonic) -> WatchApp:
    return WatchApp(WatchSource(root), clock=clock)


def create_replay_app(run_dir: Path | str, speed: float, *, clock: Clock | None = time.monotonic) -> SoakApp:
    return SoakApp(ReplaySource(run_dir, speed), clock=clock)


def run_watch(root: Path | str) -> int:
    """The exit code of the followed run once it has ended (as `soak run` gave it), else 130."""
    return _run(create_watch_app(root))


def run_replay(run_dir: Path | str, speed: float) -> int:
    return _run(create_replay_app(run_dir, speed))


def _run(app: SoakApp) -> int:
    code = app.run()
    return code if code is not None else (app.return_code or EXIT_ERROR)

