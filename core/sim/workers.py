"""Replays shared with worker processes: a batch of windows (the what-if candidates, an iteration
and its control) run side by side on a machine with cores to spare.

Each worker holds its own Simulator for the run's scenario and seed, so it generates a window's
market itself (common random numbers: the very path this process trades) and sends back only
the window's KPIs, bit for bit what this process would have computed. A job goes to a worker
once the worker is ready and idle; while one is still starting, this process replays too, from
the batch's other end, so a batch never waits for a worker to start. A worker that fails, dies
or hangs leaves its job to this process. Workers ignore the terminal's Ctrl-C and hangup (this
process acts on those) and end with the run, or when this process is gone.

On Linux a worker is forked from this process, so it starts with the simulator already imported:
a Python process of its own spends about 0.2 s of CPU importing numpy, pydantic and the simulator,
and on 2 cores that CPU is taken from the windows (bench/soak_wall.py, python_whatif24_*). The
fork keeps nothing of this process but the simulator and its socket: its standard streams go to
/dev/null, every other descriptor is closed, its signals are the defaults. The monitor runs the
soak in a thread, so another thread may hold a lock at the fork; the worker takes none of
theirs (it replays and answers), and one that hangs all the same is stopped like any hung
worker. Elsewhere (macOS's system libraries are not safe to use in a fork) a worker is a new
Python process, `python -m core.sim.workers`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path

from core.kpi import IterationKPIs
from core.params import Params
from core.sim import Simulator
from core.sim.engines import Engine

Job = tuple[Params, int]  # parameters, iteration
Replayed = tuple[IterationKPIs, str]  # the window's KPIs, the regime in force
READY = "ready"
AUTO_MAX = 4
AUTO_MIN_ITERATIONS = 6
PATIENCE_S = 30.0
PROJECT_ROOT = str(Path(__file__).resolve().parents[2])  # where `core` imports from
FORK = sys.platform.startswith("linux")


def auto_workers(engine: Engine, whatif: bool, iterations: int) -> int:
    """`--replay-workers` auto: one per core (at most AUTO_MAX) for the what-if tuner on the
    Python engine, when the run is long enough to gain from them; else none (and none off POSIX,
    where a worker cannot be handed its socket)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if os.name != "posix" or engine != "python" or not whatif or iterations < AUTO_MIN_ITERATIONS or cores < 2:
        return 0
    return min(cores, AUTO_MAX)


class ReplayWorkers:
    """`patience_s`: how long a worker may take over one job before it is taken for hung, stopped,
    and its job replayed here (default: PATIENCE_S plus a hundredth of the window's market time, a
    thousand times what a window takes on a loaded machine)."""

    def __init__(self, simulator: Simulator, count: int, patience_s: float | None = None) -> None:
        self.simulator = simulator
        self.patience_s = PATIENCE_S + simulator.window_s / 100 if patience_s is None else patience_s
        self._workers: list[_Worker] = []
        for _ in range(count):
            with contextlib.suppress(OSError, ValueError):  # none started: this process replays alone
                self._workers.append(_Worker.start(simulator))

    def run(self, jobs: Sequence[Job]) -> list[Replayed]:
        try:
            return self._run(jobs)
        except BaseException:
            self.close()  # an answer still on its way would be taken for the next batch's
            raise

    def _run(self, jobs: Sequence[Job]) -> list[Replayed]:
        done: dict[int, Replayed] = {}
        waiting = deque(range(len(jobs)))
        while waiting or self._busy():
            self._hand_out(jobs, waiting, done)
            if waiting and not self._all_ready():
                index = waiting.pop()  # while a worker starts (or none is left), this process replays
                done[index] = _local(self.simulator, jobs[index])
            elif waiting or self._busy():
                wait([worker.conn for worker in self._workers], self._patience_left())
                self._give_up_on_hung(jobs, done)
        return [done[i] for i in range(len(jobs))]

    @property
    def pids(self) -> list[int]:
        return [worker.process.pid for worker in self._workers]

    def ready(self, timeout: float) -> bool:
        """Waits up to `timeout` seconds for every worker to have started; whether they all have."""
        deadline = time.monotonic() + timeout
        while not self._all_ready() and (left := deadline - time.monotonic()) > 0:
            wait([worker.conn for worker in self._workers if not worker.ready], left)
            self._hand_out([], deque(), {})
        return self._all_ready()

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers = []

    def _patience_left(self) -> float:
        started = [worker.sent_at for worker in self._workers if worker.job is not None]
        return max(0.0, min(started) + self.patience_s - time.monotonic()) if started else self.patience_s

    def _give_up_on_hung(self, jobs: Sequence[Job], done: dict[int, Replayed]) -> None:
        now = time.monotonic()
        for worker in [w for w in self._workers if w.job is not None and now - w.sent_at >= self.patience_s]:
            if not worker.conn.poll():  # an answer that just came is taken in, not thrown away
                self._lose(worker, jobs, done)

    def _all_ready(self) -> bool:
        return bool(self._workers) and all(worker.ready for worker in self._workers)

    def _busy(self) -> bool:
        return any(worker.job is not None for worker in self._workers)

    def _hand_out(self, jobs: Sequence[Job], waiting: deque[int], done: dict[int, Replayed]) -> None:
        """Takes in what the workers answered and gives each one that is ready and idle a job."""
        for worker in list(self._workers):
            while worker in self._workers and worker.conn.poll():
                self._collect(worker, jobs, done)
            if worker in self._workers and worker.ready and worker.job is None and waiting:
                worker.job, worker.sent_at = waiting.popleft(), time.monotonic()
                if not _send(worker.conn, jobs[worker.job]):
                    self._lose(worker, jobs, done)

    def _collect(self, worker: _Worker, jobs: Sequence[Job], done: dict[int, Replayed]) -> None:
        try:
            answer = worker.conn.recv()
        except (EOFError, OSError):
            self._lose(worker, jobs, done)
            return
        if answer == READY:
            worker.ready = True
            return
        index, worker.job = worker.job, None
        if index is not None:  # a failed replay answers None: this process runs it, and says why if it fails
            done[index] = answer if answer is not None else _local(self.simulator, jobs[index])

    def _lose(self, worker: _Worker, jobs: Sequence[Job], done: dict[int, Replayed]) -> None:
        """A worker that died or hung: its job is this process's, and it gets no more."""
        self._workers.remove(worker)
        worker.stop()
        if worker.job is not None:
            done[worker.job] = _local(self.simulator, jobs[worker.job])
            worker.job = None


