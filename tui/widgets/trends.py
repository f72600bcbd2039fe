"""Trends as charts (plotext, through textual-plotext): one per KPI, its line over the recent
iterations with the gate's FAIL threshold drawn across it, and beside its name the latest value
(with its sign) and the threshold.

The panel shows as many charts as its size holds (one at 80x24, a grid on a wide screen); `t`
turns to the next ones. The KPIs come from the registry (every monitored KPI, core/kpis.toml),
the gate's first, then by priority: a KPI added to the registry is charted without code here.
Drawing a chart costs milliseconds, so the charts are drawn at most REDRAW_EVERY_S apart while
iterations stream in, and at once when the run pauses or ends (flush).
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static
from textual_plotext import PlotextPlot

from core.kpi import BY_PRIORITY, KPIS, Kpi
from core.runs.views import IterationView, Thresholds
from tui import format as fmt

WINDOW = 500  # points kept per KPI
CHART_POINTS = 120  # the newest of them a chart draws
MIN_CHART_HEIGHT, MIN_CHART_WIDTH = 6, 44  # cells: the name line and a plot with its axes
MAX_CHARTS = 12
REDRAW_EVERY_S = 1.0
THRESHOLD_COLOUR, LINE_COLOUR = "red", "cyan"

Point = tuple[int, float]  # (iteration, value)


def chart_order(thresholds: Thresholds) -> list[str]:
    """The monitored KPIs, the gate's first: each group by priority."""
    return sorted(BY_PRIORITY, key=lambda name: name not in thresholds)


