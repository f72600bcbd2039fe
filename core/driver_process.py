"""One run of an external driver's command (DESIGN.md section 8): its output drained while it runs,
its time bounded, and its whole process group stopped when it ends, times out or the run stops.

The command starts in a session of its own, so the group it leads holds every process it
forks (a `sh -c` wrapper's worker, a background child). Stopping the group is SIGTERM, then
SIGKILL once the grace period is over or a second stop asks for it at once; nothing of the
group outlives the iteration, and a child still holding a pipe cannot block the soak.
"""

from __future__ import annotations

import contextlib
import enum
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

POLL_S = 0.02  # how often a running driver's state is looked at (it is waited on, not timed)
STOP_GRACE_S = 2.0  # SIGTERM to SIGKILL
TAIL_BYTES = 8192  # kept of each stream, for the error message
DRAIN_AFTER_STOP_S = 1.0  # a process that left the group may hold a pipe: stop waiting for it


class Ended(enum.Enum):
    EXITED = "exited"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed out"


@dataclass(frozen=True)
class StopRequests:
    """What may end a driver early: `cancelled` (stop, with the grace period) and `at_once`."""

    cancelled: threading.Event
    at_once: threading.Event


@dataclass(frozen=True)
class Finished:
    ended: Ended
    returncode: int | None
    stderr_tail: str


class StreamTail:
    """Drains a pipe in a thread, keeping its last TAIL_BYTES."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self._pipe = pipe
        self._tail = bytearray()
        self._thread = threading.Thread(target=self._drain, name="driver output", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        # The pipe is closed here, at its end: closing it under a read of another thread is unsafe.
        with self._pipe, contextlib.suppress(OSError, ValueError):
            while chunk := os.read(self._pipe.fileno(), 65536):
                self._tail += chunk
                del self._tail[:-TAIL_BYTES]

    def text(self, wait_s: float) -> str:
        self._thread.join(wait_s)
        return bytes(self._tail).decode("utf-8", errors="replace")


def run_command(argv: list[str], timeout_s: float, stops: StopRequests) -> Finished:
    """Run `argv` to its end, its timeout or a stop; raises OSError when it cannot start."""
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    stdout, stderr = StreamTail(proc.stdout), StreamTail(proc.stderr)
    try:
        ended = _wait(proc, time.monotonic() + timeout_s, stops.cancelled)
    finally:  # whatever happened here, nothing of the group stays
        stop_group(proc, stops.at_once)
        stdout.text(DRAIN_AFTER_STOP_S)  # drained to its end, or given up on
        stderr_tail = stderr.text(DRAIN_AFTER_STOP_S)
    return Finished(ended, proc.returncode if ended is Ended.EXITED else None, stderr_tail)


def _wait(proc: subprocess.Popen[bytes], deadline: float, cancelled: threading.Event) -> Ended:
    while proc.poll() is None:
        if cancelled.wait(POLL_S):
            return Ended.CANCELLED
        if time.monotonic() >= deadline:
            return Ended.TIMED_OUT
    return Ended.EXITED


def stop_group(proc: subprocess.Popen[bytes], at_once: threading.Event) -> None:
    """SIGTERM to the group `proc` leads, SIGKILL after the grace period (or at once), and reap."""
    if not _group_alive(proc):
        return
    _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    while _group_alive(proc) and time.monotonic() < deadline and not at_once.wait(POLL_S):
        pass
    _signal_group(proc.pid, signal.SIGKILL)
    proc.wait()


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _group_alive(proc: subprocess.Popen[bytes]) -> bool:
    """Whether any process of the group still runs. The leader is reaped here; zombies of
    orphaned members (an init that does not reap keeps them) do not count, which only /proc tells."""
    if proc.poll() is None:
        return True
    try:
        os.killpg(proc.pid, 0)
    except (ProcessLookupError, PermissionError):
        return False  # the usual end: nothing is left of the group
    proc_fs = Path("/proc")
    if not proc_fs.is_dir():
        return True
    return any(_runs_in_group(entry, proc.pid) for entry in proc_fs.iterdir() if entry.name.isdigit())


def _runs_in_group(entry: Path, pgid: int) -> bool:
    try:
        fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return False  # it ended meanwhile
    state, pgrp = fields[0], int(fields[2])
    return pgrp == pgid and state not in ("Z", "X")
