"""core/console/watch.py: `soak watch --no-ui`, a line per iteration of a run another process writes."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from core.console.lines import iteration_line
from core.console.watch import watch_headless
from core.errors import ReadError
from core.runs.layout import STALE_AFTER_S, iter_file_name
from core.runs.views import read_iteration
from tests.support.runs import finish, native_run
from tests.support.soak import FIXTURES, PATIENCE_S, ROOT, soak_env, soak_run_argv
from tests.support.waiting import Output

LEGACY = FIXTURES / "legacy"


def iteration_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("iter ")]


def test_follows_a_run_started_elsewhere_line_by_line_and_exits_with_its_code(tmp_path: Path):
    out, result = io.StringIO(), {}
    watch = threading.Thread(target=lambda: result.update(code=watch_headless(tmp_path, out, PATIENCE_S)))
    watch.start()
    soak = subprocess.run(
        soak_run_argv(tmp_path), cwd=ROOT, env=soak_env(), capture_output=True, text=True, timeout=PATIENCE_S
    )
    watch.join(PATIENCE_S)
    assert not watch.is_alive()
    run_dir = next((tmp_path / "runs").iterdir())
    expected = [iteration_line(read_iteration(run_dir / iter_file_name(i)), 5) for i in range(1, 6)]
    assert iteration_lines(out.getvalue()) == expected == iteration_lines(soak.stdout)
    assert result["code"] == soak.returncode
    assert out.getvalue().splitlines()[-1].startswith("run completed: 5 iteration(s)  verdict ")


def test_a_finished_run_is_printed_whole_with_its_exit_code(tmp_path: Path):
    run = native_run(tmp_path, "r1", written=3, iterations=3)
    finish(run, "completed", "FAIL")
    out = io.StringIO()
    assert watch_headless(run, out, PATIENCE_S) == 1
    text = out.getvalue()
    assert [line.split()[1] for line in iteration_lines(text)] == ["1/3", "2/3", "3/3"]
    assert "verdict FAIL  FAIL for the test  exit 1" in text


def test_the_newest_running_run_is_followed_and_old_ones_are_not_printed(tmp_path: Path):
    old = native_run(tmp_path, "20261127-090000-s1", written=2)
    finish(old)
    older = native_run(tmp_path, "20261127-100000-s1", written=1, heartbeat_age_s=5)
    newest = native_run(tmp_path, "20261127-110000-s1", written=2)
    dead = native_run(tmp_path, "20261127-120000-s1", written=1, heartbeat_age_s=STALE_AFTER_S + 9)
    out, result = Output(), {}
    watch = threading.Thread(target=lambda: result.update(code=watch_headless(tmp_path, out, PATIENCE_S)))
    watch.start()
    out.wait_for(lambda text: len(iteration_lines(text)) == 2)  # those on disk come first
    finish(newest, "aborted")
    watch.join(PATIENCE_S)
    assert result["code"] == 130
    assert f"following run {newest.name}" in out.getvalue()
    assert len(iteration_lines(out.getvalue())) == 2
    assert older.name not in out.getvalue() and dead.name not in out.getvalue()


def test_a_stale_run_ends_the_watch_with_exit_2(tmp_path: Path, capsys):
    run = native_run(tmp_path, "r1", written=1, heartbeat_age_s=STALE_AFTER_S + 1)
    assert watch_headless(run, io.StringIO(), PATIENCE_S) == 2
    assert "went stale" in capsys.readouterr().err


def test_a_legacy_run_still_being_written_is_followed_until_the_timeout(tmp_path: Path, capsys):
    legacy = shutil.copytree(LEGACY / "awkward", tmp_path / "legacy")
    for path in legacy.iterdir():  # just written: nothing says it is over
        os.utime(path)
    out = io.StringIO()
    assert watch_headless(legacy, out, timeout=1.5) == 2
    assert [line.split()[1] for line in iteration_lines(out.getvalue())] == ["1", "2", "3", "5"]
    err = capsys.readouterr().err
    assert "ITER_SUMMARY_6.json: invalid JSON" in err and "ITER_SUMMARY_7.json: expected a JSON object" in err
    assert "did not end within 1.5 s" in err


def test_a_missing_directory_is_one_line_error(tmp_path: Path):
    with pytest.raises(ReadError) as error:
        watch_headless(tmp_path / "nowhere")
    assert str(error.value) == f"{tmp_path / 'nowhere'}: no such directory"
