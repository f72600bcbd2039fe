"""The strategy and the exchange as one event-driven loop over a pre-generated market.

Three kinds of event, in time order: market orders (from the MarketPath), strategy refreshes
(every min_interval, or at once after a fill if min_interval allows), and requests reaching the
exchange after their latency (a heap). The strategy keeps one quote per side and moves it with
cancel-replace requests; the exchange applies the latest request of a side that arrives and drops
older ones, and drops requests about an order that filled before they arrived.
The strategy learns of its own fills at once. The hot loop works on plain floats and lists
(DESIGN.md section 2, Speed).
"""

from __future__ import annotations

import heapq
import math
from collections import deque

import numpy as np

from core.params import Params
from core.scenarios import MarketRegime
from core.sim.market import CELLS_PER_S, MarketPath
from core.sim.tape import Tape

QUOTE_SIZE = 1.0  # units per quote
HEDGE_TRIGGER = 0.5  # hedge once |inventory| reaches this share of max_position
THROTTLE_WINDOW_S = 60.0  # replace_rate_per_min counts replacements over this window
RATE_WINDOW_S = 1.0  # queueing follows the request rate averaged over about this long
LATENCY_CHUNK = 512
EPS = 1e-12

BID, ASK = 0, 1
SIGN = (1, -1)  # +1: the side buys
QUOTE, CANCEL, HEDGE = 0, 1, 2  # request kinds; QUOTE places or replaces a side's order


