"""A soak killed with SIGKILL at random moments leaves only parseable JSON and intact iterations."""

import json
import random
import signal
import subprocess
import time

import pytest

from core.records import IterationRecord
from core.runs.discovery import read_run
from tests.support.runs import newest_run
from tests.support.soak import ROOT, soak_command

pytestmark = pytest.mark.fault
KILLS = 20
AT_ONCE = 4


def start_soak(root):
    return subprocess.Popen(
        soak_command("run", "--no-ui", "--iterations", "400", "--window", "30", "--out", str(root)),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def kill_mid_run(proc, rng):
    proc.stdout.readline()  # the run has started and written RUN.json
    for _ in range(rng.randrange(0, 6)):
        proc.stdout.readline()
    time.sleep(rng.uniform(0, 0.03))  # a random moment inside an iteration
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()


def assert_run_intact(root):
    run_dir = newest_run(root)
    assert (run_dir / "RUN.json").is_file(), "latest must resolve to a run"
    for path in run_dir.rglob("*.json"):
        if not path.name.startswith("."):  # hidden temp files are a writer's, never read
            json.loads(path.read_text())
    iterations = sorted(int(p.stem.split("_")[-1]) for p in run_dir.glob("ITER_SUMMARY_*.json"))
    assert iterations == list(range(1, len(iterations) + 1))
    for i in iterations:
        IterationRecord.model_validate_json((run_dir / f"ITER_SUMMARY_{i}.json").read_text())
    journal_file = run_dir / "TUNING_REPORT.jsonl"
    whole_lines = journal_file.read_text().split("\n")[:-1] if journal_file.exists() else []  # a cut line is not
    journalled = [json.loads(line)["iteration"] for line in whole_lines]
    assert journalled == list(range(1, len(journalled) + 1))
    assert len(iterations) - len(journalled) in (0, 1)  # killed between the two writes
    report_file = run_dir / "TUNING_REPORT.json"
    if report_file.exists():  # rewritten at a bounded rate: it may lag the journal
        report = json.loads(report_file.read_text())
        assert report["summary"]["count"] == len(report["iterations"]) <= len(journalled)
        assert [r["iteration"] for r in report["iterations"]] == list(range(1, report["summary"]["count"] + 1))
    assert json.loads((run_dir / "RUN.json").read_text())["status"] == "running"
    assert read_run(run_dir).errors == []  # and the product's own readers use every file


def test_sigkill_at_random_moments_leaves_every_file_parseable(tmp_path):
    rng = random.Random(20261127)
    for batch in range(KILLS // AT_ONCE):
        roots = [tmp_path / f"kill{batch}-{n}" for n in range(AT_ONCE)]
        procs = [start_soak(root) for root in roots]
        for proc in procs:
            kill_mid_run(proc, rng)
        for root in roots:
            assert_run_intact(root)
