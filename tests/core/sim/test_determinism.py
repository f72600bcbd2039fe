"""Seeds: identical runs are identical; parameters never change the market (common random
numbers)."""

from __future__ import annotations

import numpy as np
import pytest

from core.params import Params
from core.scenarios import regime_for
from core.sim import SimInputError, simulate_iteration
from core.sim.market import generate_market, streams

MARKET_ARRAYS = (
    "mid",
    "observed_mid",
    "feed_delay_ms",
    "vol_factor",
    "order_time",
    "order_side",
    "order_reach_bps",
    "order_size",
    "order_informed",
    "entry_latency_ms",
    "response_latency_ms",
    "latency_burst",
)
OTHER = Params(
    base_spread_bps=5.0,
    min_interval_ms=700,
    inventory_skew_bps=4.0,
    max_position=9.0,
    concurrency_limit=2,
    replace_threshold_bps=1.5,
    post_only=True,
)


def test_same_seed_and_parameters_give_identical_kpis_bit_for_bit():
    first = simulate_iteration(Params(), "mixed", 11, 4, window_s=120.0)
    again = simulate_iteration(Params(), "mixed", 11, 4, window_s=120.0)
    assert first.summary.model_dump_json() == again.summary.model_dump_json()
    assert first.regime == again.regime == "volatile"


def test_different_parameters_meet_the_same_market():
    base = simulate_iteration(Params(), "normal", 5, 2, window_s=120.0)
    other = simulate_iteration(OTHER, "normal", 5, 2, window_s=120.0)
    for name in MARKET_ARRAYS:
        assert np.array_equal(getattr(base.market, name), getattr(other.market, name)), name
    assert base.summary.market_orders == other.summary.market_orders
    assert base.summary.model_dump() != other.summary.model_dump()


def test_each_seed_and_iteration_has_its_own_reproducible_market():
    _, regime = regime_for("normal", 1)
    paths = {key: generate_market(regime, streams(*key)[0], 60.0).mid for key in [(1, 1), (1, 2), (2, 1)]}
    assert not np.array_equal(paths[(1, 1)], paths[(1, 2)])
    assert not np.array_equal(paths[(1, 1)], paths[(2, 1)])
    again = generate_market(regime, streams(1, 2)[0], 60.0).mid
    assert np.array_equal(paths[(1, 2)], again)


def test_a_static_scenario_runs_every_iteration_in_the_same_regime():
    runs = [simulate_iteration(Params(), "calm", 3, i, window_s=10.0) for i in range(1, 6)]
    assert {run.regime for run in runs} == {"calm"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(params={"base_spread_bps": 1.0}), "params=dict: expected core.params.Params"),
        (dict(seed=-1), "seed=-1: expected an integer >= 0"),
        (dict(seed=1.5), "seed=1.5: expected an integer >= 0"),
        (dict(iteration=True), "iteration=True: expected an integer >= 0"),
        (dict(window_s=0.5), "window_s=0.5: expected a number of seconds >= 1"),
        (dict(window_s=float("nan")), "window_s=nan: expected a number of seconds >= 1"),
        (dict(window_s=float("inf")), "window_s=inf: expected a number of seconds >= 1"),
        (dict(window_s="600"), "window_s='600': expected a number of seconds >= 1"),
    ],
)
def test_bad_arguments_are_one_line_errors(kwargs, message):
    args = dict(params=Params(), scenario="normal", seed=1, iteration=1, window_s=60.0) | kwargs
    with pytest.raises(SimInputError) as err:
        simulate_iteration(**args)
    assert str(err.value) == message
    assert isinstance(err.value, ValueError)


def test_unknown_scenario_lists_the_allowed_ones():
    with pytest.raises(ValueError, match=r"^scenario='storm': unknown scenario; allowed: calm, "):
        simulate_iteration(Params(), "storm", 1, 1)
