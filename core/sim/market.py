"""The pre-generated market of one iteration window (DESIGN.md section 2).

Everything random about the market is drawn here, from the market stream only and before any
strategy parameter is read, so one seed gives one market path whatever the parameters are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.scenarios import MarketRegime

CELL_S = 0.01  # the mid is piecewise constant on a 10 ms grid
CELLS_PER_S = 100.0  # cell of time t: int(t * CELLS_PER_S), the same everywhere
FEED_BLOCK_CELLS = 10  # the feed's latency is drawn once per 100 ms
START_PRICE = 100.0  # quote currency per unit


def streams(seed: int, iteration: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent (market, strategy) generators for one iteration."""
    market_seq, strategy_seq = np.random.SeedSequence([seed, iteration]).spawn(2)
    return np.random.Generator(np.random.PCG64(market_seq)), np.random.Generator(np.random.PCG64(strategy_seq))


@dataclass(frozen=True)
class MarketPath:
    """The market of one window. Cell j covers [j*CELL_S, (j+1)*CELL_S); cell n is the end."""

    window_s: float
    mid: np.ndarray  # true mid per cell, including the permanent impact of earlier orders
    observed_mid: np.ndarray  # the mid the strategy's feed shows in each cell (delayed)
    order_time: np.ndarray  # market orders, sorted by arrival time (s)
    order_side: np.ndarray  # +1 buy (lifts asks), -1 sell (hits bids)
    order_reach_bps: np.ndarray  # how far from the pre-trade mid the order sweeps
    order_size: np.ndarray  # units

    @property
    def cells(self) -> int:
        return len(self.mid) - 1

    def order_cell(self) -> np.ndarray:
        return cells_of(self.order_time)


def cells_of(times: np.ndarray) -> np.ndarray:
    return (times * CELLS_PER_S).astype(np.int64)


def generate_market(regime: MarketRegime, rng: np.random.Generator, window_s: float) -> MarketPath:
    n = round(window_s * CELLS_PER_S)
    # Draw everything first, in a fixed order, so the draws never depend on what follows.
    steps = rng.standard_normal(n)
    count = int(rng.poisson(2.0 * regime.arrival_rate * window_s))
    order_time = np.sort(rng.uniform(0.0, window_s, count))
    order_side = rng.integers(0, 2, count) * 2 - 1
    reach_unit = rng.standard_exponential(count)
    size = np.exp(regime.size_sigma * rng.standard_normal(count))
    feed_z = rng.standard_normal(n // FEED_BLOCK_CELLS + 1)

    # Permanent impact grows with size (square root) and with how deep the order swept; it
    # moves the mid from the cell after the order's.
    impact = order_side * regime.impact_bps * np.sqrt(size) * reach_unit
    order_cell = cells_of(order_time)
    mid_bps = np.bincount(order_cell + 1, weights=impact, minlength=n + 1)[: n + 1]
    mid_bps[1:] += regime.sigma_bps * np.sqrt(CELL_S) * steps
    mid = START_PRICE * (1.0 + np.cumsum(mid_bps) * 1e-4)

    feed_lag = regime.feed_latency_median_ms * np.exp(regime.feed_latency_sigma * feed_z)
    lag_cells = cells_of(feed_lag * 1e-3)
    seen = np.arange(n + 1) - np.repeat(lag_cells, FEED_BLOCK_CELLS)[: n + 1]
    observed_mid = mid[np.maximum(seen, 0)]
    reach = reach_unit / regime.depth_decay_k
    return MarketPath(window_s, mid, observed_mid, order_time, order_side, reach, size)