class Session:
    """One window of the strategy quoting against the market; run() fills in a Tape."""

    def __init__(self, params: Params, regime: MarketRegime, market: MarketPath, rng: np.random.Generator) -> None:
        self.p = params
        self.regime = regime
        self.market = market
        self.rng = rng
        self.latency_median_ms = regime.latency_median_ms
        self.latency_sigma = regime.latency_sigma
        self.queue_ms_per_rps = regime.queue_ms_per_rps
        self.half_spread_frac = regime.half_spread_bps * 1e-4
        self.tape = Tape()
        self.mid = market.mid.data
        self.interval = params.min_interval_ms * 1e-3
        self.position = 0.0
        self.hedging = False  # a hedge is in flight
        self.last_update = -math.inf  # the last refresh that sent a quote
        self.replaced: deque[float] = deque()  # replacement times, for the throttle
        # Strategy side, per BID/ASK: the price it last asked for (None: no quote) and when.
        self.wanted: list[float | None] = [None, None]
        self.wanted_at = [0.0, 0.0]
        self.sent_gen = [0, 0]  # generation of the latest request per side
        # Exchange side, per BID/ASK: our resting order.
        self.live = [False, False]
        self.live_px = [0.0, 0.0]
        self.live_qty = [0.0, 0.0]
        self.live_since = [0.0, 0.0]
        self.applied_gen = [0, 0]
        # Gateway: requests in flight as (arrival, kind, side, value, gen), latency draws, and
        # the recent request rate.
        self.in_flight: list[tuple[float, int, int, float, int]] = []
        self.draws: list[float] = []
        self.rate = 0.0
        self.last_send = 0.0

    # --- the loop -------------------------------------------------------------------------
    def run(self) -> Tape:
        p, tape, market = self.p, self.tape, self.market
        times, hit_side, reach, sizes = self.market_orders()
        observed = market.observed_mid.data
        end, interval = market.window_s, self.interval
        in_flight, pop = self.in_flight, heapq.heappop
        wanted, wanted_at, live, live_px = self.wanted, self.wanted_at, self.live, self.live_px
        half_spread, skew = p.base_spread_bps * 1e-4, p.inventory_skew_bps * 1e-4
        limit = p.max_position
        threshold = p.replace_threshold_bps * 1e-4
        tail_age = p.tail_age_ms * 1e-3
        next_tick = 0.0
        i = refreshes = 0
        while True:
            t = times[i]
            tick = next_tick <= t
            if tick:
                t = next_tick
                next_tick = t + interval
            if t >= end:
                break
            while in_flight and in_flight[0][0] <= t:
                self.arrive(pop(in_flight))
            if not tick:
                side, j = hit_side[i], i
                i += 1
                if not (live[side] and SIGN[side] * (live_px[side] - reach[j]) >= 0.0):
                    continue
                self.maker_fill(t, side, sizes[j])  # then refresh at once
            # Refresh: quote both sides around the (delayed) mid, leaning against inventory.
            refreshes += 1
            mid = observed[int(t * CELLS_PER_S)]
            q = self.position
            lean = skew * (q / limit if -limit < q < limit else (1.0 if q > 0 else -1.0))
            bid = mid - mid * (half_spread + lean)
            ask = mid + mid * (half_spread - lean)
            band = threshold * mid
            bid_now, ask_now = wanted
            bid_at_limit, ask_at_limit = q + QUOTE_SIZE > limit, QUOTE_SIZE - q > limit
            if bid_at_limit or bid_now is None or not -band <= bid - bid_now <= band or t - wanted_at[BID] > tail_age:
                self.requote(t, BID, bid, bid_at_limit)
            if ask_at_limit or ask_now is None or not -band <= ask - ask_now <= band or t - wanted_at[ASK] > tail_age:
                self.requote(t, ASK, ask, ask_at_limit)
        while in_flight and in_flight[0][0] <= end:
            self.arrive(pop(in_flight))
        for side in (BID, ASK):
            if live[side]:
                tape.order_ages_ms.append((end - self.live_since[side]) * 1e3)
        tape.position = self.position
        tape.actions += refreshes
        return tape

    def market_orders(self) -> tuple[list[float], list[int], list[float], list[float]]:
        """Per market order: time (then a sentinel), our side it can hit, the price it reaches
        to, its size."""
        m = self.market
        reach = m.mid[m.order_cell()] * (1.0 + m.order_side * m.order_reach_bps * 1e-4)
        hit_side = np.where(m.order_side > 0, ASK, BID)
        times = [*m.order_time.tolist(), math.inf]
        return times, hit_side.tolist(), reach.tolist(), m.order_size.tolist()

    def requote(self, t: float, side: int, price: float, at_limit: bool) -> None:
        """Act on a side whose quote is missing, off by more than the threshold, or too old."""
        tape, current = self.tape, self.wanted[side]
        tape.actions += 1
        if at_limit:
            tape.blocks["risk"] += 1
            if current is not None:
                self.request(t, CANCEL, side, 0.0)
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
        if len(self.in_flight) >= self.p.concurrency_limit:
            tape.blocks["concurrency"] += 1
            return
        if current is not None:
            replaced.append(t)
        self.last_update = t
        self.request(t, QUOTE, side, price)

    # --- gateway --------------------------------------------------------------------------
    def request(self, t: float, kind: int, side: int, value: float) -> None:
        """Send a request; `value` is the price of a QUOTE, the size of a HEDGE."""
        draws = self.draws
        if not draws:
            z = self.rng.standard_normal(LATENCY_CHUNK)
            draws = self.draws = (self.latency_median_ms * np.exp(self.latency_sigma * z)).tolist()
            draws.reverse()  # pop() from the end hands them out in the order drawn
        # Queueing grows with the recent request rate: a chattier strategy waits longer.
        decay = math.exp((self.last_send - t) / RATE_WINDOW_S)
        rate = self.rate = self.rate * decay + 1.0 / RATE_WINDOW_S
        self.last_send = t
        latency_ms = draws.pop() + self.queue_ms_per_rps * rate
        tape, wanted = self.tape, self.wanted
        tape.latencies_ms.append(latency_ms)
        gen = 0
        if kind != HEDGE:
            gen = self.sent_gen[side] = self.sent_gen[side] + 1
            if wanted[side] is not None:
                tape.cancels_sent += 1  # a cancel, or a replace: it cancels what it replaces
            if kind == QUOTE:
                tape.orders_sent += 1
                self.wanted_at[side] = t
                wanted[side] = value
            else:
                wanted[side] = None
        # Ties in arrival time (zero latency) resolve by the rest of the tuple: any fixed order is
        # fine, as the generations decide which request of a side counts.
        heapq.heappush(self.in_flight, (t + latency_ms * 1e-3, kind, side, value, gen))

    # --- exchange -------------------------------------------------------------------------
    def arrive(self, request: tuple[float, int, int, float, int]) -> None:
        t, kind, side, value, gen = request
        if kind == HEDGE:
            self.hedge_fill(t, side, value)
            return
        applied = self.applied_gen
        if gen <= applied[side]:
            return  # superseded by a later request, or about an order that has filled
        applied[side] = gen
        if self.live[side]:  # the order this request cancels or replaces leaves the book
            self.retire(t, side)
        if kind == CANCEL:
            return
        sign = SIGN[side]
        touch = self.mid[int(t * CELLS_PER_S)] * (1.0 + sign * self.half_spread_frac)
        if sign * (value - touch) < 0.0:
            self.live[side] = True
            self.live_px[side] = value
            self.live_qty[side] = QUOTE_SIZE
            self.live_since[side] = t
        else:
            self.cross(t, side, value, touch, gen)

    def cross(self, t: float, side: int, limit: float, touch: float, gen: int) -> None:
        """A quote crosses the market on arrival: rejected if post-only, else a taker fill."""
        if gen == self.sent_gen[side]:
            self.wanted[side] = None
        if self.p.post_only:
            self.tape.rejects += 1
            return
        sign = SIGN[side]
        price = self.taker_price(touch, sign, QUOTE_SIZE)
        if sign * (price - limit) > 0.0:  # never worse than the limit
            price = limit
        self.fill(t, sign, QUOTE_SIZE, price, touch, self.regime.taker_fee_bps, False)
        self.tape.crossings += 1
        self.after_fill(t)

    def maker_fill(self, t: float, side: int, size: float) -> None:
        """A market order reaches our resting quote: it fills at the quote's price."""
        qty = min(self.live_qty[side], size)
        price = self.live_px[side]
        self.fill(t, SIGN[side], qty, price, price, self.regime.maker_fee_bps, True)
        self.live_qty[side] -= qty
        if self.live_qty[side] <= EPS:
            self.retire(t, side)
            self.applied_gen[side] = self.sent_gen[side]
            self.wanted[side] = None
        self.after_fill(t)

    def hedge_fill(self, t: float, side: int, qty: float) -> None:
        sign = SIGN[side]
        touch = self.mid[int(t * CELLS_PER_S)] * (1.0 + sign * self.half_spread_frac)
        price = self.taker_price(touch, sign, qty)
        self.fill(t, sign, qty, price, touch, self.regime.taker_fee_bps, False)
        self.hedging = False
        self.after_fill(t)

    def taker_price(self, touch: float, sign: int, qty: float) -> float:
        """Square-root slippage beyond the touch."""
        return touch * (1.0 + sign * self.regime.slippage_bps * math.sqrt(qty) * 1e-4)

    def fill(
        self,
        t: float,
        sign: int,
        qty: float,
        price: float,
        touch: float,
        fee_bps: float,
        maker: bool,
    ) -> None:
        tape = self.tape
        tape.fill_time.append(t)
        tape.fill_side.append(sign)
        tape.fill_qty.append(qty)
        tape.fill_price.append(price)
        tape.fill_touch.append(touch)
        tape.fill_fee.append(fee_bps * 1e-4 * price * qty)
        tape.fill_maker.append(maker)
        self.position += sign * qty

    def retire(self, t: float, side: int) -> None:
        """Our resting order on `side` leaves the book (filled, cancelled or replaced)."""
        self.live[side] = False
        self.tape.order_ages_ms.append((t - self.live_since[side]) * 1e3)

    # --- strategy -------------------------------------------------------------------------
    def after_fill(self, t: float) -> None:
        """Hedge as taker once inventory passes the trigger, at most impact_cap of the limit."""
        q = self.position
        limit = self.p.max_position
        if self.hedging or abs(q) < HEDGE_TRIGGER * limit:
            return
        self.hedging = True
        self.tape.hedges += 1
        size = min(abs(q), self.p.impact_cap_ratio * limit)
        self.request(t, HEDGE, ASK if q > 0 else BID, size)


def run_window(params: Params, regime: MarketRegime, market: MarketPath, rng: np.random.Generator) -> Tape:
    return Session(params, regime, market, rng).run()
