"""The per-iteration table: one row per iteration, keyed by its number, coloured by verdict.

Not a DataTable: every change to a DataTable re-renders all its visible cells (tens of ms at
120x40), which a fast soak pays several times a second while the simulator waits for the GIL.
Here each row is rendered once into a cached line; a new iteration renders one row, and a
scroll or a cursor move only re-crops cached lines. Rows are added or replaced by key, never
cleared and rebuilt (tui/widgets/row_set.py holds them). The columns are those the width holds
(tui/widgets/columns.py), so the verdict is never off-screen and nothing scrolls sideways. The
header stays on the first line; when older rows were dropped, the line under it says so; the
cursor follows the newest row unless the user moved it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.records import Verdict
from core.runs.views import IterationView
from tui import format as fmt
from tui.widgets.columns import ALL, KPI_COLUMNS, PADDING, Column, columns_for, row_cells, total_cells
from tui.widgets.row_set import MAX_ROWS, RowSet

# Lines kept rendered: more than a tall terminal shows, with and without the cursor. Not more:
# each cached Strip carries its own caches, and a long run's garbage collections walk them all.
LINE_CACHE_SIZE = 160
__all__ = ["IterationTable", "row_cells"]


class IterationTable(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"iteration-table--header", "iteration-table--cursor", "iteration-table--note"}
    DEFAULT_CSS = """
    IterationTable {
        overflow-x: hidden;
    }
    IterationTable > .iteration-table--header {
        color: $foreground 70%;
        text-style: bold;
    }
    IterationTable > .iteration-table--note {
        color: $foreground 60%;
        text-style: italic;
    }
    IterationTable > .iteration-table--cursor {
        background: $foreground 15%;
    }
    IterationTable:focus > .iteration-table--cursor {
        background: $primary;
        color: $text;
        text-style: bold;
    }
    """
    BINDINGS = [
        Binding("enter", "select", "details", tooltip="Open the selected iteration"),
        Binding(
            "up", "move(-1)", "up", show=False, tooltip="The row above (the cursor stops following new iterations)"
        ),
        Binding("down", "move(1)", "down", show=False, tooltip="The row below"),
        Binding("pageup", "page(-1)", "page up", show=False, tooltip="A page of older rows"),
        Binding("pagedown", "page(1)", "page down", show=False, tooltip="A page of newer rows"),
        Binding("home", "move_to(0)", "oldest", show=False, tooltip="The oldest row kept"),
        Binding(
            "end",
            "move_to(-1)",
            "newest",
            show=False,
            tooltip="Back to the newest row; the cursor follows new iterations again",
        ),
    ]

    class Selected(Message):
        """The user asked to open `view` (enter, or a click on the selected row)."""

        def __init__(self, view: IterationView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, max_rows: int = MAX_ROWS, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows = RowSet(max_rows)
        self.cursor_row = -1
        self.chosen: frozenset[str] | None = None  # the KPI columns the user chose; None: all
        self.columns: tuple[Column, ...] = ALL
        self.placeholder: tuple[str, ...] = ("waiting for the first iteration",)  # lines shown with no rows
        self._lines: LRUCache[tuple, Strip] = LRUCache(LINE_CACHE_SIZE)

    # -- data -----------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def order(self) -> list[int]:
        """The iterations kept, ascending."""
        return self.rows.kept

    @property
    def views(self) -> dict[int, IterationView]:
        return self.rows.views

    @property
    def verdicts(self) -> Any:
        return self.rows.verdicts

    @property
    def max_rows(self) -> int:
        return self.rows.max_rows

    @max_rows.setter
    def max_rows(self, rows: int) -> None:
        self.rows.max_rows = rows

    @property
    def hidden_columns(self) -> int:
        """KPI columns chosen but left out for want of width."""
        shown = {column.key for column in self.columns}
        return sum(1 for c in KPI_COLUMNS if c.key not in shown and (self.chosen is None or c.key in self.chosen))

    def show_iteration(self, view: IterationView) -> None:
        self.show_iterations((view,))

    def show_iterations(self, views: Iterable[IterationView]) -> None:
        """Add or replace each view's row in turn; the cursor and the scroll are placed once, at
        the end (placing them is most of the cost of a row: 10,000 at once took half a second)."""
        following = self.cursor_row >= self.row_count - 1
        selected = self.selected_view()
        for view in views:
            self.rows.store(view)
        self._keep_selection(selected, following)

    def _keep_selection(self, selected: IterationView | None, following: bool) -> None:
        """The selected row stays selected unless it went (dropped as the oldest, or filtered
        out); then, as when the cursor was on the newest row, it goes to the newest."""
        self._resize_virtual()
        row = None if following or selected is None else self.rows.row_of(selected.iteration)
        self.cursor_row = min(self.cursor_row, self.row_count - 1)
        self._place_cursor(self.row_count - 1 if row is None else row)
        self.refresh()

    def reset(self) -> None:
        """No rows: another run is shown next."""
        self.rows.clear()
        self._lines.clear()
        self.cursor_row = -1
        self._resize_virtual()
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def selected_view(self) -> IterationView | None:
        if 0 <= self.cursor_row < self.row_count:
            return self.rows.view_at(self.cursor_row)
        return None

    def neighbour(self, view: IterationView, step: int) -> IterationView | None:
        """The row before (-1) or after (+1) `view`'s, if it still has one."""
        row = self.rows.row_of(view.iteration)
        if row is None or not 0 <= row + step < self.row_count:
            return None
        return self.rows.view_at(row + step)

    # -- what is shown --------------------------------------------------------------------------
    def show_only_problems(self, on: bool) -> None:
        selected = self.selected_view()
        self.rows.show_only_problems(on)
        self._lines.clear()  # rows moved: cached lines are keyed by row
        self._keep_selection(selected, following=selected is None or not on)

    def choose_columns(self, chosen: Collection[str] | None) -> None:
        self.chosen = None if chosen is None else frozenset(chosen)
        self._fit_columns()

    def go_to(self, iteration: int) -> bool:
        """Select `iteration`'s row; False when it has none (not yet, dropped, or filtered out)."""
        row = self.rows.row_of(iteration)
        if row is not None:
            self._place_cursor(row)
        return row is not None

    def search(self, needle: str, step: int = 1) -> bool:
        """Select the next row (step -1: the previous) that holds `needle`; False when none does."""
        if not needle or not self.row_count:
            return False
        row = self.rows.find(needle, self.cursor_row, step)
        if row is not None:
            self._place_cursor(row)
        return row is not None

    # -- keys and mouse -------------------------------------------------------------------------
    def action_move(self, rows: int) -> None:
        self._place_cursor(self.cursor_row + rows)

    def action_page(self, pages: int) -> None:
        self._place_cursor(self.cursor_row + pages * max(self.size.height - 2, 1))

    def action_move_to(self, row: int) -> None:
        self._place_cursor(row if row >= 0 else self.row_count - 1)
        if row == 0:
            self.scroll_to(y=0, animate=False, immediate=True)  # the note on dropped rows, if any

    def action_select(self) -> None:
        if (view := self.selected_view()) is not None:
            self.post_message(self.Selected(view))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:  # the border or the header
            return
        row = self.scroll_offset.y + offset.y - 1 - self._note_lines
        if 0 <= row < self.row_count:
            if row == self.cursor_row:
                self.action_select()
            self._place_cursor(row)

    def _place_cursor(self, row: int) -> None:
        if self.row_count == 0:
            self.cursor_row = -1
            return
        row = max(0, min(row, self.row_count - 1))
        if row != self.cursor_row:
            self.cursor_row = row
            self.refresh()
        line = row + self._note_lines
        visible = max(self.size.height - 1, 1)  # lines below the header
        # force: rows that just outgrew the table get their scrollbar only at the next layout,
        # and until then Textual refuses to scroll (a picked finished run opened at its top).
        top = self.scroll_offset.y
        if line < top:
            self.scroll_to(y=line, animate=False, immediate=True, force=True)
        elif line >= top + visible or (row == self.row_count - 1 and top != max(line - visible + 1, 0)):
            # The newest row sits at the bottom, as in `tail -f`, whatever size came before.
            self.scroll_to(y=max(line - visible + 1, 0), animate=False, immediate=True, force=True)

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        # A scroll forced before the scrollbar existed (see _place_cursor) left its thumb at 0.
        if shown:
            self.vertical_scrollbar.position = self.scroll_y

    def on_resize(self) -> None:
        self._fit_columns()
        # After the new size has reached the scroll limits: placed now, a table that shrank
        # (the run list or an alert took lines) would keep a scroll that hides the cursor.
        self.call_after_refresh(lambda: self._place_cursor(self.cursor_row))

    def _fit_columns(self) -> None:
        width = self.content_region.width - self.styles.scrollbar_size_vertical
        columns = columns_for(width, self.chosen)
        if columns != self.columns:
            self.columns = columns
            self._lines.clear()
            self._resize_virtual()
            self.refresh()

    def _resize_virtual(self) -> None:
        size = Size(total_cells(self.columns), 1 + self._note_lines + max(self.row_count, 1))
        if size == self.virtual_size:
            return
        if self.is_mounted and self._scrolls_either_way(size):
            # More rows in a table that scrolls already: only the scroll range and the scrollbar
            # change. Setting virtual_size lays out the whole screen (tens of ms at 120x40),
            # which a fast soak would pay for every batch of rows.
            self.set_reactive(ScrollView.virtual_size, size)
            scrollbar = self.vertical_scrollbar  # as a layout would set it
            scrollbar.window_virtual_size = size.height
            scrollbar.window_size = self.container_size.height - self.scrollbar_size_horizontal
            scrollbar.refresh()
            self.refresh()
        else:
            self.virtual_size = size

    def _scrolls_either_way(self, size: Size) -> bool:
        return (
            self.show_vertical_scrollbar
            and size.width == self.virtual_size.width
            and min(size.height, self.virtual_size.height) > self.size.height
        )

    @property
    def _note_lines(self) -> int:
        return 1 if self.rows.dropped else 0

    # -- rendering ------------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        self._lines.clear()  # a theme or focus change restyles every line
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        base = self.rich_style
        body = scroll_y + y - 1
        if y == 0:
            headings = [column.heading for column in self.columns]
            line = self._line(("header",), headings, base + self.get_component_rich_style("iteration-table--header"))
        elif body < self._note_lines:
            line = self._text_line(self._dropped_note(), base)
        elif (row := body - self._note_lines) < self.row_count:
            line = self._row_line(row, base)
        elif self.row_count == 0 and row < len(empty := self._empty_text()):
            line = self._text_line(empty[row], base)
        else:
            return Strip.blank(self.size.width, base)
        return line.crop_extend(scroll_x, scroll_x + self.size.width, base)

    def _empty_text(self) -> tuple[str, ...]:
        return ("no WARN or FAIL iteration kept",) if self.rows.only_problems and self.order else self.placeholder

    def _dropped_note(self) -> str:
        rows = self.rows
        span = f"1–{rows.last_dropped}" if rows.dropped == rows.last_dropped else f"up to {rows.last_dropped}"
        return f"⋯ {rows.dropped} older iteration(s) ({span}) dropped from view; the run directory has them all"

    def _text_line(self, text: str, base: Style) -> Strip:
        style = base + self.get_component_rich_style("iteration-table--note")
        return Strip([Segment(" " * PADDING + fmt.escape_controls(text), style)])

    def _row_line(self, row: int, base: Style) -> Strip:
        view = self.rows.view_at(row)
        style = base + Style.parse(self._row_style(view.verdict))
        if row == self.cursor_row:
            style += self.get_component_rich_style("iteration-table--cursor")
        key = (view.iteration, self.rows.stamps[view.iteration], row == self.cursor_row)
        return self._line(key, row_cells(view, self.columns), style, verdict_bold=True)

    def _row_style(self, verdict: str | None) -> str:
        # Without colour a FAIL row must still stand out: grey on grey is what a red row becomes.
        if self.app.no_color:
            return "bold" if Verdict.parse(verdict) is Verdict.FAIL else ""
        return fmt.verdict_style(verdict)

    def _line(self, key: tuple, cells: list[str], style: Style, verdict_bold: bool = False) -> Strip:
        line = self._lines.get(key)
        if line is None:
            segments = [
                Segment(_fit(text, column.width, right=column.numeric), style)
                for text, column in zip(cells, self.columns, strict=True)
            ]
            if verdict_bold:
                segments[-1] = Segment(segments[-1].text, style + Style(bold=True))
            line = Strip(segments, total_cells(self.columns))
            self._lines[key] = line
        return line


def _fit(text: str, width: int, right: bool) -> str:
    """The cell with its padding: right-aligned numbers, left-aligned verdict, cropped to width."""
    text = set_cell_size(text, width) if cell_len(text) > width else text
    gap = " " * (width - cell_len(text))
    pad = " " * PADDING
    return pad + (gap + text if right else text + gap) + pad
