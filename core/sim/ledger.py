"""The KPIs of DESIGN.md section 4, computed from a window's tape and its market.

Edge decomposition, per fill of signed size d*qty at `price` (touch = price without slippage):
    d*qty*(mid_end - price) =   d*qty*(mid_fill - touch)        gross
                              - d*qty*(price - touch)           slippage
                              - (-d*qty*(mid_markout - mid_fill))  adverse
                              - (-d*qty*(mid_end - mid_markout))   inventory
and the sum over fills, less fees, is the mark-to-market PnL. Each term is computed on its own,
and net comes from cash and inventory, so the identity is a check, not a definition.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from core.kpi import BLOCK_REASONS, BlockStats, FillStats, IterationKPIs
from core.sim.market import CELLS_PER_S, MarketPath, cells_of
from core.sim.tape import Tape

MARKOUT_S = 5.0
EDGE_KPIS = ("gross_bps", "fees_eff_bps", "slippage_bps", "adverse_bps", "inventory_bps", "net_bps")
DRAWDOWN_SAMPLE_CELLS = 10  # mark the PnL to market every 100 ms
QuotedCells = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float], int]


def quoted_cells(
    mid: np.ndarray, side: np.ndarray, start: np.ndarray, stop: np.ndarray, price: np.ndarray, band_bps: float
) -> int:
    """The cells in which both sides rested within `band_bps` of mid, from the quotes (side, cells
    [start, stop), price)."""
    n = len(mid)
    quoted = np.ones(n, dtype=bool)
    for s, sign in ((0, 1.0), (1, -1.0)):
        mine = side == s
        distance = sign * (mid - _resting(start[mine], stop[mine], price[mine], n)) / mid * 1e4
        quoted &= distance <= band_bps  # NaN compares False: no quote
    return int(np.count_nonzero(quoted))


def _resting(start: np.ndarray, stop: np.ndarray, price: np.ndarray, n: int) -> np.ndarray:
    """The price resting in each of n cells (NaN: none), from one side's quotes over cells
    [start, stop). An engine keeps at most one quote per side on the book, and records it as it
    leaves, so the quotes come in time order and the gaps between them are never negative."""
    count = len(start)
    values = np.full(2 * count + 1, np.nan)
    values[1::2] = price
    lengths = np.empty(2 * count + 1, dtype=np.int64)
    lengths[0::2] = np.append(start, n) - np.concatenate(([0], stop))  # the gaps, before each and after the last
    lengths[1::2] = stop - start
    return np.repeat(values, lengths)


def summarise(
    tape: Tape,
    market: MarketPath,
    max_position: float,
    presence_band_bps: float,
    count_quoted: QuotedCells = quoted_cells,
) -> IterationKPIs:
    """The window's KPIs; `count_quoted` is the engine's way of counting quoted cells (numpy's
    by default, the numba engine's compiled twin)."""
    fills = _Fills(tape, market)
    pnl = fills.pnl(tape.position)
    volume = float(fills.notional.sum())
    edge = fills.edge_bps(pnl)
    per_hour = 3600.0 / market.window_s
    return IterationKPIs(
        fills=fills.stats(),
        maker_taker_ratio=fills.maker_share(),
        maker_taker_source=fills.maker_share_source(),
        **edge,
        adverse_bps_p95=_p95(fills.per_fill_bps(fills.adverse)),
        slippage_bps_p95=_p95(fills.per_fill_bps(fills.slippage)[~fills.maker]),
        order_age_p95_ms=_p95(tape.order_ages_ms) or 0.0,
        p95_latency_ms=_p95(tape.latencies_ms) or 0.0,
        cancel_ratio=tape.cancels_sent / tape.orders_sent if tape.orders_sent else 0.0,
        risk_ratio=min(1.0, fills.mean_abs_position() / max_position),
        quote_presence=quote_presence(tape, market, presence_band_bps, count_quoted),
        blocks=_blocks(tape),
        neg_edge_drivers=_neg_edge_drivers(edge),
        pnl=pnl,
        pnl_per_hour=pnl * per_hour,
        volume=volume,
        volume_per_hour=volume * per_hour,
        max_drawdown=fills.max_drawdown(),
        orders_sent=tape.orders_sent,
        cancels_sent=tape.cancels_sent,
        cancels_landed=tape.cancels_landed,
        cancels_late=tape.cancels_late,
        rejects=tape.rejects,
        crossings=tape.crossings,
        hedges=tape.hedges,
        market_orders=len(market.order_time),
    )


def quote_presence(tape: Tape, market: MarketPath, band_bps: float, count_quoted: QuotedCells) -> float:
    """Share of the window's cells in which both sides rested within `band_bps` of mid."""
    n = market.cells
    if n == 0:
        return 0.0
    side = np.asarray(tape.quote_side, dtype=np.int64)
    start = np.minimum(cells_of(np.asarray(tape.quote_start, dtype=float)), n)
    stop = np.minimum(cells_of(np.asarray(tape.quote_end, dtype=float)), n)
    price = np.asarray(tape.quote_price, dtype=float)
    return int(count_quoted(market.mid[:n], side, start, stop, price, band_bps)) / n


class _Fills:
    """The tape's fills as arrays, and the PnL terms per fill (quote currency)."""

    def __init__(self, tape: Tape, market: MarketPath) -> None:
        self.market = market
        self.time = np.asarray(tape.fill_time, dtype=float)
        self.side = np.asarray(tape.fill_side, dtype=float)
        self.qty = np.asarray(tape.fill_qty, dtype=float)
        self.price = np.asarray(tape.fill_price, dtype=float)
        self.fee = np.asarray(tape.fill_fee, dtype=float)
        self.maker = np.asarray(tape.fill_maker, dtype=bool)
        touch = np.asarray(tape.fill_touch, dtype=float)
        mid = market.mid
        cell = cells_of(self.time)
        mid_fill = mid[cell]
        mid_markout = mid[np.minimum(cell + round(MARKOUT_S * CELLS_PER_S), market.cells)]
        mid_end = mid[market.cells]
        signed = self.side * self.qty
        self.notional = self.qty * self.price
        self.gross = signed * (mid_fill - touch)
        self.slippage = signed * (self.price - touch)
        self.adverse = -signed * (mid_markout - mid_fill)
        self.inventory = -signed * (mid_end - mid_markout)

    def stats(self) -> FillStats:
        return FillStats(
            maker_count=int(self.maker.sum()),
            taker_count=int((~self.maker).sum()),
            maker_volume=float(self.notional[self.maker].sum()),
            taker_volume=float(self.notional[~self.maker].sum()),
        )

    def maker_share(self) -> float | None:
        volume = self.notional.sum()
        if volume > 0:
            return float(self.notional[self.maker].sum() / volume)
        return float(self.maker.mean()) if len(self.maker) else None

    def maker_share_source(self) -> Literal["fills_volume", "fills_count", "no_fills"]:
        if self.notional.sum() > 0:
            return "fills_volume"
        return "fills_count" if len(self.maker) else "no_fills"

    def edge_bps(self, pnl: float) -> dict[str, float | None]:
        """The terms and the net in bps of traded notional (numpy's pairwise sums keep the
        identity to ~1e-12 bps); None without fills: a window that traded nothing has no edge."""
        volume = float(self.notional.sum())
        if volume <= 0:
            return dict.fromkeys(EDGE_KPIS)
        to_bps = 1e4 / volume
        return {
            "gross_bps": float(self.gross.sum()) * to_bps,
            "fees_eff_bps": float(self.fee.sum()) * to_bps,
            "slippage_bps": float(self.slippage.sum()) * to_bps,
            "adverse_bps": float(self.adverse.sum()) * to_bps,
            "inventory_bps": float(self.inventory.sum()) * to_bps,
            "net_bps": pnl * to_bps,
        }

    def pnl(self, position: float) -> float:
        """Cash plus the inventory marked at the last mid, less fees."""
        cash = float(np.sum(-self.side * self.qty * self.price))
        mid_end = float(self.market.mid[self.market.cells])
        return cash + position * mid_end - float(self.fee.sum())

    def per_fill_bps(self, term: np.ndarray) -> np.ndarray:
        return term / self.notional * 1e4 if len(term) else term

    def mean_abs_position(self) -> float:
        window = self.market.window_s
        position = np.cumsum(self.side * self.qty)
        held = np.diff(np.append(self.time, window))
        return float(np.abs(position) @ held / window)

    def max_drawdown(self) -> float:
        mid = self.market.mid
        cells = np.append(np.arange(0, self.market.cells, DRAWDOWN_SAMPLE_CELLS), self.market.cells)
        done = np.searchsorted(self.time, cells / CELLS_PER_S, side="right")
        position = np.concatenate(([0.0], np.cumsum(self.side * self.qty)))
        cash = np.concatenate(([0.0], np.cumsum(-self.side * self.qty * self.price - self.fee)))
        marked = np.concatenate(([0.0], cash[done] + position[done] * mid[cells]))
        return float(np.max(np.maximum.accumulate(marked) - marked))


def _p95(values: Sequence[float] | np.ndarray) -> float | None:
    """The 95th percentile, interpolated linearly as numpy.percentile does by default; None of
    nothing."""
    if not len(values):
        return None
    position = 0.95 * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    ranked = np.partition(np.asarray(values, dtype=float), (low, high))
    return float(ranked[low] + (position - low) * (ranked[high] - ranked[low]))


def _blocks(tape: Tape) -> BlockStats:
    actions = tape.actions
    return BlockStats(
        counts=dict(tape.blocks),
        ratios={r: (tape.blocks[r] / actions if actions else 0.0) for r in BLOCK_REASONS},
    )


def _neg_edge_drivers(edge: dict[str, float | None]) -> list[str]:
    """The largest costs, when the window lost money: components that pulled net down."""
    if edge["net_bps"] is None or edge["net_bps"] >= 0:
        return []
    terms = {key: value or 0.0 for key, value in edge.items()}  # all present: the window traded
    costs = {
        "adverse_bps": terms["adverse_bps"],
        "fees_eff_bps": terms["fees_eff_bps"],
        "slippage_bps": terms["slippage_bps"],
        "inventory_bps": terms["inventory_bps"],
        "gross_bps": -terms["gross_bps"],
    }
    return [k for k, v in sorted(costs.items(), key=lambda kv: -kv[1]) if v > 0][:3]
