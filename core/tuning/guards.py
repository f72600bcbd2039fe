"""The tuner's guards (DESIGN.md section 5): what may hold a proposed parameter change.

`no_op` is decided by the tuner (every delta clamps to zero); this module keeps the state the
other guards need and decides them:
- oscillation: a step that would make a parameter's last 3 applied deltas alternate in sign is held,
  and the parameter rests OSCILLATION_REST_ITERATIONS more decisions;
- cooldown: after a step of at least COOLDOWN_STEP_SHARE of max_step, the parameter rests
  COOLDOWN_ITERATIONS decisions;
- velocity: a step that would take the parameter's total |change| over the last VELOCITY_WINDOW_S of
  soak (market) time past VELOCITY_MAX_STEPS max_steps is held;
- freeze: see Guards.frozen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.records import AT_BOUND, AUTO_TUNE_OFF, NO_CHANGE_BEST, Guard, Verdict

COOLDOWN_STEP_SHARE = 0.75  # a change of at least this share of max_step is "large"
COOLDOWN_ITERATIONS = 1  # decisions a parameter rests after a large change
OSCILLATION_REST_ITERATIONS = 2  # decisions a parameter rests after it was caught oscillating
VELOCITY_WINDOW_S = 3600.0  # soak (market) time over which a parameter's change is summed
VELOCITY_MAX_STEPS = 4.0  # cap on that sum, in units of the parameter's max_step
FREEZE_AFTER_PASSES = 2  # consecutive PASS iterations that freeze tuning
FREEZE_ITERATIONS = 3  # decisions frozen once it starts (an iteration that does not pass ends it)


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
        """True when tuning is frozen for this decision, given this iteration's verdict.

        After FREEZE_AFTER_PASSES passing iterations in a row, the next FREEZE_ITERATIONS decisions
        (this one included) are frozen; an iteration that does not pass ends the freeze early.
        """
        if verdict != Verdict.PASS:
            self.pass_streak = self.frozen_left = 0
            return False
        if self.frozen_left:
            self.frozen_left -= 1
            return True
        self.pass_streak += 1
        if self.pass_streak < FREEZE_AFTER_PASSES:
            return False
        self.pass_streak, self.frozen_left = 0, FREEZE_ITERATIONS - 1
        return True

    def hold(self, name: str, step: float, max_step: float, iteration: int, elapsed_s: float) -> str | None:
        """The guard that holds this non-zero step of `name`, or None when it may be applied."""
        guard = self.params.setdefault(name, ParamGuard())
        if iteration <= guard.rest_until:
            return guard.rest_reason
        sign = 1 if step > 0 else -1
        if guard.last_signs == [sign, -sign]:  # this step would be the third alternating one
            guard.last_signs.clear()
            guard.rest_until, guard.rest_reason = iteration + OSCILLATION_REST_ITERATIONS, Guard.OSCILLATION
            return Guard.OSCILLATION
        guard.changes = [(t, d) for t, d in guard.changes if t > elapsed_s - VELOCITY_WINDOW_S]
        if sum(d for _, d in guard.changes) + abs(step) > VELOCITY_MAX_STEPS * max_step + 1e-9:
            return Guard.VELOCITY
        return None

    def record(self, name: str, step: float, max_step: float, iteration: int, elapsed_s: float) -> None:
        """Remembers an applied step; a large one starts a cooldown."""
        guard = self.params.setdefault(name, ParamGuard())
        guard.last_signs = [*guard.last_signs, 1 if step > 0 else -1][-2:]
        guard.changes.append((elapsed_s, abs(step)))
        if abs(step) >= COOLDOWN_STEP_SHARE * max_step:
            guard.rest_until, guard.rest_reason = iteration + COOLDOWN_ITERATIONS, Guard.COOLDOWN


# What each reason that held a change means, in a line: the monitor's help and tuning panel show
# these (the README's "Guards" section says the same at length).
HOLD_REASONS: dict[str, str] = {
    Guard.NO_OP: "every proposed delta clamps to zero (bounds or max step): nothing to apply",
    Guard.OSCILLATION: (
        "the step would make the last 3 applied deltas alternate in sign; "
        f"the parameter rests {OSCILLATION_REST_ITERATIONS} iterations"
    ),
    Guard.COOLDOWN: (
        f"after a step of at least {COOLDOWN_STEP_SHARE:.0%} of its max step, "
        f"a parameter rests {COOLDOWN_ITERATIONS} iteration(s)"
    ),
    Guard.VELOCITY: (
        f"the parameter's total change over the last {VELOCITY_WINDOW_S / 3600:g} h of market time "
        f"would pass {VELOCITY_MAX_STEPS:g} max steps"
    ),
    Guard.FREEZE: (
        f"after {FREEZE_AFTER_PASSES} passing iterations in a row, tuning rests {FREEZE_ITERATIONS} "
        "iterations (steady state); a non-passing one ends it"
    ),
    AT_BOUND: "the delta clamps to zero: the parameter is at its bound",
    AUTO_TUNE_OFF: "the tuner proposes but applies nothing (--no-auto-tune)",
    NO_CHANGE_BEST: "replayed on the last windows, no candidate change did better than no change (what-if)",
}
