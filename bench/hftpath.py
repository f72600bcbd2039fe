"""Our market path as the L2 feed a venue would have published (a BookPath for bench/hftfeed.py).

The book of core/sim/market.py sits on the tick grid: the market's best bid/ask are the first
ticks `half_spread_bps` or more from the true mid, and the size queued at a level grows with its
distance (MarketPath.level_depth). Published in tick space: level j behind the touch holds
depth_touch + depth_slope * j * tick_bps, so the book changes only when the touch moves a tick
(our model reads the depth at the level's exact distance from mid: at most depth_slope * tick_bps
more or less). Cancels in the queue (queue_cancel_rate) are published as churn: once every
`churn_s` each level loses that share of its size and gets it back (cancels ahead of a resting
order, joins behind it); hftbacktest's queue model decides how much of it was ahead of us.

A market order prints once per level it swept, from the touch out to its reach from the
pre-trade mid: a level it swept through prints its whole size, the marginal level (reach less
than a tick beyond it) the share of a tick it reached into, as our engine fills it.
"""

from __future__ import annotations

import math

import numpy as np

from bench.hftfeed import NS, BookPath, to_events
from core.scenarios import regime_for
from core.sim.market import CELL_S, MarketPath, generate_market, streams


def book_path(market: MarketPath, levels: int, churn_s: float | None = 1.0) -> BookPath:
    """The feed of `market`, `levels` levels a side (they must reach past our quotes)."""
    tick = market.tick_px
    half = market.half_spread_bps * 1e-4
    bid = np.floor(market.mid * (1.0 - half) / tick).astype(np.int64)
    ask = np.ceil(market.mid * (1.0 + half) / tick).astype(np.int64)
    moved = np.flatnonzero(np.r_[True, (np.diff(bid) != 0) | (np.diff(ask) != 0)])
    profile = market.depth_touch + market.depth_slope * market.tick_bps * np.arange(levels)
    book_cells = moved
    if churn_s and market.queue_cancel_rate > 0:
        # A churn instant is the snapshot in force then, sizes lowered, then the same snapshot again.
        every = max(1, round(churn_s / CELL_S))
        churn_cells = np.arange(every, market.cells, every)
        book_cells = np.concatenate([moved, churn_cells, churn_cells])
    kind = np.concatenate([np.zeros(len(moved)), np.ones(len(book_cells) - len(moved))])
    if len(book_cells) > len(moved):
        kind[len(moved) + (len(book_cells) - len(moved)) // 2 :] = 2  # restored
    order = np.lexsort((kind, book_cells))
    book_cells, kind = book_cells[order], kind[order]
    sizes = np.repeat(profile[None, :], len(book_cells), axis=0)
    kept = math.exp(-market.queue_cancel_rate * (churn_s or 0.0))
    sizes[kind == 1] *= kept
    # The snapshot's touch: the last move at or before its cell.
    touch_at = book_cells if churn_s is None else moved[np.searchsorted(moved, book_cells, side="right") - 1]
    trades = _prints(market, bid, ask, profile)
    return BookPath(
        tick_size=tick,
        book_time=book_cells * CELL_S + (kind == 2) * 1e-9,  # churn's restore one nanosecond later
        bid_tick=bid[touch_at],
        ask_tick=ask[touch_at],
        bid_size=sizes,
        ask_size=sizes,
        trade_time=trades[0],
        trade_side=trades[1],
        trade_tick=trades[2],
        trade_size=trades[3],
    )


def _prints(
    market: MarketPath, bid: np.ndarray, ask: np.ndarray, profile: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(time, side, tick, size) of every level every market order swept."""
    tick, tick_bps = market.tick_px, market.tick_bps
    cell = market.order_cell()
    side = market.order_side
    mid = market.mid[cell]
    touch = np.where(side > 0, ask[cell], bid[cell])
    # Distance of level j from the pre-trade mid: d0 + j * step (bps).
    d0 = side * (touch * tick - mid) / mid * 1e4
    step = tick / mid * 1e4
    reach = market.order_reach_bps
    count = np.clip(np.floor((reach - d0) / step) + 1, 0, len(profile)).astype(np.int64)
    order = np.repeat(np.arange(len(cell)), count)
    j = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    beyond = reach[order] - (d0[order] + j * step[order])
    size = profile[j] * np.minimum(1.0, beyond / tick_bps)
    return market.order_time[order], side[order], touch[order] + side[order] * j, size


def recorded_tape(scenario: str, seed: int, windows: int, window_s: float, reach_bps: float = 6.0) -> np.ndarray:
    """`windows` windows of our market (iterations 1..windows of `seed`) as one hftbacktest tape:
    window i's rows at [(i-1)*window_s, i*window_s) seconds, each window starting from a full
    book, `reach_bps` of levels behind each touch. What a team's recorded data would be, for the
    example driver (examples/hftbacktest_driver.py)."""
    tapes = []
    for iteration in range(1, windows + 1):
        _, regime = regime_for(scenario, iteration)
        market = generate_market(regime, streams(seed, iteration)[0], window_s)
        levels = math.ceil(reach_bps / market.tick_bps) + 1
        rows = to_events(book_path(market, levels), regime.feed_latency_median_ms * 1e-3)
        rows = rows[rows["exch_ts"] < round(window_s * NS)]  # the path's end instant opens the next window
        offset = round((iteration - 1) * window_s * NS)
        rows["exch_ts"] += offset
        rows["local_ts"] += offset
        tapes.append(rows)
    return np.concatenate(tapes)
