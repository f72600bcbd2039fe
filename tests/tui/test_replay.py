"""`soak replay`: a recorded run played in the monitor, in order, with the recorded values."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ReadError
from core.kpi import BY_PRIORITY
from core.runs.discovery import read_run
from tests.support.runs import native_run, recorded_run
from tests.support.soak import FIXTURES
from tests.support.waiting import AppMessages
from tui.factory import create_replay_app
from tui.messages import IterationsArrived, RunEnded, RunStateChanged
from tui.widgets.columns import row_cells
from tui.widgets.iteration_table import IterationTable
from tui.widgets.run_header import RunHeader
from tui.widgets.trends import Chart, TrendPanel
from tui.widgets.tuning_panel import TuningPanel

pytestmark = pytest.mark.asyncio
SIZE = (120, 40)
LEGACY = FIXTURES / "legacy"


def replay_app(run_dir: Path, speed: float):
    app = create_replay_app(run_dir, speed, clock=None)
    app.animation_level = "none"
    return app


def shown_rows(app) -> dict[int, list[str]]:
    table = app.query_one(IterationTable)
    return {iteration: row_cells(table.views[iteration]) for iteration in table.order}


@pytest.mark.parametrize("kind", ["native", "legacy"])
async def test_a_replay_shows_the_recorded_iterations_in_order_with_their_values(tmp_path: Path, kind: str):
    run_dir = recorded_run(tmp_path) if kind == "native" else LEGACY / "flat"
    recorded = read_run(run_dir)
    app, messages = replay_app(run_dir, speed=1000), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        ended = await messages.wait_for(lambda m: isinstance(m, RunEnded))
        await pilot.pause()
        assert messages.views() == recorded.iterations
        rows = shown_rows(app)
        assert list(rows) == [view.iteration for view in recorded.iterations]
        for view in recorded.iterations:
            assert rows[view.iteration] == [str(cell) for cell in row_cells(view)]
        trends = app.query_one(TrendPanel)
        shown = {chart.kpi.name: chart.points for chart in trends.query(Chart) if chart.display and chart.kpi}
        assert list(shown) == trends.charted and all(shown[kpi] == list(trends.history[kpi]) for kpi in shown)
        for kpi in BY_PRIORITY:
            values = [view.kpi(kpi) for view in recorded.iterations]
            assert [value for _, value in trends.history[kpi]] == [value for value in values if value is not None]
        last = recorded.iterations[-1]
        assert app.query_one(TuningPanel).border_title == f"tuning (iter {last.iteration})"
        assert app.query_one(RunHeader).info.run_id == recorded.info.run_id
        await pilot.press("q")
    if kind == "native":
        assert (ended.status, ended.verdict) == ("completed", recorded.info.manifest["verdict"]["verdict"])
    else:
        assert (ended.status, ended.verdict) == ("replayed", None)
    assert app.return_value == ended.exit_code == 0


async def test_pause_holds_the_replay_and_resume_plays_the_rest(tmp_path: Path):
    run_dir = recorded_run(tmp_path, iterations=6)
    app, messages = replay_app(run_dir, speed=20), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await messages.wait_for(lambda m: isinstance(m, IterationsArrived))
        await pilot.press("p")
        await messages.wait_for(lambda m: isinstance(m, RunStateChanged) and m.state == "paused")
        held = len(messages.views())
        await pilot.pause(0.3)  # six intervals of the replay: nothing may arrive while paused
        assert len(messages.views()) == held < 6
        assert app.status == "paused"
        await pilot.press("p")
        await messages.wait_for(lambda m: isinstance(m, RunEnded))
    assert messages.iterations() == [1, 2, 3, 4, 5, 6]


async def test_stop_ends_the_replay_where_it_is(tmp_path: Path):
    run_dir = recorded_run(tmp_path, iterations=6)
    app, messages = replay_app(run_dir, speed=20), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await messages.wait_for(lambda m: isinstance(m, IterationsArrived))
        await pilot.press("s")  # a replay stops without asking: nothing is lost
        ended = await messages.wait_for(lambda m: isinstance(m, RunEnded))
    assert ended.status == "stopped"
    assert len(messages.views()) < 6


async def test_bad_input_is_one_line_before_any_screen(tmp_path: Path):
    with pytest.raises(ReadError, match="no such run directory"):
        create_replay_app(tmp_path / "nowhere", 1.0)
    with pytest.raises(ReadError, match="not a run"):
        create_replay_app(tmp_path, 1.0)
    with pytest.raises(ReadError, match="no iteration to replay"):
        create_replay_app(native_run(tmp_path, "empty"), 1.0)
    for speed in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="speed"):
            create_replay_app(LEGACY / "flat", speed)
