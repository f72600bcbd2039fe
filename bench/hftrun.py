"""Our quoting rules run in hftbacktest (extra `validate`): its exchange, queue and latency models
on a feed from bench/hftfeed.py, the strategy as a numba-compiled loop over its elapse/submit API.

The rules are core/sim/engine.py's, spelled for hftbacktest's order API: refresh every
min_interval and at once after a fill of a quote (maker, or taker when it crossed; not after a
hedge's fill); quote mid -/+ the half-spread leaning against inventory, on the tick grid away from
mid; replace a side that moved more than the threshold or aged past tail_age; blocks for risk,
min_interval, the replace throttle and concurrency; each quote sized to the room left under
max_position (engine.quote_size), replaced when that size changes; a taker hedge once inventory
reaches HEDGE_TRIGGER of max_position. A replace is a cancel and a new quote sent together (as
ours: the new quote goes to the back of its queue, and stands even if the old one filled
meanwhile). Like ours, a side whose last request is not acknowledged waits (counted as
`ack_wait`: hftbacktest refuses a cancel before the ack). The loop also times how long both
sides rested within the presence band of the mid it sees (`presence_ns`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from hftbacktest import (
    BUY,
    CANCELED,
    EXPIRED,
    FILLED,
    GTC,
    GTX,
    LIMIT,
    MARKET,
    NEW,
    NONE,
    BacktestAsset,
    HashMapMarketDepthBacktest,
)
from numba import njit

from core.params import Params
from core.sim.engine import EPS, HEDGE_TRIGGER, QUOTE_SIZE, THROTTLE_WINDOW_S

PARTIALLY_FILLED = 5  # hftbacktest.order's, not re-exported by the package
MAX_FILLS = 200_000
MAX_ORDER_IDS = 1_000_000
THROTTLE_SLOTS = 8192
# Counters, in the order the loop fills them.
COUNTERS = (
    "actions",
    "risk",
    "min_interval",
    "throttle",
    "concurrency",
    "ack_wait",
    "orders_sent",
    "cancels_sent",
    "rejects",
    "hedges",
    "presence_ns",
    "error",
)
# hftbacktest's error codes (py-hftbacktest/src/backtest.rs); its calls return them instead of raising.
ERRORS = {
    10: "OrderIdExist",
    11: "OrderRequestInProcess",
    12: "OrderNotFound",
    13: "InvalidOrderRequest",
    14: "InvalidOrderStatus",
    15: "EndOfData",
    100: "DataError",
}


class HftbacktestError(RuntimeError):
    """hftbacktest stopped the replay with one of its error codes; the message is one line."""


@dataclass(frozen=True)
class Rules:
    """The strategy's parameters in the loop's units (ns, fractions of mid, units)."""

    interval_ns: int
    half_spread: float
    skew: float
    max_position: float
    threshold: float
    tail_age_ns: int
    replace_rate_per_min: int
    concurrency_limit: int
    post_only: bool
    impact_cap_ratio: float
    quote_size: float
    hedge_trigger: float
    throttle_window_ns: int
    presence_band: float  # both sides quoted within this fraction of mid count as present

    @classmethod
    def of(cls, params: Params, presence_band_bps: float) -> Rules:
        return cls(
            interval_ns=params.min_interval_ms * 1_000_000,
            half_spread=params.base_spread_bps * 1e-4,
            skew=params.inventory_skew_bps * 1e-4,
            max_position=params.max_position,
            threshold=params.replace_threshold_bps * 1e-4,
            tail_age_ns=params.tail_age_ms * 1_000_000,
            replace_rate_per_min=params.replace_rate_per_min,
            concurrency_limit=params.concurrency_limit,
            post_only=params.post_only,
            impact_cap_ratio=params.impact_cap_ratio,
            quote_size=QUOTE_SIZE,
            hedge_trigger=HEDGE_TRIGGER,
            throttle_window_ns=round(THROTTLE_WINDOW_S * 1e9),
            presence_band=presence_band_bps * 1e-4,
        )

    def array(self) -> np.ndarray:
        return np.array(
            [
                self.interval_ns,
                self.half_spread,
                self.skew,
                self.max_position,
                self.threshold,
                self.tail_age_ns,
                self.replace_rate_per_min,
                self.concurrency_limit,
                float(self.post_only),
                self.impact_cap_ratio,
                self.quote_size,
                self.hedge_trigger,
                self.throttle_window_ns,
                self.presence_band,
            ],
            dtype=np.float64,
        )


@dataclass(frozen=True)
class Venue:
    """hftbacktest's models for the run."""

    tick_size: float
    lot_size: float
    entry_latency_ns: int
    response_latency_ns: int
    queue: str  # "power:N", "power2:N", "power3:N", "log", "log2" or "risk_averse"
    maker_fee: float  # fraction of notional, negative = rebate
    taker_fee: float


