"""What `soak` says about itself: usage when given nothing, its version, and the names `soak run`
accepts (from the code that defines them). And, in a real terminal (a pty), the closing lines
the monitor prints once it has closed."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.gates import GATES
from core.params import available_profiles
from core.runs.discovery import discover_runs
from core.scenarios import SCENARIOS
from tests.support.soak import PATIENCE_S, ROOT, run_soak, soak_command, soak_env

ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][A-Z0-9]|[=>78])")


def test_soak_alone_prints_its_usage_and_exits_2():
    result = run_soak()
    assert result.returncode == 2
    assert result.stdout.startswith("usage: soak") and "run" in result.stdout and "watch" in result.stdout
    assert "required" not in result.stderr


def test_soak_version():
    result = run_soak("--version")
    assert result.returncode == 0 and re.fullmatch(r"soak \d+\.\d+\.\d+\S*\n", result.stdout)


def test_soak_run_help_lists_scenarios_profiles_and_gates():
    result = run_soak("run", "--help")
    assert result.returncode == 0
    text = result.stdout
    assert f"scenarios (--scenario): {', '.join(SCENARIOS)}" in text
    assert f"profiles (--profile): {', '.join(available_profiles())}" in text
    assert f"gates (--gate): {', '.join(GATES)}" in text
    assert "--screenshots DIR" in text


def _read_until_exit(master: int, process: subprocess.Popen[bytes], keys_when: Callable[[], bytes]) -> str:
    """Everything the process wrote to the terminal; `keys_when()` gives the keys to type once."""
    output, sent = b"", False
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        if not sent and (keys := keys_when()):
            os.write(master, keys)
            sent = True
        try:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                output += os.read(master, 65536)
        except OSError:  # the slave side closed: the process is gone
            break
        if process.poll() is not None and not ready:
            break
    return output.decode("utf-8", "replace")


@pytest.mark.slow
def test_the_monitor_in_a_terminal_prints_the_closing_lines_after_it_closes(tmp_path: Path):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    argv = soak_command("run", "--iterations", "3", "--window", "60", "--pace", "fast", "--out", str(tmp_path))
    env = soak_env(TERM="xterm-256color", TEXTUAL_ANIMATIONS="none")
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, env=env, close_fds=True)
    os.close(slave)

    def finished() -> bytes:
        runs = discover_runs(tmp_path)
        return b"q" if runs and runs[0].finished else b""

    try:
        output = _read_until_exit(master, process, finished)
        code = process.wait(PATIENCE_S)
    finally:
        process.kill()
        os.close(master)
    run = discover_runs(tmp_path)[0]
    assert code == run.exit_code()
    tail = ESCAPES.sub("", output.rsplit("\x1b[?1049l", 1)[-1])  # after the monitor left the screen
    lines = [line.strip() for line in tail.replace("\r", "").split("\n") if line.strip()]
    verdict = run.recorded_verdict()
    assert lines == [
        f"run dir {run.path}",
        f"run completed: 3 iteration(s)  verdict {verdict['verdict']}  {'; '.join(verdict['reasons'])}  exit {code}",
    ]
