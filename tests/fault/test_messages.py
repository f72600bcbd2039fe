"""What `soak` says when it is given something it cannot use: one line that names the real
problem, exit 2, before any work is done."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.soak import SMOKE, run_soak

pytestmark = pytest.mark.fault


def one_error_line(done) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("soak: error: ")]
    return line


@pytest.mark.parametrize("flag", ["--junit", "--summary-md", "--export-json"])
def test_an_output_path_that_cannot_be_written_is_refused_before_the_soak(tmp_path: Path, flag: str):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    out = tmp_path / "out"
    line = one_error_line(run_soak(*SMOKE, "--out", str(out), flag, str(blocker / "dir" / "x.xml")))
    assert str(blocker / "dir" / "x.xml") in line
    assert not (out / "runs").exists()  # no soak ran


def test_an_output_path_in_a_missing_directory_gets_its_directory(tmp_path: Path):
    junit = tmp_path / "missing" / "dir" / "x.xml"
    done = run_soak(*SMOKE, "--out", str(tmp_path / "out"), "--junit", str(junit))
    assert done.returncode == 0, done.stderr
    assert junit.read_text().startswith("<?xml")
