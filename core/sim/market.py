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
  orders before it), `observed_mid` (the mid the strategy's feed shows in each cell: the book's,
  between its best bid and ask on the grid, delayed by `feed_delay_ms`, one draw per 100 ms
  block), `vol_factor` (volatility and activity per second, mean 1: busy spells are volatile,
  full of orders and slow at the venue);
- latency draws: `entry_latency_ms` and `response_latency_ms` (lognormal, before queueing and
  bursts; request i uses draw i modulo their length), `latency_burst` (the multiplier per second
  that bursts put on every latency, vol_factor ** regime.latency_burst).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

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
    observed_mid: np.ndarray  # the book's mid per cell as the feed shows it (n + 1)
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
        return tick_size(self.tick_bps)

    def order_cell(self) -> np.ndarray:
        return cells_of(self.order_time)

    def level_depth(self, distance_bps: float) -> float:
        """Units queued at the level `distance_bps` from mid (none inside the market's touch)."""
        if distance_bps < self.half_spread_bps:
            return 0.0
        return self.depth_touch + self.depth_slope * (distance_bps - self.half_spread_bps)


def tick_size(tick_bps: float) -> float:
    """The price grid's step, in quote currency."""
    return START_PRICE * tick_bps * 1e-4


def cells_of(times: np.ndarray) -> np.ndarray:
    return (times * CELLS_PER_S).astype(np.int64)


def _ar1(rng: np.random.Generator, seconds: int, phi: float, scale: float) -> np.ndarray:
    """A unit AR(1) path, one step per second: x[0] = z[0], x[i] = phi * x[i-1] + scale * z[i]."""
    z = rng.standard_normal(seconds).tolist()
    x = [z[0]]
    for step in z[1:]:
        x.append(phi * x[-1] + scale * step)
    return np.asarray(x)


def _flow_draws(
    rng: np.random.Generator, n: int, window_s: float, vol: np.ndarray, flow: np.ndarray, feed_count: int, draws: int
) -> tuple[np.ndarray, ...]:
    """The draws after the volatility's, in their fixed order: the diffusion's steps, the order
    flow (`flow`: see _flow), the orders' reach, the feed's and the venue's latencies."""
    steps = rng.standard_normal(n)
    order_time, order_side, informed = _hawkes(rng, window_s, vol, flow)
    reach_unit = rng.standard_exponential(len(order_time))
    feed_z = rng.standard_normal(feed_count)
    entry_z = rng.standard_normal(draws)
    response_z = rng.standard_normal(draws)
    return steps, order_time, order_side, informed, reach_unit, feed_z, entry_z, response_z


def _flow(regime: MarketRegime) -> np.ndarray:
    """The order flow's constants as the kernels take them: the immigrants' rate (both sides),
    the branching ratio, the children's mean delay (s), the side persistence, the informed share."""
    immigrants = 2.0 * regime.arrival_rate * (1.0 - regime.branching)
    return np.array(
        [immigrants, regime.branching, regime.hawkes_decay_s, regime.side_persistence, regime.informed_share]
    )


