"""Disk full while a soak writes: one clear error line, exit code 2, earlier iterations intact.

Two ways in: a real 256 KiB tmpfs filled by `soak run --no-ui` in another process (needs root
and mount; skipped with the reason otherwise), and ENOSPC injected into the artifact writer of
an in-process loop at a chosen file, with the disk staying full or freeing up again.
"""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import build_config
from core.console.run import run_headless
from core.errors import ArtifactError
from core.events import IterationFinished, RunFinished, SoakEvent
from core.loop import SoakLoop
from core.records import ExitCode, IterationRecord
from core.runs import jsonio, writer
from core.runs.discovery import read_run
from core.runs.layout import RUN_FILE
from tests.support.runs import newest_run
from tests.support.soak import run_soak

pytestmark = pytest.mark.fault
ENOSPC_TEXT = os.strerror(errno.ENOSPC)
WRITTEN_BEFORE = 3  # iterations whose artifacts all land before the disk fills


def iteration_files(run_dir: Path) -> list[int]:
    return sorted(int(p.stem.rsplit("_", 1)[1]) for p in run_dir.glob("ITER_SUMMARY_*.json"))


def assert_iterations_intact(run_dir: Path) -> list[int]:
    """Every ITER_SUMMARY is a whole record, numbered 1..n with no gap; no temp file is left."""
    numbers = iteration_files(run_dir)
    assert numbers == list(range(1, len(numbers) + 1))
    for i in numbers:
        record = IterationRecord.model_validate_json((run_dir / f"ITER_SUMMARY_{i}.json").read_bytes())
        assert record.iteration == i
    assert not [p.name for p in run_dir.iterdir() if p.name.startswith(".")]
    return numbers


# --------------------------------------------------------------------------------------------
# A real full disk


@pytest.fixture
def tiny_disk(tmp_path: Path):
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a 256 KiB tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_soak_that_fills_a_real_disk_fails_clearly_and_keeps_what_it_wrote(tiny_disk: Path):
    result = run_soak("run", "--no-ui", "--iterations", "1000", "--window", "30", "--out", str(tiny_disk))

    assert result.returncode == ExitCode.ERROR
    errors = result.stderr.splitlines()
    assert len(errors) == 1 and "Traceback" not in result.stderr
    # The run's own file, or its copy in latest (which then goes: no half copy of a run is left there)
    assert errors[0].startswith(
        (f"soak: error: cannot write {tiny_disk}/runs/", f"soak: error: cannot write {tiny_disk}/latest/")
    )
    assert errors[0].endswith(ENOSPC_TEXT)
    assert "run failed:" in result.stdout
    (run_dir,) = (tiny_disk / "runs").iterdir()
    if "/latest/" in errors[0]:
        assert not (tiny_disk / "latest").exists()
    numbers = assert_iterations_intact(run_dir)
    assert 1 <= len(numbers) < 1000
    assert read_run(run_dir).errors == []  # every file the run left is usable by the readers
    manifest = json.loads((run_dir / "RUN.json").read_text())
    if manifest["status"] != "running":  # the failure left room to record it
        assert manifest["status"] == "failed" and ENOSPC_TEXT in manifest["error"]


# --------------------------------------------------------------------------------------------
# ENOSPC injected at a chosen file


