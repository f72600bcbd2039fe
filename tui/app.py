"""The monitor (DESIGN.md section 9): header, alerts, iteration table, trends, tuning, footer.

The app renders whatever its `RunSource` posts (tui/messages.py) and asks the source to pause,
resume or stop; it never runs the soak itself. tui/factory.py builds it for each command; the
watch and replay apps (tui/watch_app.py, tui/replay_app.py) add their own keys.
"""

from __future__ import annotations

import functools
import gc
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer

from core.records import ExitCode, RunStatus
from core.runs.views import IterationView
from tui import alerts
from tui.format import LIVE_STATES, PAUSED, PAUSING, RUN, STARTING, STOPPING, VERDICT_STYLES, escape_controls
from tui.messages import IterationsArrived, Notice, RunEnded, RunOpened, RunStateChanged, RunSwitched
from tui.screens.columns import ColumnsScreen
from tui.screens.confirm import ConfirmStop
from tui.screens.detail import IterationDetailScreen
from tui.screens.help import HelpScreen
from tui.sources import RunSource
from tui.widgets.alert_banner import AlertBanner
from tui.widgets.iteration_table import IterationTable
from tui.widgets.prompt import JUMP, SEARCH, Prompt
from tui.widgets.run_header import Clock, RunHeader
from tui.widgets.trends import TrendPanel
from tui.widgets.tuning_panel import TuningPanel

DARK_THEME, LIGHT_THEME = "textual-dark", "textual-light"
NOTICE_S = 30  # how long a run's note stays
FILTER_TITLE = "iterations · only WARN/FAIL"


class StopSignalled(Message):
    """A stop signal (SIGINT, SIGTERM, SIGHUP) reached the process (tui/cli.py posts this)."""


AppT = TypeVar("AppT", bound=App[int])
MessageT = TypeVar("MessageT", bound=Message)


def from_source(handler: Callable[[AppT, MessageT], None]) -> Callable[[AppT, MessageT], None]:
    """A handler of what the source says. A message still queued when the app began to close finds
    its widgets gone: it is dropped (the run's files keep everything it said)."""

    @functools.wraps(handler)
    def while_running(app: AppT, message: MessageT) -> None:
        if app.is_running:
            handler(app, message)

    return while_running


