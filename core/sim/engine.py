"""The strategy and the exchange as one event-driven loop over a pre-generated market.

Three kinds of event, in time order: market orders (from the MarketPath), strategy refreshes
(every min_interval, and at once when a fill is learnt), and messages in flight (a heap):
requests reaching the exchange after their entry latency, and the exchange's answers (acks,
rejects, fills) reaching the strategy after their response latency.

The strategy keeps one quote per side, of one unit or of the room left under max_position
(quote_size), and moves it with cancel-replace requests. It acts on what
it has been told: its own fills and position arrive with the response latency, and a side with a
request not yet acked cannot be cancelled or replaced (when the ack will arrive is drawn as the
request is sent, so acks need no event of their own). The exchange places an order at the back of
its level's queue (a replaced order loses its place), fills it whole when a market order sweeps
through its level and, at the marginal level, with what the order has left after the queue ahead
of us; the queue ahead shrinks with those trades and with cancels. The venue rejects requests over
its rate limit. The hot loop works on plain floats and lists (DESIGN.md section 2, Speed).
"""

from __future__ import annotations

import heapq
import math
from collections import deque

import numpy as np

from core.params import Params
from core.scenarios import MarketRegime
from core.sim.market import CELLS_PER_S, MarketPath
from core.sim.tape import Recorder, Tape

QUOTE_SIZE = 1.0  # units per quote
HEDGE_TRIGGER = 0.75  # hedge once |inventory| reaches this share of max_position
THROTTLE_WINDOW_S = 60.0  # replace_rate_per_min counts replacements over this window
RATE_WINDOW_S = 1.0  # gateway queueing follows the request rate averaged over about this long
EPS = 1e-12

BID, ASK = 0, 1
SIGN = (1, -1)  # +1: the side buys
# Messages, in the order they are handled at equal times. Requests reach the exchange; answers
# (rejects and fills; an ack carries nothing the strategy does not know) reach the strategy.
NEW, REPLACE, CANCEL, HEDGE = 0, 1, 2, 3
REJECTED, FILLED_PART, FILLED_ALL, HEDGED = 4, 5, 6, 7
Message = tuple[float, int, int, float, int, float, float]


def quote_size(side: int, position: float, limit: float) -> float:
    """The size to quote on `side`: QUOTE_SIZE, or the room left under max_position if less (the
    side is blocked when no more than EPS is left). A cap that shrinks the quote rather than
    blocking it keeps a fractional inventory (a partial fill) from blocking a side until a hedge."""
    return min(QUOTE_SIZE, limit - SIGN[side] * position)


