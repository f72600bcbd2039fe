"""The older soak tool's command line and environment (DESIGN.md section 11), each honoured or
refused in one line, never silently ignored. docs/migrating.md has the same, flag by flag.

Honoured: `--warmup` (a bare --warmup is that tool's 4 iterations), `--run-isolated` (what every
run does here), `--export-json` (the report `soak report --json` writes), `--export-md` (as
--summary-md), `--preset NAME` when NAME is one of our profiles, `SOAK_SLEEP_SECONDS` (as the
pace), `SOAK_OUT_DIR` when it names a `latest` directory (its parent is the artifact root), and
`MM_PROFILE` when it names one of our profiles. Refused, with what to use instead: the older
tool's presets (they change its own parameters, which this tool does not have), its warm-up
presets, and `--gate-summary`. Each honoured one is said in a note line; `--hours` gets one too,
as it means a real soak here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.params import available_profiles
from core.runs.layout import LATEST_LINK

OLDER_WARMUP_ITERATIONS = 4  # what the older tool's bare --warmup meant
PACE_VARIABLE, OUT_VARIABLE, PROFILE_VARIABLE = "SOAK_SLEEP_SECONDS", "SOAK_OUT_DIR", "MM_PROFILE"
SEE = "see docs/migrating.md"

Layer = dict[str, tuple[Any, str]]  # setting -> (value, the variable it came from)


def older_environment(env: Mapping[str, str]) -> Layer:
    """The settings the older tool's variables stand for (below SOAK_* and the command line);
    ConfigError for one that has no meaning here."""
    layer: Layer = {}
    if PACE_VARIABLE in env:
        layer["pace"] = (env[PACE_VARIABLE], PACE_VARIABLE)
    if OUT_VARIABLE in env:
        layer["out"] = (str(_out_root(env[OUT_VARIABLE])), OUT_VARIABLE)
    if PROFILE_VARIABLE in env:
        name = env[PROFILE_VARIABLE]
        if name not in available_profiles():
            raise ConfigError(
                f"{PROFILE_VARIABLE}={name!r}: the older tool's strategy profile is not a profile here "
                f"(available: {', '.join(available_profiles())}); unset it or pick one with --profile ({SEE})"
            )
        layer["profile"] = (name, PROFILE_VARIABLE)
    return layer


def _out_root(text: str) -> Path:
    """SOAK_OUT_DIR named where the older tool wrote one run's files: here that is `latest`, a
    copy of the newest run, inside the artifact root."""
    path = Path(text)
    if path.name != LATEST_LINK:
        raise ConfigError(
            f"{OUT_VARIABLE}={text!r}: the older tool wrote one run's files there; here runs go to "
            f"<out>/runs/<run_id>/ with a copy of the newest in <out>/latest, so give --out DIR (or "
            f"{OUT_VARIABLE}=DIR/latest) ({SEE})"
        )
    return path.parent


OLDER_FLAGS = (
    "warmup",
    "preset",
    "preset_file",
    "warmup_preset",
    "run_isolated",
    "export_json",
    "export_md",
    "gate_summary",
)


def run_notes(
    env: Mapping[str, str], sources: Mapping[str, str], settings: Mapping[str, Any], iterations: int
) -> list[str]:
    """One line per older variable set (what it did, or what overrode it), and what --hours means."""
    notes = []
    if settings.get("hours") is not None:
        notes.append(
            f"--hours {settings['hours']:g}: {iterations} iterations of {settings['window_s']:g} s of market "
            "time each, run for real (the older tool's --hours without --iterations ran nothing and wrote "
            "one report of fixed mock numbers)"
        )
    for key, variable, meaning in (
        ("pace", PACE_VARIABLE, "the pace (seconds from one iteration's start to the next)"),
        ("out", OUT_VARIABLE, "the artifact root: runs in {out}/runs/, the newest copied to {out}/latest"),
        ("profile", PROFILE_VARIABLE, "the parameter profile"),
    ):
        if variable not in env:
            continue
        if sources.get(key) == f"env:{variable}":
            notes.append(f"{variable}={env[variable]} read as {meaning.format(out=settings[key])}: {settings[key]}")
        else:
            notes.append(f"{variable}={env[variable]} not used: {key} is set by {sources.get(key)}")
    return notes


def older_flags(flags: Mapping[str, Any], cli: dict[str, Any]) -> list[str]:
    """Fold the older tool's flags into `cli` (our settings from the command line); the note lines
    to print. ConfigError for a flag refused."""
    _refuse(flags)
    notes = [*_warmup(flags, cli), *_preset(flags, cli), *_outputs(flags, cli)]
    if flags.get("run_isolated"):
        notes.append("--run-isolated: every run here writes only its own runs/<run_id>/ (latest is a copy)")
    return notes


def _refuse(flags: Mapping[str, Any]) -> None:
    if flags.get("preset_file") is not None:
        raise ConfigError(_no_presets(f"--preset-file {flags['preset_file']}"))
    if flags.get("warmup_preset") is not None:
        raise ConfigError(
            f"--warmup-preset {flags['warmup_preset']}: the warm-up here moves five parameters one step to "
            f"their safe side (wider, slower, smaller); there are no warm-up presets. Use --warmup N ({SEE})"
        )
    if flags.get("gate_summary") is not None:
        raise ConfigError(
            f"--gate-summary {flags['gate_summary']}: the older tool's gate summary has no equivalent; "
            f"use --junit PATH (the gate checks) or --export-json PATH (the report, verdict included) ({SEE})"
        )


def _warmup(flags: Mapping[str, Any], cli: dict[str, Any]) -> list[str]:
    if flags.get("warmup") == "":  # the older tool's --warmup, a switch
        cli["warmup"] = OLDER_WARMUP_ITERATIONS
        return [f"--warmup without a number: {OLDER_WARMUP_ITERATIONS} iterations, as the older tool's"]
    if flags.get("warmup") is not None:
        cli["warmup"] = flags["warmup"]
    return []


def _preset(flags: Mapping[str, Any], cli: dict[str, Any]) -> list[str]:
    preset = flags.get("preset")
    if preset is None:
        return []
    if preset not in available_profiles():
        raise ConfigError(_no_presets(f"--preset {preset}"))
    if cli.get("profile") not in (None, preset):
        raise ConfigError(f"--preset {preset} and --profile {cli['profile']}: give one of them")
    cli["profile"] = preset
    return [f"--preset {preset} read as --profile {preset}"]


def _outputs(flags: Mapping[str, Any], cli: dict[str, Any]) -> list[str]:
    notes = []
    if flags.get("export_md") is not None:
        if cli.get("summary_md") not in (None, flags["export_md"]):
            raise ConfigError("--export-md and --summary-md: give one of them")
        cli["summary_md"] = flags["export_md"]
        notes.append(f"--export-md {flags['export_md']} read as --summary-md")
    if flags.get("export_json") is not None:
        cli["report_json"] = flags["export_json"]
        notes.append(f"--export-json {flags['export_json']}: the run's report, as `soak report --json` writes it")
    return notes


def _no_presets(flag: str) -> str:
    return (
        f"{flag}: the older tool's presets change its own parameters (quoting.base_spread_bps_delta, "
        f"impact.max_delta_ratio, taker_rescue.*), which this tool does not have; use --profile NAME "
        f"({', '.join(available_profiles())}) or --set KEY=VALUE ({SEE})"
    )
