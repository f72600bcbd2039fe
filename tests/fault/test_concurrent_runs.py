"""Two soaks started at once into the same root: two run directories, neither writes into the
other's, `latest` holds copies of one of them, and both complete."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from core.runs.discovery import read_run
from core.runs.layout import OVERRIDES_FILE, RUN_FILE, TUNING_JOURNAL_FILE, TUNING_REPORT_FILE, iter_file_name
from tests.support.runs import newest_run
from tests.support.soak import ROOT, soak_command

pytestmark = pytest.mark.fault
ITERATIONS = 6


def start_together(out: Path) -> list[subprocess.Popen]:
    """Two soaks with the same seed, launched early in a wall-clock second: both create their run
    directory within that second, so their run ids would collide without the mkdir lock."""
    time.sleep(1 - time.time() % 1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOAK_")}
    argv = soak_command(
        "run", "--no-ui", "--iterations", str(ITERATIONS), "--window", "60", "--seed", "7", "--out", str(out)
    )
    return [
        subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]


def assert_only_its_own_files(run_dir: Path) -> None:
    iterations = (iter_file_name(i) for i in range(1, ITERATIONS + 1))
    expected = {RUN_FILE, TUNING_REPORT_FILE, TUNING_JOURNAL_FILE, OVERRIDES_FILE, *iterations}
    assert set(os.listdir(run_dir)) == expected
    manifest = json.loads((run_dir / RUN_FILE).read_text())
    assert (manifest["run_id"], manifest["status"]) == (run_dir.name, "completed")
    for i in range(1, ITERATIONS + 1):
        record = json.loads((run_dir / iter_file_name(i)).read_text())
        assert record["run"]["run_id"] == run_dir.name
    report = json.loads((run_dir / TUNING_REPORT_FILE).read_text())
    assert report["summary"]["count"] == ITERATIONS
    assert [entry["iteration"] for entry in report["iterations"]] == list(range(1, ITERATIONS + 1))
    assert read_run(run_dir).errors == []


def test_two_soaks_started_at_once_keep_to_their_own_run_directories(tmp_path: Path):
    soaks = start_together(tmp_path)
    for soak in soaks:
        _, stderr = soak.communicate(timeout=60)
        assert soak.returncode in (0, 1), stderr  # a gate verdict, not an error

    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2
    first, second = (run.name for run in runs)
    if second.startswith(first):  # the same second: the later mkdir took the next free id
        assert second == f"{first}-2"
    for run_dir in runs:
        assert_only_its_own_files(run_dir)
    shown = newest_run(tmp_path)
    assert shown in runs
    copies = [p for p in (tmp_path / "latest").iterdir() if not p.name.startswith(".")]
    assert {p.name for p in copies} == {
        TUNING_REPORT_FILE,
        OVERRIDES_FILE,
        *(iter_file_name(i) for i in range(1, ITERATIONS + 1)),
    }
    assert all(p.read_bytes() == (shown / p.name).read_bytes() for p in copies)  # one run's, none of the other's
    assert set(os.listdir(tmp_path)) == {"runs", "latest"}  # nothing left beside it