class Session:
    """One window of the strategy quoting against the market; run() fills in a Tape."""

    def __init__(self, params: Params, regime: MarketRegime, market: MarketPath, rng: np.random.Generator) -> None:
        self.p = params
        self.regime = regime
        self.market = market
        self.rng = rng  # the strategy's own stream (the model draws nothing from it today)
        self.maker_fee = regime.maker_fee_bps * 1e-4
        self.taker_fee = regime.taker_fee_bps * 1e-4
        self.half_spread_frac = regime.half_spread_bps * 1e-4
        self.tick_px = market.tick_px
        self.tape = Recorder()
        # The market's arrays are read in place (a memoryview gives Python floats): a window reads
        # a few thousand of their cells and draws, and tolist() cost 3 ms of a 16 ms window.
        self.mid = _floats(market.mid)
        self.observed = _floats(market.observed_mid)
        self.burst = _floats(market.latency_burst)
        self.entry_ms = _floats(market.entry_latency_ms)
        self.response_ms = _floats(market.response_latency_ms)
        self.draws = len(self.entry_ms)
        self.entries = self.responses = 0  # latency draws used
        # The strategy's constants, in the units the loop uses.
        self.interval = params.min_interval_ms * 1e-3
        self.half_spread = params.base_spread_bps * 1e-4
        self.skew = params.inventory_skew_bps * 1e-4
        self.limit = params.max_position
        self.band = params.replace_threshold_bps * 1e-4
        self.tail_age = params.tail_age_ms * 1e-3
        self.queue_ms_per_rps = regime.queue_ms_per_rps
        # The strategy, per BID/ASK: the price it believes rests (None: no order), its size, since when,
        # until when it awaits the answer to its last request, and what it knows of its position.
        self.wanted: list[float | None] = [None, None]
        self.wanted_qty = [0.0, 0.0]
        self.wanted_at = [0.0, 0.0]
        self.pending_until = [0.0, 0.0]
        self.sent_gen = [0, 0]
        self.known_position = 0.0
        self.hedging = False
        self.answers_due: list[float] = []  # when each request still unanswered is answered (a heap)
        self.last_update = -math.inf
        self.replaced: deque[float] = deque()  # replacement times, for the throttle
        self.refresh_now = False
        # The exchange, per BID/ASK: our resting order and the size queued ahead of it.
        self.position = 0.0
        self.live = [False, False]
        self.live_px = [0.0, 0.0]
        self.live_qty = [0.0, 0.0]
        self.live_since = [0.0, 0.0]
        self.live_gen = [0, 0]
        self.ahead = [0.0, 0.0]
        self.ahead_at = [0.0, 0.0]
        self.rate_limit = regime.rate_limit_per_s
        self.tokens = regime.rate_limit_per_s
        self.tokens_at = 0.0
        # Messages in flight as (time, kind, side, value, gen, answer_at, qty): requests on their
        # way to the exchange (answer_at: when its answer reaches the strategy, drawn on sending;
        # qty: a quote's size) and answers on their way back; and the recent request rate, for the
        # gateway's queueing.
        self.in_flight: list[Message] = []
        self.rate = 0.0
        self.last_send = 0.0

    # --- the loop -------------------------------------------------------------------------
    def run(self) -> Tape:
        tape, market = self.tape, self.market
        times, hit_side, reach_px, reach_bps = self.market_orders()
        mid = self.mid
        end, interval = market.window_s, self.interval
        in_flight, pop = self.in_flight, heapq.heappop
        live, live_px = self.live, self.live_px
        tick_bps = market.tick_bps
        refresh, arrive, answer, requote = self.refresh, self.arrive, self.answer, self.requote
        wanted, wanted_at, pending_until = self.wanted, self.wanted_at, self.pending_until
        wanted_qty = self.wanted_qty
        half_spread, skew, limit, tick_px = self.half_spread, self.skew, self.limit, self.tick_px
        threshold, tail_age, floor, ceil = self.band, self.tail_age, math.floor, math.ceil
        hedge_at = HEDGE_TRIGGER * limit
        next_tick = 0.0
        i = refreshes = tick = 0
        tick_mids = self.tick_mids()
        sized_for = math.nan  # the known position the quotes below are sized for (nan: none yet)
        while True:
            t = times[i]
            if in_flight and in_flight[0][0] <= t and in_flight[0][0] <= next_tick:
                # Messages first: they may change what an order meets or what a refresh sees.
                message = pop(in_flight)
                t = message[0]
                if t >= end:
                    break
                if message[1] < REJECTED:
                    arrive(message)
                else:
                    answer(message)
                    if self.refresh_now:  # a fill was learnt: refresh at once
                        self.refresh_now = False
                        refreshes += 1
                        refresh(t)
            elif next_tick <= t:
                t = next_tick
                if t >= end:
                    break
                next_tick = t + interval
                # refresh(t), inlined: the loop's most frequent event
                refreshes += 1
                m = tick_mids[tick]
                tick += 1
                q = self.known_position
                if q != sized_for:  # lean, sizes and the hedge follow the position: worked out again when it moves
                    sized_for = q
                    lean = skew * (q / limit if -limit < q < limit else (1.0 if q > 0 else -1.0))
                    bid_factor, ask_factor = 1.0 - half_spread - lean, 1.0 + half_spread - lean
                    bid_size = limit - q if limit - q < QUOTE_SIZE else QUOTE_SIZE  # quote_size(BID, q, limit)
                    ask_size = limit + q if limit + q < QUOTE_SIZE else QUOTE_SIZE  # quote_size(ASK, q, limit)
                    hedge_due = q >= hedge_at or -q >= hedge_at
                band = threshold * m
                if t >= pending_until[BID]:
                    bid = floor(m * bid_factor / tick_px) * tick_px
                    now = wanted[BID]
                    if (
                        bid_size <= EPS
                        or now is None
                        or not -band <= bid - now <= band
                        or bid_size != wanted_qty[BID]
                        or t - wanted_at[BID] > tail_age
                    ):
                        requote(t, BID, bid, bid_size)
                if t >= pending_until[ASK]:
                    ask = ceil(m * ask_factor / tick_px) * tick_px
                    now = wanted[ASK]
                    if (
                        ask_size <= EPS
                        or now is None
                        or not -band <= ask - now <= band
                        or ask_size != wanted_qty[ASK]
                        or t - wanted_at[ASK] > tail_age
                    ):
                        requote(t, ASK, ask, ask_size)
                if hedge_due and not self.hedging:
                    self.after_fill(t)
            else:
                if t >= end:
                    break
                side, j = hit_side[i], i
                i += 1
                if live[side] and SIGN[side] * (live_px[side] - reach_px[j]) >= 0.0:
                    m = mid[int(t * CELLS_PER_S)]
                    distance = SIGN[side] * (m - live_px[side]) / m * 1e4
                    self.maker_fill(t, side, reach_bps[j] - distance, distance, tick_bps)
        for side in (BID, ASK):
            if live[side]:
                self.retire(end, side)
        tape.position = self.position
        tape.actions += refreshes
        return tape.tape()

    def tick_mids(self) -> memoryview:
        """The observed mid at each refresh tick before the window's end (0, then every
        min_interval, added up as the loop adds them): one read per tick, not a cell's arithmetic."""
        ticks = np.cumsum(np.full(math.ceil(self.market.window_s / self.interval) + 1, self.interval))
        ticks = np.concatenate(([0.0], ticks))
        ticks = ticks[ticks < self.market.window_s]
        return _floats(self.market.observed_mid[(ticks * CELLS_PER_S).astype(np.int64)])

    def market_orders(self) -> tuple[list[float], list[int], list[float], list[float]]:
        times, hit_side, reach_px, reach_bps = market_orders(self.market)
        return times.tolist(), hit_side.tolist(), reach_px.tolist(), reach_bps.tolist()

    # --- strategy -------------------------------------------------------------------------
    def refresh(self, t: float) -> None:
        """Quote both sides around the book's mid as the feed shows it, on the tick grid, leaning against inventory."""
        mid = self.observed[int(t * CELLS_PER_S)]
        q, limit = self.known_position, self.limit
        lean = self.skew * (q / limit if -limit < q < limit else (1.0 if q > 0 else -1.0))
        band = self.band * mid
        wanted, wanted_at, pending_until, wanted_qty = self.wanted, self.wanted_at, self.pending_until, self.wanted_qty
        if t >= pending_until[BID]:  # a side awaiting its answer cannot be touched
            bid = math.floor(mid * (1.0 - self.half_spread - lean) / self.tick_px) * self.tick_px  # away from mid
            now = wanted[BID]
            size = quote_size(BID, q, limit)
            moved = now is None or not -band <= bid - now <= band or size != wanted_qty[BID]
            if size <= EPS or moved or t - wanted_at[BID] > self.tail_age:
                self.requote(t, BID, bid, size)
        if t >= pending_until[ASK]:
            ask = math.ceil(mid * (1.0 + self.half_spread - lean) / self.tick_px) * self.tick_px
            now = wanted[ASK]
            size = quote_size(ASK, q, limit)
            moved = now is None or not -band <= ask - now <= band or size != wanted_qty[ASK]
            if size <= EPS or moved or t - wanted_at[ASK] > self.tail_age:
                self.requote(t, ASK, ask, size)
        if not self.hedging and abs(q) >= HEDGE_TRIGGER * limit:
            self.after_fill(t)  # a hedge the venue rejected is tried again

    def requote(self, t: float, side: int, price: float, size: float) -> None:
        """Act on a side whose quote is missing, off by more than the threshold or in size, too
        old, or has no room left under max_position."""
        tape, current = self.tape, self.wanted[side]
        tape.actions += 1
        if size <= EPS:
            tape.blocks["risk"] += 1
            if current is not None:
                self.send(t, CANCEL, side, 0.0)
            return
        if 0.0 < t - self.last_update < self.interval - 1e-9:  # both sides may move at once
            tape.blocks["min_interval"] += 1
            return
        replaced = self.replaced
        if current is not None:
            while replaced and replaced[0] <= t - THROTTLE_WINDOW_S:
                replaced.popleft()
            if len(replaced) >= self.p.replace_rate_per_min:
                tape.blocks["throttle"] += 1
                return
        due = self.answers_due
        while due and due[0] <= t:
            heapq.heappop(due)
        if len(due) >= self.p.concurrency_limit:
            tape.blocks["concurrency"] += 1
            return
        if current is not None:
            replaced.append(t)
        self.last_update = t
        self.send(t, NEW if current is None else REPLACE, side, price, size)

    def after_fill(self, t: float) -> None:
        """Hedge as taker once known inventory passes the trigger, at most impact_cap of the limit."""
        q = self.known_position
        limit = self.limit
        if self.hedging or abs(q) < HEDGE_TRIGGER * limit:
            return
        self.hedging = True
        self.tape.hedges += 1
        self.tape.actions += 1
        size = min(abs(q), self.p.impact_cap_ratio * limit)
        self.send(t, HEDGE, ASK if q > 0 else BID, size)

    def answer(self, message: Message) -> None:
        """A reject or a fill reaches the strategy (acks need no event: see send)."""
        t, kind, side, value, gen, _, _ = message
        if kind == REJECTED:
            if side < 0:  # a hedge
                self.hedging = False
            elif gen == self.sent_gen[side]:
                self.wanted[side] = None
            return
        self.known_position += SIGN[side] * value
        if kind == HEDGED:
            self.hedging = False
        else:
            if kind == FILLED_ALL and gen == self.sent_gen[side]:
                self.wanted[side] = None
            self.refresh_now = True
        self.after_fill(t)

    # --- gateway --------------------------------------------------------------------------
    def send(self, t: float, kind: int, side: int, value: float, qty: float = 0.0) -> None:
        """Send a request; `value` is the price of a NEW or REPLACE (`qty` its size), the size of a HEDGE. Its
        latencies are drawn now: the entry (plus queueing that grows with the recent request
        rate, so a chattier strategy waits longer) and the answer's way back; both grow in
        bursts. The side is untouchable until the answer is due."""
        tape = self.tape
        rate = self.rate = self.rate * math.exp((self.last_send - t) / RATE_WINDOW_S) + 1.0 / RATE_WINDOW_S
        self.last_send = t
        burst = self.burst[int(t)]
        entry = self.entry_ms[self.entries % self.draws] * burst + self.queue_ms_per_rps * rate
        back = self.response_ms[self.responses % self.draws] * burst
        self.entries += 1
        self.responses += 1
        tape.latencies_ms.append(entry + back)  # the round trip the strategy sees
        arrival = t + entry * 1e-3
        answer_at = arrival + back * 1e-3
        heapq.heappush(self.answers_due, answer_at)
        gen = 0
        if kind != HEDGE:
            gen = self.sent_gen[side] = self.sent_gen[side] + 1
            self.pending_until[side] = answer_at
            if kind != NEW:
                tape.cancels_sent += 1  # a cancel, or a replace: it cancels what it replaces
            if kind == CANCEL:
                self.wanted[side] = None
            else:
                tape.orders_sent += 1
                self.wanted_at[side] = t
                self.wanted[side] = value
                self.wanted_qty[side] = qty
        heapq.heappush(self.in_flight, (arrival, kind, side, value, gen, answer_at, qty))

    def notify(self, t: float, kind: int, side: int, qty: float, gen: int) -> None:
        """A fill, on its way back to the strategy."""
        delay = self.response_ms[self.responses % self.draws] * self.burst[int(t)]
        self.responses += 1
        heapq.heappush(self.in_flight, (t + delay * 1e-3, kind, side, qty, gen, 0.0, 0.0))

    # --- exchange -------------------------------------------------------------------------
    def arrive(self, request: Message) -> None:
        t, kind, side, value, gen, answer_at, qty = request
        tape = self.tape
        # The venue's rate limit: a bucket of one second's requests, refilled continuously.
        limit = self.rate_limit
        tokens = min(limit, self.tokens + (t - self.tokens_at) * limit)
        self.tokens_at = t
        if tokens < 1.0:
            self.tokens = tokens
            tape.blocks["rate_limit"] += 1
            tape.rejects += 1
            heapq.heappush(self.in_flight, (answer_at, REJECTED, -1 if kind == HEDGE else side, 0.0, gen, 0.0, 0.0))
            return
        self.tokens = tokens - 1.0
        if kind == HEDGE:
            self.hedge_fill(t, side, value, answer_at)
            return
        if kind != NEW:
            if self.live[side]:
                self.retire(t, side)  # the order this request cancels or replaces leaves the book
                tape.cancels_landed += 1
            else:
                tape.cancels_late += 1  # it filled before the request arrived
        if kind == CANCEL:
            return
        sign = SIGN[side]
        mid = self.mid[int(t * CELLS_PER_S)]
        if sign * (value - mid * (1.0 + sign * self.half_spread_frac)) >= 0.0:
            self.cross(t, side, value, qty, mid * (1.0 + sign * self.half_spread_frac), gen, answer_at)
            return
        self.live[side] = True
        self.live_px[side] = value
        self.live_qty[side] = qty
        self.live_since[side] = t
        self.live_gen[side] = gen
        self.ahead[side] = self.market.level_depth(sign * (mid - value) / mid * 1e4)  # the back of the queue
        self.ahead_at[side] = t

    def cross(self, t: float, side: int, limit: float, qty: float, touch: float, gen: int, answer_at: float) -> None:
        """A quote crosses the market on arrival: rejected if post-only, else a taker fill."""
        if self.p.post_only:
            self.tape.rejects += 1
            heapq.heappush(self.in_flight, (answer_at, REJECTED, side, 0.0, gen, 0.0, 0.0))
            return
        sign = SIGN[side]
        price = self.taker_price(touch, sign, qty)
        if sign * (price - limit) > 0.0:  # never worse than the limit
            price = limit
        self.fill(t, sign, qty, price, touch, self.taker_fee, False)
        self.tape.crossings += 1
        heapq.heappush(self.in_flight, (answer_at, FILLED_ALL, side, qty, gen, 0.0, 0.0))

    def maker_fill(self, t: float, side: int, beyond_bps: float, distance: float, tick_bps: float) -> None:
        """A market order reaches our resting quote: through our level it fills the quote whole;
        ending at our level, what it has left after the queue ahead of us."""
        qty = self.live_qty[side]
        if beyond_bps < tick_bps:
            # The order's size is consistent with its reach over the depth the others posted
            # (market._swept_size), so it has that share of the level's depth left: our quote
            # in the level does not make the order bigger. The queue ahead of us takes it first.
            left = beyond_bps / tick_bps * self.market.level_depth(distance)
            ahead = self.ahead[side] * math.exp(self.market.queue_cancel_rate * (self.ahead_at[side] - t))
            self.ahead[side] = max(0.0, ahead - left)
            self.ahead_at[side] = t
            if left - ahead <= EPS:
                return
            qty = min(qty, left - ahead)
        price = self.live_px[side]
        self.fill(t, SIGN[side], qty, price, price, self.maker_fee, True)
        self.live_qty[side] -= qty
        done = self.live_qty[side] <= EPS
        gen = self.live_gen[side]
        if done:
            self.retire(t, side)
        self.notify(t, FILLED_ALL if done else FILLED_PART, side, qty, gen)

    def hedge_fill(self, t: float, side: int, qty: float, answer_at: float) -> None:
        sign = SIGN[side]
        touch = self.mid[int(t * CELLS_PER_S)] * (1.0 + sign * self.half_spread_frac)
        self.fill(t, sign, qty, self.taker_price(touch, sign, qty), touch, self.taker_fee, False)
        heapq.heappush(self.in_flight, (answer_at, HEDGED, side, qty, 0, 0.0, 0.0))

    def taker_price(self, touch: float, sign: int, qty: float) -> float:
        """Square-root slippage beyond the touch."""
        return touch * (1.0 + sign * self.regime.slippage_bps * math.sqrt(qty) * 1e-4)

    def fill(self, t: float, sign: int, qty: float, price: float, touch: float, fee_rate: float, maker: bool) -> None:
        tape = self.tape
        tape.fill_time.append(t)
        tape.fill_side.append(sign)
        tape.fill_qty.append(qty)
        tape.fill_price.append(price)
        tape.fill_touch.append(touch)
        tape.fill_fee.append(fee_rate * price * qty)
        tape.fill_maker.append(maker)
        self.position += sign * qty

    def retire(self, t: float, side: int) -> None:
        """Our resting order on `side` leaves the book (filled, cancelled or replaced)."""
        tape = self.tape
        tape.order_ages_ms.append((t - self.live_since[side]) * 1e3)
        tape.quote_side.append(side)
        tape.quote_start.append(self.live_since[side])
        tape.quote_end.append(t)
        tape.quote_price.append(self.live_px[side])
        self.live[side] = False


def market_orders(m: MarketPath) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per market order: time (then a sentinel), our side it can hit, the price it reaches
    to, and how far that is from the pre-trade mid (bps)."""
    reach = m.mid[m.order_cell()] * (1.0 + m.order_side * m.order_reach_bps * 1e-4)
    hit_side = np.where(m.order_side > 0, ASK, BID)
    return np.append(m.order_time, math.inf), hit_side, reach, m.order_reach_bps


def _floats(values: np.ndarray) -> memoryview:
    return np.ascontiguousarray(values, dtype=np.float64).data


def run_window(params: Params, regime: MarketRegime, market: MarketPath, rng: np.random.Generator) -> Tape:
    return Session(params, regime, market, rng).run()
