"""`soak watch --no-ui ROOT` during a sweep follows all of its soaks (core/runs/follow.py): each
iteration of each soak as it lands, and the sweep's end with its exit code. (A sweep's own
directory watched after the sweep: tests/sweep/test_local.py.)"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core.console.watch import watch_headless
from tests.support.soak import PATIENCE_S
from tests.support.sweeps import SMALL_SWEEP, expected_lines, run_manifest, start_sweep, sweep_dir, sweep_manifest
from tests.support.waiting import Output

pytestmark = pytest.mark.slow


def test_a_headless_watch_of_the_root_prints_every_soaks_iterations_as_they_land(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    printed, result = Output(), {}
    watch = threading.Thread(target=lambda: result.update(code=watch_headless(out, printed, PATIENCE_S * 2)))
    watch.start()
    process = start_sweep(out, *SMALL_SWEEP, "--workers", "2", "--pace", "0.2")
    printed.wait_for(lambda text: "  iter " in text)
    assert sweep_manifest(out)["status"] == "running"  # the first line came while the sweep ran
    process.communicate(timeout=PATIENCE_S * 2)
    watch.join(PATIENCE_S)
    assert not watch.is_alive()

    lines = printed.getvalue().splitlines()
    assert lines[0] == f"soak watch: following sweep {sweep_dir(out).name}  {sweep_dir(out)}"
    for run_id, expected in expected_lines(out).items():
        assert [line for line in lines if line.startswith(f"{run_id}  iter ")] == expected
        verdict = run_manifest(out / "runs" / run_id)["verdict"]["verdict"]
        assert any(line.startswith(f"run {run_id} completed  verdict {verdict}  exit ") for line in lines)
    assert result["code"] == process.returncode == sweep_manifest(out)["exit_code"]
    assert lines[-1].startswith(f"sweep {sweep_dir(out).name} completed: 4/4 done  ")
    assert lines[-1].endswith(f"16 iteration(s) seen  exit {process.returncode}")
