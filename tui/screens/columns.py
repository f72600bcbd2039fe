"""Which KPI columns the iteration table shows (`c`): one per monitored KPI of the registry, in
the table's order. The iteration and the verdict are always shown; a chosen column the width
cannot hold is left out (by priority) until the terminal is wider."""

from __future__ import annotations

from collections.abc import Collection

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static

from tui.widgets.columns import KPI_COLUMNS


class ColumnsScreen(ModalScreen[frozenset[str] | None]):
    """Dismissed with the chosen column keys (None: all of them)."""

    DEFAULT_CSS = """
    ColumnsScreen {
        align: center middle;
    }
    ColumnsScreen > Vertical {
        width: 50;
        height: auto;
        max-height: 90%;
        border: round $primary;
        border-title-color: $primary;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    ColumnsScreen SelectionList {
        height: auto;
        max-height: 20;
        border: none;
    }
    """
    BINDINGS = [
        Binding("escape,c", "done", "done"),
        Binding("enter", "done", "done", priority=True),  # the list would take it as a toggle
        Binding("a", "all", "all columns"),
    ]

    def __init__(self, chosen: Collection[str] | None, shown: Collection[str]) -> None:
        super().__init__()
        self.chosen, self.shown = chosen, shown

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "columns"
            box.border_subtitle = "space toggle · a all · enter done"
            yield Static("iteration and verdict are always shown; * = no room at this width", classes="dim")
            yield SelectionList[str](
                *(
                    (
                        column.heading + ("" if column.key in self.shown else " *"),
                        column.key,
                        self.chosen is None or column.key in self.chosen,
                    )
                    for column in KPI_COLUMNS
                )
            )

    def action_all(self) -> None:
        self.query_one(SelectionList).select_all()

    def action_done(self) -> None:
        selected = frozenset(self.query_one(SelectionList).selected)
        everything = {column.key for column in KPI_COLUMNS}
        self.dismiss(None if selected == everything else selected)
