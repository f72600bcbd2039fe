"""`python -m bench` on stand-in scripts: figures parsed and judged against their targets, and a
missing, failing or hanging script leaves its figures missing with the reason, not a crash."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.soak import ROOT

STAND_INS = {
    "sim_throughput.py": 'print("window=600s wall_ms median=2.5")\nprint("sim_seconds_per_wall_second=250000")\n'
    'print("python_sim_seconds_per_wall_second=25000")\nprint("replay_sim_seconds_per_wall_second=450000")\n'
    'print("numba_first_run_s=11.5")\nprint("numba_warm_start_s=0.6")',
    "soak_wall.py": 'import sys\nprint("smoke_wall_s=0.400")\nsys.exit("soak_wall: boom")',
    "watch_latency.py": 'print("watch_latency_ms_p50=nan")\nprint("watch_latency_ms_p95=150.0")\n'
    'print("ingest_10k_s=1.50")\nprint("ingest_10k_rss_mb=120")',
    "tuning_effect.py": 'print("whatif_pass=9/10")\nprint("untuned_fail=7/10")',
    # tui_stream.py: not there
}


def bench(scripts: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = scripts / "bench.json"
    argv = [sys.executable, "-m", "bench", "--scripts-dir", str(scripts), "--json", str(out), *args]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    return done, json.loads(out.read_text())


def test_figures_are_judged_and_missing_ones_say_why(tmp_path: Path):
    for name, code in STAND_INS.items():
        (tmp_path / name).write_text(code + "\n")
    done, report = bench(tmp_path)

    assert done.returncode == 1, done.stderr  # some targets are missed or missing
    figures = {f["name"]: f for f in report["figures"]}
    throughput = figures["sim_seconds_per_wall_second"]
    assert (throughput["value"], throughput["met"]) == (250000, True)
    assert (figures["smoke_wall_s"]["value"], figures["smoke_wall_s"]["met"]) == (0.4, True)  # then it failed
    assert figures["nightly24_wall_s"]["missing"] == "exit code 1: soak_wall: boom"
    assert figures["watch_latency_ms_p50"]["missing"] == "not a number: nan"
    p95 = figures["watch_latency_ms_p95"]
    assert (p95["met"], p95["target"]) == (False, "< 100")
    assert figures["max_key_latency_ms"]["missing"] == f"{tmp_path / 'tui_stream.py'} not found"
    assert (figures["whatif_pass"]["value"], figures["whatif_pass"]["met"]) == (0.9, True)
    assert (figures["untuned_fail"]["shown"], figures["untuned_fail"]["met"]) == ("7/10", False)
    assert report["machine"]["cores"] >= 1 and report["machine"]["python"]

    table = done.stdout.splitlines()
    assert table[0].split() == ["figure", "value", "target", "unit", "status"]
    assert len(table) == 1 + len(report["figures"])
    p95 = next(line for line in table if line.startswith("watch latency p95"))
    assert "150.0" in p95 and "< 100" in p95 and p95.endswith("MISSED")
    assert any("MISSING (exit code 1: soak_wall: boom)" in line for line in table)


def test_only_the_chosen_scripts_run_and_all_met_exits_0(tmp_path: Path):
    (tmp_path / "sim_throughput.py").write_text(STAND_INS["sim_throughput.py"] + "\n")
    done, report = bench(tmp_path, "--only", "sim_throughput.py")
    assert done.returncode == 0, done.stderr
    assert [f["name"] for f in report["figures"]] == [
        "sim_seconds_per_wall_second",
        "python_sim_seconds_per_wall_second",
        "replay_sim_seconds_per_wall_second",
        "numba_first_run_s",
        "numba_warm_start_s",
    ]


def test_a_hanging_script_is_stopped_at_the_timeout(tmp_path: Path):
    (tmp_path / "tuning_effect.py").write_text("import time\ntime.sleep(60)\n")
    done, report = bench(tmp_path, "--only", "tuning_effect.py", "--timeout", "1")
    assert done.returncode == 1
    assert {f["missing"] for f in report["figures"]} == {"timed out after 1 s"}
