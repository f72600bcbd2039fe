"""The soak loop: runs iterations, gates and tunes them, writes artifacts, yields events.

It knows nothing of any UI. `run()` is a blocking generator; `pause`, `resume` and `cancel` are
safe to call from any thread and take effect between iterations and inside the pacing wait.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from core.artifacts import ArtifactError, RunDirectory, utc_stamp
from core.config import SoakConfig
from core.drivers import CommandDriver, Driver, DriverError, SimDriver
from core.events import (
    IterationFinished, RunFinished, RunPaused, RunResumed, RunStarted, SoakEvent, TuningApplied,
    TuningSkipped,
)
from core.gates import GateProfile, evaluate_iteration, exit_code_for, load_gate, run_verdict
from core.params import Params
from core.records import IterationRecord, RunVerdict, TuningRecord
from core.tuner import Tuner, apply_deltas, summarise_guards

HEARTBEAT_S = 1.0  # how often RUN.json's heartbeat is refreshed while waiting
EXIT_INTERRUPTED = 130
EXIT_ERROR = 2
AUTO_TUNE_OFF = "auto_tune_off"


class SoakLoop:
    def __init__(
        self, config: SoakConfig, driver: Driver | None = None, clock=time.monotonic,
        env: Mapping[str, str] = os.environ,
    ) -> None:
        self.config = config
        self.env = env
        self._clock = clock
        self._cancelled = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self.gate: GateProfile = load_gate(config.settings.gate)
        self.driver = driver or self._make_driver()

    # -- control, from any thread -------------------------------------------------------------
    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
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
        run_dir = RunDirectory.create(settings.out, settings.seed)
        manifest = run_dir.start(self._manifest(self.driver))
        run_dir.update_latest()
        yield RunStarted(run_dir.run_id, run_dir.path, manifest, self.config.total_iterations, settings.window_s)
        run = _RunState(run_dir.run_id, self.config.params, self._clock())
        status, error, exit_code = "completed", None, 0
        try:
            yield from self._iterations(run_dir, run)
        except (DriverError, ArtifactError) as err:
            status, error, exit_code = "failed", str(err), EXIT_ERROR
        verdict = run_verdict([r.gate.verdict for r in run.records]) if run.records else None
        if status == "completed" and self.cancelled:
            status, exit_code = "aborted", EXIT_INTERRUPTED
        elif status == "completed":
            exit_code = exit_code_for(verdict.verdict) if verdict else EXIT_ERROR
        finish_error = self._finish(run_dir, status, verdict, error)
        if finish_error and not error:  # else the first failure is the one worth naming
            status, error, exit_code = "failed", finish_error, EXIT_ERROR
        ci_error = self._write_ci_outputs(run_dir, run.records, verdict)
        if ci_error:
            error, exit_code = ci_error, EXIT_ERROR
        yield RunFinished(run_dir.run_id, status, verdict, exit_code, error, len(run.records))

    def _iterations(self, run_dir: RunDirectory, run: _RunState) -> Iterator[SoakEvent]:
        run_dir.write_overrides(run.params.model_dump())
        tuner = Tuner() if self.config.settings.auto_tune else None
        for iteration in range(1, self.config.total_iterations + 1):
            yield from self._hold_while_paused(run_dir, iteration)
            if self.cancelled:
                return
            record = self._iterate(run_dir, tuner, run, iteration)
            run_dir.write_iteration(record)
            run.records.append(record)  # only once on disk: the verdict counts what a reader sees
            run_dir.write_tuning_report(run.records, self._report_summary(run.records))
            run.params = apply_deltas(run.params, record.tuning.applied_deltas)
            run_dir.write_overrides(run.params.model_dump())
            yield IterationFinished(record, self._clock() - run.started)
            yield self._tuning_event(record, run.params)
            if iteration < self.config.total_iterations:
                self._pace(run_dir, run.iteration_started)

    def _iterate(self, run_dir: RunDirectory, tuner: Tuner | None, run: _RunState, iteration: int) -> IterationRecord:
        run.iteration_started = self._clock()
        started_utc = utc_stamp()
        result = self.driver.run(run.params, iteration, run_dir.path)
        gate = evaluate_iteration(result.summary, self.gate)
        soak_elapsed_s = iteration * self.config.settings.window_s
        tuning = (
            tuner.decide(iteration, run.params, result.summary, gate, soak_elapsed_s)
            if tuner else _untuned()
        )
        runtime = {
            "run_id": run.run_id, "driver": self.driver.name, "seed": self.config.settings.seed,
            "window_s": self.config.settings.window_s, "soak_elapsed_s": soak_elapsed_s,
            "started_utc": started_utc, "wall_ms": round((self._clock() - run.iteration_started) * 1000, 3),
            **result.runtime,
        }
        return IterationRecord(
            iteration=iteration, runtime=runtime, params=run.params.model_dump(),
            summary=result.summary, tuning=tuning, gate=gate,
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
            return SimDriver(s.scenario, s.seed, s.window_s)
        return CommandDriver(argv, s.seed, s.window_s, self._cancelled)

    def _manifest(self, driver: Driver) -> dict[str, Any]:
        s = self.config.settings
        values = {**s.model_dump(mode="json"), **self.config.params.model_dump()}
        return {
            "driver": driver.name, "profile": s.profile, "gate": s.gate,
            "scenario": s.scenario, "window_s": s.window_s, "iterations": self.config.total_iterations,
            "config": {k: {"value": v, "source": self.config.sources.get(k, "default")} for k, v in values.items()},
            "host": socket.gethostname(),
        }

    def _report_summary(self, records: list[IterationRecord]) -> dict[str, Any]:
        verdict = run_verdict([r.gate.verdict for r in records])
        return {"verdict": verdict.model_dump(), **summarise_guards([r.tuning for r in records])}

    @staticmethod
    def _tuning_event(record: IterationRecord, params: Params) -> SoakEvent:
        if record.tuning.applied:
            return TuningApplied(record.iteration, record.tuning.applied_deltas, params.model_dump())
        return TuningSkipped(record.iteration, record.tuning.skip_reason or "none")

    @staticmethod
    def _finish(run_dir: RunDirectory, status: str, verdict: RunVerdict | None, error: str | None) -> str | None:
        try:
            run_dir.finish(status, verdict, error)
        except ArtifactError as err:
            return str(err)
        return None


    def _write_ci_outputs(
        self, run_dir: RunDirectory, records: list[IterationRecord], verdict: RunVerdict | None
    ) -> str | None:
        """JUnit, Markdown summary and GitHub's step summary, when asked for; an error line or None."""
        from core.ci_outputs import STEP_SUMMARY_ENV, write_run_outputs
        from core.report import ReportError

        s = self.config.settings
        if s.junit is None and s.summary_md is None and not self.env.get(STEP_SUMMARY_ENV):
            return None
        try:
            write_run_outputs(run_dir.path, records, verdict, s.gate, s.junit, s.summary_md, self.env)
        except ReportError as err:
            return str(err)
        return None


class _RunState:
    def __init__(self, run_id: str, params: Params, started: float) -> None:
        self.run_id = run_id
        self.params = params
        self.records: list[IterationRecord] = []
        self.started = started
        self.iteration_started = started


def _untuned() -> TuningRecord:
    return TuningRecord(
        proposed_deltas={}, applied_deltas={}, applied=False, skip_reason=AUTO_TUNE_OFF,
        param_status={}, guards_fired=[], changed_keys=[], state_hash="", rationale=[],
    )
