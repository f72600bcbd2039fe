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
    """Per snapshot, the levels that left the book (size 0) and then the levels whose size changed."""
    chunks = []
    before: tuple[dict[int, float], dict[int, float]] = ({}, {})
    for i, t in enumerate(book.book_time):
        now = (
            _levels(int(book.bid_tick[i]), -1, book.bid_size[i]),
            _levels(int(book.ask_tick[i]), 1, book.ask_size[i]),
        )
        sides = list(zip(_SIDE_FLAGS, before, now, strict=True))
        gone = [(flag, tick, 0.0) for flag, old, new in sides for tick in old if tick not in new]
        changed = [
            (flag, tick, size) for flag, old, new in sides for tick, size in new.items() if old.get(tick) != size
        ]
        if gone or changed:
            chunks.append(_rows(t, DEPTH_EVENT, [*gone, *changed], book.tick_size))
        before = now
    return np.concatenate(chunks) if chunks else np.zeros(0, EVENT_DTYPE)


_SIDE_FLAGS = (BUY_EVENT, SELL_EVENT)


def _levels(best: int, step: int, sizes: np.ndarray) -> dict[int, float]:
    return {best + step * j: float(s) for j, s in enumerate(sizes) if s > 0}


def _rows(t: float, kind: int, levels: list[tuple[int, int, float]], tick_size: float) -> np.ndarray:
    rows = np.zeros(len(levels), EVENT_DTYPE)
    rows["ev"] = [kind | flag for flag, _, _ in levels]
    rows["exch_ts"] = round(t * NS)
    rows["px"] = [tick * tick_size for _, tick, _ in levels]
    rows["qty"] = [size for _, _, size in levels]
    return rows


def _trade_prints(book: BookPath) -> np.ndarray:
    rows = np.zeros(len(book.trade_time), EVENT_DTYPE)
    rows["ev"] = TRADE_EVENT | np.where(book.trade_side > 0, BUY_EVENT, SELL_EVENT)
    rows["exch_ts"] = np.round(book.trade_time * NS).astype(np.int64)
    rows["px"] = book.trade_tick * book.tick_size
    rows["qty"] = book.trade_size
    return rows
