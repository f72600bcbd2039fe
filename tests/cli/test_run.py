"""`soak run --no-ui` end to end, in a subprocess, as CI uses it."""

import itertools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.runs import newest_run
from tests.support.soak import DRIVER, ROOT, soak_command

SMOKE = ("run", "--no-ui", "--iterations", "3", "--auto-tune", "--mock", "--window", "120")


def iteration_files(run_dir):
    return sorted(p.name for p in run_dir.glob("ITER_SUMMARY_*.json"))


def test_smoke_run_writes_a_run_directory_and_passes(soak, tmp_path):
    result = soak(*SMOKE, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    latest = newest_run(tmp_path)
    assert iteration_files(latest) == [f"ITER_SUMMARY_{i}.json" for i in (1, 2, 3)]
    report = json.loads((latest / "TUNING_REPORT.json").read_text())
    assert len(report["iterations"]) == 3 and report["summary"]["count"] == 3
    manifest = json.loads((latest / "RUN.json").read_text())
    assert manifest["status"] == "completed"
    assert "verdict PASS" in result.stdout
    assert sum(line.startswith("iter ") for line in result.stdout.splitlines()) == 3


def test_second_run_gets_its_own_directory_and_leaves_the_first_untouched(soak, tmp_path):
    assert soak(*SMOKE, "--out", str(tmp_path)).returncode == 0
    first = newest_run(tmp_path)
    before = {p.name: p.read_bytes() for p in first.iterdir() if p.is_file()}
    assert soak(*SMOKE, "--out", str(tmp_path)).returncode == 0
    second = newest_run(tmp_path)
    assert second != first
    assert {p.name: p.read_bytes() for p in first.iterdir() if p.is_file()} == before
    for run_dir in (first, second):
        report = json.loads((run_dir / "TUNING_REPORT.json").read_text())
        assert [r["iteration"] for r in report["iterations"]] == [1, 2, 3]


def test_each_iteration_runs_with_the_previous_params_plus_applied_deltas(soak, tmp_path):
    assert soak(*SMOKE, "--out", str(tmp_path), "--gate", "nightly").returncode in (0, 1)
    records = [json.loads((newest_run(tmp_path) / f"ITER_SUMMARY_{i}.json").read_text()) for i in (1, 2, 3)]
    for before, after in itertools.pairwise(records):
        for key, delta in before["tuning"]["applied_deltas"].items():
            if isinstance(before["params"][key], bool):
                continue
            assert after["params"][key] == pytest.approx(before["params"][key] + delta)
    assert any(r["tuning"]["applied"] for r in records[:2]), "nightly defaults should give the tuner work"


def test_json_mode_prints_one_object_per_event(soak, tmp_path):
    result = soak(*SMOKE, "--out", str(tmp_path), "--json")
    events = [json.loads(line)["event"] for line in result.stdout.splitlines()]
    assert events[0] == "run_started" and events[-1] == "run_finished"
    assert events.count("iteration_finished") == 3


def test_no_escape_codes_when_not_a_terminal_or_no_color(soak, tmp_path):
    for env in ({}, {"NO_COLOR": "1"}):
        result = soak(*SMOKE, "--out", str(tmp_path), env=env)
        assert "\x1b" not in result.stdout + result.stderr


def test_sources_of_config_values_are_recorded(soak, tmp_path):
    result = soak(
        *SMOKE,
        "--out",
        str(tmp_path),
        "--profile",
        "steady_safe",
        "--set",
        "base_spread_bps=2.5",
        env={"SOAK_SEED": "9", "SOAK_CONCURRENCY_LIMIT": "3"},
    )
    assert result.returncode == 0, result.stderr
    config = json.loads((newest_run(tmp_path) / "RUN.json").read_text())["config"]
    assert config["seed"] == {"value": 9, "source": "env:SOAK_SEED"}
    assert config["base_spread_bps"] == {"value": 2.5, "source": "cli"}
    assert config["concurrency_limit"] == {"value": 3, "source": "env:SOAK_CONCURRENCY_LIMIT"}
    assert config["post_only"]["source"] == "profile:steady_safe"
    assert config["window_s"]["source"] == "cli" and config["gate"]["source"] == "default"


@pytest.mark.parametrize(
    "args, needle",
    [
        (("--bogus",), "unrecognized arguments"),
        (("--iterations", "0"), "iterations='0'"),
        (("--iterations", "abc"), "iterations='abc'"),
        (("--profile", "nope"), "unknown profile 'nope'"),
        (("--gate", "nope"), "nope"),
        (("--scenario", "moon"), "moon"),
        (("--set", "base_spread_bps=99"), "base_spread_bps"),
        (("--set", "nonsense"), "KEY=VALUE"),
        (("--pace", "slow"), "pace='slow'"),
        (("--driver", "python 'unclosed"), "no closing quotation"),
        (("--driver", "/nonexistent/driver"), "could not start"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(soak, tmp_path, args, needle):
    result = soak("run", "--no-ui", "--out", str(tmp_path), *args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_malformed_profile_toml_is_one_line(soak, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[params\nbase_spread_bps = ")
    result = soak("run", "--no-ui", "--out", str(tmp_path), "--profile", str(bad))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert "bad.toml" in result.stderr


def test_unwritable_out_is_one_line(soak, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = soak(*SMOKE, "--out", str(blocker / "sub"))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_sigint_aborts_with_130_and_status_aborted(tmp_path):
    proc = subprocess.Popen(
        soak_command("run", "--no-ui", "--iterations", "50", "--pace", "30", "--window", "60", "--out", str(tmp_path)),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in proc.stdout:
        if line.startswith("iter "):
            break
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    manifest = json.loads((newest_run(tmp_path) / "RUN.json").read_text())
    assert manifest["status"] == "aborted"
    assert (newest_run(tmp_path) / "ITER_SUMMARY_1.json").is_file()


def children(pid):
    return [int(child) for child in (Path("/proc") / str(pid) / "task" / str(pid) / "children").read_text().split()]


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads a process's children in /proc")
def test_ctrl_c_with_replay_workers_ends_them_too(tmp_path):
    """Ctrl-C in a terminal signals the whole process group: the workers leave it to the soak."""
    args = ("--iterations", "50", "--pace", "30", "--window", "60", "--tuner", "whatif", "--gate", "nightly")
    proc = subprocess.Popen(
        soak_command("run", "--no-ui", *args, "--replay-workers", "2", "--out", str(tmp_path)),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    for line in proc.stdout:
        if line.startswith("iter "):
            break
    workers = children(proc.pid)
    assert len(workers) == 2
    os.killpg(proc.pid, signal.SIGINT)
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130 and "Traceback" not in err, err
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert json.loads((newest_run(tmp_path) / "RUN.json").read_text())["status"] == "aborted"


class TestExternalDriver:
    def driver(self, mode="ok"):
        return f"{sys.executable} {DRIVER} --mode {mode}"

    def test_driver_metrics_become_iterations_and_follow_overrides(self, soak, tmp_path):
        result = soak(
            "run",
            "--no-ui",
            "--iterations",
            "3",
            "--driver",
            self.driver(),
            "--out",
            str(tmp_path),
            "--set",
            "base_spread_bps=1.5",
        )
        assert result.returncode == 0, result.stderr
        first = json.loads((newest_run(tmp_path) / "ITER_SUMMARY_1.json").read_text())
        assert first["summary"]["spread_seen"] == 1.5
        assert first["summary"]["net_bps"] == pytest.approx(2.0)
        assert first["run"]["driver"] == "cmd/" + os.path.basename(sys.executable)

    @pytest.mark.parametrize(
        "mode, needle", [("fail", "exited with code 3"), ("garbage", "malformed"), ("array", "JSON object")]
    )
    def test_failing_driver_is_one_line_exit_2(self, soak, tmp_path, mode, needle):
        result = soak("run", "--no-ui", "--iterations", "2", "--driver", self.driver(mode), "--out", str(tmp_path))
        assert result.returncode == 2
        assert len(result.stderr.splitlines()) == 1 and needle in result.stderr
        manifest = json.loads((newest_run(tmp_path) / "RUN.json").read_text())
        assert manifest["status"] == "failed"
