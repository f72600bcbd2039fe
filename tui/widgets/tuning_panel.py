"""The tuning panel: for the latest iteration, each parameter's value (what the iteration ran
with), the delta the tuner decided after it, and whether it was applied or which guard held it;
then the skip reason, what each guard that held something means, the tuner's rationale, and the
what-if's candidates (deltas, replayed objective, constraints met, the chosen one marked).
It scrolls; the rationale wraps."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from core.params import TUNABLES, spec_of
from core.runs.jsonio import finite_number
from core.runs.views import IterationView
from core.tuning.guards import HOLD_REASONS
from core.tuning.tuner import in_units
from tui import format as fmt

APPLIED = "applied"
NAME_WIDTH, VALUE_WIDTH, DELTA_WIDTH = 22, 8, 7
VALUES_FROM = 50  # cells of text from which the panel has room for the value column


class TuningPanel(VerticalScroll):
    """Its size is set by the layout, so an update only repaints it; the iteration's detail
    screen has the same and the full record."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view: IterationView | None = None
        self._heights: dict[str, int] = {}

    DEFAULT_CSS = """
    TuningPanel > #tuning-params {
        text-wrap: nowrap;
        text-overflow: ellipsis;
        margin-bottom: 1;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="tuning-params")
        yield Static(id="tuning-notes")

    def on_mount(self) -> None:
        self.reset()

    def on_resize(self) -> None:
        if self.view is not None:
            self.show(self.view)

    def reset(self) -> None:
        self.view = None
        self.border_title = "tuning"
        self.query_one("#tuning-params", Static).update(Content.styled("waiting for the first iteration", "dim"))
        self.query_one("#tuning-notes", Static).update("")
        self._heights.clear()

    def show(self, view: IterationView) -> None:
        self.view = view
        self.border_title = f"tuning (iter {view.iteration})"
        width = self.content_region.width
        self._update("#tuning-params", parameter_lines(view, width >= VALUES_FROM), None)
        self._update("#tuning-notes", notes(view), width - self.styles.scrollbar_size_vertical)

    def _update(self, selector: str, text: Content, wrap_width: int | None) -> None:
        """Lay out again only when the text's height changes (rarely): a layout of the whole
        screen for every iteration would cost the streaming run its speed."""
        height = len(text.wrap(max(wrap_width, 1))) if wrap_width is not None else len(text.split("\n"))
        static = self.query_one(selector, Static)
        static.update(text, layout=height != self._heights.get(selector))
        self._heights[selector] = height


def parameter_names(view: IterationView) -> list[str]:
    """The known tunables in their usual order, then whatever else the record names."""
    named = {*view.params, *view.proposed_deltas, *view.applied_deltas}
    known = [name for name in TUNABLES if name in named]
    return known + sorted(str(name) for name in named - set(known))


def parameter_lines(view: IterationView, values: bool = True) -> Content:
    """One line per parameter; without `values` (a narrow panel) the value column is left out."""
    value_heading = f"{'value':>{VALUE_WIDTH}}" if values else ""
    lines = [Content.styled(f"{'param':<{NAME_WIDTH}}{value_heading} {'delta':>{DELTA_WIDTH}}  state", "bold")]
    for name in parameter_names(view):
        delta, state = decision(view, name)
        value = fmt.param_value(view.params[name]) if name in view.params else fmt.MISSING
        lines.append(
            Content.assemble(
                fmt.content(name).truncate(NAME_WIDTH, ellipsis=True, pad=True),
                Content(value).right(VALUE_WIDTH, ellipsis=True) if values else "",
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
        return Content.styled(fmt.delta(view.applied_deltas[name], DELTA_WIDTH), "bold"), _state(status or APPLIED)
    if name in view.proposed_deltas:
        held = status if status and status != APPLIED else view.skip_reason or "skipped"
        return Content.styled(fmt.delta(held_step(view, name), DELTA_WIDTH), "dim"), _state(held)
    return Content.styled("·", "dim"), Content("")


def held_step(view: IterationView, name: str) -> float:
    """A held proposal as recorded, but in whole units for an integer parameter: the steps the
    tuner takes."""
    proposed = view.proposed_deltas[name]
    if name not in TUNABLES or not spec_of(name).integer or finite_number(proposed) is None:
        return proposed
    return in_units(name, proposed)


def _state(status: str) -> Content:
    return fmt.content(status, fmt.ansi("green" if status == APPLIED else "yellow"))


def held_by(view: IterationView) -> list[str]:
    """The known reasons that held something in this decision, each once, in order."""
    reasons = [*view.skip_reasons, *view.param_status.values()]
    return [reason for reason in dict.fromkeys(reasons) if reason in HOLD_REASONS]


def notes(view: IterationView) -> Content:
    lines: list[Content] = []
    if view.applied is False and view.skip_reason:
        lines.append(Content.assemble(("skipped: ", fmt.ansi("yellow")), fmt.content(view.skip_reason)))
    lines += [Content.assemble((f"{reason}: ", "bold"), (HOLD_REASONS[reason], "dim")) for reason in held_by(view)]
    lines += [Content.assemble(("› ", "dim"), fmt.content(line)) for line in view.rationale]
    if not view.rationale:
        lines.append(Content.styled("no rationale recorded", "dim"))
    return Content("\n").join([*lines, *candidate_lines(view)])


def candidate_lines(view: IterationView) -> list[Content]:
    """The what-if table as recorded (a file may hold anything: what is not a table is left out)."""
    tuning = view.raw.get("tuning")
    if not isinstance(tuning, dict) or not isinstance(tuning.get("candidates"), list):
        return []
    rows = [row for row in tuning["candidates"] if isinstance(row, dict)]
    lines = [Content.styled(f"what-if: {tuning.get('objective')} on iterations {tuning.get('windows')}", "bold")]
    for row in rows:
        deltas = row.get("deltas")
        deltas = deltas if isinstance(deltas, dict) else {}
        moves = ", ".join(f"{k} {fmt.delta(v)}" for k, v in deltas.items() if finite_number(v) is not None)
        objective = finite_number(row.get("objective"))
        shown = fmt.MISSING if objective is None else f"{objective:+.4g}"
        met = "met" if row.get("constraints_met") is True else "misses " + ", ".join(map(str, row.get("failed") or []))
        mark, style = ("✓ ", "bold") if row.get("chosen") is True else ("  ", "")
        text = f"{mark}{row.get('label')}: {shown} ({met})" + (f"  {moves}" if moves else "")
        lines.append(fmt.content(text, style))
    return lines if rows else []
