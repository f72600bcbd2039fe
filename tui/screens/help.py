"""The help screen: the keys that do something now (from the bindings themselves, so it cannot
drift, and only those the mode offers: a watch has no pause, a finished run no stop), what the
panels and colours mean in this mode, and what each tuning guard does."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from core.tuning.guards import HOLD_REASONS
from tui.format import REPLAY, RUN, VERDICT_STYLES, WATCH

GUARDS_LINK = "README.md#guards"
HEADER = (
    "header",
    "run id, driver/scenario, gate, profile, seed; a bar and iterations done/total, the market time covered, "
    "elapsed, ETA (paused time left out) and the run's state; at the end the run's verdict",
)
PANELS: dict[str, tuple[tuple[str, str], ...]] = {
    "common": (
        (
            "iterations",
            "one row per finished iteration, newest at the bottom; the cursor follows it until you move it. "
            "The columns are the KPIs that fit the width, most important first (c chooses); "
            "the verdict is always shown",
        ),
        (
            "tuning",
            "for the latest iteration: each parameter's value, the delta decided after it, "
            "and 'applied' or the guard that held it; then what that guard means and the tuner's rationale",
        ),
        (
            "trends",
            "a chart per KPI over the recent iterations with the gate's FAIL threshold as a line; "
            "beside its name the latest value and the threshold (t turns to the next KPIs)",
        ),
        ("alerts", "a failed run, a gate that turns FAIL and the end of a run ring the bell and stay until x"),
    ),
    RUN: (("mode", "a soak running in this process: s and q ask before they stop it"),),
    WATCH: (
        ("mode", "WATCH: runs another process writes; nothing here changes them"),
        (
            "runs",
            "every run under the root: state, verdict, gate, scenario, sweep, iterations, unreadable files; "
            "enter follows the selected run until you pick another (new runs are announced, not jumped to)",
        ),
    ),
    REPLAY: (("mode", "REPLAY ×speed: a recorded run played again; + and - change the speed, . steps, [ ] seek"),),
}


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "close")]

    def __init__(self, bindings: Iterable[Binding], mode: str, finished: bool) -> None:
        super().__init__()
        self.bindings = [b for b in bindings if b.description]
        self.mode, self.finished = mode, finished

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as box:
            box.border_title = f"help: {self.mode}" + (" (finished)" if self.finished else "")
            box.border_subtitle = "esc close"
            yield Static(self._keys(), id="help-keys")
            yield Static(self._panels(), id="help-panels")
            yield Static(self._guards(), id="help-guards")

    def _keys(self) -> Table:
        table = _table("keys")
        rows: dict[str, list[str]] = {}  # one row per key: p pauses and resumes
        for binding in self.bindings:
            keys = " / ".join(self.app.get_key_display(Binding(key, "")) for key in binding.key.split(","))
            meaning = binding.tooltip or binding.description
            if meaning not in rows.setdefault(keys, []):
                rows[keys].append(meaning)
        for keys, meanings in rows.items():
            table.add_row(keys, " / ".join(meanings))
        return table

    def _panels(self) -> Table:
        table = _table("\npanels")
        for name, meaning in (HEADER, *PANELS["common"], *PANELS.get(self.mode, ())):
            table.add_row(name, meaning)
        colours = Text()
        for verdict, style in VERDICT_STYLES.items():
            colours.append(verdict, style=f"bold {style}")
            colours.append("  ")
        colours.append("rows take the colour of their gate verdict (without colour, FAIL rows are bold); ")
        colours.append("a dash means a value is missing")
        table.add_row("colours", colours)
        return table

    def _guards(self) -> Table:
        table = _table(f"\nwhat held a tuning change (more in {GUARDS_LINK})")
        for reason, meaning in HOLD_REASONS.items():
            table.add_row(reason, meaning)
        return table


def _table(title: str) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2), title=title, title_justify="left", title_style="bold")
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    return table
