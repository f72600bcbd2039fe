"""The uplift over the control arm (DESIGN.md sections 4 and 5): the paired difference ours -
control of an iteration's KPIs on the same market path, and its cumulative mean per window with a
90% confidence interval (Student's t on the paired differences).

The loop records both (core/tuning/control.py runs the arm); the headless summary, `soak report`
and the monitor compute the cumulative figure from the recorded per-window uplifts with the same
function, so each says what RUN.json says.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from core.intervals import MeanInterval, mean_interval
from core.kpi import KPIS, UPLIFT, UPLIFT_KPIS

HEADLINE = "pnl_per_hour"  # what tuning earned per hour over the control


def paired_uplift(ours: Mapping[str, Any], control: Mapping[str, Any]) -> dict[str, float]:
    """ours - control for each of UPLIFT_KPIS that both measured."""
    return {
        name: float(ours[name]) - float(control[name])
        for name in UPLIFT_KPIS
        if _number(ours.get(name)) and _number(control.get(name))
    }


def cumulative_uplift(uplifts: Sequence[Mapping[str, float]]) -> dict[str, Any]:
    """RUN.json's `uplift`: per KPI the mean uplift per window and its interval (None when no
    window measured it), and how many windows were paired."""
    intervals = {name: mean_interval([u[name] for u in uplifts if name in u]) for name in UPLIFT_KPIS}
    return {
        "windows": len(uplifts),
        "headline": HEADLINE,
        **{name: i.model_dump() if i else None for name, i in intervals.items()},
    }


def headline_interval(per_window: Iterable[float | None]) -> MeanInterval | None:
    """The headline's cumulative mean and interval from its per-window uplifts (None where a
    window has none)."""
    return mean_interval([value for value in per_window if value is not None])


def describe(interval: MeanInterval | None) -> str:
    """e.g. "uplift +12.3 PnL/h per window (90% CI -1.2..+25.8, 24 windows)"."""
    if interval is None:
        return "uplift: no control"
    kpi = KPIS[f"{UPLIFT}.{HEADLINE}"]
    text = f"uplift {kpi.show(interval.mean)} {KPIS[HEADLINE].label} per window"
    if interval.low is None or interval.high is None:
        return f"{text} ({interval.n} window)"
    return f"{text} ({interval.level:.0%} CI {kpi.show(interval.low)}..{kpi.show(interval.high)}, {interval.n} windows)"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
