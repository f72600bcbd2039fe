"""What a sweep runs: its spec, from a TOML file or flags, and the cells (one soak each) it makes.

    seeds = "1-10"                       # or [1, 2, 5], or "1-3,7", or 4
    scenarios = ["normal", "volatile"]   # or "normal,volatile"
    profiles = ["default", "steady_safe"]
    gates = ["nightly"]
    iterations = 24
    window = 600                         # market seconds per iteration (optional)
    pace = "fast"                        # fast, realtime or seconds between iterations (optional)
    auto_tune = true                     # (optional)

`seeds` is required; every other axis defaults to the value a single `soak run` would use. Each
combination seed x scenario x profile x gate is one cell, numbered from 1 in that order. Flags
given beside a file replace its values. Every cell is checked (its scenario, profile and gate
loaded, its settings validated) before any soak starts: a bad spec is one line, exit code 2.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.config import RunSettings, SoakConfig, build_config
from core.errors import ConfigError, SoakError
from core.runs.jsonio import show_json

MAX_CELLS = 10_000
MAX_SEED = 2**63 - 1
AXES = ("seeds", "scenarios", "profiles", "gates")
DEFAULTS = RunSettings()
KEYS = (*AXES, "iterations", "window", "pace", "auto_tune")


class SweepSpec(BaseModel):
    """The spec as recorded in SWEEP.json."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seeds: tuple[int, ...] = Field(min_length=1)
    scenarios: tuple[str, ...] = Field(default=(DEFAULTS.scenario,), min_length=1)
    profiles: tuple[str, ...] = Field(default=(DEFAULTS.profile,), min_length=1)
    gates: tuple[str, ...] = Field(default=(DEFAULTS.gate,), min_length=1)
    iterations: int = Field(default=10, ge=1, le=1_000_000)
    window: float = Field(default=DEFAULTS.window_s, gt=0, le=86_400)
    pace: str | float = "fast"
    auto_tune: bool = True

    @field_validator("seeds", mode="before")
    @classmethod
    def _seeds(cls, value: Any) -> Any:
        return parse_seeds(value)

    @field_validator("scenarios", "profiles", "gates", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",")]
        if isinstance(value, list | tuple) and any(not isinstance(v, str) or not v.strip() for v in value):
            raise ValueError("each must be a non-empty name")
        if isinstance(value, list | tuple) and len(set(value)) != len(value):
            raise ValueError("a name is given twice")
        return value

    def cells(self) -> list[Cell]:
        combos = itertools.product(self.seeds, self.scenarios, self.profiles, self.gates)
        return [Cell(i, seed, scenario, profile, gate) for i, (seed, scenario, profile, gate) in enumerate(combos, 1)]

    @property
    def size(self) -> int:
        return len(self.seeds) * len(self.scenarios) * len(self.profiles) * len(self.gates)


@dataclass(frozen=True)
class Cell:
    """One soak of the sweep."""

    index: int  # from 1, in the spec's order
    seed: int
    scenario: str
    profile: str
    gate: str

    def fields(self) -> dict[str, Any]:
        """As SWEEP.json and the closing table name them."""
        return {
            "cell": self.index,
            "seed": self.seed,
            "scenario": self.scenario,
            "profile": self.profile,
            "gate": self.gate,
        }

    @property
    def label(self) -> str:
        return f"seed {self.seed} {self.scenario} {self.profile}/{self.gate}"

    def config(self, spec: SweepSpec, out: Path) -> SoakConfig:
        """The soak's configuration: this cell's values, the spec's others; nothing from the
        environment, so every worker runs the same soak whatever its SOAK_* variables."""
        cli = {
            "iterations": spec.iterations,
            "window_s": spec.window,
            "seed": self.seed,
            "scenario": self.scenario,
            "profile": self.profile,
            "gate": self.gate,
            "pace": spec.pace,
            "auto_tune": spec.auto_tune,
            "out": str(out),
            "replay_workers": 0,  # the sweep's workers already fill the machine
        }
        return build_config(cli, env={})


def parse_seeds(value: Any) -> list[int]:
    """4, [1, 2, 5], "1-10" or "1-3,7" -> the seeds, each once, in the order given."""
    if isinstance(value, bool):
        raise ValueError("expected seeds such as 1-10, 1,2,5 or a list of integers")
    if isinstance(value, int):
        value = [value]
    elif isinstance(value, str):
        value = [seed for part in value.split(",") for seed in _seed_range(part.strip())]
    if not isinstance(value, list | tuple) or not all(isinstance(s, int) and not isinstance(s, bool) for s in value):
        raise ValueError("expected seeds such as 1-10, 1,2,5 or a list of integers")
    if any(not 0 <= seed <= MAX_SEED for seed in value):
        raise ValueError(f"each seed must be between 0 and {MAX_SEED}")
    if len(set(value)) != len(value):
        raise ValueError("a seed is given twice")
    return list(value)


def _seed_range(text: str) -> range | list[int]:
    first, dash, last = text.partition("-")
    try:
        if not dash:
            return [int(first)]
        low, high = int(first), int(last)
    except ValueError:
        raise ValueError(f"{text!r} is not a seed or a range of seeds such as 1-10") from None
    if high < low:
        raise ValueError(f"{text!r}: a range runs from low to high")
    if high - low >= MAX_CELLS:
        raise ValueError(f"{text!r}: more than {MAX_CELLS} seeds")
    return range(low, high + 1)


def load_spec(path: Path | None, flags: Mapping[str, Any]) -> SweepSpec:
    """The spec from `path` (a TOML file) and/or `flags` (None values are not given). Raises
    ConfigError, one line naming where the spec came from."""
    given = {key: value for key, value in flags.items() if value is not None}
    where = f"sweep spec {path}" if path is not None else "sweep spec (flags)"
    values = {**(_read_toml(path, where) if path is not None else {}), **given}
    if not values:
        raise ConfigError(f"{where}: empty; give at least the seeds, e.g. --seeds 1-10")
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(KEYS)}")
    if "seeds" not in values:
        raise ConfigError(f'{where}: no seeds; give them, e.g. seeds = "1-10" or --seeds 1-10')
    try:
        spec = SweepSpec(**values)
    except ValidationError as err:
        raise ConfigError(f"{where}: {_first_error(err)}") from None
    if spec.size > MAX_CELLS:
        raise ConfigError(f"{where}: {spec.size} soaks; at most {MAX_CELLS} in one sweep")
    return spec


def _read_toml(path: Path, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{where}: cannot read: {getattr(err, 'strerror', None) or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{where}: malformed TOML: {err}") from None


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "spec"
    message = first["msg"].removeprefix("Value error, ")
    return f"{key}={show_json(first['input'])}: {message}" if "input" in first else f"{key}: {message}"


def check_cells(spec: SweepSpec, out: Path) -> list[Cell]:
    """Every cell, each configured and built as its worker will (an unknown scenario, profile
    or gate, or a value out of range, is the SoakError it would be there), before any soak runs."""
    from core.runner import SoakRun

    cells = spec.cells()
    checked: set[tuple[str, str, str]] = set()
    for cell in cells:
        key = (cell.scenario, cell.profile, cell.gate)
        try:
            config = cell.config(spec, out)
            if key not in checked:
                SoakRun(config, env={})
                checked.add(key)
        except SoakError as err:
            raise ConfigError(f"sweep cell {cell.index} ({cell.label}): {err}") from None
    return cells
