"""Bad sweep input is one line on stderr and exit code 2, before any soak starts: nothing is
written under the artifact root."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.soak import free_port
from tests.support.sweeps import sweep

SPECS = {
    "empty.toml": "",
    "malformed.toml": "seeds = [1,\n",
    "unknown_scenario.toml": 'seeds = "1-2"\nscenarios = ["normal", "no_such_market"]\n',
    "unknown_key.toml": 'seeds = "1"\nsceanrios = ["normal"]\n',
    "no_seeds.toml": 'scenarios = ["normal"]\n',
    "wrong_type.toml": 'seeds = 1\niterations = "many"\n',
}


@pytest.mark.parametrize(
    ("spec", "args", "says"),
    [
        ("empty.toml", (), "empty; give at least the seeds"),
        ("malformed.toml", (), "malformed TOML"),
        ("unknown_scenario.toml", (), "scenario='no_such_market': unknown scenario"),
        ("unknown_key.toml", (), "unknown key 'sceanrios'"),
        ("no_seeds.toml", (), "no seeds"),
        ("wrong_type.toml", (), "iterations="),
        (None, (), "empty; give at least the seeds"),
        (None, ("--seeds", "5-1"), "a range runs from low to high"),
        (None, ("--seeds", "1", "--gates", "nope"), "unknown gate 'nope'"),
        (None, ("--seeds", "1", "--profiles", "../etc"), "unknown profile"),
        (None, ("--seeds", "1", "--scenarios", "normal,normal"), "a name is given twice"),
        (None, ("--seeds", "1", "--md", "{tmp}"), "is a directory"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_before_any_soak(tmp_path: Path, spec, args, says):
    spec_args = []
    if spec is not None:
        (tmp_path / spec).write_text(SPECS[spec])
        spec_args = [str(tmp_path / spec)]
    out = tmp_path / "out"
    done = sweep(out, *spec_args, *(arg.format(tmp=tmp_path) for arg in args))
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and says in done.stderr, done.stderr
    assert done.stdout == ""
    assert not out.exists()


def test_an_unreachable_scheduler_is_one_line_and_exit_2_before_any_soak(tmp_path: Path):
    address = f"tcp://127.0.0.1:{free_port()}"
    done = sweep(tmp_path / "out", "--seeds", "1", "--scheduler", address)
    assert done.returncode == 2
    assert (
        done.stderr.splitlines() == [done.stderr.strip()]
        and f"cannot reach the Dask scheduler at '{address}'" in done.stderr
    )
    assert not (tmp_path / "out").exists()
