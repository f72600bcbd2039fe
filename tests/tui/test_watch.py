"""`soak watch` in the monitor: the run list, following and switching runs, unreadable files."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from core.runs import watcher
from core.runs.jsonio import atomic_write_json
from core.runs.layout import RUN_FILE, iter_file_name
from core.runs.views import read_iteration
from tests.support.runs import finish, manifest, native_run, record, write_iteration
from tests.support.screen import wait_for_screen
from tests.support.soak import FIXTURES
from tests.support.waiting import AppMessages
from tui.closing import after_exit
from tui.factory import create_watch_app
from tui.messages import (
    FilesUnreadable,
    IterationsArrived,
    RunAnnounced,
    RunEnded,
    RunOpened,
    RunsChanged,
    RunSwitched,
)
from tui.widgets.columns import row_cells
from tui.widgets.iteration_table import IterationTable
from tui.widgets.run_header import RunHeader
from tui.widgets.run_list import FileProblems, RunList

pytestmark = pytest.mark.asyncio
SIZE = (120, 40)
LEGACY = FIXTURES / "legacy"
RUNS = 30  # a root of many runs, as few as show the cost of each batch

HOSTILE = "[red]x[/]"
ESCAPE = "\x1b[31mred\x1b[0m"


def watch_app(root: Path):
    app = create_watch_app(root, clock=None)
    app.animation_level = "none"
    return app


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def table_rows(app) -> dict[int, list[str]]:
    table = app.query_one(IterationTable)
    return {iteration: row_cells(table.views[iteration]) for iteration in table.order}


def expected_rows(run: Path) -> dict[int, list[str]]:
    views = sorted((read_iteration(path) for path in run.glob("ITER_SUMMARY_*.json")), key=lambda view: view.iteration)
    return {view.iteration: [str(cell) for cell in row_cells(view)] for view in views}


def run_list(app) -> dict[str, dict[str, str]]:
    """Each listed run's cells by column: {run directory's name: {column key: text}}."""
    table = app.query_one(RunList)
    keys = [column.key.value for column in table.ordered_columns]
    return {
        Path(row.key.value).name: dict(zip(keys, map(str, table.get_row(row.key)), strict=True))
        for row in table.ordered_rows
    }


async def shown(pilot, messages: AppMessages, run: Path, count: int) -> None:
    """Until the monitor follows `run` and has been sent `count` of its iterations."""
    await messages.wait_for(lambda m: isinstance(m, RunOpened) and m.identity.run_dir == run)
    await messages.wait_for(lambda m: len(arrived_since_opened(messages, run)) >= count)
    await pilot.pause()


def arrived_since_opened(messages: AppMessages, run: Path) -> set[int]:
    opened = max(i for i, m in enumerate(messages.seen) if isinstance(m, RunOpened) and m.identity.run_dir == run)
    arrived = set()
    for message in messages.seen[opened:]:
        if isinstance(message, IterationsArrived):
            arrived.update(view.iteration for view in message.views)
    return arrived


async def test_the_run_list_shows_native_and_legacy_runs_and_follows_the_running_one(tmp_path: Path):
    done = native_run(tmp_path, "20261127-090000-s1", written=3)
    finish(done, "completed", "FAIL")
    going = native_run(tmp_path, "20261127-080000-s2", written=2)
    shutil.copytree(LEGACY / "flat", tmp_path / "old")
    app, messages = watch_app(tmp_path), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await shown(pilot, messages, going, 2)
        await messages.wait_for(lambda m: isinstance(m, RunsChanged))
        await pilot.pause()
        assert table_rows(app) == expected_rows(going)
        assert app.query_one(RunHeader).info.run_id == going.name
        runs = run_list(app)
        columns = ["followed", "status", "verdict", "gate", "scenario", "iterations", "problems", "run"]
        assert list(runs[going.name]) == columns  # no sweep column: no run is part of one
        assert list(runs[going.name].values()) == ["▶", "running", "—", "smoke", "—", "2", "", going.name]
        assert list(runs[done.name].values())[1:] == ["completed", "FAIL", "smoke", "—", "3", "", done.name]
        assert list(runs["old"].values())[1:] == ["legacy", "—", "—", "—", "4", "", "old"]
        assert app.status == "running"


async def test_a_new_run_appears_in_the_list_without_restart_and_the_followed_run_stays(tmp_path: Path):
    old = native_run(tmp_path, "20261127-090000-s1", written=2)
    finish(old)
    app, messages = watch_app(tmp_path), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await shown(pilot, messages, old, 2)
        new = native_run(tmp_path, "20261127-100000-s1", written=3)
        listed = await messages.wait_for(lambda m: isinstance(m, RunsChanged) and len(m.runs) == 2)
        assert listed.followed == old
        await pilot.pause()
        assert set(run_list(app)) == {old.name, new.name}
        assert table_rows(app) == expected_rows(old)
        assert app.query_one(RunHeader).info.run_id == old.name
        assert not messages.of(RunSwitched)
        announced = await messages.wait_for(lambda m: isinstance(m, RunAnnounced))  # said, not jumped to
        assert announced.info.path == new


def count_writes(monkeypatch, table: type) -> Counter[str]:
    """How many rows `table` adds and how many cells it rewrites, from now on."""
    written: Counter[str] = Counter()
    for name in ("add_row", "update_cell"):
        real = getattr(table, name)

        def spy(self, *args, real=real, name=name, **kwargs):
            written[name] += 1
            return real(self, *args, **kwargs)

        monkeypatch.setattr(table, name, spy)
    return written


async def test_the_run_list_writes_a_run_again_only_when_its_row_changes(tmp_path: Path, monkeypatch):
    """A scan posts the list after each batch: rewritten whole, 2000 runs took minutes to load."""
    runs = [native_run(tmp_path, f"20261127-{n:06d}-s1", written=3) for n in range(RUNS)]
    for run in runs:
        finish(run)
    monkeypatch.setattr(watcher, "CHUNK", 4)  # a scan of many batches
    written = count_writes(monkeypatch, RunList)
    app, messages = watch_app(tmp_path), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await messages.wait_for(lambda m: isinstance(m, RunsChanged) and not m.scanning)
        await pilot.pause()
        assert len(messages.of(RunsChanged)) > RUNS  # every batch posted the list
        assert written["add_row"] <= 2 * RUNS  # once, and once more if the first width was not the last
        assert written["update_cell"] <= 4 * RUNS  # its count as each of its 3 iterations came, the mark
        assert list(run_list(app)) == [run.name for run in reversed(runs)]  # newest first
        written.clear()
        new = native_run(tmp_path, "20261128-000000-s1", written=1)
        await messages.wait_for(lambda m: isinstance(m, RunsChanged) and len(m.runs) == RUNS + 1)
        await pilot.pause()
        assert list(run_list(app)) == [new.name, *(run.name for run in reversed(runs))]  # in its place
        assert written["add_row"] == 1


async def test_an_empty_root_says_where_it_looks(tmp_path: Path):
    app, messages = watch_app(tmp_path), AppMessages()
    async with app.run_test(size=(140, 30), message_hook=messages) as pilot:
        await messages.wait_for(lambda m: isinstance(m, RunsChanged) and not m.scanning)
        # The header's hint and the table's placeholder are painted apart: wait for both.
        text = await wait_for_screen(pilot, f"no runs under {tmp_path} yet", f"soak run --out {tmp_path}")
        assert "WAITING" in text.split("\n")[0]
        assert f"soak run --out {tmp_path}" in text
        native_run(tmp_path, "20261127-090000-s1", written=1)
        await messages.wait_for(lambda m: isinstance(m, RunOpened))  # the first run is followed
        await wait_for_screen(pilot, "20261127-090000-s1", "RUNNING")


async def test_runs_of_a_sweep_are_listed_together_with_their_sweep(tmp_path: Path):
    native_run(tmp_path, "20261127-090000-s1", written=1, sweep_id="sweep-a")
    native_run(tmp_path, "20261127-100000-s1", written=1)
    native_run(tmp_path, "20261127-110000-s2", written=1, sweep_id="sweep-a")
    # each started_utc is when the test wrote it: the later written, the newer
    app, messages = watch_app(tmp_path), AppMessages()
    async with app.run_test(size=(160, 40), message_hook=messages) as pilot:
        await messages.wait_for(lambda m: isinstance(m, RunsChanged) and len(m.runs) == 3 and not m.scanning)
        await pilot.pause()
        runs = run_list(app)
        assert {name: row["sweep"] for name, row in runs.items()} == {
            "sweep:sweep-a": "",  # the sweep's own row, above its runs
            "20261127-090000-s1": "sweep-a",
            "20261127-100000-s1": "—",
            "20261127-110000-s2": "sweep-a",
        }
        order = list(runs)
        assert order.index("sweep:sweep-a") + 1 == order.index("20261127-110000-s2")
        assert abs(order.index("20261127-090000-s1") - order.index("20261127-110000-s2")) == 1  # together


async def test_picking_another_run_shows_its_rows_and_status(tmp_path: Path):
    going = native_run(tmp_path, "20261127-090000-s1", written=2)
    legacy = shutil.copytree(LEGACY / "flat", tmp_path / "old")
    app, messages = watch_app(tmp_path), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await shown(pilot, messages, going, 2)
        await pilot.press("r", "r")  # hide and show the run list: it takes the focus
        runs = app.query_one(RunList)
        assert runs.has_focus
        runs.move_cursor(row=runs.get_row_index(str(legacy)))
        await pilot.press("enter")
        await shown(pilot, messages, legacy, 4)
        assert table_rows(app) == expected_rows(legacy)
        assert app.query_one(RunHeader).info.run_id == "old"
        assert app.status == "legacy"
        assert run_list(app)["old"]["followed"] == "▶"
        assert [runs.get_cell(str(run), "run").style for run in (legacy, going)] == ["bold", ""]
        write_iteration(going, 3)  # the run no longer followed goes on in the list only
        await messages.wait_for(lambda m: isinstance(m, RunsChanged) and run_list(app)[going.name]["iterations"] == "3")
        assert table_rows(app) == expected_rows(legacy)


async def test_unreadable_files_get_a_row_naming_them_and_the_monitor_goes_on(tmp_path: Path):
    run = native_run(tmp_path, "r1", written=1)
    app, messages = watch_app(tmp_path), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await shown(pilot, messages, run, 1)
        (run / "ITER_SUMMARY_2.json").write_text("{not json", encoding="utf-8")
        (run / "ITER_SUMMARY_3.json").mkdir()
        await messages.wait_for(lambda m: isinstance(m, FilesUnreadable) and len(app.source.runs[run].problems) == 2)
        write_iteration(run, 4)
        await messages.wait_for(lambda m: isinstance(m, IterationsArrived) and 4 in [v.iteration for v in m.views])
        await pilot.pause()
        problems = app.query_one(FileProblems)
        rows = [[str(cell) for cell in problems.get_row(row.key)] for row in problems.ordered_rows]
        assert [row[0] for row in rows] == ["ITER_SUMMARY_2.json", "ITER_SUMMARY_3.json"]
        assert rows[0][1].startswith("invalid JSON") and rows[1][1] == "is a directory, not a file"
        assert list(table_rows(app)) == [1, 4]
        assert run_list(app)["r1"]["problems"] == "2"
        shutil.rmtree(run)
        ended = await messages.wait_for(lambda m: isinstance(m, RunEnded))
        await messages.wait_for(lambda m: isinstance(m, RunsChanged) and run_list(app)["r1"]["status"] == "removed")
    assert ended.status == "removed" and str(run) in ended.error


async def test_text_from_files_is_shown_literally(tmp_path: Path):
    run = native_run(tmp_path, "r1")
    atomic_write_json(run / RUN_FILE, manifest(HOSTILE, driver=ESCAPE, profile=HOSTILE))
    hostile = record(1)
    hostile["tuning"].update(applied=False, skip_reasons=[HOSTILE], rationale=[f"because {HOSTILE} {ESCAPE}"])
    atomic_write_json(run / iter_file_name(1), hostile)
    legacy = tmp_path / f"[red]x[b]{ESCAPE}"  # a legacy run is named after its directory
    legacy.mkdir()
    (legacy / "ITER_SUMMARY_1.json").write_text("{broken", encoding="utf-8")
    app, messages = watch_app(tmp_path), AppMessages()
    async with app.run_test(size=(160, 50), message_hook=messages, notifications=True) as pilot:
        await shown(pilot, messages, run, 1)
        await messages.wait_for(lambda m: isinstance(m, FilesUnreadable))
        await pilot.pause()
        text = screen_text(app)
        run_list_text = "\n".join(" ".join(row.values()) for row in run_list(app).values())
    assert "\x1b" not in text
    assert text.count(HOSTILE) >= 5  # run list, header (run id, profile), skip reason, rationale
    assert f"because {HOSTILE} \\x1b[31mred\\x1b[0m" in text
    assert "\\x1b[31mred\\x1b[0m" in text.split("\n")[0]  # the driver, in the header
    assert "[red]x[b]\\x1b[31mred\\x1b[0m/ITER_SUMMARY_1.json:" in text  # the notice
    assert "[red]x[b]\\x1b[31mred\\x1b[0m" in run_list_text


async def test_a_watched_directory_deleted_and_created_again_shows_the_new_run_only(tmp_path: Path):
    latest = shutil.copytree(FIXTURES / "oldtool" / "mini_soak", tmp_path / "latest")
    (latest / "summary.txt").unlink()  # still going
    for path in latest.iterdir():
        path.touch()
    app, messages = watch_app(latest), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await shown(pilot, messages, latest, 3)
        assert [cells[-1] for cells in table_rows(app).values()] == ["FAIL", "FAIL", "PASS"]  # as it recorded
        shutil.rmtree(latest)  # the older tool's next run
        latest.mkdir()
        new = record(1, net_bps=4.2)
        new.pop("gate")
        new["summary"]["kpi_verdict"] = "WARN"
        atomic_write_json(latest / iter_file_name(1), new)
        await messages.wait_for(lambda m: isinstance(m, RunSwitched))
        await messages.wait_for(lambda m: list(table_rows(app)) == [1])
        assert table_rows(app)[1][-1] == "WARN" and app.status == "legacy"


async def test_quitting_a_watch_leaves_the_run_going_and_exits_0(tmp_path: Path):
    going = native_run(tmp_path, "20261127-090000-s1", written=2)
    app, messages = watch_app(tmp_path), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await shown(pilot, messages, going, 2)
        await pilot.press("question_mark")
        await wait_for_screen(pilot, "the runs go on (exit code 0, or the followed run's once ended)")
        assert "exit code 130" not in screen_text(app)  # the run's q, which stops a soak of this process
        await pilot.press("escape", "q")  # no question: nothing is stopped
    assert app.return_value == 0
    assert after_exit(app, 0)[-1] == "run running: 2 iteration(s)  exit 0"
    assert json.loads((going / RUN_FILE).read_text(encoding="utf-8"))["status"] == "running"


async def test_quitting_a_watch_of_an_ended_run_exits_with_the_run_s_code(tmp_path: Path):
    failed = native_run(tmp_path, "20261127-090000-s1", written=2)
    finish(failed, "completed", "FAIL")
    app, messages = watch_app(failed), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await messages.wait_for(lambda m: isinstance(m, RunEnded))
        await pilot.press("q")
    assert app.return_value == 1
