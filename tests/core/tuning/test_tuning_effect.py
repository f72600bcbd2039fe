"""Tuning works and is the cause (the full 10-seed table is bench/tuning_effect.py)."""

import pytest

from core.config import build_config
from core.events import IterationFinished, RunFinished
from core.loop import SoakLoop

SEEDS = (1, 2, 3)


def nightly_run(tmp_path, seed, auto_tune):
    config = build_config(
        {"iterations": 24, "seed": seed, "gate": "nightly", "auto_tune": auto_tune, "out": str(tmp_path)}, {}
    )
    return list(SoakLoop(config).run())


# Market model v2 (issue 15): the nightly PASS now needs room for inventory (max_position), a firm
# lean and a wider spread together, with quote presence and PnL per hour in the gate; the rules
# tuner of version 1 does not find it in 24 iterations (its objective-driven successor is issue 17).
# Strict: once the tuner passes, this marker fails and must go.
@pytest.mark.xfail(strict=True, reason="the v1 rules tuner does not reach a nightly PASS on market v2 (issue 17)")
@pytest.mark.parametrize("seed", SEEDS)
def test_auto_tune_turns_a_failing_nightly_soak_into_a_pass(tmp_path, seed):
    tuned = nightly_run(tmp_path, seed, auto_tune=True)
    untuned = nightly_run(tmp_path, seed, auto_tune=False)
    assert untuned[-1].verdict.verdict == "FAIL"
    assert tuned[-1].verdict.verdict == "PASS"
    # The defaults fail on the same market the tuned run starts from: iteration 1 is identical.
    first = [e.record for run in (tuned, untuned) for e in run if isinstance(e, IterationFinished)][::24]
    kpis = [{k: v for k, v in record.summary.items() if k != "runtime_utc"} for record in first]
    assert kpis[0] == kpis[1] and first[0].gate.verdict == "FAIL"
    # Untuned, the parameters never move.
    params = {str(e.record.params) for e in untuned if isinstance(e, IterationFinished)}
    assert len(params) == 1
    assert isinstance(tuned[-1], RunFinished) and tuned[-1].exit_code == 0
