"""The hftbacktest feed our market path is exported as (bench/hftfeed.py, bench/hftpath.py), read
back without hftbacktest: rows in its layout, in exchange-time order, delivered in order after the
feed delay; a book that replays to the path's snapshots and is never crossed; one print per level
a market order swept, on the grid from the touch out, the swept levels' whole size and the
marginal level's share."""

from __future__ import annotations

import numpy as np
import pytest

from bench.hftfeed import (
    BUY_EVENT,
    DEPTH_EVENT,
    EVENT_DTYPE,
    EXCH_EVENT,
    LOCAL_EVENT,
    NS,
    SELL_EVENT,
    TRADE_EVENT,
    BookPath,
    to_events,
)
from bench.hftpath import book_path, recorded_tape
from core.scenarios import REGIMES, regime_for
from core.sim import generate_market, streams

KIND_MASK = 0xFF


def replay_book(events: np.ndarray, tick_size: float) -> dict[int, tuple[dict[int, float], dict[int, float]]]:
    """The book after each instant's depth rows, as {exch_ts: (bids, asks)} in ticks."""
    bids: dict[int, float] = {}
    asks: dict[int, float] = {}
    seen = {}
    rows = events[(events["ev"] & KIND_MASK) == DEPTH_EVENT]
    ticks = np.round(rows["px"] / tick_size).astype(int).tolist()
    is_bid = ((rows["ev"] & BUY_EVENT) != 0).tolist()
    times = rows["exch_ts"].tolist()
    for k, (tick, bid, size, ts) in enumerate(zip(ticks, is_bid, rows["qty"].tolist(), times, strict=True)):
        levels = bids if bid else asks
        if size > 0:
            levels[tick] = size
        else:
            levels.pop(tick, None)
        if k + 1 == len(times) or times[k + 1] != ts:
            seen[ts] = (dict(bids), dict(asks))
    return seen


LEVELS = 30


@pytest.fixture(scope="module")
def exported():
    market = generate_market(REGIMES["normal"], streams(7, 1)[0], 20.0)
    book = book_path(market, LEVELS, churn_s=1.0)
    return market, book, to_events(book, feed_delay_s=0.04)


def test_rows_have_hftbacktests_layout_and_order(exported):
    _, book, events = exported
    assert events.dtype == EVENT_DTYPE and EVENT_DTYPE.itemsize == 64
    assert np.all(np.diff(events["exch_ts"]) >= 0)
    assert np.all(np.diff(events["local_ts"]) >= 0)
    assert np.all(events["local_ts"] >= events["exch_ts"] + round(0.04 * NS))
    assert np.all(events["ev"] & (EXCH_EVENT | LOCAL_EVENT) == EXCH_EVENT | LOCAL_EVENT)
    kinds = events["ev"] & KIND_MASK
    assert set(np.unique(kinds)) == {DEPTH_EVENT, TRADE_EVENT}
    assert np.count_nonzero(kinds == TRADE_EVENT) == len(book.trade_time) > 0
    sides = events["ev"] & (BUY_EVENT | SELL_EVENT)
    assert np.all((sides == BUY_EVENT) | (sides == SELL_EVENT))


def test_book_replays_to_the_paths_snapshots_and_is_never_crossed(exported):
    market, book, events = exported
    replayed = replay_book(events, book.tick_size)
    last = {round(t * NS): i for i, t in enumerate(book.book_time)}  # the snapshot an instant ends on
    assert sorted(replayed) == sorted(last)
    for ts, i in last.items():
        bids, asks = replayed[ts]
        assert bids == {int(book.bid_tick[i]) - j: s for j, s in enumerate(book.bid_size[i]) if s > 0}
        assert asks == {int(book.ask_tick[i]) + j: s for j, s in enumerate(book.ask_size[i]) if s > 0}
        assert max(bids) < min(asks)
    churned = book.bid_size[:, 0] < market.depth_touch
    assert churned.any() and np.allclose(
        book.bid_size[churned, 0], market.depth_touch * np.exp(-market.queue_cancel_rate)
    )


