"""The event loop of core/sim/engine.py compiled with numba (the extra `fast`).

The same rules as the pure-Python Session, spelt for numba: the market, its preparation
(engine.market_orders), the constants and the ledger are shared; only the loop is written twice,
and tests/core/sim/test_engines.py holds the two together, bit for bit. The state lives in small
arrays (numba cannot cache a class): scalars in `f` (floats) and `c` (counters), per-side state
in `sf` and `si`. Messages are rows (time, kind, side, value, gen, answer_at, qty) of a heap ordered
as Python orders those tuples, so equal times are handled in the same order as there.

Every buffer has room for ROOM more rows at the top of each event (an event appends fewer), so
the handlers never grow one. Importing this module imports numba, with its on-disk cache in the
per-user directory of core/sim/engines.py; the first call of a machine compiles (seconds).
"""

from __future__ import annotations

import math

from core.sim.engines import use_numba_cache

use_numba_cache()

import numba  # noqa: E402
import numpy as np  # noqa: E402

from core.kpi import BLOCK_REASONS  # noqa: E402
from core.params import Params  # noqa: E402
from core.scenarios import MarketRegime  # noqa: E402
from core.sim import ledger_numba, market_numba  # noqa: E402
from core.sim.engine import (  # noqa: E402
    ASK,
    BID,
    CANCEL,
    EPS,
    FILLED_ALL,
    FILLED_PART,
    HEDGE,
    HEDGE_TRIGGER,
    HEDGED,
    NEW,
    QUOTE_SIZE,
    RATE_WINDOW_S,
    REJECTED,
    REPLACE,
    THROTTLE_WINDOW_S,
    market_orders,
)
from core.sim.market import CELLS_PER_S, MarketPath  # noqa: E402
from core.sim.tape import Tape  # noqa: E402

ROOM = 16
# k: the window's constants
(K_END, K_INTERVAL, K_HALF_SPREAD, K_SKEW, K_LIMIT, K_BAND, K_TAIL_AGE, K_QUEUE_MS_PER_RPS, K_MAKER_FEE) = range(9)
(K_TAKER_FEE, K_HALF_SPREAD_FRAC, K_TICK_PX, K_TICK_BPS, K_RATE_LIMIT, K_REPLACE_RATE, K_CONCURRENCY) = range(9, 16)
(K_IMPACT_CAP, K_POST_ONLY, K_SLIPPAGE_BPS, K_BOOK_HALF_SPREAD_BPS, K_DEPTH_TOUCH, K_DEPTH_SLOPE) = range(16, 22)
K_QUEUE_CANCEL_RATE, K_SIZE = 22, 23
# f: float state; c: counters (the Tape's, then the blocks in BLOCK_REASONS order, then the loop's)
F_KNOWN_POSITION, F_POSITION, F_LAST_UPDATE, F_TOKENS, F_TOKENS_AT, F_RATE, F_LAST_SEND, F_NEXT_TICK, F_SIZE = range(9)
C_ORDERS_SENT, C_CANCELS_SENT, C_CANCELS_LANDED, C_CANCELS_LATE, C_REJECTS, C_CROSSINGS, C_HEDGES = range(7)
C_ACTIONS, C_MIN_INTERVAL, C_CONCURRENCY, C_RISK, C_THROTTLE, C_RATE_LIMIT = range(7, 13)
C_ENTRIES, C_RESPONSES, C_HEDGING, C_REFRESH_NOW, C_FILLS, C_QUOTES, C_LATENCIES = range(13, 20)
C_MESSAGES, C_DUE, C_REPLACED_HEAD, C_REPLACED_TAIL, C_NEXT_ORDER, C_SIZE = range(20, 26)
TAPE_COUNTERS = ("orders_sent", "cancels_sent", "cancels_landed", "cancels_late", "rejects", "crossings", "hedges")
# sf / si: per side (columns BID, ASK)
S_WANTED, S_WANTED_QTY, S_WANTED_AT, S_PENDING_UNTIL = range(4)
S_LIVE_PX, S_LIVE_QTY, S_LIVE_SINCE, S_AHEAD, S_AHEAD_AT = range(4, 9)
I_SENT_GEN, I_LIVE_GEN, I_LIVE = range(3)
# rows of the fills and quotes buffers
(FILL_TIME, FILL_SIDE, FILL_QTY, FILL_PRICE, FILL_TOUCH, FILL_FEE, FILL_MAKER) = range(7)
(QUOTE_AGE_MS, QUOTE_SIDE, QUOTE_START, QUOTE_END, QUOTE_PRICE) = range(5)

