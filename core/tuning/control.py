"""The control arm (DESIGN.md sections 4 and 5): every iteration is also run with the control
parameters (the run's starting values, or `--control PROFILE`) on the same market path, and the
paired differences are the tuning's uplift.

`compare()` gives an iteration's `control` (the control's KPIs) and `uplift` (ours - control, for
the registry's UPLIFT_KPIS both arms measured); `cumulative()` the mean uplift per window over
every paired window so far, with its 90% confidence interval (Student's t on the paired
differences), as RUN.json records it at the end and the monitor shows it live.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from core.intervals import mean_interval
from core.kpi import CONTROL, UPLIFT, UPLIFT_KPIS
from core.params import Params
from core.tuning.replay import Replay, Summary

CUMULATIVE_KPI = "pnl_per_hour"  # the headline: what tuning earned per hour over the control


class ControlArm:
    def __init__(self, params: Params, replay: Replay) -> None:
        self.params, self.replay = params, replay
        self.uplifts: list[dict[str, float]] = []

    def compare(self, iteration: int, summary: Mapping[str, Any]) -> dict[str, Summary]:
        control = self.replay.summary(self.params, iteration)
        uplift = paired_uplift(summary, control)
        self.uplifts.append(uplift)
        return {CONTROL: control, UPLIFT: uplift}

    def cumulative(self) -> dict[str, Any]:
        return cumulative_uplift(self.uplifts, self.params)


def paired_uplift(ours: Mapping[str, Any], control: Mapping[str, Any]) -> dict[str, float]:
    return {
        name: float(ours[name]) - float(control[name])
        for name in UPLIFT_KPIS
        if _number(ours.get(name)) and _number(control.get(name))
    }


def cumulative_uplift(uplifts: Sequence[Mapping[str, float]], control: Params | None = None) -> dict[str, Any]:
    """Per KPI, the mean uplift per window with its interval (None when no window measured it)."""
    intervals = {name: mean_interval([u[name] for u in uplifts if name in u]) for name in UPLIFT_KPIS}
    figures: dict[str, Any] = {name: i.model_dump() if i else None for name, i in intervals.items()}
    return {
        "windows": len(uplifts),
        "headline": CUMULATIVE_KPI,
        **({"control_params": control.model_dump()} if control else {}),
        **figures,
    }


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
