"""The what-if tuner (DESIGN.md section 5): the rules' proposal and a small neighbourhood of it,
replayed on the market paths of the last W finished windows and scored by the objective under
the gate (core/tuning/objective.py); the best goes to the guards, as the rules' proposal does in the
rules tuner.

The neighbourhood: the proposal, the opposite of each part a rule was unsure of, the cautious
proposal (the rules reading, per KPI, the worst of the W windows replayed with the current values:
the last window alone may have passed where the ones before did not), and no change. Fewer but
better candidates: on `normal`, nightly, 24 iterations, seeds 1-10, a neighbourhood that also
held the proposal's half and each of its parts alone chose one of those in 15 of 153 decisions,
and without them 9 of the 10 seeds PASS as with them, on 44% fewer simulated windows (1798, not
3227). Every candidate is clamped to the bounds and the maximum step from the current values, so
it is a change the tuner could apply.

The windows are the decided iteration and the W - 1 before it: all finished, so the next window,
where the choice is judged, is out of sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.gates import evaluate_iteration
from core.kpi import KPIS, Better
from core.params import Params
from core.records import CandidateRecord, Tuners
from core.tuning.objective import Objective, Score
from core.tuning.replay import Replay, Summary
from core.tuning.rules import Observation, Proposed, propose
from core.tuning.tuner import Choice, Tuner, apply_deltas, blocked_shares, clamp_step, finite_kpis, measured_checks

WINDOWS = 3  # W: finished windows each candidate is replayed on
PROPOSAL, CAUTIOUS, NO_CHANGE = "proposal", "cautious", "no change"


@dataclass(frozen=True)
class Candidate:
    label: str
    deltas: dict[str, float]


def neighbourhood(params: Params, proposed: Proposed, cautious: Proposed | None = None) -> list[Candidate]:
    """The candidates, without duplicates (the first label of equal deltas is kept; a candidate
    that clamps to nothing is "no change")."""
    current = params.model_dump()

    def clamped(label: str, deltas: dict[str, float]) -> Candidate:
        steps = {name: clamp_step(name, float(current[name]), d) for name, d in deltas.items()}
        return Candidate(label, {name: step for name, step in steps.items() if step})

    full = proposed.deltas
    candidates = [clamped(PROPOSAL, full)]
    candidates += [clamped(f"opposite {name}", {name: -full[name]}) for name in full if name in proposed.unsure]
    if cautious is not None:
        candidates.append(clamped(CAUTIOUS, cautious.deltas))
    unique: dict[tuple[tuple[str, float], ...], Candidate] = {}
    for candidate in [c for c in candidates if c.deltas] + [Candidate(NO_CHANGE, {})]:
        unique.setdefault(tuple(sorted(candidate.deltas.items())), candidate)
    return list(unique.values())


class WhatIfTuner(Tuner):
    kind = Tuners.WHATIF

    def __init__(self, objective: Objective, replay: Replay, windows: int = WINDOWS) -> None:
        super().__init__()
        self.objective, self.replay, self.windows = objective, replay, windows

    def choose(self, iteration: int, params: Params, proposed: Proposed) -> Choice:
        windows = list(range(max(1, iteration - self.windows + 1), iteration + 1))
        self.replay.forget_before(windows[0])
        self.replay.prefetch([(params, w) for w in windows])
        current = [self.replay.summary(params, w) for w in windows]
        cautious = propose(self._worst(params, current))
        candidates = neighbourhood(params, proposed, cautious)
        spreads = self.objective.spreads(current)
        tried = [apply_deltas(params, c.deltas) for c in candidates]
        self.replay.prefetch([(each, w) for each in tried for w in windows])  # one batch, side by side
        scores = [self._score(each, windows, spreads) for each in tried]
        best = self.objective.best(scores)
        table = [_row(c, s, i == best) for i, (c, s) in enumerate(zip(candidates, scores, strict=True))]
        why = [f"worst of the last {len(windows)} windows: {line}" for line in cautious.rationale]
        rationale = [*proposed.rationale, *(why if candidates[best].label == CAUTIOUS else [])]
        rationale.append(self._why(candidates[best], scores[best], len(windows)))
        evidence = {
            "objective": self.objective.kpi,
            "windows": windows,
            "candidates": table,
            "gave_up": self._gave_up(scores, best),
        }
        return Choice(candidates[best].deltas, rationale, evidence)

    def _worst(self, params: Params, summaries: list[Summary]) -> Observation:
        """What the rules read for the cautious proposal: per KPI the worst of the windows' values
        (by the KPI's `better`; counts such as hedges, and shares of blocked actions: the most)."""
        flat = [finite_kpis(s) for s in summaries]
        worst = {k: _worst_value(k, [f[k] for f in flat if k in f]) for k in dict.fromkeys(k for f in flat for k in f)}
        ratios = [blocked_shares(s) for s in summaries]
        blocked = {k: max(r.get(k, 0.0) for r in ratios) for k in dict.fromkeys(k for r in ratios for k in r)}
        gate = evaluate_iteration(worst, self.objective.constraints)
        return Observation(worst, gate.verdict, measured_checks(gate), params, blocked)

    def _score(self, params: Params, windows: list[int], spreads: dict[str, float]) -> Score:
        return self.objective.score([self.replay.summary(params, w) for w in windows], spreads)

    def _gave_up(self, scores: list[Score], best: int) -> float | None:
        """What the constraints cost: the best objective of any candidate, met or not, less the chosen's."""
        chosen = self.objective.value(scores[best])
        if chosen == -math.inf:
            return None
        return round(max(self.objective.value(s) for s in scores) - chosen, 9)

    def _why(self, candidate: Candidate, score: Score, windows: int) -> str:
        shown = "-" if score.objective is None else f"{score.objective:.4g}"
        met = "" if score.met else f", short on {', '.join(score.failed)}"
        return (
            f"what-if: {candidate.label} is best on the last {windows} windows ({self.objective.kpi} {shown}, "
            f"chance to pass {score.pass_chance:.0%}{met})"
        )


def _worst_value(kpi: str, values: list[float]) -> float:
    return min(values) if kpi in KPIS and KPIS[kpi].better is Better.HIGHER else max(values)


def _row(candidate: Candidate, score: Score, chosen: bool) -> CandidateRecord:
    return CandidateRecord(
        label=candidate.label,
        deltas=candidate.deltas,
        kpis=score.kpis,
        objective=score.objective,
        constraints_met=score.met,
        failed=list(score.failed),
        pass_chance=score.pass_chance,
        chosen=chosen,
    )