jit = numba.njit(cache=True, nogil=True)
# The handlers allocate nothing; without NRT they count no references (atomic, and most of the time).
handler = numba.njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]
# Numba compiles each function on its own and LLVM inlines nothing across them, so every call
# passes `state` spread out (about 120 machine words on the stack). The handlers on the path of
# most events are therefore inlined by numba: a 600 s window's loop went from 1.17 to 0.43 ms
# (2026-12-02); inlining the others too (the heap's push and pop, the exchange) gained nothing.
inlined = numba.njit(cache=True, nogil=True, _nrt=False, inline="always")  # type: ignore[call-overload]


def run_window(params: Params, regime: MarketRegime, market: MarketPath, rng: np.random.Generator) -> Tape:
    times, hit_side, reach_px, reach_bps = market_orders(market)
    fills, quotes, latencies, c, position = _run(
        _constants(params, regime, market),
        market.mid,
        market.observed_mid,
        market.latency_burst,
        market.entry_latency_ms,
        market.response_latency_ms,
        times,
        hit_side.astype(np.int64),
        reach_px,
        reach_bps,
    )
    return Tape(
        fill_time=fills[:, FILL_TIME].copy(),
        fill_side=fills[:, FILL_SIDE].astype(np.int64),
        fill_qty=fills[:, FILL_QTY].copy(),
        fill_price=fills[:, FILL_PRICE].copy(),
        fill_touch=fills[:, FILL_TOUCH].copy(),
        fill_fee=fills[:, FILL_FEE].copy(),
        fill_maker=fills[:, FILL_MAKER] > 0.0,
        latencies_ms=latencies,
        order_ages_ms=quotes[:, QUOTE_AGE_MS].copy(),
        quote_side=quotes[:, QUOTE_SIDE].astype(np.int64),
        quote_start=quotes[:, QUOTE_START].copy(),
        quote_end=quotes[:, QUOTE_END].copy(),
        quote_price=quotes[:, QUOTE_PRICE].copy(),
        **{name: int(c[C_ORDERS_SENT + i]) for i, name in enumerate(TAPE_COUNTERS)},
        actions=int(c[C_ACTIONS]),
        blocks={name: int(c[C_MIN_INTERVAL + i]) for i, name in enumerate(BLOCK_REASONS)},
        position=float(position),
    )


def compiled() -> bool:
    """Whether numba's on-disk cache holds the loop and the market's and the ledger's kernels,
    compiled from this very source (each one's index, which numba checks against its source
    file's stamp; numba keeps no public way to ask)."""
    try:
        compiled = (_run, *market_numba.KERNELS, ledger_numba.quoted_cells)
        return all(bool(f._cache._cache_file._load_index()) for f in compiled)  # type: ignore[union-attr]
    except (AttributeError, OSError):
        return False


def warm_up() -> None:
    """Loads the compiled loop, market and ledger from the cache, or compiles them: a one-second
    window."""
    from core.sim import simulate_iteration

    simulate_iteration(Params(), "normal", 0, 0, 1.0, engine="numba")


def _constants(params: Params, regime: MarketRegime, market: MarketPath) -> np.ndarray:
    """The constants the loop uses, in its units (as Session.__init__ computes them)."""
    k = np.zeros(K_SIZE)
    k[K_END] = market.window_s
    k[K_INTERVAL] = params.min_interval_ms * 1e-3
    k[K_HALF_SPREAD] = params.base_spread_bps * 1e-4
    k[K_SKEW] = params.inventory_skew_bps * 1e-4
    k[K_LIMIT] = params.max_position
    k[K_BAND] = params.replace_threshold_bps * 1e-4
    k[K_TAIL_AGE] = params.tail_age_ms * 1e-3
    k[K_QUEUE_MS_PER_RPS] = regime.queue_ms_per_rps
    k[K_MAKER_FEE] = regime.maker_fee_bps * 1e-4
    k[K_TAKER_FEE] = regime.taker_fee_bps * 1e-4
    k[K_HALF_SPREAD_FRAC] = regime.half_spread_bps * 1e-4
    k[K_TICK_PX] = market.tick_px
    k[K_TICK_BPS] = market.tick_bps
    k[K_RATE_LIMIT] = regime.rate_limit_per_s
    k[K_REPLACE_RATE] = params.replace_rate_per_min
    k[K_CONCURRENCY] = params.concurrency_limit
    k[K_IMPACT_CAP] = params.impact_cap_ratio
    k[K_POST_ONLY] = 1.0 if params.post_only else 0.0
    k[K_SLIPPAGE_BPS] = regime.slippage_bps
    k[K_BOOK_HALF_SPREAD_BPS] = market.half_spread_bps
    k[K_DEPTH_TOUCH] = market.depth_touch
    k[K_DEPTH_SLOPE] = market.depth_slope
    k[K_QUEUE_CANCEL_RATE] = market.queue_cancel_rate
    return k


