"""The market's inputs on the command line (issue 15; issue 16 items 15 and 17): fee tiers,
scenario files, window lengths. Bad input is one line and exit 2; no window within bounds crashes
the simulator; a window without fills is recorded as missing, not 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.scenarios import FEE_TIERS
from tests.support.soak import run_soak


def soak_run(out: Path, *args: str):
    return run_soak("run", "--no-ui", "--out", str(out), *args)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fees", "vip99"], "fees='vip99': unknown fee tier; allowed: " + ", ".join(FEE_TIERS)),
        (["--scenario", "storm"], "scenario='storm': unknown scenario; allowed: calm, normal, "),
        (["--window", "0.5"], "window_s='0.5' (from cli): input should be greater than or equal to 1"),
        (["--window", "0"], "window_s='0' (from cli): input should be greater than or equal to 1"),
    ],
)
def test_bad_market_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = soak_run(tmp_path / "out", "--iterations", "1", *args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('schedule = ["mine"]\n[regime.mine]\nbase = "normal"\nsigma_bps = "high"\n', "regime.mine.sigma_bps='high'"),
        ('schedule = ["mine"]\n[regime.mine]\nbase = "normal"\nbranching = 1.5\n', "regime.mine.branching=1.5"),
        ('schedule = ["mine"]\n[regime.mine]\nbase = "nowhere"\n', "regime.mine.base='nowhere': unknown regime"),
        ('schedule = ["elsewhere"]\n', "schedule names unknown regime 'elsewhere'"),
        ("schedule = 3\n", "schedule=3: expected a non-empty list of regime names"),
        ('schedule = ["normal"]\n[regime.mine]\nbase = "normal"\nfee_tier = "vipX"\n', "fees='vipX'"),
        ("schedule = [\n", "malformed TOML"),
    ],
)
def test_a_scenario_file_with_wrong_types_is_one_line_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    scenario = tmp_path / "mine.toml"
    scenario.write_text(text)
    result = soak_run(tmp_path / "out", "--iterations", "1", "--scenario", str(scenario))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and str(scenario) in result.stderr and message in result.stderr, result.stderr


def test_a_scenario_file_and_a_fee_tier_run_and_are_recorded(tmp_path: Path) -> None:
    scenario = tmp_path / "choppy.toml"
    scenario.write_text(
        'description = "faster"\nschedule = ["fast"]\n[regime.fast]\nbase = "normal"\nsigma_bps = 1.2\n'
    )
    out = tmp_path / "out"
    result = soak_run(out, "--iterations", "2", "--window", "30", "--scenario", str(scenario), "--fees", "vip0")
    assert result.returncode in (0, 1), result.stderr
    (run_dir,) = (out / "runs").iterdir()
    manifest = json.loads((run_dir / "RUN.json").read_text())
    assert manifest["fees"] == "vip0" and manifest["config"]["fees"] == {"value": "vip0", "source": "cli"}
    summary = json.loads((run_dir / "ITER_SUMMARY_1.json").read_text())["summary"]
    maker_fee = FEE_TIERS["vip0"].maker_fee_bps
    if summary["fills"]["taker_count"] == 0 and summary["fees_eff_bps"] is not None:
        assert summary["fees_eff_bps"] == pytest.approx(maker_fee)


def test_one_second_windows_without_market_orders_or_fills_run_to_the_end(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = soak_run(out, "--iterations", "25", "--window", "1", "--seed", "0", "--scenario", "calm")
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    (run_dir,) = (out / "runs").iterdir()
    assert json.loads((run_dir / "RUN.json").read_text())["status"] == "completed"
    summaries = [json.loads((run_dir / f"ITER_SUMMARY_{i}.json").read_text()) for i in range(1, 26)]
    empty = [s for s in summaries if s["summary"]["fills"]["maker_count"] + s["summary"]["fills"]["taker_count"] == 0]
    assert empty, "some 1 s windows of calm trade nothing"
    for record in empty:
        summary = record["summary"]
        assert summary["net_bps"] is None and summary["maker_taker_ratio"] is None  # missing, not 0
        assert "net_bps missing: no fills (WARN)" in record["gate"]["reasons"]
