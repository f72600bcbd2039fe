"""The monitor and terminals (issue 16, items 8-11, 22): a stop signal to the TUI ends the run
`aborted`, exit 130, with the terminal restored; without a usable terminal `run` and `watch`
go headless and `replay` says in one line that it needs one: never a hang, never escape codes
where nobody reads them."""

from __future__ import annotations

import signal
import subprocess

import pytest

from tests.support.driving import hostile_driver, run_dir, run_manifest, soak_process, wait_until
from tests.support.soak import run_soak
from tests.support.terminal import ALT_SCREEN_ON, Terminal, restored

pytestmark = pytest.mark.fault
TERM = {"TERM": "xterm-256color"}
SHORT_RUN = ("run", "--iterations", "2", "--mock", "--window", "60")


@pytest.fixture
def terminal():
    term = Terminal()
    try:
        yield term
    finally:
        term.close()


@pytest.fixture
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("finished")
    assert (
        run_soak("run", "--no-ui", "--iterations", "3", "--mock", "--window", "60", "--out", str(out)).returncode == 0
    )
    return run_dir(out)


def in_terminal(terminal, **streams):
    return {"stdin": terminal.slave, "stdout": terminal.slave, "stderr": terminal.slave, **streams}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_a_stop_signal_to_the_monitor_of_a_run_aborts_it_and_restores_the_terminal(tmp_path, terminal, signum):
    marks, out = tmp_path / "marks", tmp_path / "out"
    driver = hostile_driver(marks, "--from", "2", "--hang")
    args = ["run", "--iterations", "3", "--window", "60", "--out", str(out), "--driver", driver]
    with soak_process(args, tmp_path, marks, env=TERM, **in_terminal(terminal)) as soak:
        terminal.close_slave()
        wait_until(lambda: (marks / "started_2").exists(), "the driver's second iteration")
        terminal.wait_for(lambda output: ALT_SCREEN_ON in output and b"iterations" in output)
        soak.signal(signum)
        assert soak.wait() == 130
        assert soak.leftovers() == []
    assert restored(terminal.received)
    assert b"Traceback" not in terminal.received
    assert run_manifest(out)["status"] == "aborted"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
@pytest.mark.parametrize("command", [("watch",), ("replay", "--speed", "0.2")], ids=lambda c: c[0])
def test_a_stop_signal_to_watch_or_replay_exits_130_and_restores_the_terminal(
    tmp_path, terminal, finished_run, command, signum
):
    args = [command[0], str(finished_run), *command[1:]]
    with soak_process(args, tmp_path, env=TERM, **in_terminal(terminal)) as soak:
        terminal.close_slave()
        terminal.wait_for(lambda output: ALT_SCREEN_ON in output and finished_run.name.encode() in output)
        soak.signal(signum)
        assert soak.wait() == 130
    assert restored(terminal.received)


def test_run_with_stderr_to_a_file_goes_headless(tmp_path, terminal):
    args = [*SHORT_RUN, "--out", str(tmp_path / "out")]
    with (
        open(tmp_path / "err.log", "wb") as log,
        soak_process(args, tmp_path, env=TERM, **in_terminal(terminal, stderr=log)) as soak,
    ):
        terminal.close_slave()
        assert soak.wait() == 0
    assert "\x1b[" not in (tmp_path / "err.log").read_text()
    assert "stderr is not a terminal" in (tmp_path / "err.log").read_text()
    assert ALT_SCREEN_ON not in terminal.received and b"2/2" in terminal.received


def test_run_with_stdin_from_dev_null_goes_headless(tmp_path, terminal):
    args = [*SHORT_RUN, "--out", str(tmp_path / "out")]
    with soak_process(args, tmp_path, env=TERM, **in_terminal(terminal, stdin=subprocess.DEVNULL)) as soak:
        terminal.close_slave()
        assert soak.wait() == 0
    assert ALT_SCREEN_ON not in terminal.received and b"stdin is not a terminal" in terminal.received


def test_run_with_stdin_closed_goes_headless(tmp_path, terminal):
    args = [*SHORT_RUN, "--out", str(tmp_path / "out")]
    closed_stdin = ("sh", "-c", 'exec "$@" <&-', "sh")
    with soak_process(args, tmp_path, env=TERM, wrapper=closed_stdin, **in_terminal(terminal)) as soak:
        terminal.close_slave()
        assert soak.wait() == 0
    assert b"Traceback" not in terminal.received and b"stdin is closed" in terminal.received


def test_run_with_a_dumb_terminal_goes_headless(tmp_path, terminal):
    args = [*SHORT_RUN, "--out", str(tmp_path / "out")]
    with soak_process(args, tmp_path, env={"TERM": "dumb"}, **in_terminal(terminal)) as soak:
        terminal.close_slave()
        assert soak.wait() == 0
    assert ALT_SCREEN_ON not in terminal.received and b"TERM=dumb" in terminal.received


def test_watch_with_stderr_to_a_file_goes_headless(tmp_path, terminal, finished_run):
    with (
        open(tmp_path / "err.log", "wb") as log,
        soak_process(["watch", str(finished_run)], tmp_path, env=TERM, **in_terminal(terminal, stderr=log)) as soak,
    ):
        terminal.close_slave()
        assert soak.wait() == 0
    assert "\x1b[" not in (tmp_path / "err.log").read_text()
    assert ALT_SCREEN_ON not in terminal.received


@pytest.mark.parametrize("stream", ["stdout", "stdin"])
def test_replay_without_a_terminal_says_so_in_one_line(tmp_path, terminal, finished_run, stream):
    with (
        open(tmp_path / "replay.out", "wb") as file,
        soak_process(
            ["replay", str(finished_run)],
            tmp_path,
            env=TERM,
            **in_terminal(terminal, **{stream: file}, stderr=subprocess.PIPE),
        ) as soak,
    ):
        terminal.close_slave()
        _, err = soak.proc.communicate(timeout=30)
        assert soak.proc.returncode == 2
    assert err.decode().splitlines() == [f"soak: error: replay needs a terminal: {stream} is not a terminal"]
    assert ALT_SCREEN_ON not in terminal.received and b"\x1b[" not in (tmp_path / "replay.out").read_bytes()
