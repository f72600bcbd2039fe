"""`--warmup N` (DESIGN.md section 11): a conservative warm-up, then a ramp to the tuned parameters.

Iterations 1..N run with the tuned parameters moved to their safe side: quotes wider, slower and
smaller, by one max_step each (SAFE_STEPS, clamped to the bounds). The RAMP_ITERATIONS after them
move back in equal steps, and from then on the run has the tuned parameters. The tuner waits
until the ramp is over: KPIs measured with parameters it did not choose are no evidence about
its own. Without a warm-up every iteration is steady.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.params import Params, spec_of
from core.records import Phase
from core.tuning.tuner import apply_deltas

RAMP_ITERATIONS = 2  # as the older tool's ramp-down
# Max_steps toward the safe side, per parameter: the ones whose safe side is not in doubt.
SAFE_STEPS: dict[str, int] = {
    "base_spread_bps": 1,
    "min_interval_ms": 1,
    "replace_rate_per_min": -1,
    "max_position": -1,
    "concurrency_limit": -1,
}


@dataclass(frozen=True)
class WarmupSchedule:
    warmup: int = 0  # iterations with conservative parameters

    def phase(self, iteration: int) -> Phase:
        if iteration <= self.warmup:
            return Phase.WARMUP
        if iteration <= self.warmup + RAMP_ITERATIONS and self.warmup:
            return Phase.RAMP
        return Phase.STEADY

    def params(self, iteration: int, tuned: Params) -> Params:
        """What iteration `iteration` runs with, given the tuned parameters."""
        phase = self.phase(iteration)
        if phase is Phase.STEADY:
            return tuned
        safe = conservative(tuned)
        if phase is Phase.WARMUP:
            return safe
        share = (iteration - self.warmup) / (RAMP_ITERATIONS + 1)
        start, end = safe.model_dump(), tuned.model_dump()
        return apply_deltas(safe, {name: (end[name] - start[name]) * share for name in SAFE_STEPS})


def conservative(tuned: Params) -> Params:
    return apply_deltas(tuned, {name: steps * spec_of(name).max_step for name, steps in SAFE_STEPS.items()})
