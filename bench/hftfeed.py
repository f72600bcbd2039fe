"""A market path as an hftbacktest feed: its numpy event rows (L2 book levels and trade prints).

The row layout and flags are hftbacktest's data format (https://hftbacktest.readthedocs.io, Data >
Format: ev, exch_ts, local_ts, px, qty, order_id, ival, fval); written out here so that the feed
can be built and tested without hftbacktest installed. Timestamps are integer nanoseconds.

A feed is two things the exchange and the strategy both see:
- the book: snapshots of the best bid/ask tick and the queued size on the levels behind them,
  turned into level updates (a level that left the book is sent with size 0, before the levels
  that changed, so the book never shows a stale level across the touch);
- the trade prints: one print per level a market order swept, at that level's price.
Each row reaches the strategy after the feed delay; rows are delivered in order (a later row is
never seen before an earlier one), as a TCP feed delivers them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EVENT_DTYPE = np.dtype(
    [
        ("ev", "u8"),
        ("exch_ts", "i8"),
        ("local_ts", "i8"),
        ("px", "f8"),
        ("qty", "f8"),
        ("order_id", "u8"),
        ("ival", "i8"),
        ("fval", "f8"),
    ],
    align=True,
)
DEPTH_EVENT = 1
TRADE_EVENT = 2
EXCH_EVENT = 1 << 31
LOCAL_EVENT = 1 << 30
BUY_EVENT = 1 << 29  # with a depth event: the bid side; with a trade: the buyer took liquidity
SELL_EVENT = 1 << 28
NS = 1_000_000_000


@dataclass(frozen=True)
class BookPath:
    """What an L2 feed shows of one window, on the tick grid (prices in ticks of `tick_size`).

    Book snapshot i holds from `book_time[i]`: bid levels at bid_tick[i] - j with size
    bid_size[i, j], ask levels at ask_tick[i] + j with size ask_size[i, j] (a size of 0: no level).
    Trade print i: at trade_time[i], the taker's side trade_side[i] (+1 bought, lifting asks; -1
    sold, hitting bids), trade_tick[i], trade_size[i].
    """

    tick_size: float
    book_time: np.ndarray
    bid_tick: np.ndarray
    ask_tick: np.ndarray
    bid_size: np.ndarray
    ask_size: np.ndarray
    trade_time: np.ndarray
    trade_side: np.ndarray
    trade_tick: np.ndarray
    trade_size: np.ndarray


def to_events(book: BookPath, feed_delay_s: float) -> np.ndarray:
    """The feed's rows, sorted by exchange time, each flagged for both the exchange and the
    strategy (EXCH_EVENT | LOCAL_EVENT)."""
    level_rows = _level_updates(book)
    trade_rows = _trade_prints(book)
    rows = np.concatenate([level_rows, trade_rows])
    # Stable: at one instant the book's updates come before the prints, removals before sets.
    rows = rows[np.argsort(rows["exch_ts"], kind="stable")]
    rows["local_ts"] = np.maximum.accumulate(rows["exch_ts"] + round(feed_delay_s * NS))
    rows["ev"] |= EXCH_EVENT | LOCAL_EVENT
    return rows


def _level_updates(book: BookPath) -> np.ndarray:
    """Per snapshot, the levels that left the book (size 0), then the levels whose size changed."""
    parts = [_side_updates(book.bid_tick, book.bid_size, -1), _side_updates(book.ask_tick, book.ask_size, 1)]
    snapshot = np.concatenate([p[0] for p in parts])
    phase = np.concatenate([p[1] for p in parts])  # 0: a level leaves, 1: a level is set
    flag = np.concatenate([np.full(len(p[0]), f, dtype=np.uint64) for p, f in zip(parts, _SIDE_FLAGS, strict=True)])
    tick = np.concatenate([p[2] for p in parts])
    size = np.concatenate([p[3] for p in parts])
    order = np.lexsort((phase, snapshot))
    rows = np.zeros(len(order), EVENT_DTYPE)
    rows["ev"] = DEPTH_EVENT | flag[order]
    rows["exch_ts"] = np.round(book.book_time[snapshot[order]] * NS).astype(np.int64)
    rows["px"] = tick[order] * book.tick_size
    rows["qty"] = size[order]
    return rows


_SIDE_FLAGS = (BUY_EVENT, SELL_EVENT)


def _side_updates(best: np.ndarray, sizes: np.ndarray, step: int) -> tuple[np.ndarray, ...]:
    """(snapshot, phase, tick, size) of one side's updates. Level j of snapshot i is at tick
    best[i] + step*j: the level j - shift[i] of snapshot i-1, where shift[i] = step*(best[i-1] - best[i])."""
    n, depth = sizes.shape
    j = np.arange(depth)
    shift = np.zeros(n, dtype=np.int64)
    shift[1:] = step * (best[:-1] - best[1:])
    previous = np.zeros_like(sizes)  # each level's size in the snapshot before (0: none)
    where = j[None, :] - shift[:, None]
    inside = (where >= 0) & (where < depth)
    inside[0] = False
    rows, cols = np.nonzero(inside)
    previous[rows, cols] = sizes[rows - 1, where[rows, cols]]
    set_i, set_j = np.nonzero((sizes != previous) & (sizes > 0))
    # A level of snapshot i-1 is gone when snapshot i has nothing at its tick.
    back = j[None, :] + shift[1:, None]  # level of snapshot i at the tick of level j of i-1
    held = (back >= 0) & (back < depth)
    now = np.zeros((n - 1, depth))
    rows, cols = np.nonzero(held)
    now[rows, cols] = sizes[rows + 1, back[rows, cols]]
    gone_i, gone_j = np.nonzero((sizes[:-1] > 0) & (now == 0))
    snapshot = np.concatenate([gone_i + 1, set_i])
    phase = np.concatenate([np.zeros(len(gone_i), dtype=np.int64), np.ones(len(set_i), dtype=np.int64)])
    tick = np.concatenate([best[gone_i] + step * gone_j, best[set_i] + step * set_j])
    size = np.concatenate([np.zeros(len(gone_i)), sizes[set_i, set_j]])
    return snapshot, phase, tick.astype(np.int64), size


def _trade_prints(book: BookPath) -> np.ndarray:
    rows = np.zeros(len(book.trade_time), EVENT_DTYPE)
    rows["ev"] = TRADE_EVENT | np.where(book.trade_side > 0, BUY_EVENT, SELL_EVENT)
    rows["exch_ts"] = np.round(book.trade_time * NS).astype(np.int64)
    rows["px"] = book.trade_tick * book.tick_size
    rows["qty"] = book.trade_size
    return rows
