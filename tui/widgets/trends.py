"""Labelled sparklines: one KPI per line, its latest value and the gate's FAIL threshold beside it.

Sparkline bars are scaled between the window's min and max with no zero line, so the number
beside the bars carries the sign and the scale. Each point is one column, newest on the right.
"""

from __future__ import annotations

from collections import deque

from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.renderables.sparkline import Sparkline as SparklineRenderable
from textual.widgets import Sparkline, Static

from core.kpi import KPIS, Kpi
from core.runs.views import IterationView
from tui import format as fmt

TRENDS: tuple[str, ...] = ("maker_taker_ratio", "net_bps", "risk_ratio", "p95_latency_ms")  # the gates' KPIs
WINDOW = 500  # points kept per trend; the line shows the newest that fit its width


class Trend(Horizontal):
    def __init__(self, kpi: Kpi) -> None:
        super().__init__(id=f"trend-{kpi.name}", classes="trend")
        self.kpi = kpi
        self.points: deque[float] = deque(maxlen=WINDOW)

    def compose(self) -> ComposeResult:
        with Vertical(classes="trend-label"):
            yield Static(self.kpi.label, classes="trend-name")
            yield Static(fmt.MISSING, classes="trend-value")
        yield TrendLine([], classes="trend-line")

    def add(self, views: list[IterationView]) -> None:
        """Views in iteration order; the last one is the latest."""
        values = [view.kpi(self.kpi.name) for view in views]
        self.points.extend(value for value in values if value is not None)
        label = self._value_text(views[-1], values[-1])
        self.query_one(".trend-value", Static).update(label, layout=False)
        self._draw()

    def reset(self) -> None:
        self.points.clear()
        self.query_one(".trend-value", Static).update(fmt.MISSING)
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _value_text(self, view: IterationView, value: float | None) -> Content:
        text = Content.styled(self.kpi.show(value, fmt.MISSING), "bold")
        if self.kpi.name in view.thresholds:
            op, fail = view.thresholds[self.kpi.name]
            text = Content.assemble(text, ("  gate ", "dim"), fmt.content(fmt.threshold(op, fail), "dim"))
        return text

    def _draw(self) -> None:
        line = self.query_one(TrendLine)
        line.data = list(self.points)[-max(line.size.width, 1) :]


class TrendPanel(Vertical):
    def compose(self) -> ComposeResult:
        for name in TRENDS:
            yield Trend(KPIS[name])

    def reset(self) -> None:
        for trend in self.query(Trend):
            trend.reset()

    def add(self, views: list[IterationView]) -> None:
        if views:
            for trend in self.query(Trend):
                trend.add(views)


class TrendLine(Sparkline):
    """A sparkline that draws one column per point from the left (Textual's stretches a few
    points across the whole width)."""

    def render(self) -> RenderResult:
        line = super().render()
        assert isinstance(line, SparklineRenderable)
        line.width = min(len(self.data or ()), self.size.width) or self.size.width
        return line
