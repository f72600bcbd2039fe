"""The soak on either engine: the same run, record for record (loop, what-if tuner, control arm,
guards), the engine recorded in RUN.json and named on the first line; auto's rule; and the numba
engine asked for where numba is not installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.config import build_config
from core.events import IterationFinished, RunStarted
from core.loop import SoakLoop
from core.runs.layout import RUN_FILE
from core.sim.engines import AUTO_NUMBA_MIN_SIM_S, choose_engine, numba_installed
from tests.support.soak import ROOT, TEST_ENGINE, soak_command, soak_env

WINDOW_S = 60.0


def soak(tmp_path: Path, engine: str, **settings: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    config = build_config(
        {"iterations": 6, "seed": 5, "gate": "nightly", "window_s": WINDOW_S, "out": str(tmp_path), "engine": engine}
        | settings,
        {},
    )
    events = list(SoakLoop(config).run())
    run_dir = next(e.run_dir for e in events if isinstance(e, RunStarted))
    iterations = [
        e.record.model_dump(
            mode="json", exclude={"run": {"run_id", "started_utc", "wall_ms"}, "summary": {"runtime_utc"}}
        )
        for e in events
        if isinstance(e, IterationFinished)
    ]
    return iterations, json.loads((run_dir / RUN_FILE).read_text())


@pytest.mark.parametrize("tuner", ["whatif", "rules"])
def test_a_soak_on_numba_is_the_soak_on_python_record_for_record(numba_engine: None, tmp_path: Path, tuner: str):
    python, python_run = soak(tmp_path / "python", "python", tuner=tuner)
    numba, numba_run = soak(tmp_path / "numba", "numba", tuner=tuner)
    assert (python_run["engine"], numba_run["engine"]) == ("python", "numba")
    assert [r["tuning"] for r in numba] == [r["tuning"] for r in python]  # the same decisions and guards
    for ours, theirs in zip(python, numba, strict=True):
        ours["tuning"].pop("signature"), theirs["tuning"].pop("signature")  # names the run's own files
        assert json.dumps(ours, sort_keys=True) == json.dumps(theirs, sort_keys=True)


@pytest.mark.skipif(bool(os.environ.get(TEST_ENGINE)), reason="the tests' engine is forced: auto's rule is set aside")
def test_auto_takes_numba_only_for_a_run_long_enough_to_pay_for_its_start_up() -> None:
    assert choose_engine("auto", AUTO_NUMBA_MIN_SIM_S - 1) == "python"
    assert choose_engine("auto", AUTO_NUMBA_MIN_SIM_S) == ("numba" if numba_installed() else "python")
    assert choose_engine("python", 1e9) == "python" and choose_engine("numba", 1.0) == "numba"


def test_the_engine_comes_from_soak_engine_and_is_named_on_the_first_line(tmp_path: Path) -> None:
    result = subprocess.run(
        soak_command("run", "--no-ui", "--iterations", "1", "--window", "10", "--mock", "--out", str(tmp_path)),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=soak_env(SOAK_ENGINE="python"),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "  engine python  " in result.stdout.splitlines()[0]


def test_numba_asked_for_without_numba_is_one_line_naming_the_extra_and_exit_2(tmp_path: Path) -> None:
    hidden = "import sys; sys.modules['numba'] = None; from tui.cli import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", hidden, "run", "--no-ui", "--engine", "numba", "--mock", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=soak_env(),
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "mm-soak[fast]" in result.stderr, result.stderr
    assert not list(tmp_path.iterdir())  # no run was started
