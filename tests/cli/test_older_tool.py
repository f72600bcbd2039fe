"""`soak run` as a drop-in for the older soak tool (DESIGN.md section 11): its `latest/` left
alone and said so, its flags and variables honoured or refused in one line, the smoke soak that
applies a tuning live, the warm-up."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from core.runs.layout import RUN_FILE, TUNING_REPORT_FILE, iter_file_name
from tests.support.runs import newest_run
from tests.support.soak import FIXTURES, SMOKE, run_soak

NOTE = "soak: note: "


def notes(stderr: str) -> list[str]:
    return [line.removeprefix(NOTE) for line in stderr.splitlines() if line.startswith(NOTE)]


def records(run_dir: Path, count: int) -> list[dict]:
    return [json.loads((run_dir / iter_file_name(i)).read_text()) for i in range(1, count + 1)]


def test_a_latest_directory_of_the_older_tool_is_left_untouched_and_said_in_one_line(tmp_path: Path):
    latest = tmp_path / "latest"
    (latest / "artifacts").mkdir(parents=True)
    for source in (FIXTURES / "oldtool" / "mini_soak").glob("*.*"):
        (latest / source.name).write_bytes(source.read_bytes())
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in latest.rglob("*") if p.is_file()}

    result = run_soak(*SMOKE, "--out", str(tmp_path))

    assert result.returncode == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if "latest" in line]
    assert len(said) == 1 and said[0].startswith(f"{NOTE}{latest} was not written by mm-soak")
    assert f"mv {latest} {latest}.old" in said[0]
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in latest.rglob("*") if p.is_file()} == before
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert json.loads((run_dir / RUN_FILE).read_text())["status"] == "completed"
    assert [r["iteration"] for r in records(run_dir, 3)] == [1, 2, 3]
    assert json.loads((run_dir / TUNING_REPORT_FILE).read_text())["summary"]["count"] == 3
    assert (run_dir / "runtime_overrides.json").is_file()
    assert "verdict PASS" in result.stdout


def test_the_smoke_soak_applies_a_tuning_live(tmp_path: Path):
    # On a path whose first window calls for a change (on the default seed 42's the what-if
    # finds none better, and the freeze guard holds the next two; seeds 1-3, 5 and 7 change).
    assert run_soak(*SMOKE, "--seed", "1", "--out", str(tmp_path)).returncode == 0
    done = records(newest_run(tmp_path), 3)
    applied = [r for r in done if r["tuning"]["applied"]]
    assert applied, "the default smoke soak must exercise live apply"
    for before, after in itertools.pairwise(done):
        for key, delta in before["tuning"]["applied_deltas"].items():
            assert after["params"][key] == pytest.approx(before["params"][key] + delta)
        assert after["tuning"]["signature"] == before["tuning"]["state_hash"]


def test_its_nightly_command_with_a_profile_of_ours_warms_up_then_ramps_then_tunes(tmp_path: Path):
    result = run_soak(
        "run", "--no-ui", "--iterations", "8", "--mock", "--preset", "default", "--auto-tune", "--warmup",
        "--run-isolated", "--out", str(tmp_path), "--window", "120",
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    assert notes(result.stderr) == [
        "--warmup without a number: 4 iterations, as the older tool's",
        "--preset default read as --profile default",
        "--run-isolated: every run here writes only its own runs/<run_id>/ (latest is a copy)",
    ]
    done = records(newest_run(tmp_path), 8)
    assert [r["phase"] for r in done] == ["warmup"] * 4 + ["ramp"] * 2 + ["steady"] * 2
    assert [r["summary"]["phase"] for r in done[3:6]] == ["WARMUP", "RAMPDOWN", "RAMPDOWN"]
    assert all(r["tuning"]["skip_reasons"] == [r["phase"]] for r in done[:6])  # the tuner waits
    spreads = [r["params"]["base_spread_bps"] for r in done]
    assert spreads[0] == spreads[3] > spreads[4] > spreads[5] > spreads[6] == 2.0  # wider, then back


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (("--preset", "maker_bias_uplift_v1"), "--preset maker_bias_uplift_v1: the older tool's presets change"),
        (("--preset-file", "presets/x.json"), "--preset-file presets/x.json: the older tool's presets change"),
        (("--warmup-preset", "warmup_conservative_v1"), "--warmup-preset warmup_conservative_v1: the warm-up here"),
        (("--gate-summary", "g.json"), "--gate-summary g.json: the older tool's gate summary has no equivalent"),
        (("--warmup", "-1"), "warmup='-1'"),
    ],
)
def test_what_has_no_meaning_here_is_refused_in_one_line(tmp_path: Path, flags: tuple[str, ...], says: str):
    result = run_soak(*SMOKE, "--out", str(tmp_path), *flags)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"soak: error: {says}")
    assert not (tmp_path / "runs").exists()


def test_its_variables_are_honoured_with_a_line_each(tmp_path: Path):
    out = tmp_path / "nightly" / "latest"
    env = {"SOAK_SLEEP_SECONDS": "0", "SOAK_OUT_DIR": str(out), "MM_PROFILE": "steady_safe"}
    result = run_soak("run", "--no-ui", "--iterations", "2", "--mock", env=env)
    assert result.returncode in (0, 1), result.stderr
    assert notes(result.stderr) == [
        "SOAK_SLEEP_SECONDS=0 read as the pace (seconds from one iteration's start to the next): 0.0",
        f"SOAK_OUT_DIR={out} read as the artifact root: runs in {out.parent}/runs/, the newest copied to "
        f"{out.parent}/latest: {out.parent}",
        "MM_PROFILE=steady_safe read as the parameter profile: steady_safe",
    ]
    config = json.loads((newest_run(out.parent) / RUN_FILE).read_text())["config"]
    assert (config["pace"]["source"], config["out"]["source"]) == ("env:SOAK_SLEEP_SECONDS", "env:SOAK_OUT_DIR")
    assert config["profile"] == {"value": "steady_safe", "source": "env:MM_PROFILE"}
    copies = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))  # and the marker
    assert copies == [iter_file_name(1), iter_file_name(2), TUNING_REPORT_FILE, "runtime_overrides.json"]


def test_a_variable_of_ours_or_a_flag_wins_and_that_is_said_too(tmp_path: Path):
    env = {"SOAK_SLEEP_SECONDS": "300", "SOAK_PACE": "fast"}
    result = run_soak("run", "--no-ui", "--iterations", "1", "--mock", "--out", str(tmp_path), env=env)
    assert result.returncode in (0, 1), result.stderr
    assert notes(result.stderr) == ["SOAK_SLEEP_SECONDS=300 not used: pace is set by env:SOAK_PACE"]


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"SOAK_OUT_DIR": "artifacts/soak/nightly"}, "SOAK_OUT_DIR='artifacts/soak/nightly': the older tool wrote"),
        ({"MM_PROFILE": "edge_v2"}, "MM_PROFILE='edge_v2': the older tool's strategy profile is not a profile here"),
        ({"SOAK_SLEEP_SECONDS": "soon"}, "pace='soon'"),
    ],
)
def test_a_variable_that_has_no_meaning_here_is_refused_in_one_line(tmp_path: Path, env: dict, says: str):
    result = run_soak(*SMOKE, "--out", str(tmp_path), env=env)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"soak: error: {says}")


def test_export_json_and_export_md_write_the_report_and_hours_says_what_it_runs(tmp_path: Path):
    report, summary = tmp_path / "soak_metrics.json", tmp_path / "SOAK_RESULTS.md"
    result = run_soak(
        "run", "--no-ui", "--hours", "0.5", "--mock", "--out", str(tmp_path),
        "--export-json", str(report), "--export-md", str(summary),
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    assert notes(result.stderr)[0].startswith("--export-md ")
    assert notes(result.stderr)[-1].startswith("--hours 0.5: 3 iterations of 600 s of market time each, run for real")
    data = json.loads(report.read_text())
    assert (data["format"], data["iterations"], data["verdict"]["verdict"]) == (
        1,
        [1, 2, 3],
        data["verdict"]["verdict"],
    )
    assert summary.read_text().startswith("## Soak report: ")
