"""The soaks of a sweep on Dask distributed: a LocalCluster of worker processes of its own (the
default), or the cluster whose scheduler is at an address (`--scheduler`, or Dask's own
`scheduler-address` setting). This is the only module that imports Dask.

Each soak is one task on a worker of one thread (soaks are CPU-bound Python). A worker that
dies costs only its soak, which runs at most attempts.MAX_ATTEMPTS times: the embedded
cluster's scheduler reruns it once itself (`allowed-failures` 1); on any cluster, the client
submits it again when the scheduler gives up (KilledWorker) and the task refuses a third start.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any

import dask
from distributed import Client, Future, KilledWorker, LocalCluster, as_completed

from core.errors import ConfigError
from core.records import RunStatus
from core.sweep import attempts
from core.sweep.task import SoakOutcome, SoakTask, gave_up, run_soak

CONNECT_TIMEOUT_S = 5.0  # to reach a scheduler, and for it to have a worker
LOOPBACK = "127.0.0.1"
EMBEDDED_CLUSTER = {  # the embedded cluster's Dask settings (its workers get them too)
    "distributed.scheduler.allowed-failures": attempts.MAX_ATTEMPTS - 1,
    # One soak per worker at a time, none queued behind it: a worker that dies holds one soak.
    "distributed.scheduler.worker-saturation": 1.0,
    # Dask's profiler samples the task's thread every 10 ms, taking the GIL from the soak.
    "distributed.worker.profile.enabled": False,
    # Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536, so glibc hands freed memory back
    # to the system from 64 KiB on; a soak frees and allocates its market's arrays every window,
    # and ran 27% slower so (a 144-iteration nightly soak: 8.4 s against 6.6 s).
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}


class DaskEngine:
    """Use as a context manager: entering starts the cluster or reaches the scheduler (a
    ConfigError, one line, when it cannot); leaving stops what it started."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        # Dask's own setting names a cluster unless the command line chose the embedded one.
        self.scheduler = scheduler or (None if workers else dask.config.get("scheduler-address", None))
        self._cluster: LocalCluster | None = None
        self._client: Client | None = None
        self._running: dict[Future, SoakTask] = {}

    def __enter__(self) -> DaskEngine:
        logging.getLogger("distributed").setLevel(logging.CRITICAL)  # the sweep says what matters
        if self.scheduler is None:
            with dask.config.set(EMBEDDED_CLUSTER):
                self._cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    host=LOOPBACK,
                    dashboard_address=None,
                    # Its HTTP endpoints (health, metrics) on a free loopback port, not on 8787:
                    # two sweeps at once would otherwise contend for it, and warn.
                    scheduler_kwargs={"dashboard_address": f"{LOOPBACK}:0"},
                    silence_logs=logging.CRITICAL,
                )
            self._client = Client(self._cluster)
        else:
            self._client = _connect(self.scheduler)
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    @property
    def owns_workers(self) -> bool:
        """Whether the workers are the embedded cluster's, stopped with it."""
        return self._cluster is not None

    @property
    def client(self) -> Client:
        assert self._client is not None, "use the engine as a context manager"
        return self._client

    def describe(self) -> dict[str, Any]:
        """How the soaks run, for SWEEP.json and the first line."""
        info = self.client.scheduler_info(n_workers=-1)
        address, workers = info.get("address"), len(info.get("workers", {}))
        kind = "local" if self.owns_workers else "scheduler"
        return {"kind": kind, "scheduler": address, "workers": workers}

    def run(self, tasks: Sequence[SoakTask]) -> Iterator[SoakOutcome]:
        """Every task's outcome, as each finishes."""
        submits = dict.fromkeys((task.cell.index for task in tasks), 0)
        pending = as_completed([self._submit(task, submits) for task in tasks])
        for future in pending:
            task = self._running.pop(future)
            outcome = self._outcome(future, task, submits[task.cell.index])
            if outcome is None:
                pending.add(self._submit(task, submits))
            else:
                yield outcome

    def cancel(self) -> None:
        self.client.cancel(list(self._running))

    def _submit(self, task: SoakTask, submits: dict[int, int]) -> Future:
        submits[task.cell.index] += 1
        future = self.client.submit(run_soak, task, key=f"{task.key}-{submits[task.cell.index]}", pure=False)
        self._running[future] = task
        return future

    def _outcome(self, future: Future, task: SoakTask, submitted: int) -> SoakOutcome | None:
        """The task's outcome; None when its workers died and it may run again."""
        error = future.exception()
        if error is None:
            outcome: SoakOutcome = future.result()
            return outcome
        tried = attempts.count(task.attempts, task.cell.index)
        if isinstance(error, KilledWorker):
            if tried < attempts.MAX_ATTEMPTS and submitted < attempts.MAX_ATTEMPTS:
                return None
            reason = f"its worker died in each of {tried} attempts"
        else:
            reason = f"the task failed on its worker: {_one_line(error)}"
        attempts.close_attempts(task.attempts, task.cell.index, RunStatus.FAILED, reason)
        return gave_up(task, tried, reason)


def _connect(address: str) -> Client:
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, ValueError, TypeError) as err:
        raise ConfigError(f"cannot reach the Dask scheduler at {address!r}: {_one_line(err)}") from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as err:
        client.close()
        raise ConfigError(f"the Dask scheduler at {address!r} has no workers: {_one_line(err)}") from None
    return client


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."
