"""core/tuning/warmup.py: `--warmup N`, conservative iterations, then a ramp to the tuned ones."""

from __future__ import annotations

import pytest

from core.params import Params, spec_of
from core.records import Phase
from core.tuning.warmup import RAMP_ITERATIONS, SAFE_STEPS, WarmupSchedule, conservative


def test_without_a_warmup_every_iteration_is_steady_with_the_tuned_parameters():
    tuned = Params(base_spread_bps=3.0)
    schedule = WarmupSchedule()
    assert {schedule.phase(i) for i in range(1, 50)} == {Phase.STEADY}
    assert all(schedule.params(i, tuned) is tuned for i in (1, 7))


def test_the_warmup_is_wider_slower_and_smaller_by_one_step_each():
    tuned = Params()
    safe = conservative(tuned).model_dump()
    for name, steps in SAFE_STEPS.items():
        assert safe[name] == pytest.approx(tuned.model_dump()[name] + steps * spec_of(name).max_step)
    assert {k: v for k, v in safe.items() if k not in SAFE_STEPS} == {
        k: v for k, v in tuned.model_dump().items() if k not in SAFE_STEPS
    }


def test_at_a_bound_the_warmup_stays_inside_it():
    tuned = Params(base_spread_bps=10.0, concurrency_limit=1, max_position=1.0)
    safe = conservative(tuned)
    assert (safe.base_spread_bps, safe.concurrency_limit, safe.max_position) == (10.0, 1, 1.0)


def test_phases_and_the_ramp_back_in_equal_steps():
    schedule, tuned = WarmupSchedule(3), Params()
    phases = [schedule.phase(i) for i in range(1, 3 + RAMP_ITERATIONS + 3)]
    assert phases == [Phase.WARMUP] * 3 + [Phase.RAMP] * RAMP_ITERATIONS + [Phase.STEADY] * 2
    spreads = [schedule.params(i, tuned).base_spread_bps for i in range(1, 8)]
    step = spec_of("base_spread_bps").max_step / (RAMP_ITERATIONS + 1)
    assert spreads[:3] == [2.5] * 3 and spreads[3:5] == pytest.approx([2.5 - step, 2.5 - 2 * step])
    assert spreads[5:] == [2.0, 2.0]
    intervals = [schedule.params(i, tuned).min_interval_ms for i in (4, 5)]
    assert all(isinstance(v, int) for v in intervals) and intervals == [167, 133]  # whole milliseconds
