"""The KPIs of section 4: the edge identity, ranges and the raw counts behind the ratios."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.params import PARAM_SPECS, Params
from core.scenarios import FEE_TIERS, NORMAL, SCENARIOS
from core.sim import simulate_iteration


def value_in_bounds(name: str):
    spec = PARAM_SPECS[name]
    if spec.integer:
        return st.integers(int(spec.lower), int(spec.upper))
    return st.floats(spec.lower, spec.upper, allow_nan=False)


PARAMS = st.builds(Params, post_only=st.booleans(), **{name: value_in_bounds(name) for name in PARAM_SPECS})


EDGE = ("gross_bps", "fees_eff_bps", "slippage_bps", "adverse_bps", "inventory_bps", "net_bps")


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    params=PARAMS,
    scenario=st.sampled_from(SCENARIOS),
    fees=st.sampled_from([None, *FEE_TIERS]),
    seed=st.integers(0, 2**32 - 1),
    iteration=st.integers(1, 50),
    window_s=st.sampled_from([1.0, 1.5, 3.0, 30.0]),  # short windows often trade nothing
)
def test_net_is_gross_less_fees_slippage_adverse_and_inventory(params, scenario, fees, seed, iteration, window_s):
    kpis = simulate_iteration(params, scenario, seed, iteration, window_s, fees).summary
    volume = kpis.fills.maker_volume + kpis.fills.taker_volume
    if volume == 0:  # no fills, no edge: missing, never a measured 0
        assert all(getattr(kpis, name) is None for name in EDGE)
        assert kpis.maker_taker_ratio is None and kpis.maker_taker_source == "no_fills"
        assert kpis.adverse_bps_p95 is None and kpis.pnl == 0.0 and kpis.volume == 0.0
    else:
        parts = kpis.gross_bps - kpis.fees_eff_bps - kpis.slippage_bps - kpis.adverse_bps
        assert abs(kpis.net_bps - (parts - kpis.inventory_bps)) <= 1e-9
        assert math.isclose(kpis.pnl, kpis.net_bps * volume * 1e-4, rel_tol=1e-9, abs_tol=1e-9)
        assert 0.0 <= kpis.maker_taker_ratio <= 1.0
    assert math.isclose(kpis.pnl_per_hour, kpis.pnl * 3600 / window_s, rel_tol=1e-12, abs_tol=1e-12)
    assert math.isclose(kpis.volume, volume, rel_tol=1e-12)
    assert math.isclose(kpis.volume_per_hour, volume * 3600 / window_s, rel_tol=1e-12)
    assert 0.0 <= kpis.quote_presence <= 1.0 and 0.0 <= kpis.risk_ratio <= 1.0
    assert sum(kpis.blocks.ratios.values()) <= 1.0
    json.loads(kpis.model_dump_json())  # finite numbers or null only


def test_quote_presence_is_the_share_of_the_window_with_both_sides_in_the_band():
    result = simulate_iteration(Params(), "normal", 2, 1, window_s=120.0)
    tape, market = result.tape, result.market
    band = NORMAL.presence_band_bps
    cells = np.arange(market.cells)
    both = np.ones(market.cells, dtype=bool)
    for side, sign in ((0, 1.0), (1, -1.0)):
        inside = np.zeros(market.cells, dtype=bool)
        quotes = zip(tape.quote_side, tape.quote_start, tape.quote_end, tape.quote_price, strict=True)
        for s, start, end, price in quotes:
            if s == side:
                span = (cells >= int(start * 100)) & (cells < int(end * 100))
                near = sign * (market.mid[:-1] - price) / market.mid[:-1] * 1e4 <= band
                inside |= span & near
        both &= inside
    assert result.summary.quote_presence == pytest.approx(both.mean(), abs=1e-12)
    assert 0.5 < result.summary.quote_presence < 1.0
    wide = simulate_iteration(Params(base_spread_bps=band), "normal", 2, 1, window_s=120.0).summary
    assert wide.quote_presence < 0.1  # quoted at the band's edge: inside only when mid moves toward a side


def test_pnl_is_cash_plus_inventory_at_the_last_mid():
    result = simulate_iteration(Params(), "normal", 3, 1, window_s=120.0)
    tape, kpis = result.tape, result.summary
    side = np.asarray(tape.fill_side, dtype=float)
    qty, price = np.asarray(tape.fill_qty), np.asarray(tape.fill_price)
    position = float(side @ qty)
    assert math.isclose(position, tape.position, abs_tol=1e-9)
    cash = -float(np.sum(side * qty * price)) - float(np.sum(tape.fill_fee))
    assert math.isclose(kpis.pnl, cash + position * result.market.mid[-1], abs_tol=1e-6)
    assert kpis.max_drawdown >= max(0.0, -kpis.pnl) - 1e-9


def test_raw_counts_add_up():
    kpis = simulate_iteration(Params(base_spread_bps=0.5), "normal", 5, 1, window_s=300.0).summary
    fills = kpis.fills
    # Every taker fill is a crossing quote or a hedge; one hedge may still be in flight at the end.
    assert kpis.crossings + kpis.hedges - fills.taker_count in (0, 1)
    assert kpis.crossings > 0 and kpis.hedges > 0 and fills.maker_count > 0
    assert kpis.maker_taker_source == "fills_volume"
    assert kpis.maker_taker_ratio == pytest.approx(fills.maker_volume / (fills.maker_volume + fills.taker_volume))
    assert kpis.cancel_ratio == kpis.cancels_sent / kpis.orders_sent
    assert kpis.market_orders > 0


def test_losing_window_names_its_largest_costs():
    kpis = simulate_iteration(Params(base_spread_bps=0.2), "volatile", 1, 1, window_s=120.0).summary
    assert kpis.net_bps < 0
    costs = {
        "adverse_bps": kpis.adverse_bps,
        "fees_eff_bps": kpis.fees_eff_bps,
        "slippage_bps": kpis.slippage_bps,
        "inventory_bps": kpis.inventory_bps,
        "gross_bps": -kpis.gross_bps,
    }
    assert kpis.neg_edge_drivers[0] == max(costs, key=costs.get)
    assert all(costs[name] > 0 for name in kpis.neg_edge_drivers)
