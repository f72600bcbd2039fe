"""The iteration table's columns: the iteration and the verdict always, a column per monitored KPI
of the registry (core/kpis.toml: label, width, priority) in priority order, as many as the width
holds. A KPI added to the registry as monitored gets its column and its chart without code here."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from core.kpi import BY_PRIORITY, KPIS, Kpi
from core.runs.views import IterationView
from tui import format as fmt
from tui.widgets.fit import fit_by_priority

PADDING = 1  # spaces each side of a cell
MIN_WIDTH = 7
ALWAYS = 0  # the priority of the columns every width keeps


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    width: int  # cells of its text, without the padding
    priority: int
    cell: Callable[[IterationView], str]  # the cell's text, literal
    numeric: bool = True  # right-aligned

    @property
    def cells(self) -> int:
        return self.width + 2 * PADDING


def kpi_column(kpi: Kpi) -> Column:
    return Column(
        kpi.name,
        kpi.label,
        kpi.width or max(len(kpi.label), MIN_WIDTH),
        kpi.priority,
        lambda view: kpi.show(view.kpi(kpi.name), fmt.MISSING),
    )


ITERATION = Column("iteration", "it", 6, ALWAYS, lambda view: str(view.iteration))
VERDICT = Column(
    "verdict", "verdict", MIN_WIDTH, ALWAYS, lambda view: fmt.escape_controls(view.verdict or fmt.MISSING), False
)
KPI_COLUMNS: tuple[Column, ...] = tuple(kpi_column(KPIS[name]) for name in BY_PRIORITY)
ALL: tuple[Column, ...] = (ITERATION, *KPI_COLUMNS, VERDICT)


def columns_for(width: int, chosen: Collection[str] | None = None) -> tuple[Column, ...]:
    """The columns shown in `width` cells: of the KPI columns `chosen` (all when None), those the
    width holds by priority, between the iteration and the verdict."""
    candidates = [column for column in ALL if column.priority == ALWAYS or chosen is None or column.key in chosen]
    return tuple(fit_by_priority(candidates, width, lambda c: c.cells, lambda c: c.priority))


def row_cells(view: IterationView, columns: Iterable[Column] = ALL) -> list[str]:
    """The row's cells as shown (all literal text)."""
    return [column.cell(view) for column in columns]


def total_cells(columns: Iterable[Column]) -> int:
    return sum(column.cells for column in columns)
