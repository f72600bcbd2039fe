"""The KPI registry (DESIGN.md section 4): every KPI's name, unit, better direction and format
(their data is core/kpis.toml), and `IterationKPIs`, the `summary` object of ITER_SUMMARY_<i>.json
as the simulator writes it.

Every other module takes KPI names from here: the gates (which KPIs a rule may name), the
drivers (which metrics must be numbers), the readers (which KPIs an iteration view holds), the
reports, the headless lines and the monitor.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Why a strategy action did not happen: the strategy held it back (min_interval, concurrency, risk,
# throttle) or the venue rejected it for its request rate (rate_limit).
BLOCK_REASONS: tuple[str, ...] = ("min_interval", "concurrency", "risk", "throttle", "rate_limit")
UNRANKED = 1000  # the priority of a monitored KPI that names none: after every one that does


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
    description: str
    monitored: bool = False  # in every iteration view: tables, trends, summaries, reports
    priority: int = UNRANKED  # the monitor's order of its column and chart: 1 first, dropped last
    width: int = 0  # cells its column needs; 0: its label's length, at least 7

    def show(self, value: float | None, missing: str = "-") -> str:
        return missing if value is None else format(value, self.format)


REGISTRY_FILE = Path(__file__).parent / "kpis.toml"


def _load(path: Path) -> dict[str, Kpi]:
    """The registry's data; a malformed entry is a defect of the package, so it fails loudly."""
    table = tomllib.loads(path.read_text(encoding="utf-8"))["kpi"]
    return {name: Kpi(name=name, **{**spec, "better": Better(spec["better"])}) for name, spec in table.items()}


KPIS: dict[str, Kpi] = _load(REGISTRY_FILE)
MONITORED: tuple[str, ...] = tuple(name for name, kpi in KPIS.items() if kpi.monitored)
# The monitor's order: its table's columns left to right, its charts in turn.
BY_PRIORITY: tuple[str, ...] = tuple(sorted(MONITORED, key=lambda name: KPIS[name].priority))
# The control arm (DESIGN.md section 4): `summary.control` holds the control parameters' KPIs on
# the same market path, `summary.uplift` the paired differences (ours - control) of these.
CONTROL, UPLIFT = "control", "uplift"
UPLIFT_KPIS: tuple[str, ...] = tuple(name.removeprefix(f"{UPLIFT}.") for name in KPIS if name.startswith(f"{UPLIFT}."))
# A gate rule may name any KPI of the registry, and `control.<kpi>`: the control arm's value of it.
CONTROL_KPIS: tuple[str, ...] = tuple(f"{CONTROL}.{name}" for name in KPIS if not name.startswith(f"{UPLIFT}."))
GATEABLE: tuple[str, ...] = (*KPIS, *CONTROL_KPIS)


def paired(name: str) -> bool:
    """A KPI of the control arm or of the uplift over it: a run's own parameters do not make it alone."""
    return name.startswith((f"{CONTROL}.", f"{UPLIFT}."))


def lookup(summary: Mapping[str, Any], name: str) -> Any:
    """A KPI's value in an iteration's summary; a dotted name (`uplift.pnl`) is a path into it."""
    if name in summary or "." not in name:
        return summary.get(name)
    value: Any = summary
    for part in name.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


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
    """A window's KPIs. A window without fills has no edge: its per-notional KPIs are None."""

    model_config = ConfigDict(extra="forbid")

    fills: FillStats
    maker_taker_ratio: float | None = Field(ge=0, le=1)
    maker_taker_source: Literal["fills_volume", "fills_count", "no_fills"]
    gross_bps: float | None
    fees_eff_bps: float | None
    slippage_bps: float | None
    adverse_bps: float | None
    inventory_bps: float | None
    net_bps: float | None
    adverse_bps_p95: float | None
    slippage_bps_p95: float | None  # of taker fills: None without any
    order_age_p95_ms: float = Field(ge=0)
    p95_latency_ms: float = Field(ge=0)
    cancel_ratio: float = Field(ge=0, le=1)
    risk_ratio: float = Field(ge=0, le=1)
    quote_presence: float = Field(ge=0, le=1)
    blocks: BlockStats
    neg_edge_drivers: list[str]
    pnl: float
    pnl_per_hour: float
    volume: float = Field(ge=0)
    volume_per_hour: float = Field(ge=0)
    max_drawdown: float = Field(ge=0)
    # The raw counts behind the ratios above.
    orders_sent: int = Field(ge=0)
    cancels_sent: int = Field(ge=0)
    cancels_landed: int = Field(default=0, ge=0)
    cancels_late: int = Field(default=0, ge=0)
    rejects: int = Field(ge=0)
    crossings: int = Field(default=0, ge=0)  # quotes that crossed on arrival and filled as taker
    hedges: int = Field(ge=0)
    market_orders: int = Field(ge=0)
