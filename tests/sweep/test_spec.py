"""The sweep's parts that need no cluster: the spec and its cells, the attempts on disk, the
exit code, and SWEEP.json's counts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.records import RunStatus
from core.runs.sweep_file import SweepDirectory, counts, read_sweep
from core.sweep import attempts
from core.sweep.command import sweep_exit_code
from core.sweep.spec import Cell, check_cells, load_spec, parse_seeds
from core.sweep.task import SoakOutcome, SoakTask, run_soak
from tests.support.runs import native_run
from tests.support.sweeps import run_manifest


@pytest.mark.parametrize(
    ("given", "seeds"),
    [(4, [4]), ([1, 2, 5], [1, 2, 5]), ("1-3", [1, 2, 3]), ("1-3,7", [1, 2, 3, 7]), (" 2 , 9-10", [2, 9, 10])],
)
def test_seeds_are_integers_ranges_or_both(given, seeds):
    assert parse_seeds(given) == seeds


@pytest.mark.parametrize("given", ["", "a-b", "3-1", "1,1", "1-2,2", [1, True], True, 1.5, "-1", 2**64, "0-20000"])
def test_bad_seeds_are_refused(given):
    with pytest.raises(ValueError):
        parse_seeds(given)


def test_cells_are_every_combination_in_the_spec_order_numbered_from_one(tmp_path: Path):
    spec = load_spec(None, {"seeds": "1-2", "scenarios": "normal,volatile", "gates": "smoke,nightly"})
    cells = spec.cells()
    assert spec.size == len(cells) == 8
    assert cells[0] == Cell(1, 1, "normal", "default", "smoke")
    assert cells[1] == Cell(2, 1, "normal", "default", "nightly")
    assert cells[-1] == Cell(8, 2, "volatile", "default", "nightly")
    assert check_cells(spec, tmp_path) == cells
    config = cells[-1].config(spec, tmp_path)
    assert (config.settings.seed, config.settings.gate, config.settings.out, config.total_iterations) == (
        2,
        "nightly",
        tmp_path,
        10,
    )


def test_flags_replace_the_spec_files_values(tmp_path: Path):
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text('seeds = "1-10"\nscenarios = ["normal", "volatile"]\niterations = 24\nwindow = 60\n')
    spec = load_spec(spec_file, {"seeds": "3", "iterations": "5", "scenarios": None})
    assert (spec.seeds, spec.scenarios, spec.iterations, spec.window) == ((3,), ("normal", "volatile"), 5, 60.0)


def test_a_cell_that_cannot_run_names_itself(tmp_path: Path):
    spec = load_spec(None, {"seeds": "1", "scenarios": "normal,calm", "profiles": "default", "pace": "-1"})
    with pytest.raises(ConfigError, match=r"^sweep cell 1 \(seed 1 normal default/smoke\): pace='-1'"):
        check_cells(spec, tmp_path)


def test_the_exit_code_is_2_when_any_soak_could_not_run_else_1_when_any_failed_its_gate():
    def outcome(status: str = "completed", verdict: str | None = "PASS") -> SoakOutcome:
        return SoakOutcome(1, status, 0, 1, verdict=verdict)

    assert sweep_exit_code([outcome(), outcome(verdict="WARN")]) == 0
    assert sweep_exit_code([outcome(), outcome(verdict="FAIL")]) == 1
    assert sweep_exit_code([outcome(verdict="FAIL"), outcome("failed", None)]) == 2
    assert sweep_exit_code([outcome(), outcome("aborted", "PASS")]) == 2


def test_attempts_are_claimed_once_each_and_remember_their_runs(tmp_path: Path):
    live = native_run(tmp_path, "r1", written=1)
    ended = native_run(tmp_path, "r2", written=1, status="completed")
    assert [attempts.claim(tmp_path, 7) for _ in range(3)] == [1, 2, 3]
    assert attempts.claim(tmp_path, 8) == 1
    attempts.note_run(tmp_path, 7, 1, live)
    attempts.note_run(tmp_path, 7, 2, ended)
    assert attempts.count(tmp_path, 7) == 3
    assert attempts.run_dirs(tmp_path, 7) == [live, ended]  # attempt 3 has not started its run
    attempts.close_attempts(tmp_path, 7, RunStatus.FAILED, "its worker died", before=3)
    assert status_and_error(live) == ("failed", "its worker died")
    assert status_and_error(ended) == ("completed", None)  # a finished run is not touched


def status_and_error(run_dir: Path) -> tuple[str, str | None]:
    manifest = run_manifest(run_dir)
    return manifest["status"], manifest.get("error")


def test_sweep_json_counts_what_has_finished(tmp_path: Path):
    directory = SweepDirectory.create(tmp_path, datetime(2026, 11, 27, tzinfo=UTC))
    assert SweepDirectory.create(tmp_path, datetime(2026, 11, 27, tzinfo=UTC)).sweep_id.endswith("-2")
    cells = [{"cell": i, "seed": i} for i in (1, 2, 3)]
    directory.start({"seeds": [1, 2, 3]}, cells, {"kind": "local"}, datetime.now(UTC))
    directory.record(1, status="completed", verdict="FAIL", exit_code=1)
    directory.record(3, status="failed", verdict=None, exit_code=2)
    manifest = read_sweep(directory.path)
    assert manifest["counts"] == {"done": 2, "PASS": 0, "WARN": 0, "FAIL": 1, "could_not_run": 1}
    assert [run["status"] for run in manifest["runs"]] == ["completed", "pending", "failed"]
    assert counts([]) == {"done": 0, "PASS": 0, "WARN": 0, "FAIL": 0, "could_not_run": 0}


def test_a_soak_task_runs_its_soak_once_even_when_dask_runs_it_again(tmp_path: Path):
    """The task is a plain function: run here, as a worker would, twice for the same cell."""
    sweep = SweepDirectory.create(tmp_path)
    spec = load_spec(None, {"seeds": "5", "iterations": "3", "window": "60"})
    (cell,) = check_cells(spec, tmp_path)
    task = SoakTask(sweep.sweep_id, str(tmp_path), spec.model_dump(mode="json"), cell, 1)
    first = run_soak(task)
    assert (first.status, first.attempts, first.iterations) == ("completed", 1, 3)
    manifest = run_manifest(Path(first.run_dir))
    assert (manifest["sweep_id"], manifest["sweep_cell"], manifest["sweep_total"]) == (sweep.sweep_id, 1, 1)
    again = run_soak(task)  # its worker died holding the result: Dask computes it again
    assert again == dataclasses.replace(first, started_at=None) and len(list((tmp_path / "runs").iterdir())) == 1
