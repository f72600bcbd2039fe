"""A stdout that cannot be written (the CI log's disk full: /dev/full; closed: `>&-`): the soak goes
on, writes its artifacts and exits 2 with one line on stderr saying the log was lost."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from core.runs.layout import RUN_FILE, iter_file_name
from tests.support.soak import ROOT, SMOKE, soak_command, soak_env

pytestmark = pytest.mark.fault
LOST = "soak: error: the log on stdout was lost"


def soak_into(stdout: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`soak ARGS` with its stdout redirected by the shell as `stdout` says."""
    command = " ".join(f"'{arg}'" for arg in soak_command(*args))
    return subprocess.run(
        ["sh", "-c", f"exec {command} {stdout}"],
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=soak_env(),
    )


def assert_log_lost(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stderr
    assert [line for line in done.stderr.splitlines() if line.startswith(LOST)], done.stderr


def assert_run_whole(out: Path) -> Path:
    (run_dir,) = (out / "runs").iterdir()
    assert json.loads((run_dir / RUN_FILE).read_text())["status"] == "completed"
    assert all((run_dir / iter_file_name(i)).is_file() for i in (1, 2, 3))
    return run_dir


@pytest.mark.parametrize("stdout", [">/dev/full", ">&-"], ids=["full", "closed"])
@pytest.mark.parametrize("json_events", [False, True], ids=["lines", "json"])
def test_a_soak_whose_log_cannot_be_written_goes_on(tmp_path: Path, stdout: str, json_events: bool):
    args = [*SMOKE, "--out", str(tmp_path)] + (["--json"] if json_events else [])
    assert_log_lost(soak_into(stdout, *args))
    assert_run_whole(tmp_path)


@pytest.mark.parametrize("stdout", [">/dev/full", ">&-"], ids=["full", "closed"])
def test_a_watch_whose_log_cannot_be_written_says_so(tmp_path: Path, stdout: str):
    done = subprocess.run(soak_command(*SMOKE, "--out", str(tmp_path)), capture_output=True, cwd=ROOT, env=soak_env())
    assert done.returncode == 0
    run_dir = assert_run_whole(tmp_path)
    assert_log_lost(soak_into(stdout, "watch", str(run_dir), "--no-ui", "--timeout", "30"))
