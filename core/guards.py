"""The tuner's guards (DESIGN.md section 5): what may hold a proposed parameter change.

`no_op` is decided by the tuner (every delta clamps to zero); this module keeps the state the
other guards need: per parameter the signs of its last applied deltas, a rest period after a large
change or an oscillation, and its changes over the last hour of soak time; per run the streak of
passing iterations that freezes tuning.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GUARDS: tuple[str, ...] = ("no_op", "oscillation", "cooldown", "velocity", "freeze")

COOLDOWN_STEP_SHARE = 0.75  # a change of at least this share of max_step is "large"
COOLDOWN_ITERATIONS = 1  # decisions a parameter rests after a large change
OSCILLATION_REST_ITERATIONS = 2  # decisions a parameter rests after it was caught oscillating
VELOCITY_WINDOW_S = 3600.0  # soak (market) time over which a parameter's change is summed
VELOCITY_MAX_STEPS = 4.0  # cap on that sum, in units of the parameter's max_step
FREEZE_AFTER_PASSES = 2  # consecutive PASS iterations that freeze tuning
FREEZE_ITERATIONS = 3  # decisions skipped once frozen (a FAIL lifts the freeze early)


@dataclass
class ParamGuard:
    last_signs: list[int] = field(default_factory=list)  # of the last two applied deltas, newest last
    rest_until: int = 0  # the parameter is held by decisions up to this iteration
    rest_reason: str = ""
    changes: list[tuple[float, float]] = field(default_factory=list)  # (soak_elapsed_s, |delta|)


@dataclass
class Guards:
    params: dict[str, ParamGuard] = field(default_factory=dict)
    pass_streak: int = 0
    frozen_left: int = 0

    def frozen(self, verdict: str) -> bool:
        """Counts this iteration's verdict; True when tuning is frozen for this decision."""
        self.pass_streak = self.pass_streak + 1 if verdict == "PASS" else 0
        if verdict == "FAIL":
            self.frozen_left = 0
        elif self.frozen_left == 0 and self.pass_streak >= FREEZE_AFTER_PASSES:
            self.frozen_left = FREEZE_ITERATIONS
        if self.frozen_left == 0:
            return False
        self.frozen_left -= 1
        return True

    def hold(self, name: str, step: float, max_step: float, iteration: int, elapsed_s: float) -> str | None:
        """The guard that holds this non-zero step of `name`, or None when it may be applied."""
        guard = self.params.setdefault(name, ParamGuard())
        if iteration <= guard.rest_until:
            return guard.rest_reason
        sign = 1 if step > 0 else -1
        if guard.last_signs == [sign, -sign]:  # this step would be the third alternating one
            guard.last_signs.clear()
            guard.rest_until, guard.rest_reason = iteration + OSCILLATION_REST_ITERATIONS, "oscillation"
            return "oscillation"
        guard.changes = [(t, d) for t, d in guard.changes if t > elapsed_s - VELOCITY_WINDOW_S]
        if sum(d for _, d in guard.changes) + abs(step) > VELOCITY_MAX_STEPS * max_step + 1e-9:
            return "velocity"
        return None

    def record(self, name: str, step: float, max_step: float, iteration: int, elapsed_s: float) -> None:
        """Remembers an applied step; a large one starts a cooldown."""
        guard = self.params.setdefault(name, ParamGuard())
        guard.last_signs = [*guard.last_signs, 1 if step > 0 else -1][-2:]
        guard.changes.append((elapsed_s, abs(step)))
        if abs(step) >= COOLDOWN_STEP_SHARE * max_step:
            guard.rest_until, guard.rest_reason = iteration + COOLDOWN_ITERATIONS, "cooldown"
