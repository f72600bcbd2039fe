"""Systems under soak: the seeded simulator, or an external command (DESIGN.md section 8)."""

from __future__ import annotations

import json
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from core.errors import DriverError
from core.kpi import KPIS
from core.params import Params
from core.runs.layout import DRIVER_DIR, OVERRIDES_FILE, metrics_file_name

DRIVER_POLL_S = 0.02
STDERR_TAIL = 200


@dataclass(frozen=True)
class DriverResult:
    summary: dict[str, Any]
    runtime: dict[str, Any] = field(default_factory=dict)


class Driver(Protocol):
    name: str

    def run(self, params: Params, iteration: int, run_dir: Path) -> DriverResult: ...


class SimDriver:
    """The seeded market simulation of DESIGN.md section 2."""

    def __init__(self, scenario: str, seed: int, window_s: float, fees: str | None = None) -> None:
        from core.scenarios import get_scenario
        from core.sim import simulate_iteration

        first = get_scenario(scenario)  # fail before the run starts on an unknown name or a bad file
        self._simulate = simulate_iteration
        self.name = f"sim/{first.name}"
        self.scenario, self.seed, self.window_s, self.fees = scenario, seed, window_s, fees
        # The fee tier the run trades at, for the manifest: the one asked for, or the scenario's.
        self.fee_tier = fees or first.regimes[first.schedule[0]].fee_tier

    def run(self, params: Params, iteration: int, run_dir: Path) -> DriverResult:
        result = self._simulate(params, self.scenario, self.seed, iteration, self.window_s, self.fees)
        return DriverResult(summary=result.summary.model_dump(mode="json"), runtime={"regime": result.regime})


class CommandDriver:
    """Runs `argv` once per iteration; it reads the overrides file and writes metrics JSON.

    Placeholders in the arguments: {overrides} {output} {iteration} {seed} {window_s}. Without
    {overrides} or {output}, `--overrides PATH --output PATH` are appended.
    """

    def __init__(self, argv: list[str], seed: int, window_s: float, cancelled: threading.Event):
        self.argv, self.seed, self.window_s = argv, seed, window_s
        self._cancelled = cancelled
        self.name = f"cmd/{Path(argv[0]).name}"

    def run(self, params: Params, iteration: int, run_dir: Path) -> DriverResult:
        output = run_dir / DRIVER_DIR / metrics_file_name(iteration)
        output.parent.mkdir(exist_ok=True)
        output.unlink(missing_ok=True)
        argv = self._command(run_dir / OVERRIDES_FILE, output, iteration)
        self._execute(argv)
        return DriverResult(summary=_read_metrics(output), runtime={"driver_output": str(output)})

    def _command(self, overrides: Path, output: Path, iteration: int) -> list[str]:
        values = {
            "overrides": str(overrides),
            "output": str(output),
            "iteration": str(iteration),
            "seed": str(self.seed),
            "window_s": f"{self.window_s:g}",
        }
        argv = [arg.format_map(values) if "{" in arg else arg for arg in self.argv]
        if not any("{overrides}" in a or "{output}" in a for a in self.argv):
            argv += ["--overrides", values["overrides"], "--output", values["output"]]
        return argv

    def _execute(self, argv: list[str]) -> None:
        try:
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        except OSError as err:
            raise DriverError(f"driver {argv[0]!r} could not start: {err.strerror}") from None
        while proc.poll() is None:
            if self._cancelled.wait(DRIVER_POLL_S):
                proc.terminate()
                proc.wait()
                return
        stderr = (proc.stderr.read() if proc.stderr else "").strip().splitlines()
        if proc.returncode != 0:
            tail = stderr[-1][:STDERR_TAIL] if stderr else "no output on stderr"
            raise DriverError(f"driver exited with code {proc.returncode}: {tail}")


def _read_metrics(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_reject_constant)
    except FileNotFoundError:
        raise DriverError(f"driver wrote no metrics to {path}") from None
    except (UnicodeDecodeError, ValueError) as err:
        raise DriverError(f"driver wrote malformed metrics to {path}: {err}") from None
    if not isinstance(data, dict):
        raise DriverError(f"driver metrics in {path} must be a JSON object, got {type(data).__name__}")
    for key in KPIS:  # a KPI of the registry that is present must be a number
        value = data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise DriverError(f"driver metrics in {path}: {key}={value!r} is not a number")
    return data


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in metrics")
