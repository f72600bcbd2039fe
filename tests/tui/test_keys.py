"""The keys the monitor offers beyond pause and stop: filter, jump, search, columns, charts,
the detail screen's previous/next, the confirmation before a live soak is stopped, and the
replay's speed, step and seek."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import SelectionList

from core.runs.views import iteration_view
from tests.support.runs import recorded_run
from tests.support.screen import screen_text, table_rows, wait_until
from tests.support.scripted import ScriptedSource, make_app, quiet, shown_record
from tests.support.waiting import AppMessages
from tui.app import SoakApp
from tui.factory import create_replay_app
from tui.messages import IterationsArrived, RunEnded, RunSwitched
from tui.screens.columns import ColumnsScreen
from tui.screens.confirm import ConfirmStop
from tui.screens.detail import IterationDetailScreen
from tui.widgets.iteration_table import IterationTable
from tui.widgets.run_header import RunHeader
from tui.widgets.trends import TrendPanel

pytestmark = pytest.mark.asyncio
SIZE = (120, 40)
VERDICTS = {3: "WARN", 5: "FAIL", 8: "FAIL"}


def mixed(count: int = 10) -> list[dict]:
    return [shown_record(i, VERDICTS.get(i, "PASS")) for i in range(1, count + 1)]


def shown_iterations(app) -> list[int]:
    """The table's rows, as the screen shows them (each row's first cell)."""
    shown = app.query_one(IterationTable).rows.shown
    on_screen = {row[0] for row in table_rows(app) if row}
    assert all(str(iteration) in on_screen for iteration in shown)
    return list(shown)


def selected(app) -> int:
    view = app.query_one(IterationTable).selected_view()
    assert view is not None
    return view.iteration


async def test_f_shows_only_the_iterations_that_did_not_pass_and_back():
    app = make_app(mixed())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f")
        assert shown_iterations(app) == [3, 5, 8]
        assert "only WARN/FAIL" in screen_text(app) and selected(app) == 8
        app.post_message(IterationsArrived([iteration_view(shown_record(11, "FAIL"))]))
        await pilot.pause()
        assert shown_iterations(app) == [3, 5, 8, 11]  # a new problem joins, and is followed
        assert selected(app) == 11
        await pilot.press("f")
        assert shown_iterations(app) == list(range(1, 12))


async def test_g_jumps_to_an_iteration_and_says_when_it_cannot():
    app = make_app([])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.query_one(IterationTable).max_rows = 20  # iterations 1-10 will be dropped from view
        app.post_message(IterationsArrived([iteration_view(data) for data in mixed(30)]))
        await wait_until(pilot, lambda: app.query_one(IterationTable).order[-1:] == [30])
        await pilot.press("g", "1", "2", "enter")
        assert selected(app) == 12 and app.query_one(IterationTable).has_focus
        await pilot.press("g", "4", "enter")
        await wait_until(pilot, lambda: "dropped from view" in screen_text(app))
        assert selected(app) == 12
        await pilot.press("g", "9", "9", "enter")
        await wait_until(pilot, lambda: "no iteration 99" in screen_text(app))
        await pilot.press("g", "x", "escape")  # only digits are taken; escape cancels
        assert selected(app) == 12 and app.query_one(IterationTable).has_focus


async def test_g_to_an_iteration_the_filter_hides_shows_all_again():
    app = make_app(mixed())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f", "g", "4", "enter")
        assert selected(app) == 4 and not app.query_one(IterationTable).rows.only_problems


async def test_slash_searches_rows_reasons_and_rationale_and_n_repeats():
    records = mixed()
    records[6]["tuning"]["rationale"] = ["queue position lost on replace"]  # iteration 7
    app = make_app(records)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"QUEUE", "enter")  # case-insensitive, in the rationale
        assert selected(app) == 7
        await pilot.press("slash", *"(FAIL)", "enter")  # in the gate's reasons
        assert selected(app) == 8
        await pilot.press("n")
        assert selected(app) == 5  # wraps round
        await pilot.press("N")
        assert selected(app) == 8
        await pilot.press("slash", *"nowhere", "enter")
        await wait_until(pilot, lambda: "no row holds 'nowhere'" in screen_text(app))
        assert selected(app) == 8


async def test_c_chooses_the_columns_and_the_verdict_stays():
    app = make_app(mixed())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("c")
        assert isinstance(app.screen, ColumnsScreen)
        choices = app.screen.query_one(SelectionList)
        choices.deselect("pnl")
        choices.deselect("net_bps")
        await pilot.press("enter")
        table = app.query_one(IterationTable)
        keys = [column.key for column in table.columns]
        assert "pnl" not in keys and "net_bps" not in keys and keys[0] == "iteration" and keys[-1] == "verdict"
        heading = next(row for row in table_rows(app) if row[:1] == ["it"])
        assert heading[:4] == ["it", "maker", "share", "PnL/h"]
        await pilot.press("c", "a", "enter")
        assert table.chosen is None and "pnl_per_hour" in [column.key for column in table.columns]


async def test_t_turns_the_charts_to_the_next_kpis_and_round():
    app = make_app(mixed())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        trends = app.query_one(TrendPanel)
        first = trends.charted
        assert first[:2] == ["maker_taker_ratio", "net_bps"] and len(first) == trends.slots
        seen = list(first)
        for _ in range(len(trends.order)):
            await pilot.press("t")
            seen += trends.charted
            if trends.charted == first:
                break
        assert trends.charted == first  # back round to the gate's KPIs
        assert set(seen) == set(trends.order)  # every monitored KPI was charted on the way
        assert "pnl" in seen


async def test_left_and_right_in_the_detail_screen_go_to_the_neighbours():
    app = make_app(mixed(4))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("up", "up", "enter")
        assert isinstance(app.screen, IterationDetailScreen) and app.screen.view.iteration == 2
        await pilot.press("right", "right")
        assert app.screen.view.iteration == 4 and "iteration 4: adverse p95 high" in screen_text(app)
        await pilot.press("right")
        await wait_until(pilot, lambda: "no iteration after this one" in screen_text(app))
        await pilot.press("left", "left", "left")
        assert app.screen.view.iteration == 1


@pytest.mark.parametrize("key", ["s", "q"])
async def test_stopping_a_live_soak_asks_first(key: str):
    source = ScriptedSource([shown_record(1)])
    app = quiet(SoakApp(source, clock=None))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(key)
        assert isinstance(app.screen, ConfirmStop) and "stop" not in source.calls
        await pilot.press("n")  # kept going
        assert not isinstance(app.screen, ConfirmStop) and "stop" not in source.calls
        await pilot.press(key, "escape")
        assert "stop" not in source.calls and app.status == "running"
        await pilot.press(key, key)  # the same key again: stop (and, for q, quit)
        assert "stop" in source.calls
        if key == "s":
            assert app.status == "stopping"
            await pilot.press("q")  # stopping already: nothing more to ask
    assert app.return_value == 130


async def test_y_confirms_and_a_finished_run_quits_without_asking():
    source = ScriptedSource([shown_record(1)])
    app = quiet(SoakApp(source, clock=None))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("s", "y")
        assert source.calls == ["stop"] and app.status == "stopping"
    ended = make_app([shown_record(1)], end=RunEnded("completed", 0, "PASS"))
    async with ended.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("q")
    assert ended.return_value == 0


@pytest.mark.parametrize("key", ["q", "s"])
async def test_a_question_to_stop_asked_while_the_run_ends_is_settled(key: str):
    """q: the quit goes ahead, with the run's own exit code (not 130); s: nothing is left to stop."""
    source = ScriptedSource([shown_record(1)])
    app = quiet(SoakApp(source, clock=None))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(key)
        assert isinstance(app.screen, ConfirmStop)
        app.post_message(RunEnded("completed", 1, "FAIL"))
        if key == "q":
            await wait_until(pilot, lambda: app.return_value is not None)
        else:
            await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmStop))
            assert app.status == "completed" and "stop" not in source.calls
    assert app.return_value == (1 if key == "q" else None)


