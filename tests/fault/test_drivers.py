"""External drivers that misbehave (issue 16, items 1, 2, 5, 6, 21): the soak drains them, keeps
its heartbeat, blames bad metrics on the driver in one line, and leaves no process behind."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests.support.driving import hostile_driver, run_dir, run_manifest, soak_process, wait_until

pytestmark = pytest.mark.fault
MIB = 1024 * 1024


def soak_args(out: Path, driver: str, iterations: int = 2) -> list[str]:
    return ["run", "--no-ui", "--iterations", str(iterations), "--window", "60", "--out", str(out), "--driver", driver]


def one_line_error(stderr: str) -> str:
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("soak: error:")]
    assert len(errors) == 1, stderr
    return errors[0]


def test_a_driver_flooding_both_streams_never_blocks_the_soak(tmp_path):
    marks, out = tmp_path / "marks", tmp_path / "out"
    with soak_process(soak_args(out, hostile_driver(marks, "--flood", str(MIB))), tmp_path, marks) as soak:
        assert soak.wait() == 0, soak.stderr
    assert sorted(p.name for p in run_dir(out).glob("ITER_SUMMARY_*.json")) == [
        "ITER_SUMMARY_1.json",
        "ITER_SUMMARY_2.json",
    ]


def test_a_driver_past_its_timeout_is_stopped_and_named(tmp_path):
    marks, out = tmp_path / "marks", tmp_path / "out"
    driver = hostile_driver(marks, "--from", "2", "--hang", "--ignore-term")
    args = [*soak_args(out, driver, 3), "--driver-timeout", "1"]
    with soak_process(args, tmp_path, marks) as soak:
        assert soak.wait() == 2
        assert "did not finish iteration 2 within 1 s" in one_line_error(soak.stderr)
        assert soak.leftovers() == []
    manifest = run_manifest(out)
    assert manifest["status"] == "failed" and "within 1 s" in manifest["error"]
    assert [p.name for p in run_dir(out).glob("ITER_SUMMARY_*.json")] == ["ITER_SUMMARY_1.json"]


def test_the_heartbeat_goes_on_while_a_driver_runs_a_long_window(tmp_path):
    marks, out = tmp_path / "marks", tmp_path / "out"
    with soak_process(soak_args(out, hostile_driver(marks, "--from", "2", "--hang")), tmp_path, marks) as soak:
        wait_until(lambda: (marks / "started_2").exists(), "the driver's second iteration")
        before = run_manifest(out)["heartbeat_utc"]
        wait_until(lambda: run_manifest(out)["heartbeat_utc"] != before, "a heartbeat while the driver runs")
        soak.signal(signal.SIGTERM)
        assert soak.wait() == 130


def test_a_background_child_holding_stderr_does_not_block_the_soak(tmp_path):
    marks, out = tmp_path / "marks", tmp_path / "out"
    with soak_process(soak_args(out, hostile_driver(marks, "--fork-child")), tmp_path, marks) as soak:
        assert soak.wait() == 0, soak.stderr
        assert soak.leftovers() == []
    assert run_manifest(out)["status"] == "completed"


def test_a_stop_reaches_the_drivers_whole_process_group(tmp_path):
    """`sh -c` runs the worker as its child: stopping the soak stops the worker too."""
    marks, out = tmp_path / "marks", tmp_path / "out"
    wrapper = f"sh -c {json.dumps(hostile_driver(marks, '--hang') + ' ; true')}"
    with soak_process(soak_args(out, wrapper), tmp_path, marks) as soak:
        wait_until(lambda: (marks / "started_1").exists(), "the worker under sh")
        soak.signal(signal.SIGTERM)
        assert soak.wait() == 130
        assert soak.leftovers() == []


HOSTILE_METRICS = {
    "an integer too large for a float": '{"net_bps": 1' + "0" * 400 + "}",
    "an extra key nested 2000 deep": '{"net_bps": 1.0, "deep": ' + "[" * 2000 + "1" + "]" * 2000 + "}",
    "a lone surrogate": '{"net_bps": 1.0, "venue": "x\\ud800y"}',
    "a KPI of 1e400": '{"net_bps": 1e400}',
    "an extra value of -1e400": '{"net_bps": 1.0, "extra": {"x": -1e400}}',
}


@pytest.mark.parametrize("text", HOSTILE_METRICS.values(), ids=HOSTILE_METRICS)
def test_metrics_that_cannot_be_recorded_are_blamed_on_the_driver(tmp_path, text):
    marks, out = tmp_path / "marks", tmp_path / "out"
    metrics = tmp_path / "metrics.json"
    metrics.write_text(text, encoding="utf-8")
    driver = hostile_driver(marks, "--from", "2", "--metrics-file", str(metrics))
    with soak_process(soak_args(out, driver, 3), tmp_path, marks) as soak:
        assert soak.wait() == 2, soak.stderr
        line = one_line_error(soak.stderr)
    assert line.startswith("soak: error: driver") and "METRICS_2.json" in line and len(line) < 400
    manifest = run_manifest(out)
    assert manifest["status"] == "failed" and manifest["error"] in line
    assert [p.name for p in run_dir(out).glob("ITER_SUMMARY_*.json")] == ["ITER_SUMMARY_1.json"]


def test_metrics_beyond_the_size_limit_are_refused_in_one_line(tmp_path):
    marks, out = tmp_path / "marks", tmp_path / "out"
    driver = hostile_driver(marks, "--attach", str(2 * MIB))
    with soak_process(soak_args(out, driver, 1), tmp_path, marks) as soak:
        assert soak.wait() == 2, soak.stderr
        assert "too large" in one_line_error(soak.stderr)
    assert run_manifest(out)["status"] == "failed"


def test_the_driver_timeout_flag_is_checked(soak):
    result = soak("run", "--no-ui", "--driver-timeout", "0")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "driver_timeout_s" in result.stderr