class _Worker:
    def __init__(self, process: subprocess.Popen[bytes] | _Forked, conn: Connection) -> None:
        self.process, self.conn = process, conn
        self.ready = False
        self.job: int | None = None
        self.sent_at = 0.0  # when its job was sent (time.monotonic)

    @classmethod
    def start(cls, simulator: Simulator) -> _Worker:
        """A worker for `simulator`'s scenario and seed, talking over a socket pair."""
        ours, theirs = socket.socketpair()
        try:
            process = _fork(simulator, theirs) if FORK else _spawn(simulator, theirs)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return cls(process, Connection(ours.detach()))

    def stop(self) -> None:
        """Ends the worker at once: it holds nothing to keep (a job's result is this process's to write)."""
        self.conn.close()
        self.process.kill()
        self.process.wait()


def _send(conn: Connection, job: Job) -> bool:
    try:
        conn.send(job)
    except (OSError, ValueError):
        return False
    return True


def _local(simulator: Simulator, job: Job) -> Replayed:
    result = simulator.run_many([job[0]], job[1])[0]
    return result.summary, result.regime


def _spawn(simulator: Simulator, theirs: socket.socket) -> subprocess.Popen[bytes]:
    """Started as `python -m core.sim.workers`, so that nothing else runs in it (multiprocessing's
    spawn would import the caller's main module again)."""
    s = simulator
    about = json.dumps([theirs.fileno(), s.scenario, s.seed, s.window_s, s.fees, s.engine])
    paths = [PROJECT_ROOT, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return subprocess.Popen(
        [sys.executable, "-m", "core.sim.workers", about],
        pass_fds=[theirs.fileno()],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
        stdin=subprocess.DEVNULL,  # the terminal is the monitor's: a worker neither reads nor writes it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _fork(simulator: Simulator, theirs: socket.socket) -> _Forked:
    pid = os.fork()
    if pid == 0:
        try:
            _serve(_forked_worker(theirs), simulator)
        finally:
            os._exit(0)  # never back into the soak's code (nor its atexit handlers)
    return _Forked(pid)


class _Forked:
    """A worker forked from this process, stopped and reaped as a Popen is."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> None:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _forked_worker(theirs: socket.socket) -> Connection:
    """In the fork: /dev/null for the standard streams (new objects, as a lock of the old ones
    may be held by a thread the fork did not copy), no descriptor but the socket, default signals."""
    fd = theirs.detach()
    devnull = os.open(os.devnull, os.O_RDWR)
    for std in (0, 1, 2):
        os.dup2(devnull, std)
    os.closerange(3, fd)
    os.closerange(fd + 1, os.sysconf("SC_OPEN_MAX"))
    sys.stdout = sys.stderr = open(1, "w", closefd=False)  # noqa: SIM115 (the fork's, until it exits)
    signal.set_wakeup_fd(-1)  # the monitor's event loop is this process's no more
    for signum in signal.valid_signals():
        if callable(signal.getsignal(signum)):
            signal.signal(signum, signal.SIG_DFL)
    return Connection(fd)


def _serve(conn: Connection, simulator: Simulator) -> None:
    """A worker: replays jobs until the soak's process closes its end of the socket."""
    for signum in (signal.SIGINT, signal.SIGHUP):  # the terminal's, meant for the soak's process
        signal.signal(signum, signal.SIG_IGN)
    with contextlib.suppress(EOFError, OSError):  # the soak's process is done with us
        conn.send(READY)
        while True:
            job = conn.recv()
            try:
                answer: Replayed | None = _local(simulator, job)
            except Exception:  # the soak's process runs the job again and reports what fails
                answer = None
            conn.send(answer)


def _main(fd: int, scenario: str, seed: int, window_s: float, fees: str | None, engine: Engine) -> None:
    _serve(Connection(fd), Simulator(scenario, seed, window_s, fees, engine))


if __name__ == "__main__":
    _main(*json.loads(sys.argv[1]))
