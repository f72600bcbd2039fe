"""The monitor at the sizes people use: 80x24 and up. At each, the newest iteration's row and its
verdict are in view, nothing scrolls sideways, and the header holds the run id, the gate and the
state (the live demo run held after iteration 17, and `soak watch` of it finished)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.screenshots import HOLD_AT, RUN, SCENES, SIZES, ready, scene_app
from tests.support.screen import screen_lines, table_rows
from tests.support.scripted import make_app, shown_record
from tui.widgets.columns import total_cells
from tui.widgets.iteration_table import IterationTable

pytestmark = pytest.mark.asyncio
IDS = [f"{w}x{h}" for w, h in SIZES]


def newest_row_shown(app, iteration: int) -> list[str]:
    """The screen row of `iteration` in the table, whole: from its number to its verdict."""
    table = app.query_one(IterationTable)
    view = table.views[iteration]
    rows = [row for row in table_rows(app) if row and row[0] == str(iteration)]
    assert rows, f"iteration {iteration} is not on screen"
    assert rows[-1][-1] == view.verdict  # its verdict, the last cell, in view
    return rows[-1]


@pytest.mark.parametrize("size", SIZES, ids=IDS)
@pytest.mark.parametrize("scene", ["main", "watch"])
async def test_the_newest_row_its_verdict_and_the_header_fit(scene: str, size: tuple[int, int], tmp_path: Path):
    chosen = SCENES[scene]
    app = scene_app(chosen, tmp_path)
    async with app.run_test(size=size) as pilot:
        await ready(chosen)(pilot)
        newest = RUN["iterations"] if chosen.watch else HOLD_AT
        newest_row_shown(app, newest)
        table = app.query_one(IterationTable)
        assert table.selected_view().iteration == newest
        assert total_cells(table.columns) <= table.size.width  # no sideways scroll, verdict included
        header = screen_lines(app)[0]
        assert app.run_id in header and "nightly" in header
        assert ("COMPLETED" if chosen.watch else "PAUSED") in header
        assert len(header.rstrip()) <= size[0]
        app.exit(0)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_a_long_run_with_alerts_keeps_its_newest_row_in_view(size: tuple[int, int]):
    records = [shown_record(i, "FAIL" if i % 7 == 0 else "PASS") for i in range(1, 61)]
    app = make_app(records)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert app.query_one("#alerts").display  # the banner takes lines from the table
        newest_row_shown(app, 60)