class Chart(Vertical):
    """One KPI's chart. Its data is set by the panel; `draw` renders it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(classes="chart", **kwargs)
        self.kpi: Kpi | None = None
        self.points: list[Point] = []
        self.threshold: tuple[str, float | None] | None = None

    def compose(self) -> ComposeResult:
        yield Static(classes="chart-name")
        yield PlotextPlot(classes="chart-plot")

    def show(self, kpi: Kpi, points: list[Point], threshold: tuple[str, float | None] | None) -> None:
        self.kpi, self.points, self.threshold = kpi, points, threshold

    def draw(self, width: int) -> None:
        """Draw it `width` cells wide (the panel knows before the chart's own layout does)."""
        if self.kpi is None:
            return
        self.query_one(".chart-name", Static).update(self.title(width), layout=False)
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        plt.frame(False)
        plt.xaxes(True, False)
        plt.yaxes(True, False)
        points = self.points[-CHART_POINTS:]
        fail = fmt.chartable(self.threshold[1]) if self.threshold and self.threshold[1] is not None else None
        if points:
            xs, ys = [x for x, _ in points], [fmt.chartable(y) for _, y in points]
            first, last = (xs[0], xs[-1]) if xs[0] < xs[-1] else (xs[0] - 1, xs[-1] + 1)
            if fail is not None:
                # A series on the data's own (braille) grid, drawn first so the data stays on
                # top; plotext's hline snaps to whole rows, a row off at a chart's height.
                plt.plot([first, last], [fail, fail], marker="braille", color=THRESHOLD_COLOUR)
            plt.plot(xs, ys, marker="braille", color=LINE_COLOUR)
            plt.xlim(first, last)
            ticks = _iteration_ticks(xs)
            plt.xticks(ticks, [f"{tick:.0f}" for tick in ticks])
            shown = ys + ([fail] if fail is not None else [])
            low, high = min(shown), max(shown)
            pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
            plt.ylim(low - pad, high + pad)
            # The axis names only its ends, the lowest and highest value drawn: plotext puts a
            # label on the row nearest its value, a row off at a chart's few rows, and its own
            # labels are uneven rounded steps. The threshold's value is in the title.
            plt.yticks([low, high], [self.kpi.show(low), self.kpi.show(high)])
        plot.refresh()

    def title(self, width: int) -> Content:
        """'net bps  +3.42  gate >= 2.7', or where that does not fit 'net bps +3.42 >=2.7'."""
        assert self.kpi is not None
        latest = self.kpi.show(self.points[-1][1] if self.points else None, fmt.MISSING)
        gate = fmt.threshold(*self.threshold) if self.threshold is not None else None  # e.g. ">= 2.7"
        full = Content.assemble((self.kpi.label, "bold"), "  ", (latest, "bold $text"))
        if gate is not None:
            full = Content.assemble(full, ("  gate ", "dim"), fmt.content(gate, "dim"))
        if gate is None or full.cell_length <= width:
            return full
        short = fmt.threshold(*self.threshold, separator="") if self.threshold is not None else ""
        return Content.assemble((self.kpi.label, "bold"), " ", (latest, "bold $text"), " ", fmt.content(short, "dim"))


def _iteration_ticks(xs: list[int]) -> list[float]:
    """A few whole iteration numbers along the axis (plotext's own ticks are fractions)."""
    first, last = xs[0], xs[-1]
    step = max((last - first) // 4, 1)
    return [float(tick) for tick in range(first, last + 1, step)]


class TrendPanel(Grid):
    DEFAULT_CSS = """
    TrendPanel {
        grid-gutter: 0 2;
    }
    TrendPanel > .chart {
        height: 1fr;
    }
    TrendPanel .chart-name {
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    TrendPanel .chart-plot {
        height: 1fr;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.history: dict[str, deque[Point]] = {name: deque(maxlen=WINDOW) for name in BY_PRIORITY}
        self.thresholds: Thresholds = {}
        self.order: list[str] = chart_order({})
        self.first = 0  # the index in `order` of the first chart shown
        self.slots = 1  # charts the panel's size holds
        self.chart_width = MIN_CHART_WIDTH
        self._drawn_at = -REDRAW_EVERY_S
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        for _ in range(MAX_CHARTS):
            yield Chart()

    def on_mount(self) -> None:
        self._place()

    def on_resize(self) -> None:
        self._place()

    @property
    def charted(self) -> list[str]:
        """The KPIs shown now, in order."""
        count = min(self.slots, len(self.order))
        return [self.order[(self.first + i) % len(self.order)] for i in range(count)]

    def add(self, views: list[IterationView]) -> None:
        """Views in iteration order; the last one is the latest."""
        if not views:
            return
        for view in views:
            for name, points in self.history.items():
                value = view.kpi(name)
                if value is not None:
                    points.append((view.iteration, value))
        if views[-1].thresholds and views[-1].thresholds != self.thresholds:
            self.thresholds = views[-1].thresholds
            self.order = chart_order(self.thresholds)
            self._place()
        self._draw_soon()

    def reset(self) -> None:
        for points in self.history.values():
            points.clear()
        self.thresholds, self.order, self.first = {}, chart_order({}), 0
        self._place()

    def cycle(self) -> None:
        """Turn to the next KPIs (a page of them; the last page wraps round to the first)."""
        self.first = (self.first + self.slots) % len(self.order)
        self._place()

    def flush(self) -> None:
        """Draw what is pending now (a pause, the run's end)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
            self._draw()

    def _place(self) -> None:
        """Fit the grid to the panel's size and give each shown chart its KPI."""
        width, height = self.content_region.width, self.content_region.height
        columns = max(1, min(width // MIN_CHART_WIDTH, MAX_CHARTS))
        rows = max(1, min(height // MIN_CHART_HEIGHT, MAX_CHARTS // columns))
        self.slots = min(columns * rows, len(self.order))
        gutter = self.styles.grid_gutter_horizontal  # between columns
        self.chart_width = max((width - gutter * (min(columns, self.slots) - 1)) // min(columns, self.slots), 1)
        self.styles.grid_size_columns = min(columns, self.slots)
        self.styles.grid_size_rows = max(1, -(-self.slots // columns))
        charts = list(self.query(Chart))
        for chart, name in zip(charts, self.charted, strict=False):
            chart.show(KPIS[name], list(self.history[name]), self.thresholds.get(name))
        for index, chart in enumerate(charts):
            chart.display = index < self.slots
        self._draw()

    def _draw_soon(self) -> None:
        wait = self._drawn_at + REDRAW_EVERY_S - time.monotonic()
        if wait <= 0:
            self._draw()
        elif self._timer is None:
            self._timer = self.set_timer(wait, self._draw)

    def _draw(self) -> None:
        self._timer = None
        self._drawn_at = time.monotonic()
        for chart, name in zip(self.query(Chart), self.charted, strict=False):
            chart.show(KPIS[name], list(self.history[name]), self.thresholds.get(name))
            chart.draw(self.chart_width)
