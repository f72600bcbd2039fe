import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DRIVER = Path(__file__).parent / "drivers" / "metrics_driver.py"


def soak_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tui.cli", *args]


def run_soak(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SOAK_")}
    full_env.update(env or {})
    return subprocess.run(
        soak_command(*args), capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=full_env
    )


@pytest.fixture
def soak():
    return run_soak
