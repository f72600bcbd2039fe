"""The per-iteration table: one row per iteration, keyed by its number, coloured by verdict.

Rows are added or changed by difference and the table keeps at most `max_rows` of them (the
oldest go first), so a run of thousands of iterations costs the same per update as a short one.
The cursor follows the newest row unless the user moved it away to look at an older one.
"""
from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from core.readers import IterationView
from tui import format as fmt

# (IterationView field, heading, formatter)
KPI_COLUMNS: tuple[tuple[str, str, fmt.Formatter], ...] = (
    ("maker_taker_ratio", "maker/taker", fmt.ratio),
    ("net_bps", "net bps", fmt.signed),
    ("risk_ratio", "risk", fmt.ratio),
    ("adverse_bps_p95", "adv p95", fmt.decimal1),
    ("slippage_bps_p95", "slip p95", fmt.decimal1),
    ("p95_latency_ms", "p95 ms", fmt.whole),
    ("cancel_ratio", "cancel", fmt.ratio),
    ("order_age_p95_ms", "age p95 ms", fmt.whole),
)
MAX_ROWS = 500


class IterationTable(DataTable):
    BINDINGS = [
        Binding("enter", "select_cursor", "details", tooltip="Open the selected iteration"),
        Binding("end", "scroll_bottom", "newest", show=False,
                tooltip="Back to the newest row; the cursor follows new iterations again"),
    ]

    def __init__(self, max_rows: int = MAX_ROWS, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.max_rows = max_rows
        self.views: dict[int, IterationView] = {}  # the iterations that have a row
        self.verdicts: Counter[str] = Counter()  # over every iteration seen, not just the rows kept

    def on_mount(self) -> None:
        self.add_column(Text("it", justify="right"), key="iteration")
        for key, heading, _ in KPI_COLUMNS:
            self.add_column(Text(heading, justify="right"), key=key)
        self.add_column("verdict", key="verdict")

    def show_iteration(self, view: IterationView) -> None:
        following = self.row_count == 0 or self.cursor_row >= self.row_count - 1
        selected = self.selected_view()
        key = str(view.iteration)
        cells = row_cells(view)
        previous = self.views.get(view.iteration)
        if previous is None:
            self.add_row(*cells, key=key)
        else:
            self.verdicts[previous.verdict or fmt.MISSING] -= 1
            for column, cell in zip(self.columns, cells):
                self.update_cell(key, column, cell, update_width=True)
        self.views[view.iteration] = view
        self.verdicts[view.verdict or fmt.MISSING] += 1
        self._drop_oldest()
        if following:
            self.move_cursor(row=self.row_count - 1, animate=False)
        elif selected is not None and selected.iteration in self.views:
            self.move_cursor(row=self.get_row_index(str(selected.iteration)), animate=False, scroll=False)

    def selected_view(self) -> IterationView | None:
        if self.row_count == 0:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except (RowDoesNotExist, CellDoesNotExist):
            return None
        return self.views.get(int(row_key.value or 0))

    def _drop_oldest(self) -> None:
        while len(self.views) > self.max_rows:
            oldest = min(self.views)
            del self.views[oldest]
            self.remove_row(str(oldest))


def row_cells(view: IterationView) -> list[Text]:
    style = fmt.verdict_style(view.verdict)
    cells = [Text(str(view.iteration), style=style, justify="right")]
    for key, _, formatter in KPI_COLUMNS:
        cells.append(Text(fmt.show(getattr(view, key), formatter), style=style, justify="right"))
    cells.append(fmt.literal(view.verdict or fmt.MISSING, style=f"bold {style}"))
    return cells
