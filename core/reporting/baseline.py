"""`soak report RUN --baseline BASE`: is any gate KPI worse than the baseline's by more than the
gate allows?

What the gate allows is the width of its WARN band for that KPI, |warn - fail|: the margin the
gate keeps between "fine" and "failed". Each KPI is compared by its mean over each run's judged
window (the last RUN_WINDOW iterations, what the verdict judges). The run is worse than the
baseline by (baseline - run) for a KPI the gate wants high (>=, >), by (run - baseline) for one
it wants low (<=, <); worse by more than the band is a regression, and `soak report` exits 1.
A rule with no WARN band (`present`, or no `warn`) names no margin: it is shown, not checked;
so is a KPI that either run did not record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from core.gates import GateProfile, GateRule, asks_higher
from core.reporting.series import window_stats
from core.runs.views import IterationView

CheckStatus = Literal["ok", "worse", "unchecked"]


class BaselineCheck(BaseModel):
    kpi: str
    rule: str  # e.g. ">= 2.7 (warn 3)"
    run: float | None
    baseline: float | None
    worse_by: float | None  # > 0 when the run is worse than the baseline
    allowed: float | None  # the WARN band's width; None: the gate names no margin
    status: CheckStatus


class BaselineReport(BaseModel):
    run_id: str  # the baseline's
    path: str
    gate: str
    window: int
    checks: list[BaselineCheck]

    @property
    def regressed(self) -> list[BaselineCheck]:
        return [check for check in self.checks if check.status == "worse"]


def compare_with_baseline(
    views: Sequence[IterationView],
    baseline_views: Sequence[IterationView],
    baseline_id: str,
    baseline_path: str,
    gate: GateProfile,
    window: int,
) -> BaselineReport:
    checks = [
        _check(rule, window_stats(views, rule.kpi, window).mean, window_stats(baseline_views, rule.kpi, window).mean)
        for rule in gate.rules
    ]
    return BaselineReport(run_id=baseline_id, path=baseline_path, gate=gate.name, window=window, checks=checks)


def _check(rule: GateRule, run: float | None, baseline: float | None) -> BaselineCheck:
    allowed = abs(rule.warn - rule.fail) if rule.warn is not None and rule.fail is not None else None
    worse_by = None
    if run is not None and baseline is not None and rule.op != "present":
        worse_by = baseline - run if asks_higher(rule.op) else run - baseline
    status: CheckStatus = "unchecked"
    if worse_by is not None and allowed is not None:
        status = "worse" if worse_by > allowed else "ok"
    return BaselineCheck(
        kpi=rule.kpi,
        rule=_rule_text(rule),
        run=run,
        baseline=baseline,
        worse_by=worse_by,
        allowed=allowed,
        status=status,
    )


def _rule_text(rule: GateRule) -> str:
    if rule.fail is None:
        return rule.op
    band = f" (warn {rule.warn:g})" if rule.warn is not None else ""
    return f"{rule.op} {rule.fail:g}{band}"
