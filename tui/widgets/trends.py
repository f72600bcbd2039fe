"""Labelled sparklines: one KPI per line, its latest value and the gate's FAIL threshold beside it.

Sparkline bars are scaled between the window's min and max with no zero line, so the number
beside the bars carries the sign and the scale. Each point is one column, newest on the right.
"""
from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Sparkline, Static

from core.readers import IterationView
from tui import format as fmt

# (IterationView field, label, formatter)
TRENDS: tuple[tuple[str, str, fmt.Formatter], ...] = (
    ("maker_taker_ratio", "maker/taker", fmt.ratio),
    ("net_bps", "net bps", fmt.signed),
    ("risk_ratio", "risk", fmt.ratio),
    ("p95_latency_ms", "p95 ms", fmt.whole),
)
WINDOW = 500  # points kept per trend; a wider terminal than this shows them all


class Trend(Horizontal):
    def __init__(self, kpi: str, label: str, formatter: fmt.Formatter) -> None:
        super().__init__(id=f"trend-{kpi}", classes="trend")
        self.kpi = kpi
        self.label = label
        self.formatter = formatter
        self.points: deque[float] = deque(maxlen=WINDOW)

    def compose(self) -> ComposeResult:
        with Vertical(classes="trend-label"):
            yield Static(self.label, classes="trend-name")
            yield Static(fmt.MISSING, classes="trend-value")
        yield Sparkline([], classes="trend-line")

    def add(self, view: IterationView) -> None:
        value = getattr(view, self.kpi)
        if value is not None:
            self.points.append(value)
        self.query_one(".trend-value", Static).update(self._value_text(view, value))
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _value_text(self, view: IterationView, value: float | None) -> Text:
        text = Text(fmt.show(value, self.formatter), style="bold")
        if self.kpi in view.thresholds:
            op, fail = view.thresholds[self.kpi]
            text.append("  gate ", style="dim")
            text.append_text(fmt.literal(fmt.threshold(op, fail, self.formatter), style="dim"))
        return text

    def _draw(self) -> None:
        line = self.query_one(Sparkline)
        shown = list(self.points)[-max(self._room(), 1):]
        line.styles.width = max(len(shown), 1)
        line.data = shown

    def _room(self) -> int:
        """Columns left for the bars beside the label."""
        return self.content_size.width - self.query_one(".trend-label").outer_size.width


class TrendPanel(Vertical):
    def compose(self) -> ComposeResult:
        for kpi, label, formatter in TRENDS:
            yield Trend(kpi, label, formatter)

    def add(self, view: IterationView) -> None:
        for trend in self.query(Trend):
            trend.add(view)
