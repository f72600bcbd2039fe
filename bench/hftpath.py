"""Our market path as the L2 feed a venue would have published (a BookPath for bench/hftfeed.py).

The model of core/sim/market.py has no tick grid and no queued depth: the market's best bid/ask
sit `half_spread_bps` from the true mid, and a market order sweeps from the mid out to its reach.
So the book is one level a side, at the touch rounded away from mid onto a fine grid, with
`touch_size` units (enough that a hedge fills at the touch, as ours does with slippage off), and
each market order prints once, at the deepest price it reached, rounded away from mid.
"""

from __future__ import annotations

import numpy as np

from bench.hftfeed import BookPath
from core.scenarios import MarketRegime
from core.sim.market import CELL_S, MarketPath


def book_path(market: MarketPath, regime: MarketRegime, tick_size: float, touch_size: float) -> BookPath:
    half = regime.half_spread_bps * 1e-4
    bid = np.floor(market.mid * (1.0 - half) / tick_size).astype(np.int64)
    ask = np.ceil(market.mid * (1.0 + half) / tick_size).astype(np.int64)
    changed = np.flatnonzero(np.r_[True, (np.diff(bid) != 0) | (np.diff(ask) != 0)])
    sizes = np.full((len(changed), 1), touch_size)

    cell = market.order_cell()
    side = market.order_side
    touch_bps = np.maximum(market.order_reach_bps, regime.half_spread_bps)
    reach = market.mid[cell] * (1.0 + side * touch_bps * 1e-4) / tick_size
    trade_tick = np.where(side > 0, np.ceil(reach), np.floor(reach)).astype(np.int64)
    return BookPath(
        tick_size=tick_size,
        book_time=changed * CELL_S,
        bid_tick=bid[changed],
        ask_tick=ask[changed],
        bid_size=sizes,
        ask_size=sizes,
        trade_time=market.order_time,
        trade_side=side,
        trade_tick=trade_tick,
        trade_size=market.order_size,
    )
