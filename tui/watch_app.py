"""The monitor of runs this process does not run (`soak watch`): the run list above the monitor.
Pick a run to follow it; `r` shows or hides the list. A run that starts while another is
followed is announced, not jumped to (core/runs/follow.py); an empty root says where it looks.
`--read-only` (what `soak serve` serves) offers no key that changes anything. Quitting stops
the watching only: exit code 0, or the followed run's once it has ended (a stop signal: 130)."""

from __future__ import annotations

import gc
import time
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding

from core.records import ExitCode
from tui import format as fmt
from tui.app import SoakApp, bindings, from_source
from tui.messages import FilesUnreadable, RunAnnounced, RunsChanged
from tui.sources.watch import WatchSource
from tui.widgets.iteration_table import IterationTable
from tui.widgets.run_header import Clock, RunHeader
from tui.widgets.run_list import RunList, RunsPanel, relative_to

NOTICE_FILES = 3  # files named in one notice; the run list's panel names them all
# What `--read-only` (soak serve) takes away: every action that changes something. Pause and
# stop are never offered here (the runs belong to other processes); a screenshot writes a file
# where the monitor runs, which for a browser tab is the server.
CHANGING_ACTIONS = ("toggle_pause", "stop", "screenshot_to_file")


class WatchApp(SoakApp):
    BINDINGS = [
        Binding("r", "runs", "runs", tooltip="Show or hide the run list"),
        Binding("q", "quit", "quit", tooltip="Quit; the runs go on (exit code 0, or the followed run's once ended)"),
    ]
    QUIT_CODE = ExitCode.OK  # the runs belong to other processes: nothing was interrupted

    source: WatchSource

    def __init__(
        self,
        source: WatchSource,
        *,
        clock: Clock | None = time.monotonic,
        read_only: bool = False,
        screenshot_dir: Path | None = None,
    ) -> None:
        super().__init__(source, clock=clock, screenshot_dir=screenshot_dir)
        self.read_only = read_only

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.read_only and action in CHANGING_ACTIONS:
            return False
        return super().check_action(action, parameters)

    def compose(self) -> ComposeResult:
        yield RunsPanel(id="runs")
        yield from super().compose()

    @from_source
    def on_runs_changed(self, message: RunsChanged) -> None:
        self.query_one(RunsPanel).show(message.runs, message.followed)
        if message.scanning:
            # The scan's views wait in the source until it ends. Keep them out of the collector's
            # full passes (as the app's own objects are, see SoakApp.on_mount), which would walk
            # them all again each time: 0.25 s of the 1.5 s it took to open 10,000 iterations.
            # Views have no reference cycles: those dropped once shown are still freed at once.
            gc.freeze()
        elif not message.runs:
            root = fmt.escape_controls(str(self.source.watcher.root))
            self.query_one(RunHeader).show_hint(f"no runs under {root} yet")
            table = self.query_one(IterationTable)
            table.placeholder = (
                f"no runs under {root} yet.",
                "A run started there appears in the run list and is followed:",
                f"  soak run --out {root}",
            )
            table.refresh()

    @from_source
    def on_run_announced(self, message: RunAnnounced) -> None:
        self.notify(
            fmt.escape_controls(f"{message.info.run_id} ({message.info.status}): r and enter on it to follow it"),
            title="a new run started",
            markup=False,
        )

    @from_source
    def on_files_unreadable(self, message: FilesUnreadable) -> None:
        root = self.source.watcher.root
        lines = [fmt.escape_controls(f"{relative_to(error.path, root)}: {error.message}") for error in message.errors]
        more = f"\n... and {len(lines) - NOTICE_FILES} more" if len(lines) > NOTICE_FILES else ""
        self.notify("\n".join(lines[:NOTICE_FILES]) + more, title="cannot read", severity="warning", markup=False)

    def on_run_list_picked(self, message: RunList.Picked) -> None:
        self.source.select(message.run)

    def action_runs(self) -> None:
        panel = self.query_one(RunsPanel)
        panel.display = not panel.display
        if panel.display:
            self.query_one(RunList).focus()

    def help_bindings(self) -> list[Binding]:
        return [*super().help_bindings(), *bindings(RunList.BINDINGS)]
