"""How values look on screen: numbers, missing values, verdict colours and literal text.

Everything that came from a file or a process becomes `Content` (Textual's styled text) or a
rich `Text` here, neither of which parses markup, with its control characters shown as escapes
(core.text), so a run's data cannot restyle or scramble the terminal.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.content import Content

from core.records import RunStatus, Verdict
from core.runs.discovery import LEGACY_STATUS, UNKNOWN_STATUS
from core.text import escape_controls as escape_controls  # the monitor's one way to show file text

MISSING = "—"

# What the monitor is showing: a soak run in this process, runs another process writes, a replay.
RUN, WATCH, REPLAY = "run", "watch", "replay"

# ANSI colour names: Textual maps them through a dark or a light terminal palette per theme, so
# they stay readable in both, and NO_COLOR drops them while the verdict word remains.
VERDICT_STYLES: dict[str, str] = {Verdict.PASS: "green", Verdict.WARN: "yellow", Verdict.FAIL: "red"}

# What the monitor calls a run besides its RunStatus: before it opens, while a pause or a stop
# takes effect, and the ends of a run it cannot follow further.
STARTING, PAUSING, PAUSED, STOPPING = "starting", "pausing", "paused", "stopping"
WAITING = "waiting"  # a watch with no run to follow yet
STOPPED, REPLAYED, STALE, REMOVED = "stopped", "replayed", "stale", "removed"
LIVE_STATES: tuple[str, ...] = (RunStatus.RUNNING, PAUSING, PAUSED, STOPPING)
STATUS_STYLES: dict[str, str] = {
    RunStatus.RUNNING: "green",
    RunStatus.COMPLETED: "",
    RunStatus.ABORTED: "yellow",
    RunStatus.FAILED: "red",
    STALE: "yellow",
    REMOVED: "dim",
    UNKNOWN_STATUS: "red",
    LEGACY_STATUS: "cyan",
}


def literal(value: Any, style: str = "") -> Text:
    """`value` as rich Text (for rich renderables such as DataTable cells), shown as is."""
    return Text(escape_controls(value if isinstance(value, str) else str(value)), style=style)


def content(value: Any, style: str = "") -> Content:
    """`value` as Content (for Static and friends), shown as is."""
    return Content.styled(escape_controls(value if isinstance(value, str) else str(value)), style)


def verdict_style(verdict: str | None) -> str:
    """A rich style (the table's rows)."""
    return VERDICT_STYLES.get(verdict or "", "")


def ansi(colour: str) -> str:
    """The same ANSI colour as a Content style (Content reads "green" as a fixed RGB colour)."""
    return f"ansi_{colour}" if colour else ""


def threshold(op: str, fail: float | None, separator: str = " ") -> str:
    """The gate's FAIL threshold beside a value, e.g. '>= 0.85' or 'present'."""
    return op if fail is None else f"{op}{separator}{fail:g}"


CHART_LIMIT = 1e300  # a chart's scale spans twice its values' range: beyond this it overflows


def chartable(value: float) -> float:
    """A value as a chart draws it: within ±CHART_LIMIT (a driver's DBL_MAX sentinel is drawn at
    the edge; the chart's title shows the value itself)."""
    return max(-CHART_LIMIT, min(CHART_LIMIT, value))


def param_value(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.3e}"
    return escape_controls(str(value))


def delta(value: float, width: int | None = None) -> str:
    """A signed change: whole where it is, else 3 significant digits, fewer where `width` needs."""
    if value == int(value) and abs(value) >= 1:
        return f"{value:+.0f}"
    for digits in (3, 2, 1):
        text = f"{value:+.{digits}g}"
        if width is None or len(text) <= width:
            break
    return text


def market_time(seconds: float) -> str:
    """Market time covered, coarse: 40m, 4h00m, 2d03h."""
    minutes = int(max(seconds, 0)) // 60
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d{hours:02d}h"
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def duration(seconds: float) -> str:
    """04:12 or 1:04:12."""
    minutes, secs = divmod(int(max(seconds, 0)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
