"""What happened in one window: every fill, request latency and order life, and the counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.kpi import BLOCK_REASONS


@dataclass
class Tape:
    """The record every engine hands to the ledger: columns as numpy arrays (an engine that
    records in Python lists converts them once, at the end of the window; see Recorder)."""

    # One entry per fill, in time order. side: +1 we bought, -1 we sold. `touch` is the price
    # the fill would have had without slippage: the quote for a maker fill, the market's best
    # bid/ask for a taker fill.
    fill_time: np.ndarray
    fill_side: np.ndarray  # int64
    fill_qty: np.ndarray
    fill_price: np.ndarray
    fill_touch: np.ndarray
    fill_fee: np.ndarray  # quote currency, negative = rebate
    fill_maker: np.ndarray  # bool
    latencies_ms: np.ndarray  # round trip of every request answered
    order_ages_ms: np.ndarray  # live time of every quote
    # One entry per quote that rested on the book: its side (0 bid, 1 ask), from, to, price.
    quote_side: np.ndarray  # int64
    quote_start: np.ndarray
    quote_end: np.ndarray
    quote_price: np.ndarray
    orders_sent: int
    cancels_sent: int
    cancels_landed: int  # cancels and replaces that reached their order on the book
    cancels_late: int  # ... that arrived after it had filled
    rejects: int  # post-only crossings and the venue's rate limit
    crossings: int  # quotes that crossed the market on arrival and filled as taker
    hedges: int
    actions: int  # strategy actions attempted (refreshes and per-side quote actions)
    blocks: dict[str, int]
    position: float  # inventory at the end of the window, units


INT_COLUMNS = ("fill_side", "quote_side")
BOOL_COLUMNS = ("fill_maker",)


@dataclass
class Recorder:
    """A Tape in the making, in Python lists (the pure-Python engine appends to these)."""

    fill_time: list[float] = field(default_factory=list)
    fill_side: list[int] = field(default_factory=list)
    fill_qty: list[float] = field(default_factory=list)
    fill_price: list[float] = field(default_factory=list)
    fill_touch: list[float] = field(default_factory=list)
    fill_fee: list[float] = field(default_factory=list)
    fill_maker: list[bool] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    order_ages_ms: list[float] = field(default_factory=list)
    quote_side: list[int] = field(default_factory=list)
    quote_start: list[float] = field(default_factory=list)
    quote_end: list[float] = field(default_factory=list)
    quote_price: list[float] = field(default_factory=list)
    orders_sent: int = 0
    cancels_sent: int = 0
    cancels_landed: int = 0
    cancels_late: int = 0
    rejects: int = 0
    crossings: int = 0
    hedges: int = 0
    actions: int = 0
    blocks: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BLOCK_REASONS, 0))
    position: float = 0.0

    def tape(self) -> Tape:
        columns: dict[str, Any] = {}
        for name, value in vars(self).items():
            if isinstance(value, list):
                dtype = np.int64 if name in INT_COLUMNS else bool if name in BOOL_COLUMNS else np.float64
                columns[name] = np.asarray(value, dtype=dtype)
        counters = {k: v for k, v in vars(self).items() if not isinstance(v, list)}
        return Tape(**columns, **counters)