@dataclass(frozen=True)
class Fills:
    time_s: np.ndarray
    side: np.ndarray  # +1 we bought
    qty: np.ndarray
    price: np.ndarray
    maker: np.ndarray
    order_id: np.ndarray
    counters: dict[str, int]


def backtest(events: np.ndarray, venue: Venue) -> HashMapMarketDepthBacktest:
    """hftbacktest on `events` with the venue's models (close it when done)."""
    asset = (
        BacktestAsset()
        .data(events)
        .linear_asset(1.0)
        .constant_order_latency(venue.entry_latency_ns, venue.response_latency_ns)
        .partial_fill_exchange()
        .trading_value_fee_model(venue.maker_fee, venue.taker_fee)
        .tick_size(venue.tick_size)
        .lot_size(venue.lot_size)
    )
    _queue_model(asset, venue.queue)
    return HashMapMarketDepthBacktest([asset])


def run(events: np.ndarray, rules: Rules, venue: Venue) -> Fills:
    hbt = backtest(events, venue)
    out = np.zeros((MAX_FILLS, 6))
    counters = np.zeros(len(COUNTERS), dtype=np.int64)
    n = _quote(hbt, np.append(rules.array(), venue.entry_latency_ns), out, counters)
    hbt.close()
    if counters[11]:
        code = int(counters[11])
        raise HftbacktestError(f"hftbacktest stopped the replay with error {code} ({ERRORS.get(code, 'unknown')})")
    if n >= MAX_FILLS:
        raise RuntimeError(f"more than {MAX_FILLS} fills in one window")
    rows = out[:n]
    return Fills(
        time_s=rows[:, 0] * 1e-9,
        side=rows[:, 1].astype(np.int64),
        qty=rows[:, 2],
        price=rows[:, 3],
        maker=rows[:, 4] > 0.5,
        order_id=rows[:, 5].astype(np.int64),
        counters=dict(zip(COUNTERS, counters.tolist(), strict=True)),
    )


QUEUE_MODELS = {
    "power": "power_prob_queue_model",
    "power2": "power_prob_queue_model2",
    "power3": "power_prob_queue_model3",
    "log": "log_prob_queue_model",
    "log2": "log_prob_queue_model2",
    "risk_averse": "risk_adverse_queue_model",
}


def check_queue(spec: str) -> tuple[str, float | None]:
    """(BacktestAsset method, its n or None) of a queue spec: a name, `power*` ones with `:N`."""
    name, _, n = spec.partition(":")
    if name not in QUEUE_MODELS:
        raise ValueError(f"--queue={spec!r}: expected one of {', '.join(QUEUE_MODELS)} (power*: name:N, N > 0)")
    if not name.startswith("power"):
        return QUEUE_MODELS[name], None
    try:
        power = float(n or 2.0)
    except ValueError:
        power = math.nan
    if not power > 0:
        raise ValueError(f"--queue={spec!r}: N must be a number > 0")
    return QUEUE_MODELS[name], power


def _queue_model(asset: BacktestAsset, spec: str) -> None:
    method, n = check_queue(spec)
    if n is None:
        getattr(asset, method)()
    else:
        getattr(asset, method)(n)


@njit
def _book_ok(depth) -> bool:  # type: ignore[no-untyped-def]
    return depth.best_bid_tick > -(1 << 62) and depth.best_ask_tick < (1 << 62)


@njit
def _resting_price(hbt, order_id):  # type: ignore[no-untyped-def]
    """The price of our order `order_id` while it rests on the book (nan: it does not)."""
    order = hbt.orders(0).get(order_id) if order_id != 0 else None
    if order is None or not (order.status == NEW or order.status == PARTIALLY_FILLED):
        return np.nan
    return order.price


