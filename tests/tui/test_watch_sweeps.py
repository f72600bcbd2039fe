"""`soak watch` in the monitor and sweeps: a sweep's row above its runs in the run list, and the
read-only watch that `soak serve` serves, which offers no key that changes anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.runs import finish, native_run
from tests.support.screen import wait_until
from tests.support.waiting import AppMessages
from tui.factory import create_watch_app
from tui.messages import RunOpened, RunsChanged
from tui.watch_app import CHANGING_ACTIONS
from tui.widgets.run_list import RunList

pytestmark = pytest.mark.asyncio
SIZE = (120, 40)


def sweep_run(root: Path, run_id: str, cell: int, **fields) -> Path:
    tags = {"sweep_id": "20261127-090000-sweep", "sweep_cell": cell, "sweep_total": 3, "sweep_attempt": 1}
    return native_run(root, run_id, **tags, **fields)


def rows(app) -> list[tuple[str, list[str]]]:
    table = app.query_one(RunList)
    return [(row.key.value or "", [str(cell) for cell in table.get_row(row.key)]) for row in table.ordered_rows]


async def test_the_run_list_shows_a_sweep_row_above_its_runs(tmp_path: Path):
    finish(sweep_run(tmp_path, "20261127-090001-s1", 1, written=2), "completed", "PASS")
    finish(sweep_run(tmp_path, "20261127-090002-s2", 2, written=2), "completed", "FAIL")
    live = sweep_run(tmp_path, "20261127-090003-s3", 3, written=1)
    native_run(tmp_path, "20261127-080000-s9", written=1, heartbeat_age_s=3)
    app, messages = create_watch_app(tmp_path, clock=None), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await messages.wait_for(lambda m: isinstance(m, RunsChanged) and not m.scanning and len(m.runs) == 4)
        await wait_until(pilot, lambda: len(rows(app)) == 5)
        shown = rows(app)
        # status, verdict, gate, scenario, sweep, its, bad, run: the counts first, a long id cut
        assert shown[0] == (
            "sweep:20261127-090000-sweep",
            [" ", "sweep", "", "", "", "", "2/3", "", "PASS 1 WARN 0 FAIL 1  20261127-090000-sw…"],
        )
        assert [cells[-1] for _, cells in shown[1:4]] == [
            "  20261127-090003-s3",
            "  20261127-090002-s2",
            "  20261127-090001-s1",
        ]
        assert shown[4][1][-1] == "20261127-080000-s9"  # a run of its own, not indented
        # Picking the sweep's row follows nothing new: only runs are followed.
        followed = next(m for m in messages.seen if isinstance(m, RunOpened)).identity.run_dir
        assert followed == live
        app.query_one(RunList).focus()
        app.query_one(RunList).move_cursor(row=0)
        await pilot.press("enter")
        await pilot.pause()
        assert [m.identity.run_dir for m in messages.of(RunOpened)] == [live]


@pytest.mark.parametrize("read_only", [True, False])
async def test_the_read_only_watch_offers_no_key_that_changes_anything(tmp_path: Path, monkeypatch, read_only):
    monkeypatch.chdir(tmp_path)
    root, shots = tmp_path / "root", tmp_path / "shots"
    finish(native_run(root, "20261127-090000-s1", written=2))
    app, messages = create_watch_app(root, clock=None, read_only=read_only, screenshot_dir=shots), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await messages.wait_for(lambda m: isinstance(m, RunOpened))
        offered = {binding.binding.action for binding in app.screen.active_bindings.values() if binding.enabled}
        for key in ("ctrl+s", "p", "s"):
            await pilot.press(key)
        await pilot.pause()
        written = sorted(tmp_path.rglob("*.svg"))
        commands = {command.title for command in app.get_system_commands(app.screen)}
    if read_only:
        assert offered & set(CHANGING_ACTIONS) == set()
        assert written == [] and not any("screenshot" in title.lower() for title in commands)
    else:  # the same keys do change something in the ordinary watch: the check can fail
        assert "screenshot_to_file" in offered
        assert len(written) == 1
