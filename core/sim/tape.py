"""What happened in one window: every fill, request latency and order life, and the counters."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.kpi import BLOCK_REASONS


@dataclass
class Tape:
    # One entry per fill, in time order. side: +1 we bought, -1 we sold. `touch` is the price
    # the fill would have had without slippage: the quote for a maker fill, the market's best
    # bid/ask for a taker fill.
    fill_time: list[float] = field(default_factory=list)
    fill_side: list[int] = field(default_factory=list)
    fill_qty: list[float] = field(default_factory=list)
    fill_price: list[float] = field(default_factory=list)
    fill_touch: list[float] = field(default_factory=list)
    fill_fee: list[float] = field(default_factory=list)  # quote currency, negative = rebate
    fill_maker: list[bool] = field(default_factory=list)

    latencies_ms: list[float] = field(default_factory=list)  # round trip of every request answered
    order_ages_ms: list[float] = field(default_factory=list)  # live time of every quote
    # One entry per quote that rested on the book: its side (0 bid, 1 ask), from, to, price.
    quote_side: list[int] = field(default_factory=list)
    quote_start: list[float] = field(default_factory=list)
    quote_end: list[float] = field(default_factory=list)
    quote_price: list[float] = field(default_factory=list)
    orders_sent: int = 0
    cancels_sent: int = 0
    cancels_landed: int = 0  # cancels and replaces that reached their order on the book
    cancels_late: int = 0  # ... that arrived after it had filled
    rejects: int = 0  # post-only crossings and the venue's rate limit
    crossings: int = 0  # quotes that crossed the market on arrival and filled as taker
    hedges: int = 0
    actions: int = 0  # strategy actions attempted (refreshes and per-side quote actions)
    blocks: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BLOCK_REASONS, 0))
    position: float = 0.0  # inventory at the end of the window, units
