"""Market scenarios (DESIGN.md section 2): the constants of each regime, the regime schedules and
the venue's fee tiers. Their data is core/scenarios.toml; a user's scenario is a TOML file of the
same shape (`--scenario PATH.toml`: a `schedule`, and `[regime.<name>]` tables of its own).

Units: sigma in bp/sqrt(s), rates per second, depth decay k per bp, prices and fees in bps of mid
(a negative fee is a rebate), latencies in ms, sizes in units of our quote.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import ScenarioError

DATA_FILE = Path(__file__).parent / "scenarios.toml"


class FeeTier(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    maker_fee_bps: float  # negative: a rebate
    taker_fee_bps: float


class MarketRegime(BaseModel):
    """The constants of one market regime (their meaning: core/scenarios.toml)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    fee_tier: str
    tick_bps: float = Field(gt=0)
    half_spread_bps: float = Field(ge=0)
    sigma_bps: float = Field(ge=0)
    vol_of_vol: float = Field(ge=0, le=2)
    vol_half_life_s: float = Field(gt=0)
    arrival_rate: float = Field(gt=0)
    branching: float = Field(ge=0, lt=0.95)
    hawkes_decay_s: float = Field(gt=0)
    side_persistence: float = Field(ge=0, le=1)
    informed_share: float = Field(ge=0, le=1)
    informed_horizon_s: float = Field(gt=0)
    informed_reach_ratio: float = Field(gt=0, le=1)
    depth_decay_k: float = Field(gt=0)
    depth_touch: float = Field(ge=0)
    depth_slope: float = Field(ge=0)
    queue_cancel_rate: float = Field(ge=0)
    impact_bps: float = Field(ge=0)
    impact_permanent: float = Field(ge=0, le=1)
    impact_decay_s: float = Field(gt=0)
    slippage_bps: float = Field(ge=0)
    entry_latency_median_ms: float = Field(ge=0)
    entry_latency_sigma: float = Field(ge=0)
    response_latency_median_ms: float = Field(ge=0)
    response_latency_sigma: float = Field(ge=0)
    feed_latency_median_ms: float = Field(ge=0)
    feed_latency_sigma: float = Field(ge=0)
    queue_ms_per_rps: float = Field(ge=0)
    latency_burst: float = Field(ge=0)
    rate_limit_per_s: float = Field(gt=0)
    presence_band_bps: float = Field(gt=0)

    @property
    def fees(self) -> FeeTier:
        return get_fee_tier(self.fee_tier)

    @property
    def maker_fee_bps(self) -> float:
        return self.fees.maker_fee_bps

    @property
    def taker_fee_bps(self) -> float:
        return self.fees.taker_fee_bps


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    schedule: tuple[str, ...] = Field(min_length=1)  # regime names, one per iteration, cycled
    regimes: dict[str, MarketRegime]  # every regime the schedule names


def _one_line(err: ValidationError) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "?"
    return f"{key}={first.get('input')!r}: {first['msg'].lower()}"


def _regimes(table: Any, known: dict[str, MarketRegime], where: str) -> dict[str, MarketRegime]:
    """`[regime.<name>]` tables, each from its `base` (a regime named earlier or a built-in one)."""
    if not isinstance(table, dict):
        raise ScenarioError(f"{where}: [regime.<name>] must be tables")
    regimes: dict[str, MarketRegime] = {}
    for name, spec in table.items():
        if not isinstance(spec, dict):
            raise ScenarioError(f"{where}: regime.{name} must be a table")
        values = dict(spec)
        base = values.pop("base", None)
        if base is not None:
            parent = regimes.get(base) or known.get(base)
            if parent is None:
                raise ScenarioError(f"{where}: regime.{name}.base={base!r}: unknown regime")
            values = {**parent.model_dump(), **values}
        try:
            regime = MarketRegime.model_validate(values)
        except ValidationError as err:
            raise ScenarioError(f"{where}: regime.{name}.{_one_line(err)}") from None
        get_fee_tier(regime.fee_tier)
        regimes[name] = regime
    return regimes


def _scenario(name: str, spec: Any, regimes: dict[str, MarketRegime], where: str) -> Scenario:
    if not isinstance(spec, dict):
        raise ScenarioError(f"{where}: scenario {name} must be a table")
    schedule = spec.get("schedule")
    if not isinstance(schedule, list) or not schedule or not all(isinstance(r, str) for r in schedule):
        raise ScenarioError(f"{where}: schedule={schedule!r}: expected a non-empty list of regime names")
    unknown = [r for r in schedule if r not in regimes]
    if unknown:
        raise ScenarioError(f"{where}: schedule names unknown regime {unknown[0]!r}; known: {', '.join(regimes)}")
    extra = sorted(set(spec) - {"schedule", "description", "regime"})
    if extra:
        raise ScenarioError(f"{where}: unknown key {extra[0]!r}; allowed: schedule, description, [regime.<name>]")
    description = spec.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError(f"{where}: description={description!r}: expected a string")
    used = {r: regimes[r] for r in schedule}
    return Scenario(name=name, description=description, schedule=tuple(schedule), regimes=used)


_DATA = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))
FEE_TIERS: dict[str, FeeTier] = {name: FeeTier.model_validate(spec) for name, spec in _DATA["fee_tier"].items()}


def get_fee_tier(name: str) -> FeeTier:
    try:
        return FEE_TIERS[name]
    except (KeyError, TypeError):
        raise ScenarioError(f"fees={name!r}: unknown fee tier; allowed: {', '.join(FEE_TIERS)}") from None


REGIMES: dict[str, MarketRegime] = _regimes(_DATA["regime"], {}, DATA_FILE.name)
NORMAL = REGIMES["normal"]
_SCENARIOS: dict[str, Scenario] = {
    name: _scenario(name, spec, REGIMES, DATA_FILE.name) for name, spec in _DATA["scenario"].items()
}
SCENARIOS: tuple[str, ...] = tuple(_SCENARIOS)
DEFAULT_SCENARIO = "normal"


def variant(base: MarketRegime, **changes: Any) -> MarketRegime:
    """`base` with some constants changed, validated."""
    return MarketRegime.model_validate({**base.model_dump(), **changes})


@functools.lru_cache(maxsize=32)
def _load_file(path: Path) -> Scenario:
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ScenarioError(f"scenario {where}: cannot read: {err.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ScenarioError(f"scenario {where}: malformed TOML: {err}") from None
    regimes = {**REGIMES, **_regimes(data.get("regime", {}), REGIMES, where)}
    return _scenario(path.stem, data, regimes, where)


def get_scenario(name: str) -> Scenario:
    """A built-in scenario by name, or a scenario file (a path ending in .toml)."""
    if isinstance(name, str) and name.endswith(".toml"):
        return _load_file(Path(name).resolve())
    try:
        return _SCENARIOS[name]
    except (KeyError, TypeError):
        raise ScenarioError(f"scenario={name!r}: unknown scenario; allowed: {', '.join(SCENARIOS)}") from None


def regime_for(scenario_name: str, iteration: int) -> tuple[str, MarketRegime]:
    """The regime in force at `iteration` (1-based, as in ITER_SUMMARY_<i>)."""
    scenario = get_scenario(scenario_name)
    name = scenario.schedule[(iteration - 1) % len(scenario.schedule)]
    return name, scenario.regimes[name]
