"""The help screen: every key (from the bindings themselves, so it cannot drift) and what the
panels and colours mean."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.format import VERDICT_STYLES

PANELS = (
    (
        "header",
        "run id, driver/scenario, seed, profile, gate, iterations done/total, "
        "elapsed, ETA and the run's state; at the end the run's verdict",
    ),
    ("iterations", "one row per finished iteration, newest at the bottom; the cursor follows it until you move it"),
    (
        "tuning",
        "for the latest iteration: each parameter's value, the delta decided after it, "
        "and 'applied' or the guard that held it; then the tuner's rationale",
    ),
    (
        "trends",
        "the last iterations of four KPIs, one column each; the number is the latest "
        "value and the gate's FAIL threshold",
    ),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "close")]

    def __init__(self, bindings: Iterable[Binding]) -> None:
        super().__init__()
        self.bindings = [b for b in bindings if b.description]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as box:
            box.border_title = "help"
            box.border_subtitle = "esc close"
            yield Static(self._keys(), id="help-keys")
            yield Static(self._panels(), id="help-panels")

    def _keys(self) -> Table:
        table = Table(
            box=None, show_header=False, padding=(0, 2), title="keys", title_justify="left", title_style="bold"
        )
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        rows: dict[str, list[str]] = {}  # one row per key: p pauses and resumes
        for binding in self.bindings:
            keys = " / ".join(self.app.get_key_display(Binding(key, "")) for key in binding.key.split(","))
            rows.setdefault(keys, []).append(binding.tooltip or binding.description)
        for keys, meanings in rows.items():
            table.add_row(keys, " / ".join(meanings))
        return table

    def _panels(self) -> Table:
        table = Table(
            box=None, show_header=False, padding=(0, 2), title="\npanels", title_justify="left", title_style="bold"
        )
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for name, meaning in PANELS:
            table.add_row(name, meaning)
        colours = Text()
        for verdict, style in VERDICT_STYLES.items():
            colours.append(verdict, style=f"bold {style}")
            colours.append("  ")
        colours.append("rows take the colour of their gate verdict; a dash means a value is missing")
        table.add_row("colours", colours)
        return table
