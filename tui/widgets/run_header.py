"""The one-line header: who the run is, how far it got (a bar, i/N, the market time covered), how
long it took and will take, and what state it is in; REPLAY or WATCH when it applies.

What does not fit is compacted before it is cut: labels go first, then the least telling fields
(seed, profile, driver, elapsed, market time, the bar); the run id, gate, i/N and the state badges
stay at any width the monitor supports (80 and up)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from core.intervals import MeanInterval
from core.kpi import KPIS, UPLIFT
from core.records import INCOMPLETE, RunStatus, Verdict, shown_verdict
from core.runs.views import IterationView
from core.uplift import HEADLINE, headline_interval
from tui.format import LIVE_STATES, MISSING, PAUSED, STARTING, STOPPED, WAITING, content, duration, market_time
from tui.messages import RunIdentity
from tui.widgets.fit import fit_by_priority

Clock = Callable[[], float]
BADGE_WIDTH = 12  # a recorded status or verdict is any text; the header keeps its place for the rest
FIELD_WIDTH = 24  # so is a gate (a path, say), a driver (a command), a profile
ELASTIC_MIN = 19  # cells a run id keeps however narrow the header (a native id is 19)
MINOR_FROM = 3  # fields of this priority and after give way to a long run id
BAR_CELLS = (10, 8)  # the progress bar, and in the bare form
# Which labels a form of the header keeps: the full one, the one without the labels a value
# speaks without (a run id, a gate's name, 14/24), the bare one.
FULL = frozenset({"run", "gate", "fees", "profile", "seed", "iter", "mkt", "ETA"})
NEEDED = frozenset({"profile", "seed", "mkt", "ETA"})
BARE = frozenset({"ETA"})
STATUS_COLOURS: dict[str, str] = {
    STARTING: "$foreground-muted",
    WAITING: "$foreground-muted",
    RunStatus.RUNNING: "$primary",
    RunStatus.COMPLETED: "$success",
    RunStatus.FAILED: "$error",
    **{state: "$warning" for state in (*LIVE_STATES[1:], RunStatus.ABORTED, STOPPED)},
}
VERDICT_COLOURS: dict[str, str] = {Verdict.PASS: "$success", Verdict.WARN: "$warning", Verdict.FAIL: "$error"}


@dataclass(frozen=True)
class Field:
    priority: int  # 0 is kept longest
    text: Content
    right: bool = False  # one of the progress fields, aligned right
    elastic: bool = False  # takes the room the others leave (the run id), at least ELASTIC_MIN
    label_cells: int = 0  # of the text, its label's

    @property
    def least(self) -> int:
        if self.elastic:
            return min(self.text.cell_length, ELASTIC_MIN + self.label_cells)
        return self.text.cell_length


def badge(text: str, colour: str | None) -> Content:
    """A state or verdict as a coloured badge; text from a file is literal and capped."""
    style = f"bold $text on {colour}" if colour else "bold reverse"
    return content(f" {text} ", style).truncate(BADGE_WIDTH, ellipsis=True)


class RunHeader(Static):
    """Elapsed time ticks once a second while the run goes on and freezes when it ends (no timer
    is left behind, so an idle monitor stays idle); paused time is left out of the ETA. With
    `clock=None` no time is shown at all. A watched run's times come from its RUN.json."""

    DEFAULT_CSS = """
    RunHeader {
        dock: top;
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    """

    def __init__(self, clock: Clock | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self.info: RunIdentity | None = None
        self.recorded = False  # the run is another process's: its times are RUN.json's
        self.badge: str | None = None  # REPLAY x4, WATCH
        self.hint: str | None = None  # shown instead of a run, when there is none
        self.done = 0
        self.status = STARTING
        self.verdict: str | None = None
        self.started: float | None = None
        self.ended: float | None = None
        self.paused_s = 0.0
        self.paused_since: float | None = None
        self._ticker: Timer | None = None
        self.uplifts: dict[int, float | None] = {}  # per iteration, the headline uplift over the control

    def on_mount(self) -> None:
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def reset(self) -> None:
        """Back to before any run: another one is shown next."""
        self._stop_clock()
        self.info, self.done, self.verdict = None, 0, None
        self.uplifts = {}
        self.started = self.ended = self.paused_since = None
        self.paused_s = 0.0
        self.show_status(STARTING)

    def show_run(self, info: RunIdentity, recorded: bool = False) -> None:
        self.info, self.recorded, self.hint = info, recorded, None
        if self.clock is not None and self._ticker is None:
            self.started, self.ended = self.clock(), None
            self._ticker = self.set_interval(1.0, self._draw)
        self._draw()

    def show_progress(self, iteration: int) -> None:
        self.done = max(self.done, iteration)
        self._draw()

    def show_uplift(self, views: list[IterationView]) -> None:
        """The cumulative uplift over the control arm, from these iterations and those shown before."""
        self.uplifts |= {view.iteration: view.kpi(f"{UPLIFT}.{HEADLINE}") for view in views}
        self._draw()

    def show_badge(self, text: str | None) -> None:
        self.badge = text
        self._draw()

    def show_hint(self, text: str | None) -> None:
        self.hint = text
        self._draw()

    def show_status(self, status: str, verdict: str | None = None) -> None:
        self._count_pause(status)
        self.status, self.verdict = status, verdict
        if status not in (STARTING, *LIVE_STATES):
            self._stop_clock()
        self._draw()

    def _count_pause(self, status: str) -> None:
        if self.clock is None:
            return
        if status == PAUSED and self.paused_since is None:
            self.paused_since = self.clock()
        elif status != PAUSED and self.paused_since is not None:
            self.paused_s += self.clock() - self.paused_since
            self.paused_since = None

    def _stop_clock(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        if self.clock is not None and self.started is not None and self.ended is None:
            self.ended = self.clock()

    # -- drawing --------------------------------------------------------------------------------
    def _draw(self) -> None:
        if self.is_mounted:
            self.update(self.line(max(self.content_region.width, 1)), layout=False)

    def line(self, width: int) -> Content:
        """The first form that holds every field: all labels; only the labels a bare value needs
        (profile, seed, mkt, ETA), two spaces apart, then one; no labels, one space apart, and
        no profile or seed (a bare "default 42" says nothing). Else the form that holds most."""
        best: tuple[int, list[Field], int] | None = None
        for labels, gap in ((FULL, 2), (NEEDED, 2), (NEEDED, 1), (BARE, 1)):
            fields = self.fields(labels)
            shown = _fit(fields, width, gap)
            if len(shown) == len(fields):
                return _lay_out(shown, width, gap)
            if best is None or len(shown) > best[0]:
                best = (len(shown), shown, gap)
        assert best is not None
        _, shown, gap = best
        return _lay_out(_room_for_the_run_id(shown, width, gap), width, gap)

    def fields(self, labels: frozenset[str]) -> list[Field]:
        info = self.info
        fields: list[Field] = []
        if self.badge:
            fields.append(_same(0, content(f" {self.badge} ", "bold $text on $accent")))
        if info is None:
            name = self.hint or "mm-soak"
            fields.append(Field(0, content(name, "bold" if self.hint is None else ""), elastic=True))
        else:
            fields += self._identity(info, labels)
        fields += self._progress(info, labels)
        uplift = headline_interval(self.uplifts.values())
        if uplift is not None:
            fields.append(_same(4, uplift_text(uplift), right=True))
        status = self.status if self.hint is None else WAITING
        fields.append(_same(0, badge(status.upper(), STATUS_COLOURS.get(status)), right=True))
        verdict = shown_verdict(self.status, self.verdict)  # a stopped run's: incomplete, uncoloured
        if verdict is not None:
            shown = INCOMPLETE.upper() if verdict == INCOMPLETE else verdict
            fields.append(_same(0, badge(shown, VERDICT_COLOURS.get(verdict)), right=True))
        return fields

    def _identity(self, info: RunIdentity, labels: frozenset[str]) -> list[Field]:
        driver = info.driver or MISSING
        # The simulator's scenario: "sim/<scenario>" (an external driver has none).
        if info.scenario and driver.split("/")[0] in ("sim", "mock") and not driver.endswith(info.scenario):
            driver = f"{driver}/{info.scenario}"
        return [
            _labelled(0, "run", info.run_id, labels, elastic=True),
            _labelled(6, "", driver, labels),
            _labelled(1, "gate", info.gate, labels),
            *([_labelled(9, "fees", info.fees, labels)] if info.fees else []),
            # the compiled engine; the Python one is the reference, and says nothing
            *([_labelled(10, "", info.engine, labels)] if info.engine not in (None, "python") else []),
            *([_labelled(7, "profile", info.profile, labels)] if "profile" in labels else []),
            *([_labelled(8, "seed", info.seed, labels)] if "seed" in labels else []),
        ]

    def _progress(self, info: RunIdentity | None, labels: frozenset[str]) -> list[Field]:
        if info is None:
            return []
        total = info.total_iterations
        count = f"{self.done}/{total if total is not None else '?'}"
        fields = [_labelled(0, "iter", count, labels, right=True)]
        if total:
            cells = BAR_CELLS[labels is BARE]
            fields.insert(0, _same(3, progress_bar(self.done, total, cells), right=True))
        if info.window_s and self.done:
            fields.append(_labelled(4, "mkt", market_time(self.done * info.window_s), labels, right=True))
        elapsed = self._elapsed()
        if elapsed is not None:
            fields.append(_same(5, Content(duration(elapsed)), right=True))
            eta = self._eta(total)
            if eta is not None:
                fields.append(_labelled(2, "ETA", duration(eta), labels, right=True))
        return fields

    def _elapsed(self) -> float | None:
        if self.clock is None:
            return None
        if self.recorded and self.info is not None:
            return recorded_elapsed(self.info)
        if self.started is None:
            return None
        return (self.ended if self.ended is not None else self.clock()) - self.started

    def _eta(self, total: int | None) -> float | None:
        """From the time spent running so far (paused time left out), per iteration done."""
        elapsed = self._elapsed()
        if self.status not in LIVE_STATES or not total or not self.done or elapsed is None or self.clock is None:
            return None
        paused = self.paused_s + (self.clock() - self.paused_since if self.paused_since is not None else 0.0)
        running = max(elapsed - (0.0 if self.recorded else paused), 0.0)
        return running / self.done * max(total - self.done, 0)


def uplift_text(interval: MeanInterval) -> Content:
    """e.g. "uplift +5.9/h [-4.1,+15.9]": the mean per window and its 90% interval."""
    kpi = KPIS[f"{UPLIFT}.{HEADLINE}"]
    spread = (
        ""
        if interval.low is None or interval.high is None
        else f" [{kpi.show(interval.low)},{kpi.show(interval.high)}]"
    )
    return Content.assemble(("uplift ", "dim"), f"{kpi.show(interval.mean)}/h{spread}")


def recorded_elapsed(info: RunIdentity) -> float | None:
    """From RUN.json's start to its finish (or to now, for a run going on)."""
    started = _utc(info.started_utc)
    if started is None:
        return None
    finished = _utc(info.finished_utc) or datetime.now(UTC)
    return max((finished - started).total_seconds(), 0.0)


def _utc(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def progress_bar(done: int, total: int, cells: int) -> Content:
    filled = min(round(cells * done / total), cells) if total > 0 else 0
    return Content.assemble(("█" * filled, "$primary"), ("░" * (cells - filled), "$foreground 40%"))


def _labelled(
    priority: int, label: str, value: str | None, labels: frozenset[str], right: bool = False, elastic: bool = False
) -> Field:
    text = content(value if value is not None else MISSING)
    if not elastic:
        text = text.truncate(FIELD_WIDTH, ellipsis=True)
    if label in labels:
        return Field(priority, Content.assemble((f"{label} ", "dim"), text), right, elastic, len(label) + 1)
    return Field(priority, text, right, elastic)


def _fit(fields: list[Field], width: int, gap: int) -> list[Field]:
    """n fields need n - 1 gaps (the one between the sides included): each is counted with one."""
    return fit_by_priority(fields, width + gap, lambda field: field.least + gap, lambda field: field.priority)


def _room_for_the_run_id(fields: list[Field], width: int, gap: int) -> list[Field]:
    """A long run id (a legacy directory's name, say) is worth more than the least telling
    fields: they go, least telling first, while it is cut."""
    fields = list(fields)
    while True:
        spare = width + gap - sum(field.least + gap for field in fields)
        cut = any(field.elastic and field.text.cell_length > field.least + spare for field in fields)
        spendable = [field for field in fields if field.priority > MINOR_FROM - 1]
        if not cut or not spendable:
            return fields
        fields.remove(max(spendable, key=lambda field: field.priority))


def _stretched(field: Field, spare: int) -> Field:
    text = field.text.truncate(field.least + max(spare, 0), ellipsis=True)
    return Field(field.priority, text, field.right, label_cells=field.label_cells)


def _same(priority: int, text: Content, right: bool = False) -> Field:
    return Field(priority, text, right)


def _lay_out(fields: list[Field], width: int, gap: int) -> Content:
    """The identity on the left, the progress and the state on the right; an elastic field
    takes the room left over, up to its length."""
    spare = width + gap - sum(field.least + gap for field in fields)
    fields = [_stretched(field, spare) if field.elastic else field for field in fields]
    separator = Content(" " * gap)
    left = separator.join(field.text for field in fields if not field.right)
    right = separator.join(field.text for field in fields if field.right)
    space = max(width - left.cell_length - right.cell_length, gap if left and right else 0)
    line = Content.assemble(left, " " * space, right)
    return line.truncate(width, ellipsis=True)
