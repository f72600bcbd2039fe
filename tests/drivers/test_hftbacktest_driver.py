"""The replaying example driver on recorded data (examples/hftbacktest_driver.py): a 4-iteration
soak with `--driver-replay` runs our quoting rules in hftbacktest on a tape exported from our
market, and records the control and the uplift; the same window and parameters give the same
metrics (the replay promise).

hftbacktest wants numpy<2.3, so the `validate` extra lives in a venv of its own (docs/fidelity.md);
the soak runs here and calls the driver with that venv's interpreter: MM_SOAK_VALIDATE_PYTHON, else
`.venv-validate/bin/python` beside the project. Without one the tests are skipped, saying so."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bench.hftpath import recorded_tape
from core.kpi import CONTROL, UPLIFT
from core.runs.discovery import discover_runs
from core.runs.layout import RUN_FILE
from core.sim.market import START_PRICE
from tests.support.soak import ROOT, run_soak

ITERATIONS, WINDOW_S, SEED = 4, 60.0, 1
DRIVER = ROOT / "examples" / "hftbacktest_driver.py"
PATIENCE_S = 600  # hftbacktest compiles its loop in every driver process (about 5 s each)


def _validate_python() -> str | None:
    candidate = os.environ.get("MM_SOAK_VALIDATE_PYTHON") or str(ROOT / ".venv-validate" / "bin" / "python")
    try:
        probe = subprocess.run([candidate, "-c", "import hftbacktest"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return candidate if probe.returncode == 0 else None


VALIDATE_PYTHON = _validate_python()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(VALIDATE_PYTHON is None, reason="no interpreter with the validate extra (docs/fidelity.md)"),
]


@pytest.fixture(scope="module")
def tape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tape") / "tape.npz"
    np.savez_compressed(path, data=recorded_tape("normal", SEED, ITERATIONS, WINDOW_S))
    return path


def _driver(tape: Path) -> str:
    tick_size = START_PRICE * 0.1 * 1e-4  # `normal`'s tick_bps, as bench/export_tape.py prints it
    return (
        f"{VALIDATE_PYTHON} {DRIVER} --tape {tape} --tick-size {tick_size:g} "
        "--overrides {overrides} --output {output} --iteration {iteration} --window {window_s}"
    )


def test_a_soak_on_a_recorded_tape_records_the_control_and_the_uplift(tape: Path, tmp_path: Path) -> None:
    result = run_soak(
        "run", "--no-ui", "--iterations", str(ITERATIONS), "--window", f"{WINDOW_S:g}", "--gate", "nightly",
        "--tuner", "rules", "--driver-replay", "--driver", _driver(tape), "--out", str(tmp_path),
        timeout=PATIENCE_S,
    )  # fmt: skip
    run = discover_runs(tmp_path)[0]
    assert result.returncode == run.exit_code() and result.returncode in (0, 1), result.stderr
    manifest = json.loads((run.path / RUN_FILE).read_text())
    assert manifest["control"] == "start" and manifest["uplift"]["windows"] == ITERATIONS
    iterations = [json.loads((run.path / f"ITER_SUMMARY_{i}.json").read_text()) for i in range(1, 5)]
    assert all(it["summary"]["engine"] == "hftbacktest" for it in iterations)
    for summary in (it["summary"] for it in iterations):
        assert summary[UPLIFT]["pnl_per_hour"] == summary["pnl_per_hour"] - summary[CONTROL]["pnl_per_hour"]
    # A window traded with the starting parameters is its own control; one traded with tuned
    # parameters was replayed with the starting ones, on the same window, for its control.
    start = iterations[0]["params"]
    tuned = [it for it in iterations if it["params"] != start]
    assert tuned, "the rules tuner changed nothing in 4 iterations"
    assert all(it["summary"][UPLIFT]["pnl"] == 0.0 for it in iterations if it["params"] == start)
    assert all(it["summary"][CONTROL]["fills"] != it["summary"]["fills"] for it in tuned)
    assert (run.path / "replays").is_dir()


def test_one_window_and_one_parameter_set_give_the_same_metrics_twice(tape: Path, tmp_path: Path) -> None:
    overrides = tmp_path / "runtime_overrides.json"
    overrides.write_text(json.dumps({"base_spread_bps": 2.5}))
    outputs = [tmp_path / f"metrics_{n}.json" for n in (1, 2)]
    for output in outputs:
        argv = _driver(tape).format(overrides=overrides, output=output, iteration=2, window_s=WINDOW_S).split()
        subprocess.run(argv, check=True, timeout=PATIENCE_S, cwd=ROOT)
    first, second = (json.loads(p.read_text()) for p in outputs)
    assert first == second and first["fills"]["maker_count"] > 0
