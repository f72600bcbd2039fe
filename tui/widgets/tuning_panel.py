"""The tuning panel: for the latest iteration, each parameter's value (what the iteration ran
with), the delta the tuner decided after it, and whether it was applied or which guard held it;
then the skip reason and the tuner's rationale."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from core.params import TUNABLES
from core.runs.views import IterationView
from tui import format as fmt

APPLIED = "applied"
NAME_WIDTH, VALUE_WIDTH, DELTA_WIDTH = 22, 8, 7


class TuningPanel(Static):
    """Its size is set by the layout, so an update only repaints it; what does not fit is in
    the iteration's detail screen."""

    def on_mount(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.border_title = "tuning"
        self.update(Content.styled("waiting for the first iteration", "dim"))

    def show(self, view: IterationView) -> None:
        self.border_title = f"tuning (iter {view.iteration})"
        self.update(Content("\n").join([parameter_lines(view), Content(""), notes(view)]), layout=False)


def parameter_names(view: IterationView) -> list[str]:
    """The known tunables in their usual order, then whatever else the record names."""
    named = {*view.params, *view.proposed_deltas, *view.applied_deltas}
    known = [name for name in TUNABLES if name in named]
    return known + sorted(str(name) for name in named - set(known))


def parameter_lines(view: IterationView) -> Content:
    lines = [Content.styled(f"{'param':<{NAME_WIDTH}}{'value':>{VALUE_WIDTH}} {'delta':>{DELTA_WIDTH}}  state", "bold")]
    for name in parameter_names(view):
        delta, state = decision(view, name)
        value = fmt.param_value(view.params[name]) if name in view.params else fmt.MISSING
        lines.append(
            Content.assemble(
                fmt.content(name).truncate(NAME_WIDTH, ellipsis=True, pad=True),
                Content(value).right(VALUE_WIDTH, ellipsis=True),
                " ",
                delta.right(DELTA_WIDTH),
                "  ",
                state,
            )
        )
    return Content("\n").join(lines)


def decision(view: IterationView, name: str) -> tuple[Content, Content]:
    """(delta, state) of one parameter: the applied delta, or the proposed one and what held it."""
    status = view.param_status.get(name)
    if name in view.applied_deltas and view.applied_deltas[name] != 0:
        return Content.styled(fmt.delta(view.applied_deltas[name]), "bold"), _state(status or APPLIED)
    if name in view.proposed_deltas:
        held = status if status and status != APPLIED else view.skip_reason or "skipped"
        return Content.styled(fmt.delta(view.proposed_deltas[name]), "dim"), _state(held)
    return Content.styled("·", "dim"), Content("")


def _state(status: str) -> Content:
    return fmt.content(status, fmt.ansi("green" if status == APPLIED else "yellow"))


def notes(view: IterationView) -> Content:
    lines: list[Content] = []
    if view.applied is False and view.skip_reason:
        lines.append(Content.assemble(("skipped: ", fmt.ansi("yellow")), fmt.content(view.skip_reason)))
    lines += [Content.assemble(("› ", "dim"), fmt.content(line)) for line in view.rationale]
    if not view.rationale:
        lines.append(Content.styled("no rationale recorded", "dim"))
    return Content("\n").join(lines)
