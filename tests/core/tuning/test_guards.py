"""Each guard fires on a KPI sequence built to trigger it, and its firing is recorded."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from core.gates import evaluate_iteration, load_gate
from core.params import PARAM_SPECS, Params
from core.records import TuningRecord
from core.tuning.guards import (
    COOLDOWN_ITERATIONS,
    COOLDOWN_STEP_SHARE,
    FREEZE_ITERATIONS,
    OSCILLATION_REST_ITERATIONS,
    VELOCITY_MAX_STEPS,
    VELOCITY_WINDOW_S,
)
from core.tuning.tuner import Tuner, apply_deltas, summarise_guards
from tests.support.runs import kpis

NIGHTLY = load_gate("nightly")
SPREAD_STEP = PARAM_SPECS["base_spread_bps"].max_step


def run(
    summaries: Iterable[dict[str, float]], params: Params | None = None, window_s: float = 600.0
) -> list[TuningRecord]:
    """Feeds the tuner one summary per iteration, applying what it applies, like the soak loop."""
    tuner, params = Tuner(), params or Params()
    records = []
    for i, summary in enumerate(summaries, start=1):
        record = tuner.decide(i, params, summary, evaluate_iteration(summary, NIGHTLY), i * window_s)
        params = apply_deltas(params, record.applied_deltas)
        records.append(record)
    return records


def test_no_op_when_every_delta_clamps_to_zero() -> None:
    at_top = Params(base_spread_bps=PARAM_SPECS["base_spread_bps"].upper)
    (record,) = run([kpis(net_bps=1.0)], params=at_top)
    assert record.proposed_deltas["base_spread_bps"] > 0
    assert (record.applied, record.skip_reasons, record.guards_fired) == (False, ["no_op"], ["no_op"])
    assert record.param_status == {"base_spread_bps": "at_bound"}
    assert record.applied_deltas == {} and record.changed_keys == []


def test_a_parameter_at_its_bound_does_not_make_the_whole_proposal_a_no_op() -> None:
    lowest_cap = Params(impact_cap_ratio=PARAM_SPECS["impact_cap_ratio"].lower)
    (record,) = run([kpis(maker_taker_ratio=0.6, hedges=10)], params=lowest_cap)
    assert record.param_status["impact_cap_ratio"] == "at_bound"
    assert record.param_status["inventory_skew_bps"] == "applied"
    assert (record.applied, record.skip_reasons, record.guards_fired) == (True, [], [])


def test_cooldown_rests_a_parameter_after_a_large_change() -> None:
    far_off = kpis(net_bps=-5.0, adverse_bps_p95=10.0)  # two rules widen the spread together
    records = run([far_off] * (COOLDOWN_ITERATIONS + 2))
    first, *resting, after = records
    large = first.applied_deltas["base_spread_bps"]
    assert large >= COOLDOWN_STEP_SHARE * SPREAD_STEP
    for record in resting:
        assert record.param_status == {"base_spread_bps": "cooldown"}
        assert (record.skip_reasons, record.guards_fired) == (["cooldown"], ["cooldown"])
    assert after.applied_deltas == {"base_spread_bps": large}


def test_one_rule_alone_moves_less_than_a_cooldown_step() -> None:
    records = run([kpis(net_bps=-5.0)] * 3)
    assert all(r.param_status == {"base_spread_bps": "applied"} for r in records)


def test_a_small_change_starts_no_cooldown() -> None:
    near_miss = kpis(net_bps=2.95)  # just inside the WARN band: a quarter step or so
    records = run([near_miss] * 3)
    assert all(r.param_status == {"base_spread_bps": "applied"} for r in records)
    assert all(0 < r.applied_deltas["base_spread_bps"] < 0.75 * SPREAD_STEP for r in records)


def test_oscillation_holds_a_parameter_whose_deltas_alternate() -> None:
    edge_low, all_good = kpis(net_bps=2.95), kpis()  # widen, then tighten, then widen again
    records = run([edge_low, all_good, edge_low] + [edge_low] * (OSCILLATION_REST_ITERATIONS + 1))
    widen, tighten, third, *resting, after = records
    assert widen.applied_deltas["base_spread_bps"] > 0 > tighten.applied_deltas["base_spread_bps"]
    assert third.param_status == {"base_spread_bps": "oscillation"}
    assert (third.applied, third.skip_reasons, third.guards_fired) == (False, ["oscillation"], ["oscillation"])
    held = [r.param_status["base_spread_bps"] for r in resting]
    assert held == ["oscillation"] * OSCILLATION_REST_ITERATIONS
    assert after.param_status == {"base_spread_bps": "applied"}


def test_velocity_caps_a_parameters_change_per_hour_of_soak_time() -> None:
    window_s = 60.0  # short windows: many small steps fit in one hour
    near_miss = kpis(net_bps=2.95)
    records = run([near_miss] * 80, window_s=window_s)  # 80 minutes
    steps = [r.applied_deltas.get("base_spread_bps", 0.0) for r in records]
    first_held = next(i for i, r in enumerate(records) if r.param_status["base_spread_bps"] == "velocity")
    assert records[first_held].guards_fired == ["velocity"]
    assert records[first_held].skip_reasons == ["velocity"]
    cap = VELOCITY_MAX_STEPS * SPREAD_STEP
    assert sum(steps[:first_held]) <= cap + 1e-9 < sum(steps[:first_held]) + steps[0]
    per_window = int(VELOCITY_WINDOW_S / window_s)
    for end in range(len(steps)):  # every hour-long stretch of soak time stays under the cap
        assert sum(steps[max(0, end - per_window + 1) : end + 1]) <= cap + 1e-9
    assert any(s > 0 for s in steps[first_held + 1 :]), "changes resume once the hour rolls on"


def test_freeze_pauses_tuning_after_two_passing_iterations() -> None:
    records = run([kpis()] * (3 + FREEZE_ITERATIONS))
    first, *frozen, resumed, again = records
    assert first.applied and first.guards_fired == []
    assert len(frozen) == FREEZE_ITERATIONS
    for record in frozen:
        assert (record.applied, record.skip_reasons, record.guards_fired) == (False, ["freeze"], ["freeze"])
        assert record.param_status == {"base_spread_bps": "freeze"}
        assert record.proposed_deltas == {"base_spread_bps": pytest.approx(-0.2 * SPREAD_STEP)}
    assert resumed.applied, "after the freeze tuning resumes, until two more passes freeze it again"
    assert again.skip_reasons == ["freeze"]


@pytest.mark.parametrize("not_passing", [kpis(net_bps=1.0), kpis(net_bps=2.95)], ids=["FAIL", "WARN"])
def test_an_iteration_that_does_not_pass_ends_the_freeze(not_passing: dict[str, float]) -> None:
    records = run([kpis(), kpis(), not_passing, kpis()])
    assert records[1].skip_reasons == ["freeze"]
    assert records[2].applied and records[2].param_status == {"base_spread_bps": "applied"}
    assert records[3].skip_reasons != ["freeze"], "a new freeze needs two new passes"


def test_summarise_guards_counts_each_guard_and_the_applied_iterations() -> None:
    far_off = kpis(net_bps=-5.0, adverse_bps_p95=10.0)
    records = run([far_off, far_off, kpis(), kpis(), kpis()])
    assert [r.skip_reasons for r in records] == [[], ["cooldown"], [], ["freeze"], ["freeze"]]
    summary = summarise_guards(records)
    assert summary == {
        "count": 5,
        "applied": 2,
        "skipped": 3,
        "guards": {"no_op": 0, "oscillation": 0, "cooldown": 1, "velocity": 0, "freeze": 2},
        "blocked_oscillation": 0,  # the older tool's names
        "blocked_velocity": 0,
        "cooldown_skips": 1,
    }
    assert summarise_guards([])["count"] == 0