class SoakApp(App[int]):
    """Returns the exit code: the run's (from its gate) once it has ended, QUIT_CODE if quit
    before (130: the quit stopped the run), 130 on a stop signal."""

    CSS_PATH = "app.tcss"
    TITLE = "mm-soak"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-tiny"), (20, "-short"), (32, "-tall"), (48, "-huge")]
    BINDINGS = [
        # One key and one label for both: a label that changed would rebuild the footer each time.
        Binding("p", "toggle_pause", "pause", tooltip="Pause the loop once the current iteration is done; resume it"),
        Binding("s", "stop", "stop", tooltip="Stop the run (asks first); finished iterations stay on disk"),
        Binding("f", "filter", "filter", tooltip="Show only the iterations that did not pass (WARN/FAIL); again: all"),
        Binding("t", "charts", "charts", tooltip="Chart the next KPIs"),
        Binding("g", "ask('jump')", "jump", show=False, tooltip="Go to an iteration by its number"),
        Binding("slash", "ask('search')", "search", show=False, tooltip="Search the rows, reasons and rationale"),
        Binding("n", "search(1)", "next match", show=False, tooltip="The next row that matches the search"),
        Binding("N", "search(-1)", "previous match", show=False, tooltip="The previous row that matches"),
        Binding("c", "columns", "columns", show=False, tooltip="Choose the table's columns"),
        Binding("x", "dismiss_alerts", "dismiss", show=False, tooltip="Dismiss the alerts (the banner says so too)"),
        Binding("question_mark", "help", "help", key_display="?", tooltip="This screen"),
        Binding(
            "ctrl+s",
            "screenshot_to_file",
            "screenshot",
            show=False,
            tooltip="Save an SVG of the screen (in the run directory unless told another)",
        ),
        Binding("q", "quit", "quit", tooltip="Quit; a live run is stopped (asks first; exit code 130)"),
    ]
    QUIT_CODE = ExitCode.INTERRUPTED

    def __init__(
        self, source: RunSource, *, clock: Clock | None = time.monotonic, screenshot_dir: Path | None = None
    ) -> None:
        super().__init__()
        self.source = source
        self.clock = clock
        self._newest = 0  # the highest iteration shown
        self._newest_verdict: str | None = None
        self._fail_turns: list[int] = []
        self.screenshot_dir = screenshot_dir  # None: the run's directory
        self.status = STARTING
        self.exit_code: int | None = None  # set when the run ends
        self.ended: RunEnded | None = None
        self.run_id: str | None = None
        self.run_dir: Path | None = None
        self.iterations_seen = 0  # of the run shown (rows dropped from view included)
        self.last_search = ""

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield RunHeader(self.clock)
        yield AlertBanner(id="alerts")
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
        yield Prompt(id="prompt")
        yield Footer()

    def on_mount(self) -> None:
        # Everything built so far (Textual, the widgets) lives as long as the app: take it out of
        # the collector's full passes, which otherwise pause the UI and the loop for 100+ ms.
        gc.freeze()
        self.query_one(IterationTable).focus()
        self.query_one(RunHeader).show_badge(self.source.badge)
        self.source.start(self)

    def on_unmount(self) -> None:
        self.source.stop()  # interrupts the pacing wait, so the worker's thread ends promptly
        gc.unfreeze()

    # -- what the source says -------------------------------------------------------------------
    @from_source
    def on_run_opened(self, message: RunOpened) -> None:
        self.run_id, self.run_dir = message.identity.run_id, message.identity.run_dir
        self.query_one(RunHeader).show_run(message.identity, recorded=not self.source.controllable)
        self._set_status(RunStatus.RUNNING)

    @from_source
    def on_iterations_arrived(self, message: IterationsArrived) -> None:
        fresh = sorted((view for view in message.views if view.iteration > self._newest), key=lambda v: v.iteration)
        if not message.history and (turned := alerts.turned_fail(self._newest_verdict, fresh)):
            self._fail_turns += [view.iteration for view in turned]
            self._alert(alerts.gate_alert(self._fail_turns, turned[-1]))
        self._show(message.views, fresh)

    @from_source
    def on_run_switched(self, _: RunSwitched) -> None:
        """Another run follows: forget this one (its rows, trends, tuning, state, alerts)."""
        self._newest, self._newest_verdict, self._fail_turns, self.iterations_seen = 0, None, [], 0
        self.exit_code = self.ended = self.run_id = self.run_dir = None
        table = self.query_one(IterationTable)
        table.reset()
        table.border_subtitle = ""
        self.query_one(TrendPanel).reset()
        self.query_one(TuningPanel).reset()
        self.query_one(RunHeader).reset()
        self.query_one(AlertBanner).dismiss()
        self._set_status(STARTING)

    def _show(self, views: list[IterationView], fresh: list[IterationView]) -> None:
        """Rows by difference; trends get the iterations newer than any shown; the tuning panel
        and the header the newest (a rewritten older file changes only its row)."""
        if not views:
            return
        table = self.query_one(IterationTable)
        latest = max(views, key=lambda view: view.iteration)
        with self.batch_update():
            table.show_iterations(views)
            table.border_subtitle = verdict_tally(table)
            self.iterations_seen = table.verdicts.total()
            self.query_one(TrendPanel).add(fresh)
            self.query_one(RunHeader).show_uplift(views)
            if latest.iteration >= self._newest:
                self._newest, self._newest_verdict = latest.iteration, latest.verdict
                self.query_one(TuningPanel).show(latest)
                self.query_one(RunHeader).show_progress(latest.iteration)

    @from_source
    def on_notice(self, message: Notice) -> None:
        self.notify(escape_controls(message.text), title="note", severity="warning", timeout=NOTICE_S, markup=False)

    @from_source
    def on_run_state_changed(self, message: RunStateChanged) -> None:
        if self.status in LIVE_STATES and self.status != STOPPING:
            self._set_status(message.state)

    @from_source
    def on_run_ended(self, message: RunEnded) -> None:
        self.exit_code, self.ended = message.exit_code, message
        self._set_status(message.status, message.verdict)
        if not message.history:
            self._alert(alerts.end_alert(message, self.run_dir, self.iterations_seen))
        self._settle_moot_question()

    def _settle_moot_question(self) -> None:
        """Asked whether to stop a run that has since ended: nothing is left to stop, so the
        question goes, and a quit that asked goes ahead (with the run's own exit code)."""
        if isinstance(self.screen, ConfirmStop):
            quitting = self.screen.key == "q"
            self.screen.dismiss(False)
            if quitting:
                self._quit()

    def _alert(self, alert: alerts.Alert) -> None:
        banner = self.query_one(AlertBanner)
        first = not banner.alerts
        banner.raise_alert(alert)
        self.bell()
        if first:
            self.refresh_bindings()  # x dismisses now

    def _set_status(self, status: str, verdict: str | None = None) -> None:
        controls = self._controls()
        self.status = status
        self.query_one(RunHeader).show_status(status, verdict)
        if status not in (STARTING, RunStatus.RUNNING, PAUSING):
            self.query_one(TrendPanel).flush()  # held or ended: show the charts as they are
        if self._controls() != controls:
            self.refresh_bindings()  # the footer rebuilds its keys: only when they change

    def _controls(self) -> tuple[bool | None, ...]:
        return tuple(self.check_action(action, ()) for action in ("toggle_pause", "stop"))

    # -- keys -----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle_pause", "stop"):
            return self.source.controllable and self.status in (STARTING, *LIVE_STATES) and self.status != STOPPING
        if action == "dismiss_alerts":
            return bool(self.query(AlertBanner) and self.query_one(AlertBanner).alerts)
        return True

    def live_run(self) -> bool:
        """A soak running in this process, which a stop would end for good."""
        return self.source.mode == RUN and self.exit_code is None and self.check_action("stop", ()) is True

    def action_toggle_pause(self) -> None:
        if self.status in (PAUSING, PAUSED):
            self.source.resume()
            self._set_status(RunStatus.RUNNING)
        else:
            self.source.pause()
            self._set_status(PAUSING)

    def action_stop(self) -> None:
        if self.live_run():
            self._confirm("s", "Stop the soak now? Its finished iterations stay on disk.", self._stop)
        else:
            self._stop()

    def _stop(self) -> None:
        self.source.stop()
        self._set_status(STOPPING)

    async def action_quit(self) -> None:
        if self.live_run():
            question = "Quit and stop the soak? Its finished iterations stay on disk (exit code 130)."
            self._confirm("q", question, self._quit)
        else:
            self._quit()

    def _quit(self) -> None:
        if self.exit_code is None:
            self.source.stop()
        self.exit(self.QUIT_CODE if self.exit_code is None else self.exit_code)

    def on_stop_signalled(self, _: StopSignalled) -> None:
        """Quit as a confirmed `q` does, always with 130."""
        self.source.stop()
        self.exit(ExitCode.INTERRUPTED)

    def _confirm(self, key: str, question: str, then: Callable[[], None]) -> None:
        def answered(stop: bool | None) -> None:
            if stop and self.exit_code is None:  # the run may have ended while asked
                then()

        if not isinstance(self.screen, ConfirmStop):
            self.push_screen(ConfirmStop(key, question), answered)

    def action_filter(self) -> None:
        table = self.query_one(IterationTable)
        on = not table.rows.only_problems
        table.show_only_problems(on)
        table.border_title = FILTER_TITLE if on else "iterations"

    def action_charts(self) -> None:
        self.query_one(TrendPanel).cycle()

    def action_ask(self, kind: str) -> None:
        self.query_one(Prompt).ask(kind)

    def on_prompt_answered(self, message: Prompt.Answered) -> None:
        if message.kind == JUMP:
            self.jump_to(int(message.text))
        elif message.kind == SEARCH:
            self.last_search = message.text
            self.action_search(1)

    def on_prompt_closed(self) -> None:
        self.query_one(IterationTable).focus()

    def jump_to(self, iteration: int) -> None:
        table = self.query_one(IterationTable)
        if table.go_to(iteration):
            return
        rows = table.rows
        if iteration in rows.views:  # kept, but the filter hides it
            self.action_filter()
            table.go_to(iteration)
        elif rows.dropped and iteration <= rows.last_dropped:
            self.notify(f"iteration {iteration} was dropped from view; its file is in the run directory", timeout=4)
        else:
            self.notify(f"no iteration {iteration} (yet)", timeout=3)

    def action_search(self, step: int) -> None:
        if not self.last_search:
            self.action_ask(SEARCH)
        elif not self.query_one(IterationTable).search(self.last_search, step):
            self.notify(f"no row holds {escape_controls(self.last_search)!r}", timeout=3, markup=False)

    def action_columns(self) -> None:
        table = self.query_one(IterationTable)
        shown = {column.key for column in table.columns}
        self.push_screen(ColumnsScreen(table.chosen, shown), self._columns_chosen)

    def _columns_chosen(self, chosen: frozenset[str] | None) -> None:
        table = self.query_one(IterationTable)
        table.choose_columns(chosen)
        if table.hidden_columns:
            self.notify(f"{table.hidden_columns} chosen column(s) need a wider terminal", timeout=3)

    def action_dismiss_alerts(self) -> None:
        self.query_one(AlertBanner).dismiss()
        self.refresh_bindings()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            palette = Binding(
                self.COMMAND_PALETTE_BINDING,
                "command_palette",
                "commands",
                tooltip="Command palette: these commands, and the themes",
            )
            keys = [*self.help_bindings(), palette]
            self.push_screen(HelpScreen(keys, self.source.mode, finished=self.exit_code is not None))

    def help_bindings(self) -> list[Binding]:
        """The keys that act now: the app's (its mode's included) and the table's."""
        own = [b for b in self._bindings_of_app() if self.check_action(b.action.split("(")[0], ()) is True]
        return [*own, *bindings(IterationTable.BINDINGS)]

    def _bindings_of_app(self) -> list[Binding]:
        """BINDINGS of this class and its bases, as Textual merges them: a key a subclass binds is
        its own (watch's q), the others in order, a subclass's first."""
        declared: dict[str, Binding] = {}
        for cls in type(self).__mro__:
            if issubclass(cls, SoakApp):
                for binding in bindings(cls.__dict__.get("BINDINGS", [])):
                    declared.setdefault(binding.key, binding)
        return list(declared.values())

    def action_details(self) -> None:
        view = self.query_one(IterationTable).selected_view()
        if view is not None:
            self._open(view)

    def on_iteration_table_selected(self, message: IterationTable.Selected) -> None:
        self._open(message.view)

    def _open(self, view: IterationView) -> None:
        self.push_screen(IterationDetailScreen(view, self.query_one(IterationTable).neighbour))

    def action_screenshot_to_file(self) -> None:
        directory = self.screenshot_dir or self.run_dir or Path(tempfile.gettempdir())
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path = self.save_screenshot(path=str(directory))
        except OSError as err:
            self.notify(escape_controls(f"{directory}: {err.strerror or err}"), title="no screenshot", markup=False)
            return
        self.notify(escape_controls(path), title="screenshot saved", markup=False)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":  # ours saves where ctrl+s does
                yield command
        for binding in bindings(self.BINDINGS):
            if binding.action != "quit" and "(" not in binding.action and self.check_action(binding.action, ()):
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
