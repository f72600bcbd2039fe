"""Strategy parameters: defaults, bounds, maximum step per iteration, and profiles."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from core.errors import ParamError

PROFILES_DIR = Path(__file__).parent / "profiles"


class ParamSpec(NamedTuple):
    default: float
    lower: float
    upper: float
    max_step: float
    integer: bool = False


# The tunables of DESIGN.md section 3. Units are in the names.
PARAM_SPECS: dict[str, ParamSpec] = {
    "base_spread_bps": ParamSpec(2.0, 0.2, 10.0, 0.5),
    "min_interval_ms": ParamSpec(100, 20, 2000, 100, integer=True),
    "replace_threshold_bps": ParamSpec(0.3, 0.05, 5.0, 0.25),
    "replace_rate_per_min": ParamSpec(600, 30, 6000, 120, integer=True),
    "tail_age_ms": ParamSpec(2000, 200, 30000, 1000, integer=True),
    "inventory_skew_bps": ParamSpec(0.3, 0.0, 10.0, 0.5),
    "max_position": ParamSpec(4.0, 1.0, 100.0, 2.0),
    "impact_cap_ratio": ParamSpec(0.5, 0.05, 1.0, 0.1),
    "concurrency_limit": ParamSpec(8, 1, 64, 2, integer=True),
}
TUNABLES: tuple[str, ...] = tuple(PARAM_SPECS)
SWITCH_SPEC = ParamSpec(0, 0, 1, 1, integer=True)  # post_only, when a delta turns it on (0/1)


def spec_of(name: str) -> ParamSpec:
    """The spec of a tunable, or of the post_only switch as 0/1."""
    if name == "post_only":
        return SWITCH_SPEC
    if name not in PARAM_SPECS:
        raise ValueError(f"unknown parameter {name!r}; allowed: {', '.join([*PARAM_SPECS, 'post_only'])}")
    return PARAM_SPECS[name]


def _field(name: str) -> Any:
    spec = PARAM_SPECS[name]
    kind = int if spec.integer else float
    return Field(default=kind(spec.default), ge=kind(spec.lower), le=kind(spec.upper))


class Params(BaseModel):
    """The values a strategy runs with for one iteration."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    base_spread_bps: float = _field("base_spread_bps")
    min_interval_ms: int = _field("min_interval_ms")
    replace_threshold_bps: float = _field("replace_threshold_bps")
    replace_rate_per_min: int = _field("replace_rate_per_min")
    tail_age_ms: int = _field("tail_age_ms")
    inventory_skew_bps: float = _field("inventory_skew_bps")
    max_position: float = _field("max_position")
    impact_cap_ratio: float = _field("impact_cap_ratio")
    concurrency_limit: int = _field("concurrency_limit")
    post_only: bool = False

    @field_validator(*TUNABLES, mode="before")
    @classmethod
    def _no_bool_numbers(cls, value: Any) -> Any:
        # Lax mode would read true as 1.0: a flag where a number belongs is a typo, not a value.
        if isinstance(value, bool):
            raise ValueError("expected a number, got a boolean")
        return value


def describe_validation_error(err: ValidationError, source: str = "") -> str:
    """One line naming the key, the value and what is allowed."""
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "?"
    value = first.get("input")
    allowed = _allowed(key, first)
    where = f" (from {source})" if source else ""
    line = f"{key}={shown(value)}{where}: {first['msg'].lower()}"
    return f"{line}; {allowed}" if allowed else line


SHOWN_CHARS = 60


def shown(value: Any) -> str:
    """A value as a message quotes it: its repr, cut short (a 5 MB value must not give a 5 MB line)."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else f"{text[: SHOWN_CHARS - 1]}… ({len(text):,} characters)"


def _allowed(key: str, error: ErrorDetails) -> str:
    if key in PARAM_SPECS:
        spec = PARAM_SPECS[key]
        kind = "integer" if spec.integer else "number"
        return f"allowed: {kind} in [{spec.lower:g}, {spec.upper:g}]"
    if key == "post_only":
        return "allowed: true or false"
    if error["type"] == "extra_forbidden":
        return f"allowed keys: {', '.join(Params.model_fields)}"
    return ""


def make_params(values: dict[str, Any], source: str = "") -> Params:
    try:
        return Params(**values)
    except ValidationError as err:
        raise ParamError(describe_validation_error(err, source)) from None


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILES_DIR.glob("*.toml"))


def load_profile(name_or_path: str) -> dict[str, Any]:
    """The overrides a profile sets (a name from core/profiles or a path to a TOML file)."""
    path = Path(name_or_path)
    named = path.suffix != ".toml"  # a name, not a path
    if named:
        path = PROFILES_DIR / f"{name_or_path}.toml"
    if named and not path.is_file():
        raise ParamError(f"unknown profile {shown(name_or_path)}; available: {', '.join(available_profiles())}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # -sig: a byte-order mark is no statement
    except FileNotFoundError:
        raise ParamError(f"profile {path}: no such file") from None
    except OSError as err:  # a directory, or one it may not read or search
        raise ParamError(f"profile {path}: cannot read: {err.strerror or err}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ParamError(f"malformed profile {path}: {err}") from None
    except RecursionError:
        raise ParamError(f"malformed profile {path}: nested too deeply") from None
    values = data.get("params", data)
    if not isinstance(values, dict):
        raise ParamError(f"malformed profile {path}: [params] must be a table")
    make_params(values, source=f"profile {path.name}")  # validate early, naming the file
    return values
