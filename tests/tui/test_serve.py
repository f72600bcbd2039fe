"""`soak serve`: the read-only monitor in headless Debian Chromium, one monitor process per tab,
and no soak started. The test starts the server on a free loopback port and a fresh Chromium,
drives it over the DevTools protocol, reads what each tab's terminal was sent, takes a
screenshot, and stops both."""

from __future__ import annotations

import contextlib
import os
import signal
import struct
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import Browser
from tests.support.runs import finish, native_run
from tests.support.soak import PATIENCE_S, ROOT, descendants, free_port, soak_command, soak_env
from tests.support.sweeps import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio]
SWEEP = "20261127-090000-sweep"


@contextlib.contextmanager
def served(root: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    server = subprocess.Popen(
        soak_command("serve", str(root), "--port", str(port)),
        cwd=ROOT,
        env=soak_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until(lambda: _answers(url) or server.poll() is not None, "the server to listen")
        assert server.poll() is None, f"soak serve exited with {server.returncode}"
        yield server, url
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(PATIENCE_S)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as page:
            return page.status == 200
    except OSError:
        return False


def monitors(server: subprocess.Popen[bytes]) -> list[int]:
    """The monitor processes the server runs (textual-serve runs each through a shell)."""
    return [
        pid
        for pid, command in descendants(server.pid)
        if "tui.cli watch --read-only" in command and "/bin/sh" not in command
    ]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


async def test_each_tab_gets_its_own_read_only_monitor_showing_the_run_list(tmp_path: Path):
    root = tmp_path / "root"
    tags = {"sweep_id": SWEEP, "sweep_total": 2, "sweep_attempt": 1}
    finish(native_run(root, "20261127-090001-s1", written=3, sweep_cell=1, **tags), "completed", "PASS")
    finish(native_run(root, "20261127-090002-s2", written=3, sweep_cell=2, **tags), "completed", "WARN")
    native_run(root, "20261127-080000-s7", written=2)
    before = sorted(str(path.relative_to(root)) for path in root.rglob("*"))
    with served(root) as (server, url):
        async with Browser(tmp_path / "chromium") as browser:
            first = await browser.open(url)
            await first.wait_for_text("runs", SWEEP, "PASS 1 WARN 1 FAIL 0", "20261127-090001-s1", "20261127-080000-s7")
            assert await first.evaluate("document.body.classList.contains('-first-byte')") is True
            shot = await first.screenshot(tmp_path / "soak-serve.png")
            viewport = await first.evaluate("[window.innerWidth, window.innerHeight]")
            assert list(png_size(shot)) == viewport and viewport[0] >= 1000
            second = await browser.open(url)
            await second.wait_for_text("runs", SWEEP, "20261127-090002-s2")
            wait_until(lambda: len(monitors(server)) == 2, "a monitor per tab")
            assert not any(" run " in command for _, command in descendants(server.pid))
        wait_until(lambda: monitors(server) == [], "the monitors to end with their tabs")
    assert sorted(str(path.relative_to(root)) for path in root.rglob("*")) == before  # nothing started or written
