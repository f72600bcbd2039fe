"""The pre-generated market of one iteration window (DESIGN.md section 2).

Everything random about the market is drawn here, from the market stream only and before any
strategy parameter is read, so one seed gives one market path whatever the parameters are
(common random numbers). The latency draws are part of the path too: the i-th request of a window
meets the i-th draw, so two parameter sets meet the same venue as well as the same flow.

A market path holds (all numpy arrays, shapes fixed by the window and the draws):
- the tick grid: `tick_bps` (prices are multiples of START_PRICE * tick_bps * 1e-4) and the
  market's own touch, `half_spread_bps` from mid;
- book depth: `level_depth(distance_bps)`, the size queued at the level `distance_bps` from mid
  (`depth_touch` at the touch, growing by `depth_slope` per bp), and `queue_cancel_rate`, the
  share of the size ahead of a resting order that is cancelled per second;
- trades (market orders), sorted by time: `order_time` (s), `order_side` (+1 buy: lifts asks,
  -1 sell: hits bids), `order_reach_bps` (how far from the pre-trade mid the order sweeps; a
  level inside the swept range fills whole, the level at `order_reach_bps` is the marginal one),
  `order_size` (the units it takes: the depth of the levels it swept, consistent with its reach),
  `order_informed` (its side is the sign of the coming move);
- the mid path on a 10 ms grid: `mid` (true mid per cell, including the permanent impact of the
  orders before it), `observed_mid` (the mid the strategy's feed shows in each cell, delayed by
  `feed_delay_ms`, one draw per 100 ms block), `vol_factor` (volatility and activity per second,
  mean 1: busy spells are volatile, full of orders and slow at the venue);
- latency draws: `entry_latency_ms` and `response_latency_ms` (lognormal, before queueing and
  bursts; request i uses draw i modulo their length), `latency_burst` (the multiplier per second
  that bursts put on every latency, vol_factor ** regime.latency_burst).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from functools import partial

import numpy as np

from core.scenarios import MarketRegime

CELL_S = 0.01  # the mid is piecewise constant on a 10 ms grid
CELLS_PER_S = 100.0  # cell of time t: int(t * CELLS_PER_S), the same everywhere
FEED_BLOCK_CELLS = 10  # the feed's latency is drawn once per 100 ms
START_PRICE = 100.0  # quote currency per unit
LATENCY_DRAWS_PER_S = 40  # latency draws per second of window (request i uses draw i mod their count)
MIN_LATENCY_DRAWS = 512
MAX_GENERATIONS = 200  # Hawkes generations (a branching ratio below 0.95 dies out long before)
MIN_ORDER_SIZE = 0.05  # units: an order that reaches no level still trades something


def streams(seed: int, iteration: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent (market, strategy) generators for one iteration."""
    market_seq, strategy_seq = np.random.SeedSequence([seed, iteration]).spawn(2)
    return np.random.Generator(np.random.PCG64(market_seq)), np.random.Generator(np.random.PCG64(strategy_seq))


@dataclass(frozen=True)
class MarketPath:
    """The market of one window. Cell j covers [j*CELL_S, (j+1)*CELL_S); cell n is the end."""

    window_s: float
    tick_bps: float
    half_spread_bps: float
    depth_touch: float
    depth_slope: float
    queue_cancel_rate: float
    mid: np.ndarray  # true mid per cell (n + 1)
    observed_mid: np.ndarray  # the feed's mid per cell (n + 1)
    feed_delay_ms: np.ndarray  # per 100 ms block
    vol_factor: np.ndarray  # per second (ceil(window_s) + 1), mean 1
    order_time: np.ndarray
    order_side: np.ndarray  # int64, +1 / -1
    order_reach_bps: np.ndarray
    order_size: np.ndarray
    order_informed: np.ndarray  # bool
    entry_latency_ms: np.ndarray
    response_latency_ms: np.ndarray
    latency_burst: np.ndarray  # per second, like vol_factor

    @property
    def cells(self) -> int:
        return len(self.mid) - 1

    @property
    def tick_px(self) -> float:
        return START_PRICE * self.tick_bps * 1e-4

    def order_cell(self) -> np.ndarray:
        return cells_of(self.order_time)

    def level_depth(self, distance_bps: float) -> float:
        """Units queued at the level `distance_bps` from mid (none inside the market's touch)."""
        if distance_bps < self.half_spread_bps:
            return 0.0
        return self.depth_touch + self.depth_slope * (distance_bps - self.half_spread_bps)


