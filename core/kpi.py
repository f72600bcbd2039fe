"""The KPIs of one iteration (DESIGN.md section 4): the `summary` object of ITER_SUMMARY_<i>.json."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

BLOCK_REASONS: tuple[str, ...] = ("min_interval", "concurrency", "risk", "throttle")


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
