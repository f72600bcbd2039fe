"""Asked before a key stops a live soak (`s`, `q`): the same key again or `y` stops it; `n` or
escape keeps it going. A soak hours in is not lost to a slip of the finger."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmStop(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmStop {
        align: center middle;
    }
    ConfirmStop > Vertical {
        width: 60;
        height: auto;
        border: round $warning;
        border-title-color: $warning;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, key: str, question: str) -> None:
        """`key`: the key that asked (pressing it again confirms)."""
        super().__init__()
        self.key, self.question = key, question

    BINDINGS = [
        Binding("y", "answer(True)", "yes, stop it"),
        Binding("n,escape", "answer(False)", "no, keep it going"),
        Binding("s", "again('s')", show=False),
        Binding("q", "again('q')", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "stop the soak?"
            yield Static(self.question)
            yield Static(
                Content.assemble(
                    ("y", "bold"), (f" or {self.key} again: stop   ", ""), ("n", "bold"), (" or esc: keep it going", "")
                )
            )

    def action_answer(self, stop: bool) -> None:
        self.dismiss(stop)

    def action_again(self, key: str) -> None:
        if key == self.key:
            self.dismiss(True)
