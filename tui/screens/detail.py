"""One iteration in full: its verdict and KPIs, the gate's reasons, the tuner's decision and
rationale, anything the reader could not use, and the record as pretty JSON, all literal (very
deep nesting is summarised and very long texts are cut: the file keeps them whole). Left and
right go to the previous and next iteration of the table (as it is filtered)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from core.gates import DEFAULT_GATE, evaluate_iteration, load_gate
from core.runs.views import IterationView
from tui import format as fmt
from tui.widgets.columns import KPI_COLUMNS
from tui.widgets.tuning_panel import notes, parameter_lines

KPI_LABEL_WIDTH, KPI_VALUE_WIDTH, KPIS_PER_LINE = 12, 8, 3
RECORD_DEPTH = 16  # levels of the record shown as JSON; deeper ones are summarised


Neighbour = Callable[[IterationView, int], IterationView | None]  # the row before (-1) or after (+1)


class IterationDetailScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,enter", "dismiss", "close"),
        # Over the box's own left/right (it wraps its text, so there is nothing to scroll sideways).
        Binding("left", "step(-1)", "previous", priority=True, tooltip="The previous iteration"),
        Binding("right", "step(1)", "next", priority=True, tooltip="The next iteration"),
    ]

    def __init__(self, view: IterationView, neighbour: Neighbour | None = None) -> None:
        super().__init__()
        self.view = view
        self.neighbour = neighbour

    def action_step(self, step: int) -> None:
        other = self.neighbour(self.view, step) if self.neighbour else None
        if other is None:
            self.notify("no iteration " + ("before" if step < 0 else "after") + " this one in the table", timeout=2)
            return
        self.view = other
        self.refresh(recompose=True)

    def compose(self) -> ComposeResult:
        view = self.view
        with VerticalScroll(id="detail") as box:
            box.border_title = f"iteration {view.iteration}"
            box.border_subtitle = "← previous · → next · esc close"
            yield Static(
                Content.assemble(
                    ("verdict ", "dim"),
                    fmt.content(view.verdict or fmt.MISSING, f"bold {fmt.ansi(fmt.verdict_style(view.verdict))}"),
                    *_rejudged(view),
                )
            )
            yield Static(kpi_lines(view), classes="detail-section")
            yield from _section("gate reasons", view.gate_reasons)
            yield Static("tuning", classes="detail-heading")
            yield Static(Content("\n").join([parameter_lines(view), notes(view)]))
            yield from _section("could not read", view.problems)
            yield Static("record", classes="detail-heading")
            yield Static(id="detail-json")
        yield Footer()

    def on_mount(self) -> None:
        self._show_record()

    async def recompose(self) -> None:
        await super().recompose()
        self._show_record()

    def _show_record(self) -> None:
        # The record's highlighting needs the box's resolved background to blend in.
        box = self.query_one("#detail", VerticalScroll)
        self.query_one("#detail-json", Static).update(self._record(box.styles.background.hex))

    def _record(self, background: str) -> Syntax:
        # json.dumps escapes the C0 controls; escape_controls catches the rest (C1, bidi, line
        # separators). Syntax never reads markup, so the record is shown literally.
        pretty = json.dumps(within_depth(self.view.raw), indent=2, ensure_ascii=False)
        text = "\n".join(fmt.escape_controls(line) for line in pretty.split("\n"))
        theme = "ansi_dark" if self.app.current_theme.dark else "ansi_light"
        return Syntax(text, "json", theme=theme, background_color=background, word_wrap=True)


def _rejudged(view: IterationView) -> tuple[Content | tuple[str, str], ...]:
    """Beside a verdict the older tool recorded: what mm-soak's default gate says of the same KPIs."""
    if not view.foreign_verdict:
        return ()
    summary = view.raw.get("summary")
    ours = evaluate_iteration(summary if isinstance(summary, Mapping) else {}, load_gate(DEFAULT_GATE)).verdict
    return (
        ("  as the older tool recorded it; mm-soak's ", "dim"),
        (f"{DEFAULT_GATE} gate: ", "dim"),
        fmt.content(ours, fmt.ansi(fmt.verdict_style(ours))),
    )


def within_depth(value: Any, depth: int = RECORD_DEPTH) -> Any:
    """`value` with what is nested deeper than `depth` summarised: a record nested hundreds of
    levels deep would be thousands of indented lines to lay out (the file keeps it all)."""
    if isinstance(value, dict):
        if not depth:
            return f"{{… {len(value)} keys}}"
        return {key: within_depth(item, depth - 1) for key, item in value.items()}
    if isinstance(value, list):
        if not depth:
            return f"[… {len(value)} items]"
        return [within_depth(item, depth - 1) for item in value]
    return value


def kpi_lines(view: IterationView) -> Content:
    """The KPIs three to a line: 'maker share     0.90   net bps   +3.08   ...'."""
    shown = [(column.heading, column.cell(view)) for column in KPI_COLUMNS]
    shown.append(("fills", fmt.MISSING if view.fills is None else f"{view.fills:.0f}"))
    cells = [
        Content.assemble((f"{label:<{KPI_LABEL_WIDTH}}", "dim"), Content(value).right(KPI_VALUE_WIDTH), "   ")
        for label, value in shown
    ]
    lines = [Content("").join(cells[start : start + KPIS_PER_LINE]) for start in range(0, len(cells), KPIS_PER_LINE)]
    return Content("\n").join(lines)


def _section(title: str, lines: tuple[str, ...]) -> ComposeResult:
    if lines:
        yield Static(title, classes="detail-heading")
        yield Static(Content("\n").join(Content.assemble(("• ", "dim"), fmt.content(line)) for line in lines))
