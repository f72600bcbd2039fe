"""The headless entry points import only what they need (harlequin's test_import_hygiene): no
UI for `--no-ui` and reports, no engine (simulator, tuner, loop, drivers) for watching and
reporting, and Dask and textual-serve only for `soak sweep` and `soak serve`. Each command runs
in a fresh interpreter and reports the modules it loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.records import RunStatus
from core.runs.sweep_file import SweepDirectory
from tests.support.runs import finish, native_run
from tests.support.soak import PATIENCE_S, ROOT, SMOKE

UI = ("textual", "rich", "tui.app", "tui.factory", "tui.widgets", "tui.sources")
ENGINE = ("core.sim", "core.tuning", "core.loop", "core.drivers", "core.runner", "numpy")
SCALE_OUT = ("dask", "distributed", "core.sweep", "textual_serve", "aiohttp")  # soak sweep's and soak serve's


def loaded_by(argv: list[str]) -> tuple[int, list[str]]:
    code = (
        "import json, sys; from tui.cli import main; rc = main(sys.argv[1:]); "
        "print(json.dumps([rc, sorted(sys.modules)]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True, text=True, timeout=PATIENCE_S
    )
    assert done.returncode == 0, done.stderr
    rc, modules = json.loads(done.stdout.strip().splitlines()[-1])
    return rc, modules


def among(modules: list[str], forbidden: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == f or m.startswith(f + ".") for f in forbidden)]


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = native_run(tmp_path_factory.mktemp("runs"), "20261127-090000-s7", written=3)
    finish(run)
    return run


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished sweep's directory, with its soak."""
    root = tmp_path_factory.mktemp("sweep")
    directory = SweepDirectory.create(root)
    directory.start({}, [{"cell": 1}], {}, datetime.now(UTC))
    finish(native_run(root, "20261127-090000-s1", written=2, sweep_id=directory.sweep_id, sweep_cell=1, sweep_total=1))
    directory.finish(RunStatus.COMPLETED, 0, datetime.now(UTC))
    return directory.path


@pytest.mark.parametrize(
    ("command", "forbidden"),
    [
        (["watch", "--no-ui", "{run}"], UI + ENGINE + SCALE_OUT),
        (["watch", "--no-ui", "{sweep}"], UI + ENGINE + SCALE_OUT),
        (["report", "{run}"], UI + ENGINE + SCALE_OUT),
        (["report", "{run}", "--baseline", "{run}"], UI + ENGINE + SCALE_OUT),
        (["compare", "{run}", "{run}"], UI + ENGINE + SCALE_OUT),
        (["run", *SMOKE[1:], "--out", "{out}"], UI + SCALE_OUT),
    ],
    ids=["watch --no-ui", "watch --no-ui SWEEP", "report", "report --baseline", "compare", "run --no-ui"],
)
def test_a_headless_command_imports_no_ui_and_watching_no_engine(
    command: list[str], forbidden: tuple[str, ...], finished: Path, sweep: Path, tmp_path: Path
) -> None:
    argv = [arg.format(run=finished, sweep=sweep, out=tmp_path) for arg in command]
    rc, modules = loaded_by(argv)
    assert rc in (0, 1)
    assert among(modules, forbidden) == []
    assert among(modules, ("core",)), "the command ran the core"


def test_the_check_sees_a_forbidden_import(finished: Path) -> None:
    _, modules = loaded_by(["watch", "--no-ui", str(finished)])
    assert among([*modules, "core.sim.engine"], ENGINE) == ["core.sim.engine"]
