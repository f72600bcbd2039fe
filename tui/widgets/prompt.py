"""A one-line question at the foot of the monitor, as in less and vim: `g` asks for an
iteration to jump to, `/` for text to search. Enter answers, escape cancels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label

JUMP, SEARCH = "jump", "search"
QUESTIONS = {JUMP: "go to iteration:", SEARCH: "search:"}
HINTS = {JUMP: "a number", SEARCH: "text in a row, its gate reasons or the rationale"}


class Prompt(Horizontal):
    DEFAULT_CSS = """
    Prompt {
        dock: bottom;
        height: 1;
        margin-bottom: 1;
        padding: 0 1;
        background: $panel;
        display: none;
    }
    Prompt > Label {
        width: auto;
        margin-right: 1;
        text-style: bold;
    }
    Prompt > Input, Prompt > Input:focus {
        width: 1fr;
        height: 1;
        border: none;
        padding: 0;
        background: $panel;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    @dataclass
    class Answered(Message):
        kind: str  # JUMP or SEARCH
        text: str

    class Closed(Message):
        """Answered or cancelled: the monitor takes the focus back."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = SEARCH

    def compose(self) -> ComposeResult:
        yield Label(QUESTIONS[SEARCH])
        yield Input()

    def ask(self, kind: str) -> None:
        self.kind = kind
        self.query_one(Label).update(QUESTIONS[kind])
        field = self.query_one(Input)
        field.value = ""
        field.placeholder = HINTS[kind]
        field.restrict = r"\d*" if kind == JUMP else None
        self.display = True
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self._close()
        if text:
            self.post_message(self.Answered(self.kind, text))

    def action_cancel(self) -> None:
        self._close()

    def _close(self) -> None:
        self.display = False
        self.post_message(self.Closed())
