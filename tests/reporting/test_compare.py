"""`soak compare`: two runs side by side, and the paired per-iteration differences when their
market paths match. Expected numbers come from the ITER_SUMMARY files, read as plain JSON."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest

from core.intervals import mean_interval, t_quantile
from core.kpi import MONITORED, lookup
from tests.support.runs import finished_run
from tests.support.soak import run_soak


@pytest.fixture(scope="module")
def tuned_and_untuned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("compare")
    untuned, _, _ = finished_run(root / "a", iterations=10, seed=11, gate="nightly", auto_tune=False)
    tuned, _, _ = finished_run(root / "b", iterations=10, seed=11, gate="nightly", auto_tune=True)
    return untuned, tuned


def summaries(run_dir: Path) -> dict[int, dict]:
    files = (json.loads(path.read_text()) for path in run_dir.glob("ITER_SUMMARY_*.json"))
    return {record["iteration"]: record["summary"] for record in files}


def test_paired_differences_are_the_per_iteration_differences_in_the_files(tuned_and_untuned, tmp_path: Path):
    untuned, tuned = tuned_and_untuned
    done = run_soak("compare", str(untuned), str(tuned), "--json", str(tmp_path / "c.json"))
    assert done.returncode == 0, done.stderr
    comparison = json.loads((tmp_path / "c.json").read_text())
    assert comparison["pairing"]["paired"] is True and comparison["pairing"]["iterations"] == list(range(1, 11))
    a, b = summaries(untuned), summaries(tuned)
    paired = {p["kpi"]: p for p in comparison["paired"]}
    assert set(MONITORED) <= set(paired)
    for kpi in MONITORED:
        expected = [
            (i, lookup(b[i], kpi) - lookup(a[i], kpi))
            for i in sorted(a)
            if lookup(a[i], kpi) is not None and lookup(b[i], kpi) is not None
        ]
        assert [(d["iteration"], d["difference"]) for d in paired[kpi]["differences"]] == expected
        values = [d for _, d in expected]
        interval = paired[kpi]["interval"]
        assert interval["n"] == len(values) and interval["mean"] == pytest.approx(statistics.fmean(values), abs=1e-12)
        half = t_quantile(0.95, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
        assert (interval["low"], interval["high"]) == pytest.approx((interval["mean"] - half, interval["mean"] + half))
    sides = {k["kpi"]: k for k in comparison["kpis"]}
    assert sides["net_bps"]["a"]["mean"] == pytest.approx(statistics.fmean(s["net_bps"] for s in a.values()))
    assert sides["net_bps"]["b_recent"]["mean"] == pytest.approx(
        statistics.fmean(b[i]["net_bps"] for i in range(3, 11))
    )
    assert (comparison["a"]["facts"]["auto_tune"], comparison["b"]["facts"]["auto_tune"]) == (False, True)
    assert comparison["a"]["verdict"] == json.loads((untuned / "RUN.json").read_text())["verdict"]["verdict"]
    # The untuned run keeps its starting values; the tuned one moved some.
    assert comparison["params"] and all(p["a_first"] == p["b_first"] == p["a_last"] for p in comparison["params"])


def test_the_markdown_says_what_differs_and_what_the_pairing_favours(tuned_and_untuned):
    untuned, tuned = tuned_and_untuned
    done = run_soak("compare", str(untuned), str(tuned))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    for heading in ("# Compare ", "### KPIs", "### Parameters that differ", "### Paired per-iteration differences"):
        assert heading in text
    assert "paired: the simulator on seed 11, scenario normal, window 60.0 s" in text
    paired = text.split("### Paired per-iteration differences")[1]
    rows = [line.strip("| ").split(" | ") for line in paired.splitlines() if line.startswith("| ") and "…" in line]
    assert {row[0] for row in rows} >= set(MONITORED)
    for kpi, better, _, _, span, favours in rows:
        low, high = (float(x) for x in span.split(" … "))
        b_higher = low > 0
        expected = "neither" if low <= 0 <= high else ("B" if b_higher == (better == "higher") else "A")
        assert favours == expected, kpi


def test_runs_on_different_seeds_are_not_paired(tuned_and_untuned, tmp_path: Path):
    untuned, _ = tuned_and_untuned
    other, _, _ = finished_run(tmp_path / "c", iterations=4, seed=12, gate="nightly")
    done = run_soak(
        "compare", str(untuned), str(other), "--json", str(tmp_path / "c.json"), "--md", str(tmp_path / "c.md")
    )
    assert done.returncode == 0, done.stderr
    comparison = json.loads((tmp_path / "c.json").read_text())
    assert comparison["pairing"] == {
        "paired": False,
        "reason": "not paired: seed differs (11 vs 12)",
        "iterations": [1, 2, 3, 4],
    }
    assert comparison["paired"] == []
    assert "not paired: seed differs" in (tmp_path / "c.md").read_text()


def test_a_run_that_cannot_be_read_is_one_line_exit_2(tuned_and_untuned, tmp_path: Path):
    untuned, _ = tuned_and_untuned
    done = run_soak("compare", str(untuned), str(tmp_path / "missing"))
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "missing" in done.stderr


@pytest.mark.parametrize(
    ("df", "table"), [(1, 6.3138), (2, 2.9200), (4, 2.1318), (9, 1.8331), (29, 1.6991), (120, 1.6577)]
)
def test_t_quantiles_match_the_printed_tables(df: int, table: float):
    assert t_quantile(0.95, df) == pytest.approx(table, abs=5e-5)


def test_an_interval_needs_two_values():
    assert mean_interval([]) is None
    single = mean_interval([2.5])
    assert single is not None and (single.mean, single.low, single.high) == (2.5, None, None)
    flat = mean_interval([1.0, 1.0, 1.0])
    assert flat is not None and flat.low == flat.high == 1.0