def test_each_order_prints_the_levels_it_swept(exported):
    market, book, events = exported
    trades = events[(events["ev"] & KIND_MASK) == TRADE_EVENT]
    ticks = trades["px"] / book.tick_size
    assert np.allclose(ticks, np.round(ticks), atol=1e-6)
    at = np.searchsorted(book.book_time * NS, trades["exch_ts"], side="right") - 1
    buys = (trades["ev"] & BUY_EVENT) != 0
    assert np.all(np.round(ticks[buys]) >= book.ask_tick[at[buys]])
    assert np.all(np.round(ticks[~buys]) <= book.bid_tick[at[~buys]])
    # Per order: the levels from the touch out, each its whole size but the last, which is at
    # most its whole size; the size adds up to what the order swept (within the published levels).
    for k in range(len(market.order_time)):
        mine = trades[trades["exch_ts"] == round(market.order_time[k] * NS)]
        if not len(mine):
            assert market.order_reach_bps[k] < market.half_spread_bps + market.tick_bps
            continue
        level = np.abs(np.round(mine["px"] / book.tick_size) - np.round(mine["px"][0] / book.tick_size))
        assert np.array_equal(level, np.arange(len(mine)))
        full = market.depth_touch + market.depth_slope * market.tick_bps * level
        assert np.allclose(mine["qty"][:-1], full[:-1]) and 0 < mine["qty"][-1] <= full[-1] + 1e-12


def test_a_level_that_leaves_is_removed_before_the_new_touch_is_set():
    book = BookPath(
        tick_size=0.5,
        book_time=np.array([0.0, 1.0]),
        bid_tick=np.array([10, 12]),
        ask_tick=np.array([11, 13]),
        bid_size=np.array([[2.0, 3.0], [2.0, 3.0]]),
        ask_size=np.array([[2.0, 0.0], [4.0, 0.0]]),
        trade_time=np.array([0.5]),
        trade_side=np.array([-1]),
        trade_tick=np.array([9]),
        trade_size=np.array([5.0]),
    )
    events = to_events(book, feed_delay_s=0.0)
    later = events[events["exch_ts"] == NS]
    removed = [(bool(r["ev"] & BUY_EVENT), r["px"]) for r in later if r["qty"] == 0]
    assert removed == [(True, 5.0), (True, 4.5), (False, 5.5)]  # bids 10 and 9 and the old ask 11 are gone
    assert all(r["qty"] > 0 for r in later[len(removed) :])
    print_row = events[(events["ev"] & KIND_MASK) == TRADE_EVENT][0]
    assert (print_row["exch_ts"], print_row["px"], print_row["qty"]) == (NS // 2, 4.5, 5.0)
    assert print_row["ev"] & SELL_EVENT


def test_a_recorded_tape_holds_each_window_in_its_slot_each_starting_from_a_full_book():
    window_s, windows = 5.0, 3
    tape = recorded_tape("normal", 7, windows, window_s)
    slot = tape["exch_ts"] // round(window_s * NS)
    assert np.all(np.diff(tape["exch_ts"]) >= 0) and set(slot.tolist()) == set(range(windows))
    for i in range(windows):
        rows = tape[slot == i]
        market = generate_market(regime_for("normal", i + 1)[1], streams(7, i + 1)[0], window_s)
        first = replay_book(rows, market.tick_px)[int(rows["exch_ts"][0])]
        # At the window's first instant both sides hold every level (6 bp of book behind the touch).
        assert all(len(side) == round(6.0 / market.tick_bps) + 1 for side in first)
        trades = np.count_nonzero((rows["ev"] & KIND_MASK) == TRADE_EVENT)
        assert trades == len(book_path(market, len(first[0])).trade_time)