async def test_the_replay_goes_faster_slower_steps_and_seeks(tmp_path: Path):
    run_dir = recorded_run(tmp_path, iterations=24)
    app, messages = create_replay_app(run_dir, 1.0, clock=None), AppMessages()
    app.animation_level = "none"
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await messages.wait_for(lambda m: isinstance(m, IterationsArrived))
        header = app.query_one(RunHeader)
        await pilot.press("plus", "plus")
        assert app.source.speed == 4 and "REPLAY ×4" in screen_text(app)
        await pilot.press("minus")
        assert app.source.speed == 2 and header.badge == "REPLAY ×2"
        await pilot.press("p")
        await wait_until(pilot, lambda: app.status == "paused")
        held = app.source.position
        await pilot.press("full_stop")
        await wait_until(pilot, lambda: app.query_one(IterationTable).order[-1] == held + 1)
        assert app.status == "paused"
        await pilot.press("right_square_bracket")  # 10 on, shown at once
        await wait_until(pilot, lambda: app.query_one(IterationTable).order[-1] == held + 11)
        await pilot.press("left_square_bracket", "left_square_bracket")  # 20 back: afresh
        await messages.wait_for(lambda m: isinstance(m, RunSwitched))
        await wait_until(pilot, lambda: app.source.position == max(held - 9, 0))
        assert app.query_one(IterationTable).order == list(range(1, max(held - 9, 0) + 1))
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")  # to the end
        ended = await messages.wait_for(lambda m: isinstance(m, RunEnded))
        assert ended.status == "completed" and app.query_one(IterationTable).order == list(range(1, 25))
        await pilot.press("q")
