"""`soak watch --no-ui ROOT` during a sweep follows all of its soaks (core/runs/follow.py): each
iteration of each soak as it lands, and the sweep's end with its exit code."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from core.console.lines import iteration_line
from core.console.watch import watch_headless
from core.runs.layout import iter_file_name
from core.runs.views import read_iteration
from tests.support.soak import PATIENCE_S
from tests.support.sweeps import SMALL_SWEEP, run_manifest, start_sweep, sweep_dir, sweep_manifest
from tests.support.waiting import Output

pytestmark = pytest.mark.slow


def expected_lines(out: Path) -> dict[str, list[str]]:
    """Per run, the line of each of its iterations, from its files."""
    return {
        run_dir.name: [
            f"{run_dir.name}  {iteration_line(read_iteration(run_dir / iter_file_name(i)), 4)}" for i in range(1, 5)
        ]
        for run_dir in (out / "runs").iterdir()
    }


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


def test_a_sweeps_own_directory_is_followed_even_once_it_has_ended(tmp_path: Path):
    out = tmp_path / "out"
    process = start_sweep(out, *SMALL_SWEEP, "--workers", "2")
    process.communicate(timeout=PATIENCE_S * 2)
    printed = io.StringIO()
    assert watch_headless(sweep_dir(out), printed, PATIENCE_S) == process.returncode
    lines = printed.getvalue().splitlines()
    for run_id, expected in expected_lines(out).items():
        assert [line for line in lines if line.startswith(f"{run_id}  iter ")] == expected
