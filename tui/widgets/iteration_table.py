"""The per-iteration table: one row per iteration, keyed by its number, coloured by verdict.

Not a DataTable: every change to a DataTable re-renders all its visible cells (tens of ms at
120x40), which a fast soak pays several times a second while the simulator waits for the GIL.
Here each row is rendered once into a cached line; a new iteration renders one row, and a
scroll or a cursor move only re-crops cached lines. Rows are added or replaced by key, never
cleared and rebuilt, and the table keeps at most `max_rows` of them (the oldest go first).
The header stays on the first line; the cursor follows the newest row unless the user moved it.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Iterable
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

from core.kpi import KPIS, MONITORED
from core.runs.views import IterationView
from tui import format as fmt

COLUMNS = tuple(KPIS[name] for name in MONITORED)
HEADINGS = ("it", *(kpi.label for kpi in COLUMNS), "verdict")
WIDTHS = (6, *(max(len(kpi.label), 7) for kpi in COLUMNS), 7)
PADDING = 1  # spaces each side of a cell
MAX_ROWS = 500
# Lines kept rendered: more than a tall terminal shows, with and without the cursor. Not more:
# each cached Strip carries its own caches, and a long run's garbage collections walk them all.
LINE_CACHE_SIZE = 160


def row_cells(view: IterationView) -> list[str]:
    """The row's cells as shown: iteration, the KPIs, the verdict (all literal text)."""
    cells = [str(view.iteration)]
    cells += [kpi.show(view.kpi(kpi.name), fmt.MISSING) for kpi in COLUMNS]
    cells.append(fmt.escape_controls(view.verdict or fmt.MISSING))
    return cells


class IterationTable(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"iteration-table--header", "iteration-table--cursor"}
    DEFAULT_CSS = """
    IterationTable > .iteration-table--header {
        color: $foreground 70%;
        text-style: bold;
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
        self.max_rows = max_rows
        self.views: dict[int, IterationView] = {}  # the iterations that have a row
        self.order: list[int] = []  # their numbers, ascending: row i shows self.order[i]
        self.verdicts: Counter[str] = Counter()  # over every iteration seen, not just the rows kept
        self.cursor_row = -1
        self._lines: LRUCache[tuple, Strip] = LRUCache(LINE_CACHE_SIZE)
        self._stamps: dict[int, int] = {}  # iteration -> which version of its row is cached
        self._shown = 0

    # -- data -----------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.order)

    def show_iteration(self, view: IterationView) -> None:
        self.show_iterations((view,))

    def show_iterations(self, views: Iterable[IterationView]) -> None:
        """Add or replace each view's row in turn; the cursor and the scroll are placed once, at
        the end (placing them is most of the cost of a row: 10,000 at once took half a second)."""
        following = self.cursor_row >= self.row_count - 1
        selected = self.selected_view()
        for view in views:
            self._store(view)
        self.virtual_size = Size(self._width(), self.row_count + 1)
        # The selected row stays selected unless it was dropped as the oldest; then, as when the
        # cursor was on the newest row, it goes to the newest.
        if following or selected is None or selected.iteration not in self.views:
            self._place_cursor(self.row_count - 1)
        else:
            self._place_cursor(bisect_left(self.order, selected.iteration))
        self.refresh()

    def _store(self, view: IterationView) -> None:
        previous = self.views.get(view.iteration)
        if previous is None:
            insort(self.order, view.iteration)
        else:
            self.verdicts[previous.verdict or fmt.MISSING] -= 1
        self.views[view.iteration] = view
        self._shown += 1
        self._stamps[view.iteration] = self._shown
        self.verdicts[view.verdict or fmt.MISSING] += 1
        while len(self.order) > self.max_rows:
            oldest = self.order.pop(0)
            del self.views[oldest], self._stamps[oldest]

    def reset(self) -> None:
        """No rows: another run is shown next."""
        self.views.clear()
        self.order.clear()
        self.verdicts.clear()
        self._stamps.clear()
        self._lines.clear()
        self.cursor_row = -1
        self.virtual_size = Size(self._width(), 1)
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def selected_view(self) -> IterationView | None:
        if 0 <= self.cursor_row < self.row_count:
            return self.views[self.order[self.cursor_row]]
        return None

    # -- keys and mouse -------------------------------------------------------------------------
    def action_move(self, rows: int) -> None:
        self._place_cursor(self.cursor_row + rows)

    def action_page(self, pages: int) -> None:
        self._place_cursor(self.cursor_row + pages * max(self.size.height - 2, 1))

    def action_move_to(self, row: int) -> None:
        self._place_cursor(row if row >= 0 else self.row_count - 1)

    def action_select(self) -> None:
        if (view := self.selected_view()) is not None:
            self.post_message(self.Selected(view))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:  # the border or the header
            return
        row = self.scroll_offset.y + offset.y - 1
        if row < self.row_count:
            if row == self.cursor_row:
                self.action_select()
            self._place_cursor(row)

    def _place_cursor(self, row: int) -> None:
        if self.row_count == 0:
            return
        row = max(0, min(row, self.row_count - 1))
        if row != self.cursor_row:
            self.cursor_row = row
            self.refresh()
        visible = max(self.size.height - 1, 1)  # rows below the header
        top = self.scroll_offset.y
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False, immediate=True)

    def on_resize(self) -> None:
        self._place_cursor(self.cursor_row)

    # -- rendering ------------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        self._lines.clear()  # a theme or focus change restyles every line
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        base = self.rich_style
        if y == 0:
            line = self._line(("header",), HEADINGS, base + self.get_component_rich_style("iteration-table--header"))
        elif (row := scroll_y + y - 1) < self.row_count:
            line = self._row_line(row, base)
        else:
            return Strip.blank(self.size.width, base)
        return line.crop_extend(scroll_x, scroll_x + self.size.width, base)

    def _row_line(self, row: int, base: Style) -> Strip:
        view = self.views[self.order[row]]
        style = base + Style.parse(fmt.verdict_style(view.verdict))
        if row == self.cursor_row:
            style += self.get_component_rich_style("iteration-table--cursor")
        key = (view.iteration, self._stamps[view.iteration], row == self.cursor_row)
        return self._line(key, row_cells(view), style, verdict_bold=True)

    def _line(self, key: tuple, cells: tuple[str, ...] | list[str], style: Style, verdict_bold: bool = False) -> Strip:
        line = self._lines.get(key)
        if line is None:
            segments = [
                Segment(_fit(text, width, right=index < len(cells) - 1), style)
                for index, (text, width) in enumerate(zip(cells, WIDTHS, strict=False))
            ]
            if verdict_bold:
                segments[-1] = Segment(segments[-1].text, style + Style(bold=True))
            line = Strip(segments, self._width())
            self._lines[key] = line
        return line

    @staticmethod
    def _width() -> int:
        return sum(WIDTHS) + 2 * PADDING * len(WIDTHS)


def _fit(text: str, width: int, right: bool) -> str:
    """The cell with its padding: right-aligned numbers, left-aligned verdict, cropped to width."""
    text = set_cell_size(text, width) if cell_len(text) > width else text
    gap = " " * (width - cell_len(text))
    pad = " " * PADDING
    return pad + (gap + text if right else text + gap) + pad
