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
from core.params import PARAM_SPECS, Params, describe_validation_error, load_profile, shown
from core.records import Engines, Tuners
from core.reporting.files import check_output_path
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
    tuner: Tuners | None = None  # None: whatif when the driver can replay, else rules (core/tuning/arms.py)
    control: str | None = None  # the control arm's profile; None: the run's starting parameters
    driver: str = "sim"
    engine: Engines = Engines.AUTO  # the simulator's loop (core/sim/engines.py)
    driver_timeout_s: float | None = Field(default=None, gt=0, le=604_800)  # None: core.drivers.default_timeout_s
    driver_replay: bool = False  # the external driver promises one market path per {seed} and {iteration}
    replay_workers: int | None = Field(default=None, ge=0, le=64)  # None: auto (core/sim/workers.py)
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
    def engine(self) -> Literal["python", "numba"] | None:
        """The engine the simulator runs with (None: an external driver)."""
        if self.driver_argv is not None:
            return None
        from core.sim.engines import choose_engine

        return choose_engine(self.settings.engine.value, self.total_iterations * self.settings.window_s)

    @property
    def replay_workers(self) -> int:
        """The processes the simulator shares its batches of windows with (0: none)."""
        engine = self.engine
        if engine is None:
            return 0
        if self.settings.replay_workers is not None:
            return self.settings.replay_workers
        from core.sim.workers import auto_workers

        whatif = self.settings.auto_tune and self.settings.tuner in (None, Tuners.WHATIF)
        return auto_workers(engine, whatif, self.total_iterations)

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
        raise ConfigError(f"pace={shown(value)}: allowed: fast, realtime or a number of seconds >= 0") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise ConfigError(f"pace={shown(value)}: allowed: fast, realtime or a number of seconds >= 0")
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
    for output in (settings.junit, settings.summary_md, settings.report_json):
        if output is not None:  # before the soak, not after it: the gate's answer must not be lost
            check_output_path(output)
    if settings.fees is not None:
        get_fee_tier(settings.fees)
    if settings.engine is Engines.NUMBA:
        _check_numba()
    params, param_sources = _merge_params(settings.profile, sources["profile"], env_params, cli_params or {})
    return SoakConfig(settings=settings, params=params, sources={**sources, **param_sources})


def _check_numba() -> None:
    from core.sim.engines import NUMBA_MISSING, numba_installed

    if not numba_installed():
        raise ConfigError(NUMBA_MISSING)


def _check_driver(driver: str) -> None:
    try:
        argv = shlex.split(driver)
    except ValueError as err:
        raise ConfigError(f"driver={shown(driver)}: {str(err).lower()}") from None
    if not argv:
        raise ConfigError("driver='': allowed: sim, or a command with its arguments")


def _merge_settings(
    env_settings: dict[str, Any], cli: dict[str, Any], older: Layer
) -> tuple[RunSettings, dict[str, str]]:
    values: dict[str, Any] = {key: value for key, (value, _) in older.items()}  # the older tool's variables
    sources = {key: "default" for key in SETTING_KEYS} | {key: f"env:{name}" for key, (_, name) in older.items()}
    layer_of = dict.fromkeys(values, 0)
    for rank, (layer, label) in enumerate(((env_settings, "env"), (cli, "cli")), start=1):
        for key, value in layer.items():
            if key not in SETTING_KEYS:
                raise ConfigError(f"unknown setting {shown(key)}; allowed: {', '.join(SETTING_KEYS)}")
            values[key], layer_of[key] = value, rank
            sources[key] = f"env:{ENV_PREFIX}{key.upper()}" if label == "env" else "cli"
    _one_length(values, sources, layer_of)
    _check_values(values, sources)
    if "pace" in values:
        values["pace"] = parse_pace(values["pace"])
    try:
        return RunSettings(**values), sources
    except ValidationError as err:
        raise ConfigError(describe_validation_error(err, _source_of(err, sources))) from None


LENGTHS = ("iterations", "hours")  # a run's length is one or the other


def _one_length(values: dict[str, Any], sources: dict[str, str], layer_of: Mapping[str, int]) -> None:
    """--iterations on the command line overrides SOAK_HOURS (and so on): of the two, the one set
    in the higher layer wins; set in the same layer, they are an error."""
    given = [key for key in LENGTHS if values.get(key) is not None]
    if len(given) < 2:
        return
    low, high = sorted(given, key=lambda key: layer_of.get(key, 0))
    if layer_of.get(low, 0) == layer_of.get(high, 0):
        by = " and ".join(dict.fromkeys(sources[key] for key in LENGTHS))
        raise ConfigError(f"iterations and hours both set (by {by}): give one of them")
    del values[low]
    sources[low] = "default"


def _check_values(values: Mapping[str, Any], sources: Mapping[str, str]) -> None:
    """What pydantic's messages would say wrongly: an empty path, a NaN window."""
    out = values.get("out")
    if isinstance(out, str) and not out.strip():
        raise ConfigError(f"out={out!r} (from {sources['out']}): an empty path; give a directory, e.g. {DEFAULT_OUT}")
    for key in ("window_s", "hours"):
        try:
            number = float(values[key])
        except (KeyError, TypeError, ValueError):
            continue  # absent, or not a number: pydantic says so
        if not math.isfinite(number):
            raise ConfigError(f"{key}={shown(values[key])} (from {sources[key]}): not a finite number")


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
