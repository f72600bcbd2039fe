"""`soak sweep --scheduler ADDRESS` on a real cluster: a `dask scheduler` and two `dask worker`
processes on 127.0.0.1, started and stopped by the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.sweeps import SMALL_SWEEP, check_finished_sweep, dask_cluster, sweep

pytestmark = pytest.mark.slow


def test_the_same_sweep_runs_on_a_cluster_by_address(tmp_path: Path):
    table = tmp_path / "table.json"
    with dask_cluster(tmp_path, workers=2) as address:
        done = sweep(tmp_path / "out", *SMALL_SWEEP, "--scheduler", address, "--json", str(table))
    assert done.returncode in (0, 1), done.stderr
    manifest = check_finished_sweep(tmp_path / "out", json.loads(table.read_text()), cells=4, iterations=4)
    assert manifest["engine"] == {"kind": "scheduler", "scheduler": address, "workers": 2}
    assert f"on the cluster at {address} (2 worker(s))" in done.stdout.splitlines()[0]
