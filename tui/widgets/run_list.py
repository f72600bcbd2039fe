"""The run list of `soak watch`: every run under the root (native and legacy) with its status,
verdict, gate, scenario, sweep, iteration count and unreadable files, newest first, the runs of
a sweep together, the followed one marked; beside it, the files of the followed run that could
not be used, one row each, naming the file and why.

Columns are kept by priority to fit the width (tui/widgets/fit.py), the run id taking the rest.
Sweeps: a run whose RUN.json carries `sweep_id` is grouped with the others of its sweep below the
sweep's row (done/total and verdict counts, core/runs/sweeps.py), the group placed by its newest
run, and the `sweep` column appears once any run has one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
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
from tui.widgets.fit import fit_by_priority

FOLLOWED = "▶"
SWEEP_KEY = "sweep_id"
SWEEP_ROW, SWEEP_STATUS = "sweep:", "sweep"  # a sweep row's key (a run's is its path) and status
RUN_ID_MIN, RUN_ID_MAX = 19, 48  # a native run id is 19 cells; a directory name can be any length
CELL_GAP = 2  # DataTable's padding around each cell


@dataclass(frozen=True)
class RunColumn:
    key: str
    heading: str
    width: int
    priority: int
    cell: Callable[[WatchedRun], Text]


def _text(value: str | None, style: str = "") -> Text:
    return fmt.literal(value if value is not None else fmt.MISSING, style=style)


def _right(value: str) -> Text:
    return Text(value, justify="right")


COLUMNS: tuple[RunColumn, ...] = (
    RunColumn("status", "status", 9, 0, lambda run: _text(run.status, fmt.STATUS_STYLES.get(run.status, ""))),
    RunColumn("verdict", "verdict", 7, 2, lambda run: _text(run.verdict, fmt.verdict_style(run.verdict))),
    RunColumn("gate", "gate", 8, 3, lambda run: _text(run.field("gate"))),
    RunColumn("scenario", "scenario", 12, 4, lambda run: _text(run.field("scenario"))),
    RunColumn("sweep", "sweep", 14, 5, lambda run: _text(run.field(SWEEP_KEY))),
    RunColumn("iterations", "its", 5, 1, lambda run: _right(str(run.iterations))),
    RunColumn("problems", "bad", 3, 1, lambda run: Text(str(len(run.problems) or ""), "red", justify="right")),
)


def ordered(runs: Iterable[WatchedRun]) -> list[tuple[SweepProgress | None, list[WatchedRun]]]:
    """Newest first; the runs of a sweep together, where its newest run would be, after its row."""
    newest_first = sorted(runs, key=lambda run: run.info.start_key(), reverse=True)
    return group_by_sweep(newest_first, lambda run: run.info)


def columns_for(width: int, runs: list[WatchedRun]) -> tuple[list[RunColumn], int]:
    """The columns that fit beside the run id, and the run id's width."""
    sweeps = any(run.field(SWEEP_KEY) is not None for run in runs)
    wanted = [column for column in COLUMNS if column.key != "sweep" or sweeps]
    room = width - 2 - (RUN_ID_MIN + CELL_GAP)  # the followed mark, the run id
    shown = fit_by_priority(wanted, room, lambda c: c.width + CELL_GAP, lambda c: c.priority)
    used = 2 + sum(column.width + CELL_GAP for column in shown) + CELL_GAP
    return shown, max(RUN_ID_MIN, min(width - used, RUN_ID_MAX))


class RunList(DataTable):
    BINDINGS = [Binding("enter", "select_cursor", "follow", tooltip="Follow the selected run")]

    class Picked(Message):
        """The user chose a run to follow."""

        def __init__(self, run: Path) -> None:
            super().__init__()
            self.run = run

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.runs: list[WatchedRun] = []  # as last shown
        self.followed: Path | None = None
        self._layout: tuple[tuple[str, ...], int] = ((), 0)

    def on_resize(self) -> None:
        self.show_runs(self.runs, self.followed)

    def show_runs(self, runs: Iterable[WatchedRun], followed: Path | None) -> None:
        """Rebuilt whole: a few rows, and new runs take their place by start time. The selected
        run stays selected (the followed one at first) and in view."""
        selected = self._selected()
        groups = ordered(runs)
        self.runs, self.followed = [run for _, members in groups for run in members], followed
        columns, id_width = columns_for(self.content_region.width - self.styles.scrollbar_size_vertical, self.runs)
        layout = (tuple(column.key for column in columns), id_width)
        self.clear(columns=layout != self._layout)
        if layout != self._layout:
            self._layout = layout
            self.add_column(" ", key="followed", width=1)
            for column in columns:
                heading = Text(column.heading, justify="right") if column.key in ("iterations", "problems") else None
                self.add_column(heading or column.heading, key=column.key, width=column.width)
            self.add_column("run", key="run", width=id_width)
        for sweep, members in groups:
            if sweep is not None:
                self.add_row(*sweep_cells(sweep, columns, id_width), key=SWEEP_ROW + sweep.sweep_id)
            for run in members:
                self.add_row(*run_cells(run, run.info.path == followed, columns, id_width), key=str(run.info.path))
        keep = selected or followed
        if keep is not None:
            try:
                row = self.get_row_index(str(keep))
            except RowDoesNotExist:  # the selected run was removed
                return
            self.call_after_refresh(self.move_cursor, row=row, animate=False, scroll=True)

    def _selected(self) -> Path | None:
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return Path(row_key.value) if row_key.value else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # the monitor opens an iteration's details on its own table's selection
        if event.row_key.value and not event.row_key.value.startswith(SWEEP_ROW):
            self.post_message(self.Picked(Path(event.row_key.value)))


def run_cells(run: WatchedRun, followed: bool, columns: Iterable[RunColumn], id_width: int) -> list[Text]:
    in_sweep = run.field(SWEEP_KEY) is not None
    run_id = fmt.literal(("  " if in_sweep else "") + run.info.run_id, style="bold" if followed else "")
    run_id.truncate(id_width, overflow="ellipsis")
    return [Text(FOLLOWED if followed else " ", style="bold"), *(column.cell(run) for column in columns), run_id]


def sweep_cells(sweep: SweepProgress, columns: Iterable[RunColumn], id_width: int) -> list[Text]:
    """A sweep's row: its cells done of all under `its`, and the verdicts' counts before its id
    (as for a run, a long id is what gets cut)."""
    shown = {"status": Text(SWEEP_STATUS, style="bold"), "iterations": _right(sweep.done_text())}
    title = fmt.literal(f"{sweep.counts_text()}  {sweep.sweep_id}", style="bold")
    title.truncate(id_width, overflow="ellipsis")
    return [Text(" "), *(shown.get(column.key, Text("")) for column in columns), title]


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
        border-subtitle-color: $foreground 60%;
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
        width: 1fr;
        max-width: 60;
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
        run_list = self.query_one(RunList)
        run_list.show_runs(runs, followed)
        run_list.border_subtitle = f"{len(runs)} run(s) · enter follows" if runs else ""
        problems = next((run.problems for run in runs if run.info.path == followed), ())
        self.query_one(FileProblems).show_problems(followed, problems)


def relative_to(path: Path | None, base: Path | None) -> str:
    if path is None:
        return fmt.MISSING
    return str(path.relative_to(base) if base is not None and path.is_relative_to(base) else path)