class FillingDisk:
    """Stands in for the writer's low-level write. Once `WRITTEN_BEFORE` ITER_SUMMARY files are on
    disk, the next write of a file whose name starts with `fills_at` runs out of space half-way;
    so does every write after it, unless `frees_up` (then only that one write fails)."""

    def __init__(self, real_write, fills_at: str, frees_up: bool) -> None:
        self.real_write = real_write
        self.fills_at = fills_at
        self.frees_up = frees_up
        self.iterations_written = 0
        self.failed: list[str] = []  # names of the files whose write ran out of space

    def __call__(self, temp: Path | str, data: bytes, dir_fd: int | None = None, durable: bool = True) -> None:
        target = Path(temp).name[1:].rsplit(".", 2)[0]  # .<name>.<token>.tmp
        if self._full(target, dir_fd):
            self.failed.append(target)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666, dir_fd=dir_fd)
            try:
                os.write(fd, data[: len(data) // 2])
            finally:
                os.close(fd)
            raise OSError(errno.ENOSPC, ENOSPC_TEXT)
        self.real_write(temp, data, dir_fd, durable)
        if target.startswith("ITER_SUMMARY_") and dir_fd is None:  # the run's own, not its copy in latest
            self.iterations_written += 1

    def _full(self, target: str, dir_fd: int | None) -> bool:
        if self.failed:
            return not self.frees_up
        mine = dir_fd is None  # the disk fills at one of the run's own files (its copies: test_latest.py)
        return mine and self.iterations_written >= WRITTEN_BEFORE and target.startswith(self.fills_at)


def recorded(events: Iterator[SoakEvent], into: list[SoakEvent]) -> Iterator[SoakEvent]:
    for event in events:
        into.append(event)
        yield event


@pytest.mark.parametrize("frees_up", [True, False], ids=["then-frees", "stays-full"])
@pytest.mark.parametrize("fills_at", ["ITER_SUMMARY_", "RUN.json", "TUNING_REPORT.json", "runtime_overrides.json"])
def test_disk_full_mid_run_is_one_error_line_exit_2_and_earlier_iterations_stay(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    fills_at: str,
    frees_up: bool,
):
    disk = FillingDisk(jsonio._write_synced, fills_at, frees_up)
    monkeypatch.setattr(jsonio, "_write_synced", disk)
    config = build_config({"iterations": 8, "window_s": 30, "out": str(tmp_path)}, {})
    events: list[SoakEvent] = []
    exit_code = run_headless(recorded(SoakLoop(config).run(), events), json_events=False, out=io.StringIO())

    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert (finished.status, finished.exit_code, exit_code) == ("failed", ExitCode.ERROR, ExitCode.ERROR)
    run_dir = tmp_path / "runs" / finished.run_id
    stderr = capsys.readouterr().err.splitlines()
    assert len(stderr) == 1  # the first failure, named; not what failed after it
    assert stderr[0].startswith(f"soak: error: cannot write {run_dir / disk.failed[0]}: {ENOSPC_TEXT}")

    on_disk = assert_iterations_intact(run_dir)
    shown = [e.record.iteration for e in events if isinstance(e, IterationFinished)]
    assert len(shown) >= WRITTEN_BEFORE - 1 and on_disk[: len(shown)] == shown
    assert len(shown) <= finished.iterations <= len(on_disk)  # never counts what is not on disk
    assert read_run(run_dir).errors == []
    manifest = json.loads((run_dir / "RUN.json").read_text())
    if frees_up:
        assert manifest["status"] == "failed" and manifest["error"] == finished.error
    else:
        assert manifest["status"] == "running"  # it could not be written again: it goes stale
    assert newest_run(tmp_path) == run_dir


def test_a_run_whose_last_manifest_cannot_be_written_fails_and_keeps_every_iteration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def full(self, *args, **kwargs):
        raise ArtifactError(self.path / RUN_FILE, ENOSPC_TEXT)

    monkeypatch.setattr(writer.RunDirectory, "finish", full)
    config = build_config({"iterations": 4, "window_s": 30, "out": str(tmp_path)}, {})
    finished = list(SoakLoop(config).run())[-1]

    run_dir = tmp_path / "runs" / finished.run_id
    assert (finished.status, finished.exit_code, finished.iterations) == ("failed", ExitCode.ERROR, 4)
    assert finished.error == f"cannot write {run_dir / 'RUN.json'}: {ENOSPC_TEXT}"
    assert assert_iterations_intact(run_dir) == [1, 2, 3, 4]
