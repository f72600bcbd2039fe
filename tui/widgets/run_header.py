"""The one-line header: who the run is, how far it got, how long it took and what state it is in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from core.records import FINAL_STATUSES, Verdict
from tui.format import LIVE_STATES, MISSING, STARTING, STOPPED, content, duration
from tui.messages import RunIdentity

Clock = Callable[[], float]
STATES = (STARTING, *LIVE_STATES, *FINAL_STATUSES, STOPPED)  # each has a colour in app.tcss
VERDICT_WIDTH = 12  # a recorded verdict is any text; the header keeps its place for the rest


class RunHeader(Horizontal):
    """The run's identity (the product's name until a run opens), its progress and state.

    Elapsed time ticks once a second while the run goes on and freezes when it ends (no timer
    is left behind, so an idle monitor stays idle). With `clock=None` no time is shown at all.
    The state and verdict badges are coloured by the stylesheet, through the theme."""

    def __init__(self, clock: Clock | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self.info: RunIdentity | None = None
        self.done = 0
        self.status = STARTING
        self.started: float | None = None
        self.ended: float | None = None
        self._ticker: Timer | None = None
        self._progress_width = 0

    def compose(self) -> ComposeResult:
        yield Static(Content.styled("mm-soak", "bold"), id="identity")
        yield Static(id="progress")
        yield Static(id="status")
        yield Static(id="verdict")

    def on_mount(self) -> None:
        self._show_status()
        self._show_progress()

    def reset(self) -> None:
        """Back to before any run: another one is shown next."""
        self._stop_clock()
        self.info = None
        self.done = 0
        self.started = self.ended = None
        self.query_one("#identity", Static).update(Content.styled("mm-soak", "bold"))
        self.show_status(STARTING)

    def show_run(self, info: RunIdentity) -> None:
        self.info = info
        self.query_one("#identity", Static).update(identity(info))
        if self.clock is not None and self._ticker is None:
            self.started, self.ended = self.clock(), None
            self._ticker = self.set_interval(1.0, self._show_progress)
        self._show_progress()

    def show_progress(self, iteration: int) -> None:
        self.done = max(self.done, iteration)
        self._show_progress()

    def show_status(self, status: str, verdict: str | None = None) -> None:
        self.status = status
        if status not in (STARTING, *LIVE_STATES):
            self._stop_clock()
        self._show_status(verdict)
        self._show_progress()

    def _stop_clock(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        if self.clock is not None and self.started is not None and self.ended is None:
            self.ended = self.clock()

    def _show_status(self, verdict: str | None = None) -> None:
        badge = self.query_one("#status", Static)
        # A watched run's status is whatever its RUN.json says: literal, capped, and only the
        # states this monitor knows get a colour.
        badge.update(content(f" {self.status.upper()} ").truncate(VERDICT_WIDTH, ellipsis=True))
        badge.set_classes(f"-{self.status}" if self.status in STATES else "")
        stamp = self.query_one("#verdict", Static)
        stamp.update(content(f" {verdict} ").truncate(VERDICT_WIDTH, ellipsis=True) if verdict else "")
        stamp.set_classes(f"-{verdict.lower()}" if verdict is not None and Verdict.parse(verdict) else "")
        stamp.display = verdict is not None

    def _show_progress(self) -> None:
        total = self.info.total_iterations if self.info else None
        parts: list[str | tuple[str, str]] = [("iter ", "dim"), f"{self.done}/{total if total is not None else '?'}"]
        elapsed = self._elapsed()
        if elapsed is not None:
            parts += ["  ", duration(elapsed)]
            if self.status in LIVE_STATES and total and self.done:
                parts += [("  ETA ", "dim"), duration(elapsed / self.done * (total - self.done))]
        line = Content.assemble(*parts)
        # The width is the text's: lay out again only when it changes (rarely), else repaint.
        resized = line.cell_length != self._progress_width
        self._progress_width = line.cell_length
        self.query_one("#progress", Static).update(line, layout=resized)

    def _elapsed(self) -> float | None:
        if self.clock is None or self.started is None:
            return None
        return (self.ended if self.ended is not None else self.clock()) - self.started


def identity(info: RunIdentity) -> Content:
    """Most telling first: a narrow terminal cuts the seed, then the profile."""
    driver = info.driver or MISSING
    if info.scenario and not driver.endswith(info.scenario):  # the simulator says "sim/<scenario>"
        driver = f"{driver}/{info.scenario}"
    parts: list[Content | str | tuple[str, str]] = []
    for label, value in (
        ("run", info.run_id),
        ("", driver),
        ("gate", info.gate),
        ("profile", info.profile),
        ("seed", info.seed),
    ):
        if parts:
            parts.append("  ")
        if label:
            parts.append((f"{label} ", "dim"))
        parts.append(content(value if value is not None else MISSING))
    return Content.assemble(*parts)
