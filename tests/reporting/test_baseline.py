"""`soak report RUN --baseline BASE`: a gate KPI worse than the baseline's (mean over the judged
window) by more than the gate's WARN band fails the report (exit 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.runs import finish, native_run, write_iteration
from tests.support.soak import run_soak

# The nightly gate's WARN bands: net_bps >= 2.7 (warn 3.0): 0.3; risk_ratio <= 0.40 (warn 0.35): 0.05.
BASE = {"net_bps": 4.0, "risk_ratio": 0.20, "maker_taker_ratio": 0.95, "p95_latency_ms": 150.0}


def run_with(root: Path, run_id: str, iterations: int = 10, **kpis: float) -> Path:
    """A finished nightly run whose every iteration has these KPIs (the rest as BASE)."""
    directory = native_run(root, run_id, gate="nightly")
    for i in range(1, iterations + 1):
        write_iteration(directory, i, **{**BASE, **kpis})
    finish(directory)
    return directory


def report(run: Path, baseline: Path, tmp_path: Path):
    done = run_soak("report", str(run), "--baseline", str(baseline), "--json", str(tmp_path / "r.json"))
    checks = json.loads((tmp_path / "r.json").read_text())["baseline"]["checks"] if done.returncode in (0, 1) else []
    return done, {check["kpi"]: check for check in checks}


@pytest.mark.parametrize(
    ("kpis", "code", "status"),
    [
        ({"net_bps": 3.75}, 0, {"net_bps": "ok"}),  # 0.25 worse: inside the 0.3 band
        ({"net_bps": 3.6}, 1, {"net_bps": "worse"}),  # 0.4 worse
        ({"net_bps": 9.0}, 0, {"net_bps": "ok"}),  # better is never a regression
        ({"risk_ratio": 0.24}, 0, {"risk_ratio": "ok"}),  # lower is better: 0.04 worse
        ({"risk_ratio": 0.26}, 1, {"risk_ratio": "worse"}),  # 0.06 worse
    ],
)
def test_worse_than_the_baseline_by_more_than_the_warn_band_fails(tmp_path: Path, kpis, code, status):
    baseline = run_with(tmp_path / "base", "base")
    run = run_with(tmp_path / "run", "run", **kpis)
    done, checks = report(run, baseline, tmp_path)
    assert done.returncode == code, done.stderr
    for kpi, expected in status.items():
        assert checks[kpi]["status"] == expected
        assert checks[kpi]["run"] == pytest.approx(kpis[kpi]) and checks[kpi]["baseline"] == pytest.approx(BASE[kpi])


def test_the_comparison_uses_the_judged_window_of_each_run(tmp_path: Path):
    baseline = run_with(tmp_path / "base", "base")
    run = native_run(tmp_path / "run", "run", gate="nightly")
    for i in range(1, 13):  # far worse at first, as good as the baseline over the last 8
        write_iteration(run, i, **{**BASE, "net_bps": 0.0 if i <= 4 else BASE["net_bps"]})
    finish(run)
    done, checks = report(run, baseline, tmp_path)
    assert done.returncode == 0, done.stderr
    assert checks["net_bps"]["worse_by"] == pytest.approx(0.0)


def test_a_rule_without_a_warn_band_is_shown_not_checked(tmp_path: Path):
    baseline = native_run(tmp_path / "base", "base", gate="smoke")
    run = native_run(tmp_path / "run", "run", gate="smoke")
    for i in range(1, 4):
        write_iteration(baseline, i, p95_latency_ms=100.0)
        write_iteration(run, i, p95_latency_ms=900.0)
    done, checks = report(run, baseline, tmp_path)
    assert done.returncode == 0, done.stderr
    assert checks["p95_latency_ms"]["status"] == "unchecked" and checks["p95_latency_ms"]["allowed"] is None
    text = run_soak("report", str(run), "--baseline", str(baseline)).stdout
    assert "### Against the baseline base — **not worse**" in text


def test_a_baseline_that_cannot_be_read_is_one_line_exit_2(tmp_path: Path):
    run = run_with(tmp_path / "run", "run")
    done = run_soak("report", str(run), "--baseline", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and done.stderr.startswith("soak: error: --baseline: cannot report on")
    assert len(done.stderr.splitlines()) == 1
