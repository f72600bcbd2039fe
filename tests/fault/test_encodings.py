"""Output on a stdout that is not UTF-8 (cp1251 as on Windows CI, ascii, latin-1, the C locale)
and paths that are not UTF-8: never a traceback, never a run left running."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from core.runs.layout import RUN_FILE
from tests.support.runs import make_record, started
from tests.support.soak import ROOT, SMOKE, soak_command, soak_env

pytestmark = pytest.mark.fault
ENCODINGS = [
    {"PYTHONIOENCODING": "cp1251"},
    {"PYTHONIOENCODING": "ascii"},
    {"PYTHONIOENCODING": "latin-1"},
    {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
]
IDS = ["cp1251", "ascii", "latin-1", "C"]


def soak(*args: str | bytes, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    argv = [os.fsencode(arg) for arg in soak_command(*args)]  # type: ignore[arg-type]
    return subprocess.run(argv, capture_output=True, timeout=60, cwd=ROOT, env=soak_env(**(env or {})))


def assert_clean(done: subprocess.CompletedProcess[bytes], code: int = 0) -> None:
    assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")
    assert done.returncode == code, done.stderr.decode(errors="replace")


def only_run(root: Path) -> Path:
    (run_dir,) = (root / "runs").iterdir()
    assert json.loads((run_dir / RUN_FILE).read_text())["status"] == "completed"
    return run_dir


@pytest.mark.parametrize("env", ENCODINGS, ids=IDS)
def test_report_prints_on_a_stdout_that_is_not_utf8(tmp_path: Path, env: dict[str, str]):
    run = started(tmp_path)
    for i in (1, 2):
        run.write_iteration(make_record(i))
    run.finish("completed")
    done = soak("report", str(run.path), env=env)
    assert_clean(done)
    assert done.stdout.startswith(b"# Soak report: ")


@pytest.mark.parametrize("env", ENCODINGS, ids=IDS)
def test_a_non_ascii_out_path_on_a_stdout_that_is_not_utf8(tmp_path: Path, env: dict[str, str]):
    out = tmp_path / "прогон—ü"
    assert_clean(soak(*SMOKE, "--out", str(out), env=env))
    run_dir = only_run(out)
    assert_clean(soak("watch", str(run_dir), "--no-ui", "--timeout", "30", env=env))


def test_an_out_path_that_is_not_utf8(tmp_path: Path):
    out = os.fsencode(tmp_path) + b"/bad\xffname"
    assert_clean(soak(*SMOKE, "--out", out))
    run_dir = only_run(Path(os.fsdecode(out)))
    watched = soak("watch", os.fsencode(run_dir), "--no-ui", "--timeout", "30")
    assert_clean(watched)
    assert b"bad\\udcffname" in watched.stdout  # the byte that is not UTF-8 shown as an escape
    report = out + b"/report\xff.json"
    assert_clean(soak("report", os.fsencode(run_dir), "--json", report))
    assert json.loads(Path(os.fsdecode(report)).read_bytes())["iterations"] == [1, 2, 3]
