"""The header: ETA without paused time, market time, the bar, and compaction before cutting."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from tui.messages import RunIdentity
from tui.widgets.run_header import RunHeader

pytestmark = pytest.mark.asyncio
INFO = RunIdentity(
    "20261127-141203-s42", "sim/normal", "normal", "42", "default", "nightly", total_iterations=10, window_s=600
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class HeaderApp(App[None]):
    def __init__(self, clock: Clock | None) -> None:
        super().__init__()
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield RunHeader(self.clock)


async def test_the_eta_leaves_paused_time_out():
    clock = Clock()
    app = HeaderApp(clock)
    async with app.run_test(size=(120, 3)) as pilot:
        header = app.query_one(RunHeader)
        header.show_run(INFO)
        header.show_status("running")
        clock.now = 50.0
        header.show_progress(5)  # 10 s an iteration: 5 to go
        assert header._eta(10) == pytest.approx(50.0)
        header.show_status("paused")
        clock.now = 950.0  # paused for 15 minutes
        assert header._eta(10) == pytest.approx(50.0)
        header.show_status("running")
        clock.now = 960.0
        header.show_progress(6)  # 60 s running for 6 iterations
        assert header._eta(10) == pytest.approx(40.0)
        await pilot.pause()
        line = header.line(118).plain
        assert "ETA 00:40" in line and "16:00" in line and "mkt 1h00m" in line and " 6/10" in line


@pytest.mark.parametrize("width", [78, 100, 118, 198])
async def test_the_header_compacts_before_it_cuts(width: int):
    app = HeaderApp(None)
    async with app.run_test(size=(width + 2, 3)):
        header = app.query_one(RunHeader)
        header.show_run(INFO)
        header.show_progress(7)
        header.show_status("completed", "PASS")
        line = header.line(width).plain
        assert len(line) <= width
        words = line.split()
        assert INFO.run_id in words and "nightly" in words and words[-2:] == ["COMPLETED", "PASS"]
        assert "7/10" in words
        if width >= 118:
            assert "seed 42" in line and "profile default" in line and "sim/normal" in line


async def test_a_watched_run_shows_the_time_its_run_json_records():
    recorded = RunIdentity(
        "r1", total_iterations=10, started_utc="2026-11-27T14:12:03.000Z", finished_utc="2026-11-27T15:02:03.500Z"
    )
    app = HeaderApp(Clock())
    async with app.run_test(size=(120, 3)):
        header = app.query_one(RunHeader)
        header.show_run(recorded, recorded=True)
        header.show_progress(10)
        header.show_status("completed", "PASS")
        assert "50:00" in header.line(118).plain  # not the 00:00 the monitor's own clock would say


@pytest.mark.parametrize(("engine", "shown"), [("numba", True), ("python", False), (None, False)])
async def test_the_header_names_the_compiled_engine(engine: str | None, shown: bool):
    app = HeaderApp(None)
    async with app.run_test(size=(142, 3)):
        header = app.query_one(RunHeader)
        header.show_run(RunIdentity("r1", "sim/normal", "normal", "42", "default", "nightly", engine=engine))
        header.show_status("running")
        words = header.line(140).plain.split()
        assert ("numba" in words) is shown and "python" not in words
