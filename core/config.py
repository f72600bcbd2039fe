"""Run configuration: defaults < profile < SOAK_* environment < CLI, with the source of each value."""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.compat import Layer, older_environment
from core.errors import ConfigError, ParamError
from core.params import PARAM_SPECS, Params, describe_validation_error, load_profile
from core.scenarios import get_fee_tier

ENV_PREFIX = "SOAK_"
DEFAULT_OUT = Path("artifacts/soak")
Pace = Literal["fast", "realtime"] | float


class RunSettings(BaseModel):
    """Everything about a run that is not a strategy parameter."""

    model_config = ConfigDict(extra="forbid")

    iterations: int | None = Field(default=None, ge=1, le=1_000_000)
    hours: float | None = Field(default=None, gt=0, le=10_000)
    window_s: float = Field(default=600.0, ge=1, le=86_400)  # a shorter window holds no order's round trip
    seed: int = Field(default=42, ge=0, le=2**63 - 1)
    auto_tune: bool = True
    warmup: int = Field(default=0, ge=0, le=1_000_000)  # conservative iterations first (core/tuning/warmup.py)
    driver: str = "sim"
    profile: str = "default"
    gate: str = "smoke"
    scenario: str = "normal"
    fees: str | None = None  # a venue fee tier (core/scenarios.toml); None: the scenario's own
    pace: Pace = "fast"
    out: Path = DEFAULT_OUT
    json_events: bool = False
    junit: Path | None = None
    summary_md: Path | None = None
    report_json: Path | None = None  # the report `soak report --json` writes, once the run is over


DEFAULT_ITERATIONS = 10
SETTING_KEYS = tuple(RunSettings.model_fields)


class SoakConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    settings: RunSettings
    params: Params
    sources: dict[str, str]  # key -> "default" | "profile:<name>" | "env:SOAK_X" | "cli"

    @property
    def total_iterations(self) -> int:
        s = self.settings
        if s.iterations is not None:
            return s.iterations
        if s.hours is not None:
            return max(1, math.ceil(s.hours * 3600 / s.window_s))
        return DEFAULT_ITERATIONS

    @property
    def driver_argv(self) -> list[str] | None:
        """The external driver's command as an argument list, or None for the simulator."""
        if self.settings.driver in ("sim", "mock"):
            return None
        return shlex.split(self.settings.driver)


def parse_pace(value: Any) -> Pace:
    if value == "fast" or value == "realtime":
        return "fast" if value == "fast" else "realtime"
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"pace={value!r}: allowed: fast, realtime or a number of seconds >= 0") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise ConfigError(f"pace={value!r}: allowed: fast, realtime or a number of seconds >= 0")
    return seconds


def env_overrides(env: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(settings, params) named by SOAK_<KEY> variables; unknown SOAK_ variables are ignored."""
    settings, params = {}, {}
    for key in SETTING_KEYS:
        name = ENV_PREFIX + key.upper()
        if name in env:
            settings[key] = env[name]
    for key in (*PARAM_SPECS, "post_only"):
        name = ENV_PREFIX + key.upper()
        if name in env:
            params[key] = env[name]
    return settings, params


def build_config(
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    cli_params: Mapping[str, Any] | None = None,
) -> SoakConfig:
    """Merge the layers; raises ConfigError or ParamError with one line naming key, value, allowed."""
    cli = {k: v for k, v in (cli or {}).items() if v is not None}
    env_settings, env_params = env_overrides(env or {})
    settings, sources = _merge_settings(env_settings, cli, older_environment(env or {}))
    _check_driver(settings.driver)
    if settings.fees is not None:
        get_fee_tier(settings.fees)
    params, param_sources = _merge_params(settings.profile, sources["profile"], env_params, cli_params or {})
    return SoakConfig(settings=settings, params=params, sources={**sources, **param_sources})


def _check_driver(driver: str) -> None:
    try:
        argv = shlex.split(driver)
    except ValueError as err:
        raise ConfigError(f"driver={driver!r}: {str(err).lower()}") from None
    if not argv:
        raise ConfigError("driver='': allowed: sim, or a command with its arguments")


def _merge_settings(
    env_settings: dict[str, Any], cli: dict[str, Any], older: Layer
) -> tuple[RunSettings, dict[str, str]]:
    values: dict[str, Any] = {key: value for key, (value, _) in older.items()}  # the older tool's variables
    sources = {key: "default" for key in SETTING_KEYS} | {key: f"env:{name}" for key, (_, name) in older.items()}
    for layer, label in ((env_settings, "env"), (cli, "cli")):
        for key, value in layer.items():
            if key not in SETTING_KEYS:
                raise ConfigError(f"unknown setting {key!r}; allowed: {', '.join(SETTING_KEYS)}")
            values[key] = value
            sources[key] = f"env:{ENV_PREFIX}{key.upper()}" if label == "env" else "cli"
    if "pace" in values:
        values["pace"] = parse_pace(values["pace"])
    if values.get("iterations") is not None and values.get("hours") is not None:
        raise ConfigError("iterations and hours both set: give one of them")
    try:
        return RunSettings(**values), sources
    except ValidationError as err:
        raise ConfigError(describe_validation_error(err, _source_of(err, sources))) from None


def _merge_params(
    profile: str, profile_source: str, env_params: dict[str, Any], cli_params: Mapping[str, Any]
) -> tuple[Params, dict[str, str]]:
    values: dict[str, Any] = {}
    sources = {key: "default" for key in Params.model_fields}
    layers = ((load_profile(profile), f"profile:{profile}"), (env_params, "env"), (cli_params, "cli"))
    for layer, label in layers:
        for key, value in layer.items():
            values[key] = value
            sources[key] = f"env:{ENV_PREFIX}{key.upper()}" if label == "env" else label
    try:
        return Params(**values), sources
    except ValidationError as err:
        raise ParamError(describe_validation_error(err, _source_of(err, sources))) from None


def _source_of(err: ValidationError, sources: Mapping[str, str]) -> str:
    key = str(err.errors()[0]["loc"][0]) if err.errors()[0]["loc"] else ""
    return sources.get(key, "")
