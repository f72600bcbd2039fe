"""Running `soak` as a user would: a subprocess from the repository root, without SOAK_* settings
from the environment of whoever runs the tests. MM_SOAK_TEST_ENGINE=numba (or python) runs every
such soak on that engine, so that the loop, guard and fault tests can be run on each:

    MM_SOAK_TEST_ENGINE=numba .venv/bin/python -m pytest -n 2 tests/fault tests/cli tests/core/tuning
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "tests" / "drivers" / "metrics_driver.py"
FIXTURES = ROOT / "tests" / "fixtures"
PATIENCE_S = 30  # a generous bound that only a hang reaches
TEST_ENGINE = "MM_SOAK_TEST_ENGINE"  # the engine every soak of the tests runs on, if set
SMOKE = ("run", "--no-ui", "--iterations", "3", "--auto-tune", "--mock", "--window", "120")


def soak_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tui.cli", *args]


def soak_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOAK_")}
    if engine := os.environ.get(TEST_ENGINE):
        env["SOAK_ENGINE"] = engine
    return {**env, **extra}


def run_soak(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        soak_command(*args), capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=soak_env(**(env or {}))
    )


def soak_run_argv(out: Path, iterations: int = 5) -> list[str]:
    return soak_command("run", "--no-ui", "--iterations", str(iterations), "--window", "60", "--out", str(out))


def free_port() -> int:
    """A loopback port nothing listens on now (bound, then released for the caller to use)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every live process under `pid`, from /proc."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:  # it ended meanwhile
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += [(child, commands[child]) for child in children]
        frontier += children
    return found