@njit
def _present(hbt, oid, replaced, band) -> int:  # type: ignore[no-untyped-def]
    """1 while both sides rest within `band` (a fraction) of the mid the feed shows, as the
    exchange has them: a side being replaced holds its old price until the replace arrives (the
    cancel and the new quote arrive together), then the new one, though the local view knows
    only once the answer comes back (`replaced`: per side, the old price and the arrival time
    of its replacement, or nan)."""
    depth = hbt.depth(0)
    if not _book_ok(depth):
        return 0
    mid = 0.5 * (depth.best_bid + depth.best_ask)
    now = hbt.current_timestamp
    prices = np.empty(2)
    for side in range(2):
        prices[side] = _resting_price(hbt, oid[side])
        old_price, arrives = replaced[side, 0], replaced[side, 1]
        if np.isnan(prices[side]) and not np.isnan(old_price):
            order = hbt.orders(0).get(oid[side])
            prices[side] = old_price if now < arrives or order is None else order.price
    return int(mid - prices[0] <= band * mid and prices[1] - mid <= band * mid)  # nan compares False


@njit
def _quote_size(side, position, limit, quote_size):  # type: ignore[no-untyped-def]
    """engine.quote_size, with the rules' quote size."""
    return min(quote_size, limit - position if side == 0 else limit + position)


