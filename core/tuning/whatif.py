"""The what-if tuner (DESIGN.md section 5): the rules' proposal and a small neighbourhood of it,
replayed on the market paths of the last W finished windows and scored by the objective under
the gate's FAIL constraints; the best goes to the guards, as the rules' proposal does in the rules
tuner.

The neighbourhood: the proposal, half of it, each parameter's part alone (when it moves more than
one), the opposite of each part a rule was unsure of, and no change. Every candidate is clamped to
the bounds and the maximum step from the current values, so it is a change the tuner could apply.
The windows are the decided iteration and the W - 1 before it: all finished, so the next window,
where the choice is judged, is out of sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.params import Params
from core.records import CandidateRecord, Tuners
from core.tuning.objective import Objective, Score
from core.tuning.replay import Replay
from core.tuning.rules import Proposed
from core.tuning.tuner import Choice, Tuner, apply_deltas, clamp_step

WINDOWS = 3  # W: finished windows each candidate is replayed on
HALF = 0.5
PROPOSAL, NO_CHANGE = "proposal", "no change"


@dataclass(frozen=True)
class Candidate:
    label: str
    deltas: dict[str, float]


def neighbourhood(params: Params, proposed: Proposed) -> list[Candidate]:
    """The candidates, without duplicates (the first label of equal deltas is kept; a candidate
    that clamps to nothing is "no change")."""
    current = params.model_dump()

    def clamped(label: str, deltas: dict[str, float]) -> Candidate:
        steps = {name: clamp_step(name, float(current[name]), d) for name, d in deltas.items()}
        return Candidate(label, {name: step for name, step in steps.items() if step})

    full = proposed.deltas
    candidates = [clamped(PROPOSAL, full), clamped("half", {k: HALF * v for k, v in full.items()})]
    if len(full) > 1:
        candidates += [clamped(f"only {name}", {name: delta}) for name, delta in full.items()]
    candidates += [clamped(f"opposite {name}", {name: -full[name]}) for name in full if name in proposed.unsure]
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
        candidates = neighbourhood(params, proposed)
        scores = [self._score(apply_deltas(params, c.deltas), windows) for c in candidates]
        best = self.objective.best(scores)
        table = [_row(c, s, i == best) for i, (c, s) in enumerate(zip(candidates, scores, strict=True))]
        rationale = [*proposed.rationale, self._why(candidates[best], scores[best], len(windows))]
        evidence = {
            "objective": self.objective.kpi,
            "windows": windows,
            "candidates": table,
            "gave_up": self._gave_up(scores, best),
        }
        return Choice(candidates[best].deltas, rationale, evidence)

    def _score(self, params: Params, windows: list[int]) -> Score:
        return self.objective.score([self.replay.summary(params, w) for w in windows])

    def _gave_up(self, scores: list[Score], best: int) -> float | None:
        """What the constraints cost: the best objective of any candidate, met or not, less the chosen's."""
        chosen = self.objective.value(scores[best])
        if chosen == -math.inf:
            return None
        return round(max(self.objective.value(s) for s in scores) - chosen, 9)

    def _why(self, candidate: Candidate, score: Score, windows: int) -> str:
        shown = "-" if score.objective is None else f"{score.objective:.4g}"
        met = "constraints met" if score.met else f"misses {', '.join(score.failed)}"
        return f"what-if: {candidate.label} is best on the last {windows} windows ({self.objective.kpi} {shown}, {met})"


def _row(candidate: Candidate, score: Score, chosen: bool) -> CandidateRecord:
    return CandidateRecord(
        label=candidate.label,
        deltas=candidate.deltas,
        kpis=score.kpis,
        objective=score.objective,
        constraints_met=score.met,
        failed=list(score.failed),
        chosen=chosen,
    )
