"""A soak run as a user runs it, with the hostile driver (tests/drivers/hostile_driver.py), that a
test can signal, wait on and always clean up: the soak, its driver and anything the driver forked.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.support.soak import PATIENCE_S, ROOT, soak_command, soak_env

HOSTILE = ROOT / "tests" / "drivers" / "hostile_driver.py"
POLL_S = 0.02  # how often a condition on files is looked at again (the bound is PATIENCE_S)


def hostile_driver(marks: Path, *behaviours: str) -> str:
    """The --driver command of the hostile driver noting its events in `marks`."""
    marks.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, str(HOSTILE), "--iteration", "{iteration}", "--overrides", "{overrides}"]
    return shlex.join([*argv, "--output", "{output}", "--marks", str(marks), *behaviours])


def wait_until(condition: Callable[[], Any], what: str) -> Any:
    """Look at files until `condition()` is truthy; only a hang reaches PATIENCE_S."""
    deadline = time.monotonic() + PATIENCE_S
    while not (found := condition()):
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(POLL_S)
    return found


def marked_pids(marks: Path) -> list[int]:
    """Every pid the hostile driver noted (its own and its child's)."""
    pids = []
    for mark in marks.glob("started_*"):
        pids += [int(pid) for pid in mark.read_text().split() if int(pid) > 0]
    return pids


def alive(pid: int) -> bool:
    """Whether `pid` is a process that still runs (a zombie waiting for its reaper does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def is_hostile(pid: int) -> bool:
    try:
        return str(HOSTILE) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def run_manifest(out: Path) -> dict[str, Any]:
    [run] = (out / "runs").iterdir()
    return dict(json.loads((run / "RUN.json").read_text()))


def run_dir(out: Path) -> Path:
    [run] = (out / "runs").iterdir()
    return run


class SoakProcess:
    """`soak ARGS` in its own session, stdout and stderr to files (a pipe nobody reads would
    block it). `stop()` kills what is left of it and of its drivers, whatever the test did."""

    def __init__(
        self,
        args: list[str],
        tmp: Path,
        marks: Path | None = None,
        env: dict[str, str] | None = None,
        wrapper: tuple[str, ...] = (),
        **popen: Any,
    ) -> None:
        """`wrapper` comes before the soak's command (a shell that closes stdin first)."""
        self.marks = marks
        self.stdout_path, self.stderr_path = tmp / "soak.stdout", tmp / "soak.stderr"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            kwargs = {"stdout": out, "stderr": err, "stdin": subprocess.DEVNULL, **popen}
            self.proc = subprocess.Popen(
                [*wrapper, *soak_command(*args)],
                cwd=ROOT,
                env=soak_env(**(env or {})),
                start_new_session=True,
                **kwargs,
            )

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def wait(self) -> int:
        return self.proc.wait(PATIENCE_S)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def leftovers(self) -> list[int]:
        """The driver processes the hostile driver noted (itself, its child) that still run."""
        noted = marked_pids(self.marks) if self.marks else []
        return sorted(pid for pid in noted if alive(pid) and is_hostile(pid))

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(PATIENCE_S)
        for pid in self.leftovers():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def soak_process(args: list[str], tmp: Path, marks: Path | None = None, **more: Any) -> Iterator[SoakProcess]:
    soak = SoakProcess(args, tmp, marks, **more)
    try:
        yield soak
    finally:
        soak.stop()
