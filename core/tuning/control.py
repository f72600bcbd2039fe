"""The control arm (DESIGN.md sections 4 and 5): every iteration is also run with the control
parameters (the run's starting values, or `--control PROFILE`) on the same market path, and the
paired differences (core/uplift.py) are the tuning's uplift.

`compare()` gives an iteration's `control` (the control's KPIs) and `uplift` (ours - control);
`cumulative()` RUN.json's `uplift` at the end: the mean uplift per window over every paired
window, with its 90% confidence interval, and the control parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.kpi import CONTROL, UPLIFT
from core.params import Params
from core.tuning.replay import Replay, Summary
from core.uplift import cumulative_uplift, paired_uplift


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
        return {**cumulative_uplift(self.uplifts), "control_params": self.params.model_dump()}
