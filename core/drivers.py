"""Systems under soak: the seeded simulator, or an external command (DESIGN.md section 8)."""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from core.driver_process import Ended, StopRequests, run_command
from core.errors import DriverError
from core.kpi import KPIS, IterationKPIs
from core.params import Params
from core.runs.layout import DRIVER_DIR, OVERRIDES_FILE, metrics_file_name
from core.text import escape_controls

if TYPE_CHECKING:
    from core.sim.engines import Engine  # the simulator is imported only when it is the driver
    from core.sim.workers import ReplayWorkers

STDERR_TAIL = 200  # characters of the driver's last stderr line in an error
MAX_METRICS_BYTES = 1024 * 1024
MAX_METRICS_DEPTH = 32
DEFAULT_TIMEOUT_FLOOR_S = 300.0


@dataclass(frozen=True)
class DriverResult:
    summary: dict[str, Any]
    runtime: dict[str, Any] = field(default_factory=dict)


class Driver(Protocol):
    name: str

    def run(self, params: Params, iteration: int, run_dir: Path) -> DriverResult: ...


class SimDriver:
    """The seeded market simulation of DESIGN.md section 2, its loop run by `engine`, its batches
    of windows shared with `replay_workers` processes (core/sim/workers.py): started with the
    driver, so that they are ready by the first batch, and ended by `close()`."""

    def __init__(
        self,
        scenario: str,
        seed: int,
        window_s: float,
        fees: str | None = None,
        engine: Engine = "python",
        replay_workers: int = 0,
    ) -> None:
        from core.scenarios import get_scenario
        from core.sim import Simulator

        first = get_scenario(scenario)  # fail before the run starts on an unknown name or a bad file
        self.simulator = Simulator(scenario, seed, window_s, fees, engine)
        self.name = f"sim/{first.name}"
        self.engine = engine
        # The fee tier the run trades at, for the manifest: the one asked for, or the scenario's.
        self.fee_tier = fees or first.regimes[first.schedule[0]].fee_tier
        self.replay_workers = replay_workers
        self._workers: ReplayWorkers | None = None
        self._start_workers()

    def run(self, params: Params, iteration: int, run_dir: Path) -> DriverResult:
        (result,) = self.simulator.run_many([params], iteration)
        return _sim_result(result.summary, result.regime)

    def run_batch(self, jobs: Sequence[tuple[Params, int]], run_dir: Path) -> list[DriverResult]:
        """Each (parameters, iteration) on that iteration's market path."""
        self._start_workers()  # again, after a close()
        if self._workers is None or len(jobs) < 2:
            return [self.run(params, iteration, run_dir) for params, iteration in jobs]
        return [_sim_result(summary, regime) for summary, regime in self._workers.run(jobs)]

    def _start_workers(self) -> None:
        if self.replay_workers > 0 and self._workers is None:
            from core.sim.workers import ReplayWorkers

            self._workers = ReplayWorkers(self.simulator, self.replay_workers)

    def close(self) -> None:
        if self._workers is not None:
            self._workers.close()
            self._workers = None


def _sim_result(summary: IterationKPIs, regime: str) -> DriverResult:
    return DriverResult(summary=summary.model_dump(mode="json"), runtime={"regime": regime})


class DriverStopped(Exception):
    """The run was stopped while the driver ran its iteration: the iteration has no result."""


