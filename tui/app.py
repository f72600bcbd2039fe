"""The monitor (DESIGN.md section 9): header, iteration table, tuning panel, trends, footer.

The app renders whatever its `RunSource` posts (tui/messages.py) and asks the source to pause,
resume or stop; it never runs the soak itself. tui/factory.py builds it for each command.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable
from pathlib import Path

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Footer

from core.records import ExitCode, RunStatus
from core.runs.views import IterationView
from tui.format import LIVE_STATES, PAUSED, PAUSING, STARTING, STOPPING, VERDICT_STYLES, escape_controls
from tui.messages import IterationsArrived, Notice, RunEnded, RunOpened, RunStateChanged, RunSwitched
from tui.screens.detail import IterationDetailScreen
from tui.screens.help import HelpScreen
from tui.sources import RunSource
from tui.widgets.iteration_table import IterationTable
from tui.widgets.run_header import Clock, RunHeader
from tui.widgets.trends import TrendPanel
from tui.widgets.tuning_panel import TuningPanel

DARK_THEME, LIGHT_THEME = "textual-dark", "textual-light"
NOTICE_S = 30  # how long a run's note stays


class SoakApp(App[int]):
    """Returns the exit code: the run's (from its gate) once it has ended, 130 if quit before."""

    CSS_PATH = "app.tcss"
    TITLE = "mm-soak"
    BINDINGS = [
        # One key and one label for both: a label that changed would rebuild the footer each time.
        Binding(
            "p", "toggle_pause", "pause/resume", tooltip="Pause the loop once the current iteration is done; resume it"
        ),
        Binding("s", "stop", "stop", tooltip="Stop the run; finished iterations stay on disk"),
        Binding("question_mark", "help", "help", key_display="?", tooltip="This screen"),
        Binding(
            "ctrl+s", "screenshot_to_file", "screenshot", tooltip="Save an SVG of the screen in the current directory"
        ),
        Binding("q", "quit", "quit", tooltip="Quit; a run still going is stopped (exit code 130)"),
    ]

    def __init__(
        self, source: RunSource, *, clock: Clock | None = time.monotonic, screenshot_dir: Path | None = None
    ) -> None:
        super().__init__()
        self.source = source
        self.clock = clock
        self._newest = 0  # the highest iteration shown
        self.screenshot_dir = screenshot_dir or Path.cwd()
        self.status = STARTING
        self.exit_code: int | None = None  # set when the run ends
        self.run_dir: Path | None = None

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield RunHeader(self.clock)
        table = IterationTable(id="iterations")
        table.border_title = "iterations"
        yield table
        with Horizontal(id="lower"):
            trends = TrendPanel(id="trends")
            trends.border_title = "trends"
            yield trends
            tuning = TuningPanel(id="tuning")
            tuning.border_title = "tuning"
            yield tuning
        yield Footer()

    def on_mount(self) -> None:
        # Everything built so far (Textual, the widgets) lives as long as the app: take it out of
        # the collector's full passes, which otherwise pause the UI and the loop for 100+ ms.
        gc.freeze()
        self.query_one(IterationTable).focus()
        self.source.start(self)

    def on_unmount(self) -> None:
        self.source.stop()  # interrupts the pacing wait, so the worker's thread ends promptly
        gc.unfreeze()

    # -- what the source says -------------------------------------------------------------------
    def on_run_opened(self, message: RunOpened) -> None:
        self.run_dir = message.identity.run_dir
        self.query_one(RunHeader).show_run(message.identity)
        self._set_status(RunStatus.RUNNING)

    def on_iterations_arrived(self, message: IterationsArrived) -> None:
        self._show(message.views)

    def on_run_switched(self, _: RunSwitched) -> None:
        """Another run follows: forget this one (its rows, trends, tuning, state)."""
        self._newest = 0
        self.exit_code = None
        self.run_dir = None
        table = self.query_one(IterationTable)
        table.reset()
        table.border_subtitle = ""
        self.query_one(TrendPanel).reset()
        self.query_one(TuningPanel).reset()
        self.query_one(RunHeader).reset()
        self._set_status(STARTING)

    def _show(self, views: list[IterationView]) -> None:
        """Rows by difference; trends get the iterations newer than any shown; the tuning panel
        and the header the newest (a rewritten older file changes only its row)."""
        if not views:
            return
        table = self.query_one(IterationTable)
        fresh = sorted((view for view in views if view.iteration > self._newest), key=lambda view: view.iteration)
        latest = max(views, key=lambda view: view.iteration)
        with self.batch_update():
            table.show_iterations(views)
            table.border_subtitle = verdict_tally(table)
            self.query_one(TrendPanel).add(fresh)
            if latest.iteration >= self._newest:
                self._newest = latest.iteration
                self.query_one(TuningPanel).show(latest)
                self.query_one(RunHeader).show_progress(latest.iteration)

    def on_notice(self, message: Notice) -> None:
        self.notify(escape_controls(message.text), title="note", severity="warning", timeout=NOTICE_S, markup=False)

    def on_run_state_changed(self, message: RunStateChanged) -> None:
        if self.status in LIVE_STATES and self.status != STOPPING:
            self._set_status(message.state)

    def on_run_ended(self, message: RunEnded) -> None:
        self.exit_code = message.exit_code
        self._set_status(message.status, message.verdict)
        if message.status == RunStatus.FAILED:
            self.notify(
                escape_controls(message.error or "no error recorded"),
                title="run failed",
                severity="error",
                markup=False,
            )
        elif message.status == RunStatus.ABORTED and self.run_dir is not None:
            self.notify(
                escape_controls(str(self.run_dir)), title="run stopped; finished iterations are in", markup=False
            )

    def _set_status(self, status: str, verdict: str | None = None) -> None:
        controls = self._controls()
        self.status = status
        self.query_one(RunHeader).show_status(status, verdict)
        if self._controls() != controls:
            self.refresh_bindings()  # the footer rebuilds its keys: only when they change

    def _controls(self) -> tuple[bool | None, ...]:
        return tuple(self.check_action(action, ()) for action in ("toggle_pause", "stop"))

    # -- keys -----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle_pause", "stop"):
            return self.source.controllable and self.status in (STARTING, *LIVE_STATES) and self.status != STOPPING
        return True

    def action_toggle_pause(self) -> None:
        if self.status in (PAUSING, PAUSED):
            self.source.resume()
            self._set_status(RunStatus.RUNNING)
        else:
            self.source.pause()
            self._set_status(PAUSING)

    def action_stop(self) -> None:
        self.source.stop()
        self._set_status(STOPPING)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            palette = Binding(
                self.COMMAND_PALETTE_BINDING,
                "command_palette",
                "commands",
                tooltip="Command palette: these commands, and the themes",
            )
            self.push_screen(HelpScreen([*bindings(self.BINDINGS), *bindings(IterationTable.BINDINGS), palette]))

    def action_details(self) -> None:
        view = self.query_one(IterationTable).selected_view()
        if view is not None:
            self.push_screen(IterationDetailScreen(view))

    def on_iteration_table_selected(self, message: IterationTable.Selected) -> None:
        self.push_screen(IterationDetailScreen(message.view))

    def action_screenshot_to_file(self) -> None:
        path = self.save_screenshot(path=str(self.screenshot_dir))
        self.notify(escape_controls(path), title="screenshot saved", markup=False)

    async def action_quit(self) -> None:
        if self.exit_code is None:
            self.source.stop()
        self.exit(ExitCode.INTERRUPTED if self.exit_code is None else self.exit_code)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":  # ours saves where ctrl+s does
                yield command
        for binding in bindings(self.BINDINGS):
            if binding.action != "quit" and self.check_action(binding.action, ()):
                yield SystemCommand(
                    binding.description.capitalize(), binding.tooltip, getattr(self, f"action_{binding.action}")
                )
        yield SystemCommand("Details", "Open the selected iteration: full record and rationale", self.action_details)
        yield SystemCommand("Dark theme", f"Switch to {DARK_THEME}", lambda: self._use_theme(DARK_THEME))
        yield SystemCommand("Light theme", f"Switch to {LIGHT_THEME}", lambda: self._use_theme(LIGHT_THEME))

    def _use_theme(self, name: str) -> None:
        self.theme = name


def bindings(declared: Iterable[BindingType]) -> list[Binding]:
    """The Binding objects of a BINDINGS list (Textual also takes tuples there; ours are all Bindings)."""
    return [binding for binding in declared if isinstance(binding, Binding)]


def verdict_tally(table: IterationTable) -> str:
    """'PASS ×15  WARN ×1  FAIL ×1' (markup: the border subtitle reads it, so names are escaped)."""
    order = {verdict: rank for rank, verdict in enumerate(VERDICT_STYLES)}
    counted = sorted((v for v, n in table.verdicts.items() if n > 0), key=lambda v: (order.get(v, 9), v))
    return "  ".join(f"{escape(escape_controls(verdict))} ×{table.verdicts[verdict]}" for verdict in counted)
