"""What fits: the priority fit, the table's columns from the registry, and the rows a table keeps
(filtered, searched, the oldest dropped and counted). Plain functions and data, no app."""

from __future__ import annotations

from core.kpi import BY_PRIORITY, KPIS
from core.runs.views import iteration_view
from tests.support.scripted import shown_record
from tui.widgets.columns import ALL, KPI_COLUMNS, columns_for, total_cells
from tui.widgets.fit import fit_by_priority
from tui.widgets.row_set import RowSet

VERDICTS = {3: "WARN", 5: "FAIL", 8: "FAIL"}


def test_the_most_important_go_in_first_and_keep_their_order():
    items = [("a", 3, 5), ("b", 1, 5), ("c", 2, 5), ("d", 0, 5)]  # name, priority, cells
    fit = lambda width: [name for name, _, _ in fit_by_priority(items, width, lambda i: i[2], lambda i: i[1])]  # noqa: E731
    assert fit(20) == ["a", "b", "c", "d"]
    assert fit(19) == ["b", "c", "d"]
    assert fit(10) == ["b", "d"]
    assert fit(4) == []


def test_the_columns_come_from_the_registry_by_priority_and_the_verdict_always_fits():
    assert [column.key for column in KPI_COLUMNS] == list(BY_PRIORITY)
    assert [column.heading for column in KPI_COLUMNS][:4] == ["maker share", "net bps", "PnL/h", "vol/h"]
    for width in (40, 77, 117, 197):
        columns = columns_for(width)
        assert columns[0].key == "iteration" and columns[-1].key == "verdict"
        assert total_cells(columns) <= width
        kept = [KPIS[column.key].priority for column in columns[1:-1]]
        assert kept == sorted(kept)  # a narrower table drops the least important
    assert columns_for(197) == ALL
    chosen = columns_for(197, {"risk_ratio"})
    assert [column.key for column in chosen] == ["iteration", "risk_ratio", "verdict"]


def rows(count: int, max_rows: int = 500) -> RowSet:
    held = RowSet(max_rows)
    for i in range(1, count + 1):
        held.store(iteration_view(shown_record(i, VERDICTS.get(i, "PASS"))))
    return held


def test_the_oldest_go_first_and_are_counted():
    held = rows(12, max_rows=5)
    assert held.kept == [8, 9, 10, 11, 12]
    assert (held.dropped, held.last_dropped) == (7, 7)
    assert held.verdicts == {"PASS": 9, "WARN": 1, "FAIL": 2}  # over every iteration seen


def test_the_filter_keeps_what_did_not_pass_as_rows_come_and_go():
    held = rows(10, max_rows=6)  # 5..10 kept
    held.show_only_problems(True)
    assert held.shown == [5, 8]
    held.store(iteration_view(shown_record(8, "PASS")))  # a rewritten file: no longer a problem
    held.store(iteration_view(shown_record(11, "WARN")))  # 5 dropped as the oldest
    assert held.shown == [11] and held.kept == [6, 7, 8, 9, 10, 11]
    held.show_only_problems(False)
    assert held.shown == held.kept


def test_find_wraps_and_goes_both_ways():
    held = rows(10)
    assert held.find("(fail)", start=9, step=1) == 4  # iteration 5, after wrapping
    assert held.find("(fail)", start=4, step=-1) == 7  # iteration 8, backwards round
    assert held.find("absent", start=0, step=1) is None