def _hawkes(
    rng: np.random.Generator, window_s: float, vol: np.ndarray, flow: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrival times, sides and informed flags of a self-exciting flow: immigrants at a rate that
    follows the volatility factor, each order triggering Poisson(branching) more after
    Exp(decay) seconds, on its side with probability side_persistence. An informed immigrant's
    triggered orders are informed too (a meta-order worked in pieces)."""
    base, branching, decay, persistence, informed_share = flow
    peak = float(vol.max())
    candidates = rng.uniform(0.0, window_s, int(rng.poisson(base * peak * window_s)))
    keep = rng.uniform(0.0, peak, len(candidates)) < vol[candidates.astype(np.int64)]
    times = [candidates[keep]]
    sides = [rng.integers(0, 2, len(times[0])) * 2 - 1]
    informed = [rng.uniform(size=len(times[0])) < informed_share]
    parents_t, parents_s, parents_i = times[0], sides[0], informed[0]
    for _ in range(MAX_GENERATIONS):
        if not len(parents_t) or branching == 0.0:
            break
        children = rng.poisson(branching, len(parents_t))
        child_t = np.repeat(parents_t, children) + rng.exponential(decay, int(children.sum()))
        flip = rng.uniform(size=len(child_t)) >= persistence
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


def _noise(steps: np.ndarray, sqrt_vol: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The diffusion not caused by trades, per cell (bps, cell 0 is 0) and summed: step j of
    the cell j + 1, its variance following the volatility factor of that cell's second."""
    n = len(steps)
    per_cell = np.repeat(sqrt_vol, round(CELLS_PER_S))[1 : n + 1]
    noise_bps = np.zeros(n + 1)
    noise_bps[1:] = scale * per_cell * steps
    return noise_bps, np.cumsum(noise_bps)


def _mid_path(
    order_cell: np.ndarray, permanent: np.ndarray, transient: np.ndarray, noise_bps: np.ndarray, decay: Decay
) -> np.ndarray:
    """The true mid per cell: the orders' impact from the cell after each order's (its permanent
    part summed with the diffusion, its transient part decaying), from START_PRICE."""
    cells = len(noise_bps)  # an order at the window's last instant moves only the end
    pulses = partial(np.bincount, order_cell + 1, minlength=cells)
    kept = np.cumsum(pulses(weights=permanent)[:cells] + noise_bps)
    fading = _decaying(pulses(weights=transient)[:cells], decay)
    mid: np.ndarray = START_PRICE * (1.0 + (kept + fading) * 1e-4)
    return mid


def _decaying(pulses: np.ndarray, decay: Decay) -> np.ndarray:
    """y[j] = sum over k <= j of pulses[k] * a ** (j - k), in blocks short enough that the
    scaling stays finite."""
    out = np.empty_like(pulses)
    carry = 0.0
    for start in range(0, len(pulses), decay.block):
        x = pulses[start : start + decay.block]
        scale = decay.powers if len(x) == decay.block else decay.last_powers
        y = scale * (carry + np.cumsum(x / scale))
        out[start : start + decay.block] = y
        carry = float(y[-1]) * decay.a
    return out


def _observed(mid: np.ndarray, lag_cells: np.ndarray, tick: float, half: float) -> np.ndarray:
    """The feed's mid per cell: the book's, between its best bid and ask (the first ticks `half`
    or more from the true mid), as it was lag_cells earlier, one lag per FEED_BLOCK_CELLS."""
    seen = np.arange(len(mid)) - np.repeat(lag_cells, FEED_BLOCK_CELLS)[: len(mid)]
    delayed = mid[np.maximum(seen, 0)]
    bid = np.floor(delayed * (1.0 - half) / tick) * tick
    ask = np.ceil(delayed * (1.0 + half) / tick) * tick
    observed: np.ndarray = 0.5 * (bid + ask)
    return observed


@dataclass(frozen=True)
class Decay:
    """How the transient impact fades: by `a` per cell, computed in blocks of `block` cells, with
    a ** 0..block-1 (`powers`) and the same for the last, shorter block of a window."""

    a: float
    block: int
    powers: np.ndarray
    last_powers: np.ndarray

    @classmethod
    def of(cls, decay_cells: float, length: int) -> Decay:
        a = math.exp(-1.0 / decay_cells)
        block = max(1, int(decay_cells * 300.0))  # a**-block stays below e**300
        return cls(a, block, _powers(a, min(block, length)), _powers(a, length % block or block))


class Kernels(NamedTuple):
    """The steps of generating a market that cost per cell or per draw. These are numpy's; the
    numba engine's compiled twins (core/sim/market_numba.py) give the same arrays, bit for bit.
    What they leave to the caller (exp and powers) stays numpy's, whose SIMD results can differ
    from the C library's in the last bit."""

    ar1: Callable[..., np.ndarray]
    flow_draws: Callable[..., tuple[np.ndarray, ...]]
    noise: Callable[..., tuple[np.ndarray, np.ndarray]]
    mid_path: Callable[..., np.ndarray]
    observed: Callable[..., np.ndarray]


NUMPY = Kernels(_ar1, _flow_draws, _noise, _mid_path, _observed)


def generate_market(
    regime: MarketRegime, rng: np.random.Generator, window_s: float, kernels: Kernels = NUMPY
) -> MarketPath:
    n = round(window_s * CELLS_PER_S)
    seconds = math.ceil(window_s) + 1
    # Draw everything first, in a fixed order, so the draws never depend on what follows.
    phi = math.exp(-math.log(2.0) / regime.vol_half_life_s)
    s = regime.vol_of_vol
    vol = np.exp(s * kernels.ar1(rng, seconds, phi, math.sqrt(1.0 - phi * phi)) - 0.5 * s * s)  # mean 1, clustered
    draws = max(MIN_LATENCY_DRAWS, LATENCY_DRAWS_PER_S * seconds)
    steps, order_time, order_side, informed, reach_unit, feed_z, entry_z, response_z = kernels.flow_draws(
        rng, n, window_s, vol, _flow(regime), n // FEED_BLOCK_CELLS + 1, draws
    )

    noise_bps, noise_path = kernels.noise(steps, np.sqrt(vol), regime.sigma_bps * math.sqrt(CELL_S))
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
    decay = Decay.of(regime.impact_decay_s * CELLS_PER_S, n + 1)
    mid = kernels.mid_path(order_cell, impact * keeps, impact * (1.0 - keeps), noise_bps, decay)

    burst = vol**regime.latency_burst
    block_second = (np.arange(len(feed_z)) * FEED_BLOCK_CELLS) // round(CELLS_PER_S)
    feed_lag = regime.feed_latency_median_ms * np.exp(regime.feed_latency_sigma * feed_z) * burst[block_second]
    observed_mid = kernels.observed(
        mid, cells_of(feed_lag * 1e-3), tick_size(regime.tick_bps), regime.half_spread_bps * 1e-4
    )
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
