"""One iteration in full: its verdict and reasons, the tuner's decision and rationale, anything
the reader could not use, and the whole record as pretty JSON (shown literally)."""
from __future__ import annotations

import json

from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from core.readers import IterationView
from tui import format as fmt
from tui.widgets.tuning_panel import parameter_table


class IterationDetailScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,enter", "dismiss", "close")]

    def __init__(self, view: IterationView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail") as box:
            box.border_title = f"iteration {self.view.iteration}"
            box.border_subtitle = "esc close"
            yield Static(self._summary(), id="detail-summary")
            yield Static(id="detail-json")
        yield Footer()

    def on_mount(self) -> None:
        # The record's highlighting needs the box's resolved background to blend in.
        box = self.query_one("#detail", VerticalScroll)
        self.query_one("#detail-json", Static).update(self._record(box.styles.background.hex))

    def _summary(self) -> Group:
        view = self.view
        head = Text.assemble(("verdict ", "dim"))
        head.append_text(fmt.literal(view.verdict or fmt.MISSING, style=f"bold {fmt.verdict_style(view.verdict)}"))
        parts: list = [head]
        parts += _section("gate reasons", view.gate_reasons)
        parts.append(Text("\ntuning", style="bold"))
        parts.append(parameter_table(view, expand=False))
        if view.applied is False and view.skip_reason:
            parts.append(Text.assemble(("skipped: ", "yellow"), fmt.literal(view.skip_reason)))
        parts += _section("rationale", view.rationale)
        parts += _section("could not read", view.problems)
        parts.append(Text("\nrecord", style="bold"))
        return Group(*parts)

    def _record(self, background: str) -> Syntax:
        # json.dumps escapes the C0 controls; escape_controls catches the rest (C1, bidi, line
        # separators). Syntax never reads markup, so the record is shown literally.
        pretty = json.dumps(self.view.raw, indent=2, ensure_ascii=False)
        text = "\n".join(fmt.escape_controls(line) for line in pretty.split("\n"))
        theme = "ansi_dark" if self.app.current_theme.dark else "ansi_light"
        return Syntax(text, "json", theme=theme, background_color=background, word_wrap=True)


def _section(title: str, lines: tuple[str, ...]) -> list[Text]:
    if not lines:
        return []
    body = [Text(f"\n{title}", style="bold")]
    body += [Text.assemble(("• ", "dim"), fmt.literal(line)) for line in lines]
    return body
