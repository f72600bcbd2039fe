"""The KPI registry (DESIGN.md section 4): every KPI's name, unit, better direction and format,
and `IterationKPIs`, the `summary` object of ITER_SUMMARY_<i>.json as the simulator writes it.

Every other module takes KPI names from here: the gates (which KPIs a rule may name), the
drivers (which metrics must be numbers), the readers (which KPIs an iteration view holds), the
reports, the headless lines and the monitor.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

BLOCK_REASONS: tuple[str, ...] = ("min_interval", "concurrency", "risk", "throttle")


class Better(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str  # short heading for tables and charts
    unit: str
    better: Better
    format: str  # format spec of a shown value
    min_jump: float  # the smallest change between iterations a report calls a jump, in `unit`
    monitored: bool = False  # in every iteration view: tables, trends, summaries, reports

    def show(self, value: float | None, missing: str = "-") -> str:
        return missing if value is None else format(value, self.format)


_H, _L = Better.HIGHER, Better.LOWER

# In the order tables show them: the monitored KPIs first.
KPIS: dict[str, Kpi] = {
    kpi.name: kpi
    for kpi in (
        Kpi("maker_taker_ratio", "maker/taker", "share", _H, ".3f", 0.05, monitored=True),
        Kpi("net_bps", "net bps", "bp", _H, "+.2f", 1.0, monitored=True),
        Kpi("risk_ratio", "risk", "ratio", _L, ".2f", 0.05, monitored=True),
        Kpi("adverse_bps_p95", "adv p95", "bp", _L, ".1f", 1.0, monitored=True),
        Kpi("slippage_bps_p95", "slip p95", "bp", _L, ".1f", 1.0, monitored=True),
        Kpi("p95_latency_ms", "p95 ms", "ms", _L, ".0f", 25.0, monitored=True),
        Kpi("cancel_ratio", "cancel", "ratio", _L, ".2f", 0.05, monitored=True),
        Kpi("order_age_p95_ms", "age p95 ms", "ms", _L, ".0f", 250.0, monitored=True),
        Kpi("gross_bps", "gross bps", "bp", _H, "+.2f", 1.0),
        Kpi("fees_eff_bps", "fees bps", "bp", _L, "+.2f", 1.0),
        Kpi("slippage_bps", "slip bps", "bp", _L, "+.2f", 1.0),
        Kpi("adverse_bps", "adverse bps", "bp", _L, "+.2f", 1.0),
        Kpi("inventory_bps", "inventory bps", "bp", _L, "+.2f", 1.0),
        Kpi("pnl", "pnl", "quote", _H, "+.2f", 1.0),
        Kpi("max_drawdown", "drawdown", "quote", _L, ".2f", 1.0),
        Kpi("orders_sent", "orders", "count", _H, ".0f", 1.0),
        Kpi("cancels_sent", "cancels", "count", _L, ".0f", 1.0),
        Kpi("rejects", "rejects", "count", _L, ".0f", 1.0),
        Kpi("crossings", "crossings", "count", _L, ".0f", 1.0),
        Kpi("hedges", "hedges", "count", _L, ".0f", 1.0),
        Kpi("market_orders", "market orders", "count", _H, ".0f", 1.0),
    )
}
MONITORED: tuple[str, ...] = tuple(name for name, kpi in KPIS.items() if kpi.monitored)
GATEABLE: tuple[str, ...] = tuple(KPIS)  # a gate rule may name any of them


class FillStats(BaseModel):
    model_config = ConfigDict(extra="forbid")

    maker_count: int = Field(ge=0)
    taker_count: int = Field(ge=0)
    maker_volume: float = Field(ge=0)  # notional, quote currency
    taker_volume: float = Field(ge=0)


class BlockStats(BaseModel):
    """Blocked strategy actions per reason; ratios are per attempted action."""

    model_config = ConfigDict(extra="forbid")

    counts: dict[str, int]
    ratios: dict[str, float]


class IterationKPIs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fills: FillStats
    maker_taker_ratio: float = Field(ge=0, le=1)
    maker_taker_source: Literal["fills_volume", "fills_count"]
    gross_bps: float
    fees_eff_bps: float
    slippage_bps: float
    adverse_bps: float
    inventory_bps: float
    net_bps: float
    adverse_bps_p95: float
    slippage_bps_p95: float
    order_age_p95_ms: float = Field(ge=0)
    p95_latency_ms: float = Field(ge=0)
    cancel_ratio: float = Field(ge=0, le=1)
    risk_ratio: float = Field(ge=0, le=1)
    blocks: BlockStats
    neg_edge_drivers: list[str]
    pnl: float
    max_drawdown: float = Field(ge=0)
    # The raw counts behind the ratios above.
    orders_sent: int = Field(ge=0)
    cancels_sent: int = Field(ge=0)
    rejects: int = Field(ge=0)
    crossings: int = Field(default=0, ge=0)  # quotes that crossed on arrival and filled as taker
    hedges: int = Field(ge=0)
    market_orders: int = Field(ge=0)
