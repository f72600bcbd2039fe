"""`soak sweep` on its embedded LocalCluster: the sweep of the issue, end to end."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from core.console.watch import watch_headless
from core.sweep.engine import DaskEngine
from tests.support.soak import PATIENCE_S
from tests.support.sweeps import SMALL_SWEEP, check_finished_sweep, expected_lines, sweep, sweep_dir

pytestmark = pytest.mark.slow


def test_a_sweep_on_two_local_workers_leaves_four_tagged_runs_and_a_consistent_manifest(tmp_path: Path):
    table = tmp_path / "table.json"
    done = sweep(tmp_path / "out", *SMALL_SWEEP, "--workers", "2", "--json", str(table), "--md", str(tmp_path / "t.md"))
    assert done.returncode in (0, 1), done.stderr
    assert done.stderr == ""
    result = json.loads(table.read_text())
    manifest = check_finished_sweep(tmp_path / "out", result, cells=4, iterations=4)
    assert manifest["engine"]["kind"] == "local" and manifest["engine"]["workers"] == 2
    assert manifest["spec"]["seeds"] == [1, 2] and manifest["spec"]["scenarios"] == ["normal", "volatile"]
    assert done.returncode == result["exit_code"]
    lines = done.stdout.splitlines()
    progress = [line for line in lines if line.startswith("[")]
    assert [line.split("]")[0] for line in progress] == ["[1/4", "[2/4", "[3/4", "[4/4"]
    assert lines[-3].startswith(f"sweep {manifest['sweep_id']}: 4/4 done")
    # The closing table: a row per cell with its verdict, PnL/h and uplift dashes (not recorded yet).
    rows = [line.split() for line in lines if line[:1].isdigit()]
    assert [(row[0], row[6]) for row in rows] == [(str(r["cell"]), r["verdict"]) for r in result["rows"]]
    assert "| cell | seed | scenario |" in (tmp_path / "t.md").read_text()
    # A headless watch of the sweep's own directory, once it has ended, prints it whole.
    printed = io.StringIO()
    assert watch_headless(sweep_dir(tmp_path / "out"), printed, PATIENCE_S) == done.returncode
    watched = printed.getvalue().splitlines()
    for run_id, expected in expected_lines(tmp_path / "out").items():
        assert [line for line in watched if line.startswith(f"{run_id}  iter ")] == expected
    assert watched[-1].endswith(f"16 iteration(s) seen  exit {done.returncode}")


def test_the_embedded_workers_leave_glibc_its_own_memory_trimming():
    # Dask's default (trim from 64 KiB) made every soak on a worker about 27% slower.
    assert "MALLOC_TRIM_THRESHOLD_" not in os.environ
    with DaskEngine(workers=1) as engine:
        assert engine.client.submit(os.getenv, "MALLOC_TRIM_THRESHOLD_", pure=False).result(PATIENCE_S) is None