class CommandDriver:
    """Runs `argv` once per iteration; it reads the overrides file and writes metrics JSON.

    Placeholders in the arguments: {overrides} {output} {iteration} {seed} {window_s}. Without
    {overrides} or {output}, `--overrides PATH --output PATH` are appended. An iteration that
    takes longer than `timeout_s` is stopped and fails the run.
    """

    def __init__(self, argv: list[str], seed: int, window_s: float, stops: StopRequests, timeout_s: float):
        self.argv, self.seed, self.window_s = argv, seed, window_s
        self._stops, self.timeout_s = stops, timeout_s
        self.name = f"cmd/{Path(argv[0]).name}"

    def run(self, params: Params, iteration: int, run_dir: Path) -> DriverResult:
        output = run_dir / DRIVER_DIR / metrics_file_name(iteration)
        output.parent.mkdir(exist_ok=True)
        output.unlink(missing_ok=True)
        argv = self._command(run_dir / OVERRIDES_FILE, output, iteration)
        self._execute(argv, iteration)
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

    def _execute(self, argv: list[str], iteration: int) -> None:
        try:
            finished = run_command(argv, self.timeout_s, self._stops)
        except OSError as err:
            raise DriverError(f"driver {argv[0]!r} could not start: {err.strerror}") from None
        if finished.ended is Ended.CANCELLED:
            raise DriverStopped
        lines = [line for line in finished.stderr_tail.splitlines() if line.strip()]
        tail = _clip(lines[-1], STDERR_TAIL) if lines else "no output on stderr"
        if finished.ended is Ended.TIMED_OUT:
            raise DriverError(
                f"driver did not finish iteration {iteration} within {self.timeout_s:g} s "
                f"(--driver-timeout), stopped it; its stderr: {tail}"
            )
        if finished.returncode != 0:
            raise DriverError(f"driver exited with code {finished.returncode}: {tail}")


def default_timeout_s(window_s: float) -> float:
    """An iteration's time limit when none is set: room for a driver that runs its window in real time."""
    return max(DEFAULT_TIMEOUT_FLOOR_S, 3 * window_s)


def _read_metrics(path: Path) -> dict[str, Any]:
    """The driver's metrics: a JSON object within MAX_METRICS_BYTES and MAX_METRICS_DEPTH, its
    numbers finite floats, its text encodable, its KPIs numbers. Else a one-line DriverError."""
    where = f"driver metrics in {path}"
    data = _read_bounded(path, where)
    try:
        metrics = json.loads(data, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_float_int)
    except RecursionError:
        raise DriverError(f"{where}: nested deeper than {MAX_METRICS_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError) as err:
        raise DriverError(f"driver wrote malformed metrics to {path}: {_clip(str(err), STDERR_TAIL)}") from None
    if not isinstance(metrics, dict):
        raise DriverError(f"{where} must be a JSON object, got {type(metrics).__name__}")
    if problem := _unrecordable(metrics):
        raise DriverError(f"{where}: {problem}")
    for key in KPIS:  # a KPI of the registry that is present must be a number
        value = metrics.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise DriverError(f"{where}: {key}={_clip(repr(value), 60)} is not a number")
    return metrics


def _read_bounded(path: Path, where: str) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO there must not block the soak
    except FileNotFoundError:
        raise DriverError(f"driver wrote no metrics to {path}") from None
    except OSError as err:
        raise DriverError(f"{where} cannot be read: {err.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise DriverError(f"{where} is not a regular file")
        data = file.read(MAX_METRICS_BYTES + 1)
    if len(data) > MAX_METRICS_BYTES:
        raise DriverError(f"{where} are too large (more than {MAX_METRICS_BYTES // 1024} KiB)")
    return data


def _unrecordable(metrics: dict[str, Any]) -> str | None:
    """What in `metrics` no artifact can hold: nesting too deep, text with a lone surrogate."""
    stack: list[tuple[Any, int]] = [(metrics, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_METRICS_DEPTH:
            return f"nested deeper than {MAX_METRICS_DEPTH} levels"
        if isinstance(value, dict):
            stack += [(key, depth) for key in value]
            stack += [(child, depth + 1) for child in value.values()]
        elif isinstance(value, list):
            stack += [(child, depth + 1) for child in value]
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return f"text {_clip(value, 60)!r} is not valid Unicode (a lone surrogate)"
    return None


def _clip(text: str, limit: int) -> str:
    """`text` as one line of at most `limit` characters (a driver's output may hold anything)."""
    shown = escape_controls(text)
    return shown if len(shown) <= limit else shown[:limit] + "…"


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in metrics")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{_clip(text, 40)} is not a finite number")
    return value


def _float_int(text: str) -> int:
    value = int(text)
    try:
        float(value)
    except OverflowError:
        raise ValueError(f"the integer {text[:20]}... ({len(text)} digits) is too large for a float") from None
    return value
