"""Reading what a Textual app shows, as text."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.pilot import Pilot

from tests.support.soak import PATIENCE_S


def screen_lines(app: App[Any]) -> list[str]:
    # The composed screen as text, line by line (what a terminal would show, filters applied).
    return [strip.text for strip in app.screen._compositor.render_strips()]


def table_rows(app: App[Any]) -> list[list[str]]:
    """The screen's lines split into words, borders dropped: a table row is its cells."""
    return [line.replace("│", " ").split() for line in screen_lines(app)]


def screen_text(app: App[Any]) -> str:
    return "\n".join(screen_lines(app))


async def wait_until(pilot: Pilot[Any], condition: Callable[[], bool]) -> None:
    """Let the app run until `condition()` holds, checking after each short turn of its loop;
    only a hang reaches PATIENCE_S."""
    async with asyncio.timeout(PATIENCE_S):
        while not condition():
            await pilot.pause(0.01)


async def wait_for_screen(pilot: Pilot[Any], *texts: str) -> str:
    """Until every text is on the screen; the screen's text."""
    await wait_until(pilot, lambda: all(text in screen_text(pilot.app) for text in texts))
    return screen_text(pilot.app)
