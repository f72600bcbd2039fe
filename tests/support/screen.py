"""Reading what a Textual app shows, as text."""

from __future__ import annotations

from typing import Any

from textual.app import App


def screen_lines(app: App[Any]) -> list[str]:
    # The composed screen as text, line by line (what a terminal would show, filters applied).
    return [strip.text for strip in app.screen._compositor.render_strips()]


def table_rows(app: App[Any]) -> list[list[str]]:
    """The screen's lines split into words, borders dropped: a table row is its cells."""
    return [line.replace("│", " ").split() for line in screen_lines(app)]


def screen_text(app: App[Any]) -> str:
    return "\n".join(screen_lines(app))