# --- buffers ----------------------------------------------------------------------------------
@jit
def _room(buffer, used):
    """`buffer`, or a copy twice as long, so that ROOM more rows fit after `used`."""
    if used + ROOM <= buffer.shape[0]:
        return buffer
    grown = np.empty((2 * buffer.shape[0], *buffer.shape[1:]), buffer.dtype)
    grown[:used] = buffer[:used]
    return grown


@inlined
def _before(rows, a, b):
    """Row a orders before row b, as Python orders the tuples."""
    for col in range(rows.shape[1]):
        if rows[a, col] != rows[b, col]:
            return rows[a, col] < rows[b, col]
    return False


@inlined
def _swap(rows, a, b):
    for col in range(rows.shape[1]):
        rows[a, col], rows[b, col] = rows[b, col], rows[a, col]


@handler
def _push(rows, c, count, row):
    pos = c[count]
    c[count] += 1
    for col in range(rows.shape[1]):
        rows[pos, col] = row[col]
    while pos > 0:
        parent = (pos - 1) >> 1
        if not _before(rows, pos, parent):
            break
        _swap(rows, pos, parent)
        pos = parent


@handler
def _pop(rows, c, count):
    """Drops the first row."""
    last = c[count] = c[count] - 1
    for col in range(rows.shape[1]):
        rows[0, col] = rows[last, col]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= last:
            break
        if child + 1 < last and _before(rows, child + 1, child):
            child += 1
        if not _before(rows, child, pos):
            break
        _swap(rows, pos, child)
        pos = child


# --- the loop ---------------------------------------------------------------------------------
@jit
def _run(k, mid, observed, burst, entry_ms, response_ms, times, hit_side, reach_px, reach_bps):
    """Allocates the state, runs the events, and grows a buffer whenever one fills up."""
    f = np.zeros(F_SIZE)
    c = np.zeros(C_SIZE, np.int64)
    sf = np.zeros((9, 2))
    si = np.zeros((3, 2), np.int64)
    sf[S_WANTED, :] = np.nan  # NaN: no quote wanted
    f[F_LAST_UPDATE] = -np.inf
    f[F_TOKENS] = k[K_RATE_LIMIT]
    fills = np.empty((256, 7))
    quotes = np.empty((256, 5))
    latencies = np.empty((256, 1))
    messages = np.empty((64, 7))
    due = np.empty((64, 1))  # when each request still unanswered is answered (a heap)
    replaced = np.empty((256, 1))  # replacement times, for the throttle: [head, tail)
    market = (mid, observed, times, hit_side, reach_px, reach_bps)
    while True:
        state = (k, f, c, sf, si, mid, burst, entry_ms, response_ms, fills, quotes, latencies, messages, due, replaced)
        if _events(state, market, _limits(fills, quotes, latencies, messages, due, replaced)):
            break
        fills = _room(fills, c[C_FILLS])
        quotes = _room(quotes, c[C_QUOTES])
        latencies = _room(latencies, c[C_LATENCIES])
        messages = _room(messages, c[C_MESSAGES])
        due = _room(due, c[C_DUE])
        replaced = _room_replaced(replaced, c)
    for side in (BID, ASK):
        if si[I_LIVE, side]:
            _retire(f, sf, si, c, quotes, k[K_END], side)
    return fills[: c[C_FILLS]], quotes[: c[C_QUOTES]], latencies[: c[C_LATENCIES], 0], c, f[F_POSITION]


