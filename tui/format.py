"""How values look on screen: numbers, missing values, verdict colours and literal text.

Everything that came from a file or a process is turned into `rich.text.Text` here, never into a
markup string, and control characters are shown as escapes, so a run's data cannot restyle or
scramble the terminal.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from rich.text import Text

MISSING = "—"

# ANSI colour names: Textual maps them through a dark or a light terminal palette per theme, so
# they stay readable in both, and NO_COLOR drops them while the verdict word remains.
VERDICT_STYLES: dict[str, str] = {"PASS": "green", "WARN": "yellow", "FAIL": "red"}

Formatter = Callable[[float], str]


def literal(value: Any, style: str = "") -> Text:
    """`value` as plain text: markup is not interpreted, control characters become escapes."""
    return Text(escape_controls(value if isinstance(value, str) else str(value)), style=style)


def escape_controls(text: str) -> str:
    return "".join(_visible(ch) for ch in text)


def _visible(ch: str) -> str:
    if not unicodedata.category(ch).startswith(("C", "Zl", "Zp")):
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def verdict_style(verdict: str | None) -> str:
    return VERDICT_STYLES.get(verdict or "", "")


def ratio(value: float) -> str:
    return f"{value:.2f}"


def signed(value: float) -> str:
    return f"{value:+.2f}"


def decimal1(value: float) -> str:
    return f"{value:.1f}"


def whole(value: float) -> str:
    return f"{value:.0f}"


def show(value: float | None, formatter: Formatter) -> str:
    """A number through its formatter, or the missing-value dash."""
    return MISSING if value is None else formatter(value)


def threshold(op: str, fail: float | None, formatter: Formatter) -> str:
    """The gate's FAIL threshold beside a value, e.g. '>= 0.85' or 'present'."""
    return op if fail is None else f"{op} {formatter(fail)}"


def param_value(value: Any) -> Text:
    if isinstance(value, bool):
        return Text("on" if value else "off")
    if isinstance(value, int):
        return Text(str(value))
    if isinstance(value, float):
        return Text(f"{value:.4g}" if abs(value) < 1e6 else f"{value:.3e}")
    return literal(value)


def delta(value: float) -> str:
    if value == int(value) and abs(value) >= 1:
        return f"{value:+.0f}"
    return f"{value:+.3g}"


def duration(seconds: float) -> str:
    """04:12 or 1:04:12."""
    minutes, secs = divmod(int(max(seconds, 0)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
