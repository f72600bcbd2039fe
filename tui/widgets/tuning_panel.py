"""The tuning panel: for the latest iteration, each parameter's value (what the iteration ran
with), the delta the tuner decided after it, and whether it was applied or which guard held it;
then the skip reason and the tuner's rationale."""
from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from core.params import TUNABLES
from core.readers import IterationView
from tui import format as fmt

APPLIED = "applied"


class TuningPanel(VerticalScroll, can_focus=False):
    def compose(self) -> ComposeResult:
        yield Static(Text("waiting for the first iteration", style="dim"), id="tuning-body")

    def show(self, view: IterationView) -> None:
        self.border_title = f"tuning (iter {view.iteration})"
        self.query_one("#tuning-body", Static).update(Group(parameter_table(view), notes(view)))


def parameter_names(view: IterationView) -> list[str]:
    """The known tunables in their usual order, then whatever else the record names."""
    named = {*view.params, *view.proposed_deltas, *view.applied_deltas}
    known = [name for name in TUNABLES if name in named]
    return known + sorted(str(name) for name in named - set(known))


def parameter_table(view: IterationView, expand: bool = True) -> Table:
    table = Table(box=None, expand=expand, padding=(0, 1), pad_edge=False, show_edge=False)
    table.add_column("param", ratio=1, no_wrap=True, overflow="ellipsis", style="")
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("delta", justify="right", no_wrap=True)
    table.add_column("state", no_wrap=True, overflow="ellipsis")
    for name in parameter_names(view):
        table.add_row(fmt.literal(name), fmt.param_value(view.params.get(name, fmt.MISSING)),
                      *decision(view, name))
    return table


def decision(view: IterationView, name: str) -> tuple[Text, Text]:
    """(delta, state) of one parameter: the applied delta, or the proposed one and what held it."""
    status = view.param_status.get(name)
    if name in view.applied_deltas and view.applied_deltas[name] != 0:
        return Text(fmt.delta(view.applied_deltas[name]), style="bold"), _state(status or APPLIED)
    if name in view.proposed_deltas:
        held = status if status and status != APPLIED else view.skip_reason or "skipped"
        return Text(fmt.delta(view.proposed_deltas[name]), style="dim"), _state(held)
    return Text("·", style="dim"), Text("")


def _state(status: str) -> Text:
    return fmt.literal(status, style="green" if status == APPLIED else "yellow")


def notes(view: IterationView) -> Text:
    text = Text()
    if view.applied is False and view.skip_reason:
        text.append("\nskipped: ", style="yellow")
        text.append_text(fmt.literal(view.skip_reason))
    for line in view.rationale:
        text.append("\n› ", style="dim")
        text.append_text(fmt.literal(line))
    if not view.rationale:
        text.append("\nno rationale recorded", style="dim")
    return text