@handler
def _events(state, market, room):
    """Runs events in time order until the window ends (True) or a buffer nears its end (False):
    messages first, then the strategy's refresh, then market orders (Session.run)."""
    k, f, c, sf, si, messages = state[0], state[1], state[2], state[3], state[4], state[12]
    mid, observed, times, hit_side, reach_px, reach_bps = market
    end, interval = k[K_END], k[K_INTERVAL]
    next_tick, i = f[F_NEXT_TICK], c[C_NEXT_ORDER]
    while (
        c[C_FILLS] <= room[0]
        and c[C_QUOTES] <= room[1]
        and c[C_LATENCIES] <= room[2]
        and c[C_MESSAGES] <= room[3]
        and c[C_DUE] <= room[4]
        and c[C_REPLACED_TAIL] <= room[5]
    ):
        t = times[i]
        if c[C_MESSAGES] > 0 and messages[0, 0] <= t and messages[0, 0] <= next_tick:
            message = (
                messages[0, 0],
                messages[0, 1],
                messages[0, 2],
                messages[0, 3],
                messages[0, 4],
                messages[0, 5],
                messages[0, 6],
            )
            t = message[0]
            if t >= end:
                return True
            _pop(messages, c, C_MESSAGES)
            if message[1] < REJECTED:
                _arrive(state, message)
            else:
                _answer(state, message)
                if c[C_REFRESH_NOW]:  # a fill was learnt: refresh at once
                    c[C_REFRESH_NOW] = 0
                    c[C_ACTIONS] += 1
                    _refresh(state, observed, t)
        elif next_tick <= t:
            t = next_tick
            if t >= end:
                return True
            next_tick = f[F_NEXT_TICK] = t + interval
            c[C_ACTIONS] += 1
            _refresh(state, observed, t)
        else:
            if t >= end:
                return True
            side, j = hit_side[i], i
            i = c[C_NEXT_ORDER] = i + 1
            sign = 1.0 - 2.0 * side
            if si[I_LIVE, side] and sign * (sf[S_LIVE_PX, side] - reach_px[j]) >= 0.0:
                m = mid[int(t * CELLS_PER_S)]
                distance = sign * (m - sf[S_LIVE_PX, side]) / m * 1e4
                _maker_fill(state, t, side, reach_bps[j] - distance, distance)
    return False


@handler
def _limits(fills, quotes, latencies, messages, due, replaced):
    """The largest counts at which each buffer still has ROOM rows free."""
    return (
        fills.shape[0] - ROOM,
        quotes.shape[0] - ROOM,
        latencies.shape[0] - ROOM,
        messages.shape[0] - ROOM,
        due.shape[0] - ROOM,
        replaced.shape[0] - ROOM,
    )


