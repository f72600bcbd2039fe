"""Running `soak` as a user would: a subprocess from the repository root, without SOAK_* settings
from the environment of whoever runs the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "tests" / "drivers" / "metrics_driver.py"
FIXTURES = ROOT / "tests" / "fixtures"
PATIENCE_S = 30  # a generous bound that only a hang reaches
SMOKE = ("run", "--no-ui", "--iterations", "3", "--auto-tune", "--mock", "--window", "120")


def soak_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tui.cli", *args]


def soak_env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("SOAK_")}, **extra}


def run_soak(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        soak_command(*args), capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=soak_env(**(env or {}))
    )


def soak_run_argv(out: Path, iterations: int = 5) -> list[str]:
    return soak_command("run", "--no-ui", "--iterations", str(iterations), "--window", "60", "--out", str(out))
