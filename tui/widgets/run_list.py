"""The run list of `soak watch`: every run under the root (native and legacy) with its status,
iteration count and unreadable files, newest first, the followed one marked; beside it, the files
of the followed run that could not be used, one row each, naming the file and why."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from core.errors import ReadError
from core.runs.sweeps import SweepProgress, group_by_sweep
from tui import format as fmt
from tui.messages import WatchedRun

FOLLOWED = "▶"
RUN_ID_WIDTH = 44  # a directory name can be any length; a sweep's id and its verdict counts fit
STATUS_WIDTH = 9  # "completed"
SWEEP_ROW, SWEEP_STATUS = "sweep:", "sweep"  # a sweep row's key (a run's is its path) and status


class RunList(DataTable):
    BINDINGS = [Binding("enter", "select_cursor", "follow", tooltip="Follow the selected run")]

    class Picked(Message):
        """The user chose a run to follow."""

        def __init__(self, run: Path) -> None:
            super().__init__()
            self.run = run

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)

    def on_mount(self) -> None:
        # The run id last: it can be any length, and what is cut at the edge is its end. Fixed
        # widths: in a browser tab (soak serve) the widths measured as rows arrived came out as
        # narrow as the headings and stayed so.
        self.add_column(" ", key="followed")
        self.add_column("status", key="status", width=STATUS_WIDTH)
        self.add_column(Text("its", justify="right"), key="iterations")
        self.add_column(Text("bad", justify="right"), key="problems")
        self.add_column("run", key="run", width=RUN_ID_WIDTH)

    def show_runs(self, runs: Iterable[WatchedRun], followed: Path | None) -> None:
        """Rebuilt whole: a few rows, and new runs take their place by start time; the runs of a
        sweep below its row (core/runs/sweeps.py)."""
        selected = self._selected()
        self.clear()
        newest_first = sorted(runs, key=lambda run: run.info.start_key(), reverse=True)
        for sweep, members in group_by_sweep(newest_first, lambda run: run.info):
            if sweep is not None:
                self.add_row(*sweep_cells(sweep), key=SWEEP_ROW + sweep.sweep_id)
            for run in members:
                self.add_row(
                    *run_cells(run, run.info.path == followed, in_sweep=sweep is not None), key=str(run.info.path)
                )
        keep = selected or followed
        if keep is not None:
            with contextlib.suppress(RowDoesNotExist):  # the selected run was removed
                self.move_cursor(row=self.get_row_index(str(keep)), animate=False)

    def _selected(self) -> Path | None:
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return Path(row_key.value) if row_key.value else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # the monitor opens an iteration's details on its own table's selection
        if event.row_key.value and not event.row_key.value.startswith(SWEEP_ROW):
            self.post_message(self.Picked(Path(event.row_key.value)))


def run_cells(run: WatchedRun, followed: bool, in_sweep: bool = False) -> list[Text]:
    style = fmt.STATUS_STYLES.get(run.status, "")
    problems = len(run.problems)
    run_id = fmt.literal(("  " if in_sweep else "") + run.info.run_id, style="bold" if followed else "")
    run_id.truncate(RUN_ID_WIDTH, overflow="ellipsis")
    return [
        Text(FOLLOWED if followed else " ", style="bold"),
        fmt.literal(run.status, style=style),
        Text(str(run.iterations), justify="right"),
        Text(str(problems) if problems else "", style="red", justify="right"),
        run_id,
    ]


def sweep_cells(sweep: SweepProgress) -> list[Text]:
    """A sweep's row: its cells done of all, and their verdicts."""
    title = fmt.literal(f"{sweep.sweep_id}  {sweep.counts_text()}", style="bold")
    title.truncate(RUN_ID_WIDTH, overflow="ellipsis")
    return [Text(" "), Text(SWEEP_STATUS, style="bold"), Text(sweep.done_text(), justify="right"), Text(""), title]


class FileProblems(DataTable, can_focus=False):
    def on_mount(self) -> None:
        self.add_column("file", key="file")
        self.add_column("problem", key="problem")

    def show_problems(self, run: Path | None, problems: Iterable[ReadError]) -> None:
        self.clear()
        for error in sorted(problems, key=lambda error: str(error.path)):
            self.add_row(
                fmt.literal(relative_to(error.path, run), style="red"), fmt.literal(error.message), key=str(error.path)
            )
        self.display = self.row_count > 0


class RunsPanel(Horizontal):
    """The run list, and beside it the followed run's unreadable files (when it has any)."""

    DEFAULT_CSS = """
    RunsPanel {
        height: 8;
        layout: horizontal;
    }
    RunsPanel > DataTable {
        height: 100%;
        border: round $foreground 25%;
        border-title-color: $foreground 70%;
        border-title-style: bold;
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    RunsPanel > RunList {
        width: 1fr;
    }
    RunsPanel > RunList:focus {
        border: round $primary;
        border-title-color: $primary;
    }
    RunsPanel > FileProblems {
        width: 2fr;
        border: round $error 60%;
    }
    """

    def compose(self) -> ComposeResult:
        runs = RunList(id="run-list")
        runs.border_title = "runs"
        yield runs
        problems = FileProblems(id="file-problems")
        problems.border_title = "cannot read"
        problems.display = False
        yield problems

    def show(self, runs: tuple[WatchedRun, ...], followed: Path | None) -> None:
        self.query_one(RunList).show_runs(runs, followed)
        problems = next((run.problems for run in runs if run.info.path == followed), ())
        self.query_one(FileProblems).show_problems(followed, problems)


def relative_to(path: Path | None, base: Path | None) -> str:
    if path is None:
        return fmt.MISSING
    return str(path.relative_to(base) if base is not None and path.is_relative_to(base) else path)