def cells_of(times: np.ndarray) -> np.ndarray:
    return (times * CELLS_PER_S).astype(np.int64)


def _vol_factor(regime: MarketRegime, rng: np.random.Generator, seconds: int) -> np.ndarray:
    """exp(s*x - s^2/2) of a unit AR(1) x with the regime's half-life: mean 1, clustered."""
    z = rng.standard_normal(seconds).tolist()
    phi = math.exp(-math.log(2.0) / regime.vol_half_life_s)
    scale = math.sqrt(1.0 - phi * phi)
    x = [z[0]]
    for step in z[1:]:
        x.append(phi * x[-1] + scale * step)
    s = regime.vol_of_vol
    return np.exp(s * np.asarray(x) - 0.5 * s * s)


def _hawkes(
    regime: MarketRegime, rng: np.random.Generator, window_s: float, vol: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrival times, sides and informed flags of a self-exciting flow: immigrants at a rate that
    follows the volatility factor, each order triggering Poisson(branching) more after
    Exp(decay) seconds, on its side with probability side_persistence. An informed immigrant's
    triggered orders are informed too (a meta-order worked in pieces)."""
    base = 2.0 * regime.arrival_rate * (1.0 - regime.branching)  # both sides
    peak = float(vol.max())
    candidates = rng.uniform(0.0, window_s, int(rng.poisson(base * peak * window_s)))
    keep = rng.uniform(0.0, peak, len(candidates)) < vol[candidates.astype(np.int64)]
    times = [candidates[keep]]
    sides = [rng.integers(0, 2, len(times[0])) * 2 - 1]
    informed = [rng.uniform(size=len(times[0])) < regime.informed_share]
    parents_t, parents_s, parents_i = times[0], sides[0], informed[0]
    for _ in range(MAX_GENERATIONS):
        if not len(parents_t) or regime.branching == 0.0:
            break
        children = rng.poisson(regime.branching, len(parents_t))
        child_t = np.repeat(parents_t, children) + rng.exponential(regime.hawkes_decay_s, int(children.sum()))
        flip = rng.uniform(size=len(child_t)) >= regime.side_persistence
        fresh = rng.integers(0, 2, len(child_t)) * 2 - 1
        child_s = np.where(flip, fresh, np.repeat(parents_s, children))
        inside = child_t < window_s
        parents_t, parents_s = child_t[inside], child_s[inside]
        parents_i = np.repeat(parents_i, children)[inside]
        times.append(parents_t)
        sides.append(parents_s)
        informed.append(parents_i)
    all_t = np.concatenate(times)
    order = np.argsort(all_t, kind="stable")
    return all_t[order], np.concatenate(sides)[order].astype(np.int64), np.concatenate(informed)[order]


def _decaying(pulses: np.ndarray, decay_cells: float) -> np.ndarray:
    """y[j] = sum over k <= j of pulses[k] * exp(-(j - k) / decay_cells), in blocks short enough
    that the scaling stays finite."""
    out = np.empty_like(pulses)
    a = math.exp(-1.0 / decay_cells)
    block = max(1, int(decay_cells * 300.0))  # a**-block stays below e**300
    carry = 0.0
    for start in range(0, len(pulses), block):
        x = pulses[start : start + block]
        scale = _powers(a, len(x))
        y = scale * (carry + np.cumsum(x / scale))
        out[start : start + block] = y
        carry = float(y[-1]) * a
    return out


@functools.lru_cache(maxsize=8)
def _powers(a: float, count: int) -> np.ndarray:
    """a ** 0, 1, ..., count - 1: the same for every window of a regime (and the costliest step)."""
    powers = a ** np.arange(count)
    powers.flags.writeable = False
    return powers


def _swept_size(regime: MarketRegime, reach_bps: np.ndarray) -> np.ndarray:
    """Units an order takes when it sweeps to `reach_bps`: the depth of the levels it swept."""
    beyond = np.maximum(reach_bps - regime.half_spread_bps, 0.0)
    levels = beyond / regime.tick_bps
    swept = levels * (regime.depth_touch + 0.5 * regime.depth_slope * beyond)
    return np.maximum(swept, MIN_ORDER_SIZE)


def generate_market(regime: MarketRegime, rng: np.random.Generator, window_s: float) -> MarketPath:
    n = round(window_s * CELLS_PER_S)
    seconds = math.ceil(window_s) + 1
    # Draw everything first, in a fixed order, so the draws never depend on what follows.
    vol = _vol_factor(regime, rng, seconds)
    steps = rng.standard_normal(n)
    order_time, order_side, informed = _hawkes(regime, rng, window_s, vol)
    count = len(order_time)
    reach_unit = rng.standard_exponential(count)
    feed_z = rng.standard_normal(n // FEED_BLOCK_CELLS + 1)
    draws = max(MIN_LATENCY_DRAWS, LATENCY_DRAWS_PER_S * seconds)
    entry_z = rng.standard_normal(draws)
    response_z = rng.standard_normal(draws)

    # The diffusion not caused by trades, its variance following the volatility factor.
    per_cell = np.repeat(np.sqrt(vol), round(CELLS_PER_S))[1 : n + 1]  # cell j: second j // CELLS_PER_S
    noise_bps = np.zeros(n + 1)
    noise_bps[1:] = regime.sigma_bps * math.sqrt(CELL_S) * per_cell * steps
    noise_path = np.cumsum(noise_bps)
    # Informed orders trade the way the diffusion is about to go.
    order_cell = cells_of(order_time)
    horizon = round(regime.informed_horizon_s * CELLS_PER_S)
    coming = noise_path[np.minimum(order_cell + horizon, n)] - noise_path[order_cell]
    order_side = np.where(informed, np.where(coming >= 0.0, 1, -1), order_side).astype(np.int64)
    reach = reach_unit / regime.depth_decay_k * np.where(informed, regime.informed_reach_ratio, 1.0)
    size = _swept_size(regime, reach)

    # Impact grows as the square root of the size swept and moves the mid from the cell after
    # the order's. An informed order's impact is permanent; an uninformed order's decays to its
    # permanent share (the book refills behind a sweep that carried no information).
    reference = float(_swept_size(regime, np.array([1.0 / regime.depth_decay_k]))[0])
    impact = order_side * regime.impact_bps * np.sqrt(size / reference)
    keeps = np.where(informed, 1.0, regime.impact_permanent)
    pulses = partial(np.bincount, order_cell + 1, minlength=n + 1)
    permanent = np.cumsum(pulses(weights=impact * keeps)[: n + 1] + noise_bps)
    transient = _decaying(pulses(weights=impact * (1.0 - keeps))[: n + 1], regime.impact_decay_s * CELLS_PER_S)
    mid = START_PRICE * (1.0 + (permanent + transient) * 1e-4)

    burst = vol**regime.latency_burst
    block_second = (np.arange(len(feed_z)) * FEED_BLOCK_CELLS) // round(CELLS_PER_S)
    feed_lag = regime.feed_latency_median_ms * np.exp(regime.feed_latency_sigma * feed_z) * burst[block_second]
    lag_cells = cells_of(feed_lag * 1e-3)
    seen = np.arange(n + 1) - np.repeat(lag_cells, FEED_BLOCK_CELLS)[: n + 1]
    observed_mid = mid[np.maximum(seen, 0)]
    return MarketPath(
        window_s=window_s,
        tick_bps=regime.tick_bps,
        half_spread_bps=regime.half_spread_bps,
        depth_touch=regime.depth_touch,
        depth_slope=regime.depth_slope,
        queue_cancel_rate=regime.queue_cancel_rate,
        mid=mid,
        observed_mid=observed_mid,
        feed_delay_ms=feed_lag,
        vol_factor=vol,
        order_time=order_time,
        order_side=order_side,
        order_reach_bps=reach,
        order_size=size,
        order_informed=informed,
        entry_latency_ms=regime.entry_latency_median_ms * np.exp(regime.entry_latency_sigma * entry_z),
        response_latency_ms=regime.response_latency_median_ms * np.exp(regime.response_latency_sigma * response_z),
        latency_burst=burst,
    )
