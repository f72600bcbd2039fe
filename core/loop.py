"""The soak loop: runs iterations, gates and tunes them, writes artifacts, yields events.

It knows nothing of any UI nor of reporting (core/runner.py adds the CI outputs). `run()` is a
blocking generator; `pause`, `resume` and `cancel` are safe to call from any thread and take
effect between iterations, inside the pacing wait and while an external driver runs (it is
stopped: the run ends `aborted`). Once RUN.json is written, the run ends with a final status
whatever happens, even when its consumer stops reading its events.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from core.config import SoakConfig
from core.driver_process import StopRequests
from core.drivers import CommandDriver, Driver, DriverStopped, SimDriver, default_timeout_s
from core.errors import SoakError
from core.events import (
    IterationFinished,
    RunFinished,
    RunNotice,
    RunPaused,
    RunResumed,
    RunStarted,
    SoakEvent,
    TuningApplied,
    TuningSkipped,
)
from core.gates import GateProfile, evaluate_iteration, load_gate, run_verdict
from core.heartbeat import beating
from core.params import Params
from core.records import (
    AUTO_TUNE_OFF,
    ExitCode,
    IterationRecord,
    Phase,
    RunStatus,
    RunVerdict,
    TuningRecord,
    join_skip_reasons,
    older_summary_fields,
)
from core.runs.layout import utc_stamp
from core.runs.views import IterationView
from core.runs.writer import RunDirectory, overrides_signature
from core.tuning.arms import TuningArms, TuningSetup
from core.tuning.tuner import apply_deltas, summarise_guards
from core.tuning.warmup import WarmupSchedule

HEARTBEAT_S = 1.0  # how often RUN.json's heartbeat is refreshed while waiting


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SoakLoop:
    """`clock` times the run (monotonic seconds); `utc_now` stamps its files (a fixed one gives
    the same run id and stamps every time: the screenshots and snapshots use it); `tags` are
    more fields for RUN.json (a sweep's id and cell, core/sweep/task.py)."""

    def __init__(
        self,
        config: SoakConfig,
        driver: Driver | None = None,
        clock: Callable[[], float] | None = None,
        utc_now: Callable[[], datetime] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        self.config = config
        self.tags = dict(tags or {})  # recorded in RUN.json as they are (a sweep's id and cell)
        self._clock = clock or time.monotonic
        self._utc_now = utc_now or _utc_now
        self._cancelled = threading.Event()
        self._at_once = threading.Event()  # a second stop: the driver gets no grace period
        self._running = threading.Event()
        self._running.set()
        self.gate: GateProfile = load_gate(config.settings.gate)
        self.driver = driver or self._make_driver()
        self.tuning = TuningSetup(config.settings, config.params, self.gate, self.driver)

    # -- control, from any thread -------------------------------------------------------------
    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self, at_once: bool = False) -> None:
        if at_once:
            self._at_once.set()
        self._cancelled.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    # -- the run --------------------------------------------------------------------------------
    def run(self) -> Iterator[SoakEvent]:
        settings = self.config.settings
        run_dir = RunDirectory.create(settings.out, settings.seed, self._utc_now())
        manifest = run_dir.start(self._manifest(self.driver), self._utc_now())
        run = _RunState(run_dir.run_id, self.config.params, self._clock())
        status, error, exit_code = RunStatus.COMPLETED, None, ExitCode.OK
        try:
            latest_notice = run_dir.take_latest()
            yield RunStarted(run_dir.run_id, run_dir.path, manifest, self.config.total_iterations, settings.window_s)
            if latest_notice:
                yield RunNotice(latest_notice)
            yield from self._iterations(run_dir, run)
        except DriverStopped:
            pass  # the stop asked for it: the cancelled run below ends aborted
        except SoakError as err:
            status, error, exit_code = RunStatus.FAILED, str(err), ExitCode.ERROR
        except BaseException as err:  # the consumer went away, or a defect: RUN.json still ends
            self._finish(run_dir, *_unfinished(err, self.cancelled))
            raise
        verdict = run_verdict([r.gate.verdict for r in run.records]) if run.records else None
        if status == RunStatus.COMPLETED and self.cancelled:
            status, exit_code = RunStatus.ABORTED, ExitCode.INTERRUPTED
        elif status == RunStatus.COMPLETED:
            exit_code = ExitCode.for_verdict(verdict) if verdict else ExitCode.ERROR
        uplift = run.arms.cumulative() if run.arms is not None else None
        finish_error = self._finish(run_dir, status, verdict, error, uplift)
        if finish_error and not error:  # else the first failure is the one worth naming
            status, error, exit_code = RunStatus.FAILED, finish_error, ExitCode.ERROR
        yield RunFinished(run_dir.run_id, status, verdict, exit_code, error, len(run.records))

    def _iterations(self, run_dir: RunDirectory, run: _RunState) -> Iterator[SoakEvent]:
        run.arms = arms = self.tuning.start(run_dir.path)
        schedule = WarmupSchedule(self.config.settings.warmup)
        run.signature = run_dir.write_overrides(schedule.params(1, run.params).model_dump())
        try:
            yield from self._each_iteration(run_dir, run, arms, schedule)
        finally:
            if isinstance(self.driver, SimDriver):
                self.driver.close()  # its replay workers, if it started any

    def _each_iteration(
        self, run_dir: RunDirectory, run: _RunState, arms: TuningArms, schedule: WarmupSchedule
    ) -> Iterator[SoakEvent]:
        for iteration in range(1, self.config.total_iterations + 1):
            yield from self._hold_while_paused(run_dir, iteration)
            if self.cancelled:
                return
            record = self._iterate(run_dir, arms, schedule, run, iteration)
            run_dir.write_iteration(record)
            run.records.append(record)  # only once on disk: the verdict counts what a reader sees
            run_dir.write_tuning_report(run.records, lambda: self._report_summary(run.records))
            run.params = apply_deltas(run.params, record.tuning.applied_deltas)
            upcoming = schedule.params(iteration + 1, run.params)
            run.signature = run_dir.write_overrides(upcoming.model_dump())
            yield IterationFinished(record, IterationView.from_record(record), self._clock() - run.started)
            yield self._tuning_event(record, upcoming)
            if iteration < self.config.total_iterations:
                self._pace(run_dir, run.iteration_started)

    def _iterate(
        self, run_dir: RunDirectory, arms: TuningArms, schedule: WarmupSchedule, run: _RunState, iteration: int
    ) -> IterationRecord:
        run.iteration_started = self._clock()
        started_utc = utc_stamp(self._utc_now())
        phase, params = schedule.phase(iteration), schedule.params(iteration, run.params)
        with beating(run_dir.heartbeat, HEARTBEAT_S):  # a driver's window (and its control's) may take minutes
            result = arms.trade(self.driver, params, iteration, run_dir.path)
            summary = arms.observe(
                params, iteration, result.summary
            )  # with control and uplift, when there is a control
        gate = evaluate_iteration(summary, self.gate)
        soak_elapsed_s = iteration * self.config.settings.window_s
        tuner = arms.tuner
        if tuner is None or phase is not Phase.STEADY:
            tuning = TuningRecord.idle(AUTO_TUNE_OFF if tuner is None else phase)
        else:
            tuning = tuner.decide(iteration, params, summary, gate, soak_elapsed_s)
        upcoming = schedule.params(iteration + 1, apply_deltas(run.params, tuning.applied_deltas))
        tuning = tuning.model_copy(
            update={"signature": run.signature, "state_hash": overrides_signature(upcoming.model_dump())}
        )
        about = {
            "run_id": run.run_id,
            "driver": self.driver.name,
            "seed": self.config.settings.seed,
            "window_s": self.config.settings.window_s,
            "soak_elapsed_s": soak_elapsed_s,
            "started_utc": started_utc,
            "wall_ms": round((self._clock() - run.iteration_started) * 1000, 3),
            **result.runtime,
        }
        return IterationRecord(
            iteration=iteration,
            phase=phase,
            run=about,
            params=params.model_dump(),
            summary={**summary, **older_summary_fields(utc_stamp(self._utc_now()), gate.verdict, phase)},
            tuning=tuning,
            gate=gate,
        )

    def _hold_while_paused(self, run_dir: RunDirectory, iteration: int) -> Iterator[SoakEvent]:
        if self._running.is_set():
            return
        yield RunPaused(iteration)
        while not self._running.wait(HEARTBEAT_S):
            run_dir.heartbeat()
        if not self.cancelled:
            yield RunResumed(iteration)

    def _pace(self, run_dir: RunDirectory, iteration_started: float) -> None:
        pace = self.config.settings.pace
        if pace == "fast":
            return
        seconds = self.config.settings.window_s if pace == "realtime" else float(pace)
        deadline = iteration_started + seconds
        while not self.cancelled and (remaining := deadline - self._clock()) > 0:
            self._cancelled.wait(min(remaining, HEARTBEAT_S))
            run_dir.heartbeat()

    def _make_driver(self) -> Driver:
        s = self.config.settings
        argv = self.config.driver_argv
        if argv is None:
            engine = self.config.engine or "python"
            return SimDriver(s.scenario, s.seed, s.window_s, s.fees, engine, self.config.replay_workers)
        timeout_s = s.driver_timeout_s or default_timeout_s(s.window_s)
        return CommandDriver(argv, s.seed, s.window_s, StopRequests(self._cancelled, self._at_once), timeout_s)

    def _manifest(self, driver: Driver) -> dict[str, Any]:
        s = self.config.settings
        values = {**s.model_dump(mode="json"), **self.config.params.model_dump()}
        return {
            "driver": driver.name,
            **self.tuning.manifest(),
            "profile": s.profile,
            "gate": s.gate,
            "scenario": s.scenario,
            "fees": getattr(driver, "fee_tier", None),  # the simulator's venue fee tier
            "engine": getattr(driver, "engine", None),  # ... and who runs its loop
            "window_s": s.window_s,
            "iterations": self.config.total_iterations,
            "config": {k: {"value": v, "source": self.config.sources.get(k, "default")} for k, v in values.items()},
            "host": socket.gethostname(),
            **self.tags,
        }

    def _report_summary(self, records: list[IterationRecord]) -> dict[str, Any]:
        verdict = run_verdict([r.gate.verdict for r in records])
        return {"verdict": verdict.model_dump(), **summarise_guards([r.tuning for r in records])}

    @staticmethod
    def _tuning_event(record: IterationRecord, params: Params) -> SoakEvent:
        if record.tuning.applied:
            return TuningApplied(record.iteration, record.tuning.applied_deltas, params.model_dump())
        return TuningSkipped(record.iteration, join_skip_reasons(record.tuning.skip_reasons) or "none")

    def _finish(
        self,
        run_dir: RunDirectory,
        status: RunStatus,
        verdict: RunVerdict | None,
        error: str | None,
        uplift: dict[str, Any] | None = None,
    ) -> str | None:
        try:
            if uplift is not None:  # the cumulative uplift over the control arm (core/tuning/control.py)
                run_dir.heartbeat(uplift=uplift)
            run_dir.finish(status, verdict, error, self._utc_now())
        except SoakError as err:
            return str(err)
        return None


def _unfinished(err: BaseException, cancelled: bool) -> tuple[RunStatus, None, str]:
    """Status, verdict and reason of a run that `err` ended before its loop could."""
    if isinstance(err, GeneratorExit):
        if cancelled:
            return RunStatus.ABORTED, None, "stopped before its end"
        return RunStatus.FAILED, None, "its events were no longer read"
    if isinstance(err, KeyboardInterrupt):
        return RunStatus.ABORTED, None, "interrupted"
    return RunStatus.FAILED, None, " ".join(f"internal error: {type(err).__name__}: {err}".split())


class _RunState:
    def __init__(self, run_id: str, params: Params, started: float) -> None:
        self.run_id = run_id
        self.params = params
        self.records: list[IterationRecord] = []
        self.arms: TuningArms | None = None
        self.signature = ""  # of the runtime_overrides.json the next iteration runs with
        self.started = started
        self.iteration_started = started
