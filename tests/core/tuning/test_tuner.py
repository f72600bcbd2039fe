"""Tuner rules, apply_deltas, determinism, and the bounds/max-step property for any KPI input."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.gates import evaluate_iteration, load_gate
from core.params import PARAM_SPECS, Params, spec_of
from core.records import GateRecord
from core.tuning.rules import MAX_RULE_SHARE, WIDENING_COSTS
from core.tuning.tuner import Tuner, apply_deltas

NIGHTLY = load_gate("nightly")
SPREAD_STEP = PARAM_SPECS["base_spread_bps"].max_step
GOOD: dict[str, Any] = {
    "maker_taker_ratio": 0.95,
    "net_bps": 4.0,
    "risk_ratio": 0.2,
    "p95_latency_ms": 150.0,
    "quote_presence": 0.97,
    "pnl_per_hour": 100.0,
    "adverse_bps_p95": 1.0,
    "fills": {"taker_count": 0},
    "hedges": 0,
}


def decide(params: Params | None = None, **changes: Any) -> Any:
    summary = {**GOOD, **changes}
    return Tuner().decide(1, params or Params(), summary, evaluate_iteration(summary, NIGHTLY), 600.0)


def directions(record: Any) -> dict[str, int]:
    return {k: int(math.copysign(1, v)) for k, v in record.proposed_deltas.items() if v}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"net_bps": 1.0}, {"base_spread_bps": 1}),
        # Edge and risk have room: the spread gives volume back whatever else misses.
        ({"p95_latency_ms": 420.0}, {"min_interval_ms": 1, "concurrency_limit": -1, "base_spread_bps": -1}),
        ({"risk_ratio": 0.6}, {"inventory_skew_bps": 1}),
        ({"adverse_bps_p95": 9.0}, {"base_spread_bps": 1}),
        (
            {"maker_taker_ratio": 0.6, "crossings": 40, "hedges": 10},
            {
                "post_only": 1,
                "replace_threshold_bps": 1,
                "replace_rate_per_min": -1,
                "inventory_skew_bps": 1,
                "max_position": 1,
                "impact_cap_ratio": -1,
                "base_spread_bps": -1,
            },
        ),
        (  # hedges are taker volume: lean harder, hedge less at a time, and leave more room before one
            {"maker_taker_ratio": 0.6, "crossings": 0, "hedges": 10},
            {"inventory_skew_bps": 1, "max_position": 1, "impact_cap_ratio": -1, "base_spread_bps": -1},
        ),
        (  # without a crossings count, taker fills that are not hedges crossed
            {"maker_taker_ratio": 0.6, "fills": {"taker_count": 50}, "hedges": 0},
            {"post_only": 1, "replace_threshold_bps": 1, "replace_rate_per_min": -1, "base_spread_bps": -1},
        ),
        ({}, {"base_spread_bps": -1}),  # everything passes with room: tighten a little
        ({"net_bps": 3.65}, {}),  # passes, safely, but without room to tighten
        ({"net_bps": 3.2}, {"base_spread_bps": 1}),  # passes by less than two WARN bands: widen a little
        ({"quote_presence": 0.91}, {"base_spread_bps": 1}),  # fewer fills, fewer empty sides
        (  # and, when the quotes wait for min_interval, a quicker requote; no slowing for the latency
            {"quote_presence": 0.91, "p95_latency_ms": 320.0, "blocks": {"ratios": {"min_interval": 0.02}}},
            {"base_spread_bps": 1, "min_interval_ms": -1},
        ),
    ],
)
def test_each_rule_pushes_the_right_way(changes: dict[str, Any], expected: dict[str, int]) -> None:
    record = decide(**changes)
    assert directions(record) == expected
    assert len(record.rationale) >= len(expected)


def test_rationale_lines_name_the_kpi_its_threshold_and_the_delta() -> None:
    record = decide(net_bps=1.93)
    step = MAX_RULE_SHARE * SPREAD_STEP
    assert record.rationale == [f"net_bps 1.93 < 2.7 (FAIL) -> base_spread_bps +{step:g} (costs {WIDENING_COSTS})"]


def test_push_grows_with_the_miss_up_to_a_cap() -> None:
    spread = [decide(net_bps=v).proposed_deltas["base_spread_bps"] for v in (2.95, 2.8, 2.7, 2.5, -3.0)]
    assert spread == sorted(spread) and len(set(spread)) == len(spread)
    assert spread[2] == pytest.approx(0.5 * SPREAD_STEP)  # at the FAIL threshold: half a step
    assert spread[-1] == pytest.approx(MAX_RULE_SHARE * SPREAD_STEP)


def test_post_only_is_only_ever_switched_on() -> None:
    crossing = {"maker_taker_ratio": 0.6, "crossings": 50}
    assert decide(**crossing).applied_deltas["post_only"] == 1
    assert "post_only" not in decide(Params(post_only=True), **crossing).proposed_deltas
    assert apply_deltas(Params(), {"post_only": 1.0}).post_only is True


@pytest.mark.parametrize("missing", [None, math.nan, math.inf, "n/a"])
def test_a_missing_kpi_produces_no_rule_for_it(missing: Any) -> None:
    record = decide(net_bps=missing, adverse_bps_p95=missing, fills=missing)
    assert "base_spread_bps" not in record.proposed_deltas  # neither widened nor tightened
    assert record.rationale == []
    assert (record.applied, record.skip_reasons) == (False, ["no_op"])


def test_an_empty_summary_does_not_crash() -> None:
    gate = GateRecord(verdict="FAIL", reasons=[], checks=[])
    record = Tuner().decide(1, Params(), {}, gate, 600.0)
    assert record.proposed_deltas == {} and record.skip_reasons == ["no_op"]


def test_apply_deltas_adds_clamps_and_rounds() -> None:
    params = Params(base_spread_bps=9.8, concurrency_limit=2)
    moved = apply_deltas(params, {"base_spread_bps": 0.5, "concurrency_limit": -3.0, "min_interval_ms": 40.0})
    assert moved.base_spread_bps == 10.0
    assert moved.concurrency_limit == 1 and isinstance(moved.concurrency_limit, int)
    assert moved.min_interval_ms == 140
    assert params.base_spread_bps == 9.8  # pure: the input is unchanged
    assert apply_deltas(params, {}) == params


def test_apply_deltas_rejects_unknown_keys_and_non_finite_deltas() -> None:
    with pytest.raises(ValueError, match="unknown parameter 'spread'; allowed: base_spread_bps"):
        apply_deltas(Params(), {"spread": 1.0})
    with pytest.raises(ValueError, match="delta base_spread_bps=nan; allowed: a finite number"):
        apply_deltas(Params(), {"base_spread_bps": math.nan})


def test_changed_keys_are_the_applied_non_zero_deltas() -> None:
    lowest_cap = Params(impact_cap_ratio=PARAM_SPECS["impact_cap_ratio"].lower)
    record = decide(lowest_cap, maker_taker_ratio=0.6, hedges=10, net_bps=3.65)  # no edge to spare
    assert record.param_status == {
        "inventory_skew_bps": "applied",
        "max_position": "applied",
        "impact_cap_ratio": "at_bound",
    }
    assert record.changed_keys == ["inventory_skew_bps", "max_position"] == list(record.applied_deltas)


FAR_OFF = {**GOOD, "net_bps": -5.0, "adverse_bps_p95": 10.0}  # two rules widen: a large step


def replay() -> list[Any]:
    tuner, params, records = Tuner(), Params(), []
    for i, summary in enumerate([FAR_OFF, FAR_OFF, GOOD, GOOD], start=1):
        record = tuner.decide(i, params, summary, evaluate_iteration(summary, NIGHTLY), i * 600.0)
        params = apply_deltas(params, record.applied_deltas)
        records.append(record)
    return records


def test_the_tuner_is_deterministic_and_hashes_its_state() -> None:
    first, second = replay(), replay()
    assert [r.model_dump() for r in first] == [r.model_dump() for r in second]
    assert [r.skip_reasons for r in first] == [[], ["cooldown"], [], ["freeze"]]
    hashes = [r.guard_state_hash for r in first]
    assert all(len(h) == 16 and int(h, 16) >= 0 for h in hashes)
    assert hashes[1] == hashes[0]  # a decision that held everything left the state as it was
    assert len({hashes[0], hashes[2], hashes[3]}) == 3  # applying and freezing change it
    assert Tuner().guard_state_hash() == Tuner().guard_state_hash() != hashes[0]


# --- property: whatever the KPIs, the tuner stays inside the bounds and the maximum step ---------

kpi_value = st.one_of(
    st.none(),
    st.just(math.nan),
    st.just(math.inf),
    st.floats(-1e9, 1e9, allow_nan=False),
    st.text(max_size=3),
)
summaries = st.fixed_dictionaries(
    {},
    optional={
        k: kpi_value
        for k in ("maker_taker_ratio", "net_bps", "risk_ratio", "p95_latency_ms", "adverse_bps_p95", "hedges")
    }
    | {"fills": st.one_of(st.none(), st.fixed_dictionaries({}, optional={"taker_count": kpi_value}))},
)


@st.composite
def params_in_bounds(draw: st.DrawFn) -> Params:
    values: dict[str, Any] = {"post_only": draw(st.booleans())}
    for name, spec in PARAM_SPECS.items():
        if spec.integer:
            values[name] = draw(st.integers(int(spec.lower), int(spec.upper)))
        else:
            values[name] = draw(st.floats(spec.lower, spec.upper))
    return Params(**values)


@settings(max_examples=60, deadline=None)
@given(start=params_in_bounds(), sequence=st.lists(summaries, min_size=1, max_size=12))
def test_the_tuner_never_leaves_the_bounds_nor_the_max_step(start: Params, sequence: list[dict[str, Any]]) -> None:
    tuner, params = Tuner(), start
    for i, summary in enumerate(sequence, start=1):
        record = tuner.decide(i, params, summary, evaluate_iteration(summary, NIGHTLY), i * 600.0)
        moved = apply_deltas(params, record.applied_deltas)
        for name, delta in record.applied_deltas.items():
            spec = spec_of(name)
            assert delta != 0 and abs(delta) <= spec.max_step
            assert abs(float(getattr(moved, name)) - float(getattr(params, name))) <= spec.max_step + 1e-9
        for name, spec in PARAM_SPECS.items():
            assert spec.lower <= getattr(moved, name) <= spec.upper
            if spec.integer:
                assert isinstance(getattr(moved, name), int)
        assert set(record.changed_keys) == set(record.applied_deltas)
        assert record.applied == bool(record.applied_deltas)
        params = moved