@njit
def _quote(hbt, cfg, out, counters):  # type: ignore[no-untyped-def]
    interval, half_spread, skew, limit = int(cfg[0]), cfg[1], cfg[2], cfg[3]
    threshold, tail_age, rate_limit, concurrency = cfg[4], int(cfg[5]), int(cfg[6]), int(cfg[7])
    post_only, cap, size, trigger, throttle_window = cfg[8] > 0.5, cfg[9], cfg[10], cfg[11], int(cfg[12])
    presence_band, entry_latency = cfg[13], cfg[14]
    tif = GTX if post_only else GTC
    wanted = np.full(2, np.nan)  # BID, ASK: the price last asked for (nan: no quote)
    wanted_qty = np.zeros(2)  # and its size
    wanted_at = np.zeros(2, dtype=np.int64)
    oid = np.zeros(2, dtype=np.int64)  # our order on each side (0: none)
    replacing = np.full((2, 2), np.nan)  # per side while a replace is unanswered: old price, arrival
    filled = np.zeros(MAX_ORDER_IDS)  # per order: the quantity executed so far, as recorded
    replaced = np.zeros(THROTTLE_SLOTS, dtype=np.int64)
    head = tail = 0
    next_id = 1
    hedge_id = 0
    last_update = -(1 << 62)
    # The position from the fills reported: hftbacktest's local state adds an order's fills only
    # once it has filled completely, so a partly filled quote that is then replaced never counts.
    known = 0.0
    n = 0
    # Before the first row the clock reads int64's maximum: step to the first row the strategy
    # sees (the book), with the timer on the window's grid from 0.
    if hbt.wait_next_feed(False, 1 << 62) == 1:
        return 0
    next_tick = 0
    since = hbt.current_timestamp
    while True:
        now = hbt.current_timestamp
        counters[10] += _present(hbt, oid, replacing, presence_band) * (now - since)
        since = now
        refresh = now >= next_tick
        if refresh:
            next_tick += interval
        else:
            code = hbt.wait_next_feed(True, next_tick - now)
            if code == 1:
                break
            if not (code == 0 or code == 2 or code == 3):
                counters[11] = code
                break
        # Fills reported since the last look: record them, hedge if inventory is past the trigger.
        quote_filled = False  # as ours: a fill of a quote, maker or crossing, not a hedge's
        values = hbt.orders(0).values()
        while values.has_next():
            order = values.get()
            status = order.status
            # What filled since the last look: the order's executed quantity less what was seen
            # (a sweep through our level fills it at the level's print and then whole, at one time).
            done = order.qty - order.leaves_qty
            if done - filled[order.order_id] > 1e-12:
                qty = done - filled[order.order_id]
                filled[order.order_id] = done
                sign = 1 if order.side == BUY else -1
                known += sign * qty
                out[n, 0] = order.exch_timestamp
                out[n, 1] = sign
                out[n, 2] = qty
                out[n, 3] = order.exec_price
                maker = order.arr[0].maker  # the Order wrapper has no property for it
                out[n, 4] = 1.0 if maker else 0.0
                out[n, 5] = order.order_id
                n += 1
                quote_filled = quote_filled or order.order_id != hedge_id
            if order.order_id == hedge_id and status in (FILLED, EXPIRED):
                hedge_id = 0
        for side in range(2):
            if oid[side] != 0:
                o = hbt.orders(0).get(oid[side])
                if o is None or o.req == NONE:
                    replacing[side, 0] = np.nan  # answered
                if o is None or (o.req == NONE and o.status != NEW and o.status != PARTIALLY_FILLED):
                    if o is not None and o.status == EXPIRED:
                        counters[8] += 1  # a post-only quote that would have crossed
                    if o is None or o.status != CANCELED:
                        wanted[side] = np.nan
                    oid[side] = 0
        hbt.clear_inactive_orders(0)
        q = known
        if hedge_id == 0 and abs(q) >= trigger * limit and n > 0:
            hedge_id = next_id
            next_id += 1
            counters[9] += 1
            hedge_qty = min(abs(q), cap * limit)
            if q > 0:
                hbt.submit_sell_order(0, hedge_id, 0.0, hedge_qty, GTC, MARKET, False)
            else:
                hbt.submit_buy_order(0, hedge_id, 1e12, hedge_qty, GTC, MARKET, False)
        if not (refresh or quote_filled):
            continue
        depth = hbt.depth(0)
        if not _book_ok(depth):
            continue
        # Refresh: quote both sides around the mid the feed shows, leaning against inventory.
        counters[0] += 1
        tick = depth.tick_size
        mid = 0.5 * (depth.best_bid + depth.best_ask)
        lean = skew * (q / limit if -limit < q < limit else (1.0 if q > 0 else -1.0))
        # On the grid away from mid, and compared with the last price asked on the grid, as ours.
        prices = (
            np.floor(mid * (1.0 - half_spread - lean) / tick) * tick,
            np.ceil(mid * (1.0 + half_spread - lean) / tick) * tick,
        )
        sizes = (_quote_size(0, q, limit, size), _quote_size(1, q, limit, size))
        band = threshold * mid
        for side in range(2):
            price, qty = prices[side], sizes[side]
            current = wanted[side]
            at_limit = qty <= EPS
            moved = np.isnan(current) or not -band <= price - current <= band or qty != wanted_qty[side]
            if not (at_limit or moved or now - wanted_at[side] > tail_age):
                continue
            counters[0] += 1
            order = hbt.orders(0).get(oid[side]) if oid[side] != 0 else None
            if order is not None and not order.cancellable:
                counters[5] += 1
                continue
            if at_limit:
                counters[1] += 1
                if order is not None:
                    hbt.cancel(0, oid[side], False)
                    counters[7] += 1
                    wanted[side] = np.nan
                continue
            if 0 < now - last_update < interval - 1:
                counters[2] += 1
                continue
            if not np.isnan(current):
                while head != tail and replaced[head % THROTTLE_SLOTS] <= now - throttle_window:
                    head += 1
                if tail - head >= rate_limit:
                    counters[3] += 1
                    continue
            in_flight = 0
            pending = hbt.orders(0).values()
            while pending.has_next():
                if pending.get().req != NONE:
                    in_flight += 1
            if in_flight >= concurrency:
                counters[4] += 1
                continue
            if not np.isnan(current):
                replaced[tail % THROTTLE_SLOTS] = now
                tail += 1
            last_update = now
            counters[6] += 1
            replacing[side, 0] = np.nan
            if order is not None and (order.status == NEW or order.status == PARTIALLY_FILLED):
                replacing[side, 0], replacing[side, 1] = order.price, now + entry_latency
            if order is not None:  # a replace: cancel, and a new quote at the back of its queue
                counters[7] += 1
                hbt.cancel(0, oid[side], False)
            oid[side] = next_id
            next_id += 1
            if side == 0:
                hbt.submit_buy_order(0, oid[side], price, qty, tif, LIMIT, False)
            else:
                hbt.submit_sell_order(0, oid[side], price, qty, tif, LIMIT, False)
            wanted[side] = price
            wanted_qty[side] = qty
            wanted_at[side] = now
    return n