@jit
def _room_replaced(replaced: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The throttle's window moved to the front of its buffer when its end nears the buffer's."""
    head, tail = c[C_REPLACED_HEAD], c[C_REPLACED_TAIL]
    if tail + ROOM <= replaced.shape[0]:
        return replaced
    kept = tail - head
    out = replaced if kept + ROOM <= replaced.shape[0] // 2 else np.empty((2 * replaced.shape[0], 1))
    out[:kept] = replaced[head:tail].copy()
    c[C_REPLACED_HEAD], c[C_REPLACED_TAIL] = 0, kept
    return out


# --- strategy ---------------------------------------------------------------------------------
@inlined
def _quote_size(side, position, limit):
    """engine.quote_size (spelt here: numba's cache would not see a change to engine.py's)."""
    return min(QUOTE_SIZE, limit - position if side == BID else limit + position)


@inlined
def _refresh(state, observed, t):
    """Quote both sides around the book's mid as the feed shows it, on the tick grid, leaning against inventory."""
    k, f, c, sf = state[0], state[1], state[2], state[3]
    m = observed[int(t * CELLS_PER_S)]
    q, limit = f[F_KNOWN_POSITION], k[K_LIMIT]
    lean = k[K_SKEW] * (q / limit if -limit < q < limit else (1.0 if q > 0 else -1.0))
    band = k[K_BAND] * m
    tick_px = k[K_TICK_PX]
    if t >= sf[S_PENDING_UNTIL, BID]:
        bid = math.floor(m * (1.0 - k[K_HALF_SPREAD] - lean) / tick_px) * tick_px
        now = sf[S_WANTED, BID]
        size = _quote_size(BID, q, limit)
        moved = np.isnan(now) or not -band <= bid - now <= band or size != sf[S_WANTED_QTY, BID]
        if size <= EPS or moved or t - sf[S_WANTED_AT, BID] > k[K_TAIL_AGE]:
            _requote(state, t, BID, bid, size)
    if t >= sf[S_PENDING_UNTIL, ASK]:
        ask = math.ceil(m * (1.0 + k[K_HALF_SPREAD] - lean) / tick_px) * tick_px
        now = sf[S_WANTED, ASK]
        size = _quote_size(ASK, q, limit)
        moved = np.isnan(now) or not -band <= ask - now <= band or size != sf[S_WANTED_QTY, ASK]
        if size <= EPS or moved or t - sf[S_WANTED_AT, ASK] > k[K_TAIL_AGE]:
            _requote(state, t, ASK, ask, size)
    if not c[C_HEDGING] and abs(q) >= HEDGE_TRIGGER * limit:
        _after_fill(state, t)


@inlined
def _requote(state, t, side, price, size):
    k, f, c, sf = state[0], state[1], state[2], state[3]
    due, replaced = state[13], state[14]
    current = sf[S_WANTED, side]
    c[C_ACTIONS] += 1
    if size <= EPS:
        c[C_RISK] += 1
        if not np.isnan(current):
            _send(state, t, CANCEL, side, 0.0, 0.0)
        return
    if 0.0 < t - f[F_LAST_UPDATE] < k[K_INTERVAL] - 1e-9:
        c[C_MIN_INTERVAL] += 1
        return
    if not np.isnan(current):
        while c[C_REPLACED_HEAD] < c[C_REPLACED_TAIL] and replaced[c[C_REPLACED_HEAD], 0] <= t - THROTTLE_WINDOW_S:
            c[C_REPLACED_HEAD] += 1
        if c[C_REPLACED_TAIL] - c[C_REPLACED_HEAD] >= k[K_REPLACE_RATE]:
            c[C_THROTTLE] += 1
            return
    while c[C_DUE] > 0 and due[0, 0] <= t:
        _pop(due, c, C_DUE)
    if c[C_DUE] >= k[K_CONCURRENCY]:
        c[C_CONCURRENCY] += 1
        return
    if not np.isnan(current):
        replaced[c[C_REPLACED_TAIL], 0] = t
        c[C_REPLACED_TAIL] += 1
    f[F_LAST_UPDATE] = t
    _send(state, t, NEW if np.isnan(current) else REPLACE, side, price, size)


@handler
def _after_fill(state, t):
    """Hedge as taker once known inventory passes the trigger, at most impact_cap of the limit."""
    k, f, c = state[0], state[1], state[2]
    q, limit = f[F_KNOWN_POSITION], k[K_LIMIT]
    if c[C_HEDGING] or abs(q) < HEDGE_TRIGGER * limit:
        return
    c[C_HEDGING] = 1
    c[C_HEDGES] += 1
    c[C_ACTIONS] += 1
    size = min(abs(q), k[K_IMPACT_CAP] * limit)
    _send(state, t, HEDGE, ASK if q > 0 else BID, size, 0.0)


@handler
def _answer(state, message):
    """A reject or a fill reaches the strategy."""
    f, c, sf, si = state[1], state[2], state[3], state[4]
    t, kind, side, value, gen = message[0], message[1], int(message[2]), message[3], message[4]
    if kind == REJECTED:
        if side < 0:  # a hedge
            c[C_HEDGING] = 0
        elif gen == si[I_SENT_GEN, side]:
            sf[S_WANTED, side] = np.nan
        return
    f[F_KNOWN_POSITION] += (1.0 - 2.0 * side) * value
    if kind == HEDGED:
        c[C_HEDGING] = 0
    else:
        if kind == FILLED_ALL and gen == si[I_SENT_GEN, side]:
            sf[S_WANTED, side] = np.nan
        c[C_REFRESH_NOW] = 1
    _after_fill(state, t)


# --- gateway ----------------------------------------------------------------------------------
@inlined
def _send(state, t, kind, side, value, qty):
    k, f, c, sf, si = state[0], state[1], state[2], state[3], state[4]
    burst, entry_ms, response_ms = state[6], state[7], state[8]
    latencies, messages, due = state[11], state[12], state[13]
    rate = f[F_RATE] * math.exp((f[F_LAST_SEND] - t) / RATE_WINDOW_S) + 1.0 / RATE_WINDOW_S
    f[F_RATE] = rate
    f[F_LAST_SEND] = t
    b = burst[int(t)]
    draws = len(entry_ms)
    entry = entry_ms[c[C_ENTRIES] % draws] * b + k[K_QUEUE_MS_PER_RPS] * rate
    back = response_ms[c[C_RESPONSES] % draws] * b
    c[C_ENTRIES] += 1
    c[C_RESPONSES] += 1
    latencies[c[C_LATENCIES], 0] = entry + back
    c[C_LATENCIES] += 1
    arrival = t + entry * 1e-3
    answer_at = arrival + back * 1e-3
    _push(due, c, C_DUE, (answer_at,))
    gen = 0
    if kind != HEDGE:
        gen = si[I_SENT_GEN, side] = si[I_SENT_GEN, side] + 1
        sf[S_PENDING_UNTIL, side] = answer_at
        if kind != NEW:
            c[C_CANCELS_SENT] += 1
        if kind == CANCEL:
            sf[S_WANTED, side] = np.nan
        else:
            c[C_ORDERS_SENT] += 1
            sf[S_WANTED_AT, side] = t
            sf[S_WANTED, side] = value
            sf[S_WANTED_QTY, side] = qty
    _push(messages, c, C_MESSAGES, (arrival, float(kind), float(side), value, float(gen), answer_at, qty))


@handler
def _notify(state, t, kind, side, qty, gen):
    c, burst, response_ms, messages = state[2], state[6], state[8], state[12]
    delay = response_ms[c[C_RESPONSES] % len(response_ms)] * burst[int(t)]
    c[C_RESPONSES] += 1
    _push(messages, c, C_MESSAGES, (t + delay * 1e-3, float(kind), float(side), qty, float(gen), 0.0, 0.0))


# --- exchange ---------------------------------------------------------------------------------
@handler
def _arrive(state, request):
    k, f, c, sf, si, mid, messages = state[0], state[1], state[2], state[3], state[4], state[5], state[12]
    t, kind, side, value, gen, answer_at = request[0], request[1], int(request[2]), request[3], request[4], request[5]
    qty = request[6]
    limit = k[K_RATE_LIMIT]
    tokens = min(limit, f[F_TOKENS] + (t - f[F_TOKENS_AT]) * limit)
    f[F_TOKENS_AT] = t
    if tokens < 1.0:
        f[F_TOKENS] = tokens
        c[C_RATE_LIMIT] += 1
        c[C_REJECTS] += 1
        to = -1.0 if kind == HEDGE else float(side)
        _push(messages, c, C_MESSAGES, (answer_at, float(REJECTED), to, 0.0, gen, 0.0, 0.0))
        return
    f[F_TOKENS] = tokens - 1.0
    if kind == HEDGE:
        _hedge_fill(state, t, side, value, answer_at)
        return
    if kind != NEW:
        if si[I_LIVE, side]:
            _retire(f, sf, si, c, state[10], t, side)
            c[C_CANCELS_LANDED] += 1
        else:
            c[C_CANCELS_LATE] += 1
    if kind == CANCEL:
        return
    sign = 1.0 - 2.0 * side
    m = mid[int(t * CELLS_PER_S)]
    if sign * (value - m * (1.0 + sign * k[K_HALF_SPREAD_FRAC])) >= 0.0:
        _cross(state, t, side, value, qty, m * (1.0 + sign * k[K_HALF_SPREAD_FRAC]), gen, answer_at)
        return
    si[I_LIVE, side] = 1
    sf[S_LIVE_PX, side] = value
    sf[S_LIVE_QTY, side] = qty
    sf[S_LIVE_SINCE, side] = t
    si[I_LIVE_GEN, side] = int(gen)
    sf[S_AHEAD, side] = _level_depth(k, sign * (m - value) / m * 1e4)  # the back of the queue
    sf[S_AHEAD_AT, side] = t


@inlined
def _level_depth(k, distance_bps):
    """MarketPath.level_depth."""
    if distance_bps < k[K_BOOK_HALF_SPREAD_BPS]:
        return 0.0
    return k[K_DEPTH_TOUCH] + k[K_DEPTH_SLOPE] * (distance_bps - k[K_BOOK_HALF_SPREAD_BPS])


@handler
def _cross(state, t, side, limit, qty, touch, gen, answer_at):
    """A quote crosses the market on arrival: rejected if post-only, else a taker fill."""
    k, c, messages = state[0], state[2], state[12]
    if k[K_POST_ONLY]:
        c[C_REJECTS] += 1
        _push(messages, c, C_MESSAGES, (answer_at, float(REJECTED), float(side), 0.0, gen, 0.0, 0.0))
        return
    sign = 1.0 - 2.0 * side
    price = _taker_price(k, touch, sign, qty)
    if sign * (price - limit) > 0.0:  # never worse than the limit
        price = limit
    _fill(state, t, sign, qty, price, touch, k[K_TAKER_FEE], 0.0)
    c[C_CROSSINGS] += 1
    _push(messages, c, C_MESSAGES, (answer_at, float(FILLED_ALL), float(side), qty, gen, 0.0, 0.0))


@handler
def _maker_fill(state, t, side, beyond_bps, distance):
    """A market order reaches our resting quote (Session.maker_fill)."""
    k, f, c, sf, si = state[0], state[1], state[2], state[3], state[4]
    qty = sf[S_LIVE_QTY, side]
    tick_bps = k[K_TICK_BPS]
    if beyond_bps < tick_bps:
        # what the order has left: its reach's share of the others' depth (our quote adds none)
        left = beyond_bps / tick_bps * _level_depth(k, distance)
        ahead = sf[S_AHEAD, side] * math.exp(k[K_QUEUE_CANCEL_RATE] * (sf[S_AHEAD_AT, side] - t))
        sf[S_AHEAD, side] = max(0.0, ahead - left)
        sf[S_AHEAD_AT, side] = t
        if left - ahead <= EPS:
            return
        qty = min(qty, left - ahead)
    price = sf[S_LIVE_PX, side]
    _fill(state, t, 1.0 - 2.0 * side, qty, price, price, k[K_MAKER_FEE], 1.0)
    sf[S_LIVE_QTY, side] -= qty
    done = sf[S_LIVE_QTY, side] <= EPS
    gen = si[I_LIVE_GEN, side]
    if done:
        _retire(f, sf, si, c, state[10], t, side)
    _notify(state, t, FILLED_ALL if done else FILLED_PART, side, qty, gen)


@handler
def _hedge_fill(state, t, side, qty, answer_at):
    k, c, mid, messages = state[0], state[2], state[5], state[12]
    sign = 1.0 - 2.0 * side
    touch = mid[int(t * CELLS_PER_S)] * (1.0 + sign * k[K_HALF_SPREAD_FRAC])
    _fill(state, t, sign, qty, _taker_price(k, touch, sign, qty), touch, k[K_TAKER_FEE], 0.0)
    _push(messages, c, C_MESSAGES, (answer_at, float(HEDGED), float(side), qty, 0.0, 0.0, 0.0))


@inlined
def _taker_price(k, touch, sign, qty):
    """Square-root slippage beyond the touch."""
    return touch * (1.0 + sign * k[K_SLIPPAGE_BPS] * math.sqrt(qty) * 1e-4)


@handler
def _fill(state, t, sign, qty, price, touch, fee_rate, maker):
    f, c, fills = state[1], state[2], state[9]
    n = c[C_FILLS]
    c[C_FILLS] += 1
    fills[n, FILL_TIME] = t
    fills[n, FILL_SIDE] = sign
    fills[n, FILL_QTY] = qty
    fills[n, FILL_PRICE] = price
    fills[n, FILL_TOUCH] = touch
    fills[n, FILL_FEE] = fee_rate * price * qty
    fills[n, FILL_MAKER] = maker
    f[F_POSITION] += sign * qty


@handler
def _retire(f, sf, si, c, quotes, t, side):
    """Our resting order on `side` leaves the book (filled, cancelled or replaced)."""
    n = c[C_QUOTES]
    c[C_QUOTES] += 1
    quotes[n, QUOTE_AGE_MS] = (t - sf[S_LIVE_SINCE, side]) * 1e3
    quotes[n, QUOTE_SIDE] = side
    quotes[n, QUOTE_START] = sf[S_LIVE_SINCE, side]
    quotes[n, QUOTE_END] = t
    quotes[n, QUOTE_PRICE] = sf[S_LIVE_PX, side]
    si[I_LIVE, side] = 0
