"""The monitor of a replay (`soak replay`): the run's monitor with the replay's own keys, faster
and slower, a step while paused, and seeking back and forth."""

from __future__ import annotations

from textual.binding import Binding

from tui.app import SoakApp
from tui.sources.replay import ReplaySource
from tui.widgets.run_header import RunHeader

SEEK_ITERATIONS = 10


class ReplayApp(SoakApp):
    BINDINGS = [
        Binding("plus,equals_sign", "speed(2)", "faster", tooltip="Replay twice as fast"),
        Binding("minus", "speed(0.5)", "slower", tooltip="Replay half as fast"),
        Binding("full_stop", "step", "step", show=False, tooltip="Pause, and show the next iteration"),
        Binding("right_square_bracket", "seek(1)", "seek on", show=False, tooltip=f"{SEEK_ITERATIONS} iterations on"),
        Binding(
            "left_square_bracket", "seek(-1)", "seek back", show=False, tooltip=f"{SEEK_ITERATIONS} iterations back"
        ),
    ]

    source: ReplaySource

    def action_speed(self, factor: float) -> None:
        self.source.change_speed(factor)
        self.query_one(RunHeader).show_badge(self.source.badge)

    def action_step(self) -> None:
        self.source.step()

    def action_seek(self, direction: int) -> None:
        self.source.seek(direction * SEEK_ITERATIONS)
