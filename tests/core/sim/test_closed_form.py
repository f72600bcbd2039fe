"""The simulator against the closed forms of its own model (DESIGN.md section 2)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.params import Params
from core.scenarios import NORMAL, variant
from core.sim import simulate_regime

SEEDS = range(20)
WINDOW_S = 120.0
# No latency anywhere, no impact, no clustering, no informed flow, no queue ahead, a fine tick
# and no rate limit in reach: a quote sits where the strategy put it and every order that reaches
# it fills it.
INSTANT = variant(
    NORMAL,
    entry_latency_median_ms=0.0,
    response_latency_median_ms=0.0,
    queue_ms_per_rps=0.0,
    feed_latency_median_ms=0.0,
    impact_bps=0.0,
    branching=0.0,
    vol_of_vol=0.0,
    informed_share=0.0,
    depth_touch=0.0,
    depth_slope=0.0,
    tick_bps=0.001,
    rate_limit_per_s=1e6,
)
# Refresh as fast as the bounds allow, never throttled, no inventory lean, no risk limit in reach.
FASTEST_REFRESH = dict(
    min_interval_ms=20,
    replace_threshold_bps=0.05,
    replace_rate_per_min=6000,
    concurrency_limit=64,
    inventory_skew_bps=0.0,
    max_position=100.0,
)


def maker_fills_per_side(result) -> tuple[int, int]:
    side = np.asarray(result.tape.fill_side)
    maker = np.asarray(result.tape.fill_maker, dtype=bool)
    return int((maker & (side > 0)).sum()), int((maker & (side < 0)).sum())


@pytest.mark.parametrize("spread_bps", [1.0, 2.5])
def test_fills_per_side_follow_the_avellaneda_stoikov_intensity(spread_bps):
    params = Params(base_spread_bps=spread_bps, **FASTEST_REFRESH)
    bids = asks = 0
    for seed in SEEDS:
        result = simulate_regime(params, INSTANT, seed, 1, WINDOW_S)
        bid_fills, ask_fills = maker_fills_per_side(result)
        bids, asks = bids + bid_fills, asks + ask_fills
    rate = INSTANT.arrival_rate * math.exp(-INSTANT.depth_decay_k * spread_bps)
    predicted = rate * WINDOW_S * len(SEEDS)
    assert bids == pytest.approx(predicted, rel=0.10)
    assert asks == pytest.approx(predicted, rel=0.10)


def test_without_queueing_or_bursts_p95_latency_is_the_round_trip_quantile():
    regime = variant(NORMAL, queue_ms_per_rps=0.0, latency_burst=0.0, response_latency_sigma=0.0)
    # entry lognormal, response constant: the round trip's p95 is the entry's plus the response
    expected = regime.entry_latency_median_ms * math.exp(1.645 * regime.entry_latency_sigma)
    expected += regime.response_latency_median_ms
    for seed in range(5):
        result = simulate_regime(Params(), regime, seed, 1, 300.0)
        assert len(result.tape.latencies_ms) > 1000
        assert result.summary.p95_latency_ms == pytest.approx(expected, rel=0.05)


def test_queueing_adds_latency_that_grows_with_the_request_rate():
    regime = variant(NORMAL, queue_ms_per_rps=20.0)
    quiet = variant(regime, queue_ms_per_rps=0.0)
    for seed in range(3):
        chatty = simulate_regime(Params(min_interval_ms=50), regime, seed, 1, 120.0).summary
        calm = simulate_regime(Params(min_interval_ms=400), regime, seed, 1, 120.0).summary
        floor = simulate_regime(Params(min_interval_ms=50), quiet, seed, 1, 120.0).summary
        assert chatty.p95_latency_ms > calm.p95_latency_ms > floor.p95_latency_ms
