"""The tuner's objective (DESIGN.md section 5): maximise a KPI (the gate profile's `objective`,
by default `pnl_per_hour`) under the gate: the constraint is that the next window PASSes (every
constraint KPI past its WARN edge, or past its FAIL threshold where it has no WARN band), with a
margin from the replays' spread.

Why not the FAIL thresholds alone: the run PASSes on iterations that PASS, and a candidate tuned to
sit just inside the FAIL thresholds lands in the WARN band out of sample as often as not. And why
a margin: a candidate at the edge on the windows it was replayed on misses the next window about
half of the time.

A candidate is replayed on several windows of the same market. Per constraint KPI, the mean of
its values over them, and the spread of the KPI over those windows (the sample standard deviation
of a reference's values, by default the candidate's own; the what-if tuner gives every candidate
the current values' spread, so that candidates differ by their means, paired on the same windows;
at least SPREAD_FLOOR_JUMPS of the KPI's min_jump), give the chance that the next window clears
the edge: Phi(distance of the mean past the edge / spread), times the share of windows that
measured it (a KPI a window did not measure does not pass there). The candidate's pass chance is
the product over the constraints; it meets them when that is at least PASS_CHANCE. Its rank, best
first: meeting them, then (for those that do not) the pass chance and the shortfall (per window,
how far the KPIs outside the band are from its edge, in min_jumps, summed, then averaged over the
windows), then the objective's mean. So among candidates safe enough, the one that earns the most
wins, and a change that passes the gate by giving up more of the objective than it must loses to
one that passes and gives up less; below that, the safest.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.gates import GateProfile, GateRule, asks_higher, evaluate_iteration
from core.kpi import KPIS, Better, lookup, paired
from core.records import GateCheck, Verdict

PASS_CHANCE = 0.85  # the chance of passing the next window that a candidate must reach
SPREAD_FLOOR_JUMPS = 0.25  # the spread is at least this many min_jumps (replays that agree are not certainty)
MISSING_SHORTFALL = 1.0  # a constraint KPI a window did not measure misses by this many min_jumps


@dataclass(frozen=True)
class Score:
    objective: float | None  # the objective KPI's mean over the windows; None when none measured it
    failed: tuple[str, ...]  # the constraints (KPI names) whose chance of passing is below PASS_CHANCE
    shortfall: float  # how far the windows sit outside the PASS band, in min_jumps (averaged)
    kpis: dict[str, float | None]  # the means of the objective and the constraint KPIs
    pass_chance: float = 1.0  # of the next window passing every constraint

    @property
    def met(self) -> bool:
        return self.pass_chance >= PASS_CHANCE


class Objective:
    def __init__(self, gate: GateProfile) -> None:
        self.kpi = gate.objective
        self.constraints = GateProfile(  # a replay has no control arm: rules on control.* and uplift.* are the gate's
            name=f"{gate.name}:constraints",
            rules=tuple(r for r in gate.rules if r.op != "present" and r.fail is not None and not paired(r.kpi)),
        )
        self._sign = 1.0 if KPIS[self.kpi].better is Better.HIGHER else -1.0

    def spreads(self, summaries: Sequence[Mapping[str, Any]]) -> dict[str, float]:
        """Per constraint KPI, the spread of its values over these windows (at least the floor)."""
        rules = self.constraints.rules
        return {rule.kpi: _spread(rule.kpi, [lookup(s, rule.kpi) for s in summaries]) for rule in rules}

    def score(self, summaries: Sequence[Mapping[str, Any]], spreads: Mapping[str, float] | None = None) -> Score:
        """`spreads`: per constraint KPI, the spread to judge the means with (default: these windows')."""
        spreads = spreads if spreads is not None else self.spreads(summaries)
        names = dict.fromkeys([self.kpi, *(rule.kpi for rule in self.constraints.rules)])
        means = {name: _mean(lookup(summary, name) for summary in summaries) for name in names}
        missed = [c for summary in summaries for c in self._outside(summary)]
        shortfall = sum(_distance(c) for c in missed) / max(len(summaries), 1)
        chances = {
            rule.kpi: _chance(rule, [lookup(s, rule.kpi) for s in summaries], spreads[rule.kpi])
            for rule in self.constraints.rules
        }
        return Score(
            objective=means[self.kpi],
            failed=tuple(kpi for kpi, chance in chances.items() if chance < PASS_CHANCE),
            shortfall=round(shortfall, 9),
            kpis=means,
            pass_chance=round(math.prod(chances.values()), 9),
        )

    def _outside(self, summary: Mapping[str, Any]) -> list[GateCheck]:
        return [c for c in evaluate_iteration(summary, self.constraints).checks if c.status is not Verdict.PASS]

    def value(self, score: Score) -> float:
        """The objective, signed so that larger is better; -inf when unmeasured."""
        return -math.inf if score.objective is None else self._sign * score.objective

    def rank(self, score: Score) -> tuple[bool, float, float, float]:
        """Larger is better: meeting the constraints, else the pass chance and less shortfall; then the objective."""
        if score.met:
            return True, 0.0, 0.0, self.value(score)
        return False, score.pass_chance, -score.shortfall, self.value(score)

    def best(self, scores: Sequence[Score]) -> int:
        """The index of the best score; the first of equals (the candidates' order breaks ties)."""
        return max(range(len(scores)), key=lambda i: (self.rank(scores[i]), -i))


def _spread(kpi: str, raw: Sequence[Any]) -> float:
    values = _finite(raw)
    floor = SPREAD_FLOOR_JUMPS * KPIS[kpi].min_jump
    return max(statistics.stdev(values), floor) if len(values) > 1 else floor


def _chance(rule: GateRule, raw: Sequence[Any], spread: float) -> float:
    """The chance that the next window's value clears the rule's PASS edge, from these windows'."""
    values = _finite(raw)
    if not values:
        return 1.0 if rule.missing is Verdict.PASS else 0.0
    assert rule.fail is not None
    edge = rule.warn if rule.warn is not None else rule.fail
    past = (statistics.fmean(values) - edge) * (1 if asks_higher(rule.op) else -1)
    measured = len(values) / len(raw) if rule.missing is not Verdict.PASS else 1.0
    return measured * 0.5 * math.erfc(-past / spread / math.sqrt(2))


def _distance(check: GateCheck) -> float:
    """How far a check outside the PASS band is from its edge, in the KPI's min_jump."""
    if check.value is None or check.fail is None:
        return MISSING_SHORTFALL
    edge = check.warn if check.warn is not None else check.fail
    return abs(check.value - edge) / KPIS[check.kpi].min_jump


def _finite(values: Any) -> list[float]:
    return [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)]


def _mean(values: Any) -> float | None:
    numbers = _finite(values)
    return statistics.fmean(numbers) if numbers else None
