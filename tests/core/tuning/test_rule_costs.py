"""Each rule knows what its change costs: widening gives volume back as soon as the edge has room,
and the latency rule loosens as well as tightens."""

from __future__ import annotations

from typing import Any

from core.gates import evaluate_iteration, load_gate
from core.params import PARAM_SPECS, Params
from core.records import TuningRecord
from core.tuning.rules import UNHELPED_STEPS, WIDENING_COSTS
from core.tuning.tuner import Tuner, apply_deltas

NIGHTLY = load_gate("nightly")
BASE: dict[str, Any] = {
    "maker_taker_ratio": 0.95,
    "net_bps": 4.0,
    "risk_ratio": 0.2,
    "p95_latency_ms": 150.0,
    "adverse_bps_p95": 1.0,
    "hedges": 0,
    "crossings": 0,
}
STEP = PARAM_SPECS["min_interval_ms"].max_step


def decide(tuner: Tuner, iteration: int, params: Params, **changes: Any) -> TuningRecord:
    summary = {**BASE, **changes}
    return tuner.decide(iteration, params, summary, evaluate_iteration(summary, NIGHTLY), iteration * 600.0)


def test_widening_says_what_it_costs_and_is_unsure_while_the_window_earned() -> None:
    record = decide(Tuner(), 1, Params(), net_bps=2.0, pnl=5.0)
    assert record.rationale[0].endswith(f"(costs {WIDENING_COSTS})")


def test_the_spread_is_given_back_when_the_edge_has_room_even_while_another_kpi_misses() -> None:
    record = decide(Tuner(), 1, Params(), maker_taker_ratio=0.7, crossings=5)
    assert record.proposed_deltas["base_spread_bps"] < 0


def test_latency_that_slowing_did_not_lower_is_the_venues_and_the_rule_loosens() -> None:
    tuner, params = Tuner(), Params(min_interval_ms=100)
    first = decide(tuner, 1, params, p95_latency_ms=600.0)
    assert first.proposed_deltas["min_interval_ms"] > 0  # first, tighten
    slowed = params.model_copy(update={"min_interval_ms": 100 + int(UNHELPED_STEPS * STEP)})
    record = decide(tuner, 2, slowed, p95_latency_ms=590.0)  # 10 ms lower: less than its min_jump
    assert record.proposed_deltas["min_interval_ms"] < 0 and record.proposed_deltas["concurrency_limit"] > 0
    assert any("the latency is the venue's" in line for line in record.rationale)


def test_latency_that_slowing_lowered_keeps_being_tightened() -> None:
    tuner, params = Tuner(), Params(min_interval_ms=100)
    decide(tuner, 1, params, p95_latency_ms=600.0)
    slowed = params.model_copy(update={"min_interval_ms": 100 + int(UNHELPED_STEPS * STEP)})
    record = decide(tuner, 2, slowed, p95_latency_ms=450.0)
    assert record.proposed_deltas["min_interval_ms"] > 0


def test_latency_with_room_while_the_throttle_blocks_many_actions_loosens() -> None:
    blocks = {"counts": {}, "ratios": {"min_interval": 0.3, "concurrency": 0.0}}
    record = decide(Tuner(), 1, Params(min_interval_ms=800), blocks=blocks, net_bps=3.65)
    assert record.proposed_deltas == {"min_interval_ms": -20.0, "concurrency_limit": 0.4}
    applied = apply_deltas(Params(min_interval_ms=800), record.applied_deltas)
    assert applied.min_interval_ms == 780 and applied.concurrency_limit == 9  # whole steps
    assert record.rationale[-2:] == [  # and the rationale shows the step each one applied
        "min_interval_ms -20 applied (whole steps)",
        "concurrency_limit +1 applied (whole steps)",
    ]
    quiet = decide(Tuner(), 1, Params(), blocks={"counts": {}, "ratios": {"min_interval": 0.05}}, net_bps=3.65)
    assert "min_interval_ms" not in quiet.proposed_deltas
