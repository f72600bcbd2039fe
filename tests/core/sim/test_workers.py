"""Replay workers: a batch of windows shared with worker processes gives what this process would
have computed, bit for bit, and loses nothing when a worker fails or dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from core.config import build_config
from core.events import IterationFinished
from core.loop import SoakLoop
from core.params import Params
from core.sim import SimInputError, Simulator
from core.sim import workers as workers_module
from core.sim.workers import AUTO_MAX, AUTO_MIN_ITERATIONS, ReplayWorkers, auto_workers

SEED, WINDOW_S = 3, 60.0
JOBS = [(Params(base_spread_bps=spread), iteration) for spread in (2.0, 3.5, 5.0) for iteration in (1, 2)]
STARTED_S = 60.0  # generous: the workers import numpy and the simulator on a loaded machine


def serial(jobs: list[tuple[Params, int]]) -> list[tuple[Any, str]]:
    simulator = Simulator("normal", SEED, WINDOW_S)
    return [(r.summary, r.regime) for params, i in jobs for r in simulator.run_many([params], i)]


@pytest.fixture(params=["fork", "spawn"], autouse=True)
def start(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test with workers forked from this process (Linux) and started as Python processes
    of their own (elsewhere)."""
    if request.param == "fork" and not sys.platform.startswith("linux"):
        pytest.skip("workers are forked on Linux only")
    monkeypatch.setattr(workers_module, "FORK", request.param == "fork")
    return str(request.param)


@pytest.fixture
def workers() -> Any:
    started = ReplayWorkers(Simulator("normal", SEED, WINDOW_S), 2)
    yield started
    started.close()


def this_process_replays_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any) -> None:
        raise AssertionError("replayed in the soak's process")

    monkeypatch.setattr(workers_module, "_local", refuse)


def test_ready_workers_replay_every_job_bit_for_bit(workers: ReplayWorkers, monkeypatch: pytest.MonkeyPatch) -> None:
    assert workers.ready(STARTED_S)
    this_process_replays_nothing(monkeypatch)
    assert workers.run(JOBS) == serial(JOBS)


def test_a_batch_does_not_wait_for_workers_to_start() -> None:
    simulator = Simulator("normal", SEED, WINDOW_S)
    starting = ReplayWorkers(simulator, 2)
    try:
        assert starting.run(JOBS) == serial(JOBS)  # whoever replayed them, they are the same windows
    finally:
        starting.close()


def test_workers_that_cannot_start_leave_every_job_to_this_process(start: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def cannot(*args: Any, **kwargs: Any) -> None:
        raise OSError("no processes here")

    if start == "fork":
        monkeypatch.setattr(os, "fork", cannot)
    else:
        monkeypatch.setattr(subprocess, "Popen", cannot)
    none = ReplayWorkers(Simulator("normal", SEED, WINDOW_S), 2)
    assert none.pids == [] and not none.ready(0.0)
    assert none.run(JOBS) == serial(JOBS)


def test_workers_started_from_a_thread_replay_every_job(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in the monitor, which runs the soak in a thread while its own threads go on."""
    started: list[ReplayWorkers] = []
    thread = threading.Thread(target=lambda: started.append(ReplayWorkers(Simulator("normal", SEED, WINDOW_S), 2)))
    thread.start()
    thread.join()
    try:
        assert started[0].ready(STARTED_S)
        this_process_replays_nothing(monkeypatch)
        assert started[0].run(JOBS) == serial(JOBS)
    finally:
        started[0].close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_holds_its_socket_and_nothing_else_of_this_process() -> None:
    """No other descriptor (a pipe this process reads would not see its end while a worker held
    it), and none of this process's signal handlers: a SIGTERM meant for a worker must not stop
    the soak, as the soak's own handler would (core/stop_signals.py)."""
    ours = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    started = ReplayWorkers(Simulator("normal", SEED, WINDOW_S), 2)
    try:
        assert started.ready(STARTED_S)
        for pid in started.pids:
            descriptors = {int(fd): os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
            assert {fd: descriptors.pop(fd) for fd in (0, 1, 2)} == dict.fromkeys((0, 1, 2), os.devnull)
            assert [target.startswith("socket:") for target in descriptors.values()] == [True]
            status = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
            caught, ignored = int(status["SigCgt"], 16), int(status["SigIgn"], 16)
            assert not caught >> (signal.SIGTERM - 1) & 1, "this process's SIGTERM handler"
            assert all(ignored >> (signum - 1) & 1 for signum in (signal.SIGINT, signal.SIGHUP))
    finally:
        started.close()
        signal.signal(signal.SIGTERM, ours)


def test_a_worker_that_dies_leaves_its_jobs_to_this_process(workers: ReplayWorkers) -> None:
    assert workers.ready(STARTED_S)
    for pid in workers.pids:
        os.kill(pid, 9)
    assert workers.run(JOBS) == serial(JOBS)
    assert workers.pids == []


def test_a_worker_that_hangs_is_stopped_and_its_job_replayed_here() -> None:
    patient = ReplayWorkers(Simulator("normal", SEED, WINDOW_S), 2, patience_s=1.0)
    try:
        assert patient.ready(STARTED_S)
        hung, serving = patient.pids
        os.kill(hung, signal.SIGSTOP)
        assert patient.run(JOBS) == serial(JOBS)
        assert patient.pids == [serving]
    finally:
        patient.close()


def test_a_job_that_fails_in_a_worker_fails_here_as_it_would_without_workers(workers: ReplayWorkers) -> None:
    assert workers.ready(STARTED_S)
    with pytest.raises(SimInputError, match="iteration=-1"):
        workers.run([*JOBS, (Params(), -1)])
    assert workers.pids == []  # stopped, their answers unread
    assert workers.run(JOBS) == serial(JOBS)  # this process replays alone


def test_closed_workers_are_gone(workers: ReplayWorkers) -> None:
    pids = workers.pids
    workers.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def records(out: Path, replay_workers: int) -> list[dict[str, Any]]:
    config = build_config(
        {
            "iterations": 6,
            "seed": SEED,
            "gate": "nightly",
            "tuner": "whatif",
            "window_s": WINDOW_S,
            "engine": "python",
            "replay_workers": replay_workers,
            "out": str(out),
        },
        {},
    )
    finished = [e.record for e in SoakLoop(config).run() if isinstance(e, IterationFinished)]
    return [r.model_dump(mode="json", exclude={"run"}) | {"summary": _untimed(r.summary)} for r in finished]


def _untimed(summary: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in summary.items() if key != "runtime_utc"}


def test_a_soak_with_replay_workers_records_what_one_without_them_does(tmp_path: Path) -> None:
    alone = records(tmp_path / "alone", 0)
    assert any(r["tuning"]["candidates"] for r in alone), "the what-if replayed candidates"
    assert records(tmp_path / "shared", 2) == alone


@pytest.mark.parametrize(
    "engine, whatif, iterations, cores, expected",
    [
        ("python", True, 24, 2, 2),
        ("python", True, 24, 16, AUTO_MAX),
        ("python", True, 24, 1, 0),  # no core to spare
        ("python", True, AUTO_MIN_ITERATIONS - 1, 2, 0),  # too short to gain
        ("python", False, 24, 2, 0),  # the rules tuner replays only the control
        ("numba", True, 24, 2, 0),  # fast enough alone
    ],
)
def test_auto_workers(
    engine: Any, whatif: bool, iterations: int, cores: int, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert auto_workers(engine, whatif, iterations) == expected
