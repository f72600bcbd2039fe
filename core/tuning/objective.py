"""The tuner's objective (DESIGN.md section 5): maximise a KPI (the gate profile's `objective`,
by default `pnl_per_hour`) with every FAIL threshold of the gate as a constraint.

A candidate is judged on several windows at once: its objective is the mean over them, and it
meets the constraints when no window FAILs any of them (a WARN band is no constraint). Judging each
window, not the mean, keeps a margin from the thresholds as wide as the windows' spread: a
candidate tuned to the edge of a threshold on average would FAIL about half of the windows it is
then run on. Candidates that meet every constraint rank by the objective; below them rank those
that miss, by how far they miss (the shortfall: per window, the missed constraints' distance in
each KPI's min_jump, summed, then averaged over the windows), then by the objective. So a change
that passes the gate by giving up more of the objective than it must loses to one that passes and
gives up less.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.gates import GateProfile, evaluate_iteration
from core.kpi import KPIS, Better, lookup
from core.records import GateCheck, Verdict

MISSING_SHORTFALL = 1.0  # a constraint KPI no window measured misses by this many min_jumps


@dataclass(frozen=True)
class Score:
    objective: float | None  # the objective KPI's mean over the windows; None when none measured it
    failed: tuple[str, ...]  # the constraints (KPI names) the means miss
    shortfall: float  # how far they miss, in min_jumps, summed
    kpis: dict[str, float | None]  # the means of the objective and the constraint KPIs

    @property
    def met(self) -> bool:
        return not self.failed


class Objective:
    def __init__(self, gate: GateProfile) -> None:
        self.kpi = gate.objective
        self.constraints = GateProfile(
            name=f"{gate.name}:fail", rules=tuple(r for r in gate.rules if r.op != "present" and r.fail is not None)
        )
        self._sign = 1.0 if KPIS[self.kpi].better is Better.HIGHER else -1.0

    def score(self, summaries: Sequence[Mapping[str, Any]]) -> Score:
        names = dict.fromkeys([self.kpi, *(rule.kpi for rule in self.constraints.rules)])
        means = {name: _mean(lookup(summary, name) for summary in summaries) for name in names}
        missed = [c for summary in summaries for c in self._missed(summary)]
        shortfall = sum(
            MISSING_SHORTFALL if c.value is None or c.fail is None else abs(c.value - c.fail) / KPIS[c.kpi].min_jump
            for c in missed
        ) / max(len(summaries), 1)
        failed = tuple(dict.fromkeys(c.kpi for c in missed))
        return Score(means[self.kpi], failed, round(shortfall, 9), means)

    def _missed(self, summary: Mapping[str, Any]) -> list[GateCheck]:
        return [c for c in evaluate_iteration(summary, self.constraints).checks if c.status is Verdict.FAIL]

    def value(self, score: Score) -> float:
        """The objective, signed so that larger is better; -inf when unmeasured."""
        return -math.inf if score.objective is None else self._sign * score.objective

    def rank(self, score: Score) -> tuple[bool, float, float]:
        """Larger is better: meeting every constraint first, then less shortfall, then the objective."""
        return score.met, -score.shortfall, self.value(score)

    def best(self, scores: Sequence[Score]) -> int:
        """The index of the best score; the first of equals (the candidates' order breaks ties)."""
        return max(range(len(scores)), key=lambda i: (self.rank(scores[i]), -i))


def _mean(values: Any) -> float | None:
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)]
    return statistics.fmean(numbers) if numbers else None
