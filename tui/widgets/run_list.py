"""The run list of `soak watch`: every run under the root (native and legacy) with its status,
verdict, gate, scenario, sweep, iteration count and unreadable files, newest first, the runs of
a sweep together, the followed one marked; beside it, the files of the followed run that could
not be used, one row each, naming the file and why.

Columns are kept by priority to fit the width (tui/widgets/fit.py), the run id taking the rest.
Sweeps: a run whose RUN.json carries `sweep_id` is grouped with the others of its sweep below the
sweep's row (done/total and verdict counts, core/runs/sweeps.py), the group placed by its newest
run, and the `sweep` column appears once any run has one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
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


Groups = list[tuple[SweepProgress | None, list[WatchedRun]]]


def ordered(runs: Iterable[WatchedRun]) -> Groups:
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


@dataclass(frozen=True)
class RunRow:
    run: WatchedRun
    followed: bool

    def cells(self, columns: Iterable[RunColumn], id_width: int) -> list[Text]:
        return run_cells(self.run, self.followed, columns, id_width)


@dataclass(frozen=True)
class SweepRow:
    sweep: SweepProgress

    def cells(self, columns: Iterable[RunColumn], id_width: int) -> list[Text]:
        return sweep_cells(self.sweep, columns, id_width)


ListRow = RunRow | SweepRow


def list_rows(groups: Groups, followed: Path | None) -> Iterator[tuple[str, ListRow]]:
    """The list's rows in order, each with its key: a sweep's row above its runs."""
    for sweep, members in groups:
        if sweep is not None:
            yield SWEEP_ROW + sweep.sweep_id, SweepRow(sweep)
        for run in members:
            yield str(run.info.path), RunRow(run, run.info.path == followed)


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
        self._shown: dict[str, ListRow] = {}  # each row's key -> what it shows, in the table's order

    def on_resize(self) -> None:
        self.show_runs(self.runs, self.followed)

    def show_runs(self, runs: Iterable[WatchedRun], followed: Path | None) -> None:
        """Only the rows that changed are written: a scan of 2000 runs posts the list after every
        batch, and a row costs DataTable a measure of each cell. New runs take their place by
        start time. The selected run stays selected (the followed one at first) and in view."""
        selected = self._selected()
        groups = ordered(runs)
        self.runs, self.followed = [run for _, members in groups for run in members], followed
        columns, id_width = columns_for(self.content_region.width - self.styles.scrollbar_size_vertical, self.runs)
        layout = (tuple(column.key for column in columns), id_width)
        if layout != self._layout:
            self._set_columns(layout, columns, id_width)
        wanted = dict(list_rows(groups, followed))
        for key in self._shown.keys() - wanted.keys():
            self.remove_row(key)
        for key, row in wanted.items():
            if key not in self._shown:
                self.add_row(*row.cells(columns, id_width), key=key)
            elif row != self._shown[key]:
                for column_key, cell in zip(self._column_keys(), row.cells(columns, id_width), strict=True):
                    if not same_cell(cell, self.get_cell(key, column_key)):
                        self.update_cell(key, column_key, cell)
        kept = [key for key in self._shown if key in wanted]
        order = [*kept, *(key for key in wanted if key not in self._shown)]  # the table's, now
        if order != list(wanted):
            self._arrange(list(wanted))
        if order != list(self._shown):  # rows came, went or moved
            self._keep_in_view(selected or followed)
        self._shown = wanted

    def _set_columns(self, layout: tuple[tuple[str, ...], int], columns: list[RunColumn], id_width: int) -> None:
        """A new set of columns: every row is written again."""
        self.clear(columns=True)
        self._layout, self._shown = layout, {}
        self.add_column(" ", key="followed", width=1)
        for column in columns:
            heading = Text(column.heading, justify="right") if column.key in ("iterations", "problems") else None
            self.add_column(heading or column.heading, key=column.key, width=column.width)
        self.add_column("run", key="run", width=id_width)

    def _column_keys(self) -> list[str]:
        return ["followed", *self._layout[0], "run"]

    def _arrange(self, keys: list[str]) -> None:
        """Put the rows in the order of `keys` without writing them again. DataTable.sort hands
        its key only cells: a row is known by its first cell, a Text of its own."""
        place = {id(self.get_cell(key, "followed")): index for index, key in enumerate(keys)}
        self.sort("followed", key=lambda mark: place[id(mark)])

    def _keep_in_view(self, run: Path | None) -> None:
        if run is None:
            return
        try:
            row = self.get_row_index(str(run))
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


def same_cell(cell: Text, shown: object) -> bool:
    """Text's == looks at the characters and their spans, not the style of the whole (the
    followed run's id is bold)."""
    return isinstance(shown, Text) and cell == shown and cell.style == shown.style


class FileProblems(DataTable, can_focus=False):
    def on_mount(self) -> None:
        self.add_column("file", key="file")
        self.add_column("problem", key="problem")

    def show_problems(self, run: Path | None, problems: Iterable[ReadError]) -> None:
        self.clear()
        for error in sorted(problems, key=lambda error: str(error.path)):
            name = "its directory" if error.path == run else relative_to(error.path, run)
            self.add_row(fmt.literal(name, style="red"), fmt.literal(error.message), key=str(error.path))
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
