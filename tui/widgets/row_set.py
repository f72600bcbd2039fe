"""The iterations an iteration table holds: at most `max_rows` (the oldest go first, and how many
went is counted, so the table can say so), the ones shown (all, or only those that did not pass),
and verdict counts over every iteration seen. No Textual here: the table draws what this holds."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import Counter

from core.records import Verdict
from core.runs.views import IterationView
from tui import format as fmt
from tui.widgets.columns import ALL, row_cells

MAX_ROWS = 500


def is_problem(view: IterationView) -> bool:
    """What the filter keeps: WARN, FAIL, and any verdict that is not a plain PASS."""
    return Verdict.parse(view.verdict) is not Verdict.PASS


def search_text(view: IterationView) -> str:
    """What a search looks in: the row's cells, the gate's reasons, the tuner's words."""
    words = [*row_cells(view, ALL), *view.gate_reasons, *view.rationale, view.skip_reason or ""]
    return "\n".join(words).casefold()


class RowSet:
    def __init__(self, max_rows: int = MAX_ROWS) -> None:
        self.max_rows = max_rows
        self.views: dict[int, IterationView] = {}  # the iterations kept
        self.kept: list[int] = []  # their numbers, ascending
        self.shown: list[int] = self.kept  # the rows: all kept, or the problems among them
        self.only_problems = False
        self.verdicts: Counter[str] = Counter()  # over every iteration seen, not just those kept
        self.dropped = 0  # iterations dropped as the oldest ...
        self.last_dropped = 0  # ... up to this one
        self.stamps: dict[int, int] = {}  # iteration -> which version of its view is held
        self._stored = 0

    def __len__(self) -> int:
        return len(self.shown)

    def view_at(self, row: int) -> IterationView:
        return self.views[self.shown[row]]

    def row_of(self, iteration: int) -> int | None:
        row = bisect_left(self.shown, iteration)
        return row if row < len(self.shown) and self.shown[row] == iteration else None

    def store(self, view: IterationView) -> None:
        """Add or replace `view`; drop the oldest beyond max_rows."""
        previous = self.views.get(view.iteration)
        if previous is None:
            insort(self.kept, view.iteration)
        else:
            self.verdicts[previous.verdict or fmt.MISSING] -= 1
        self.views[view.iteration] = view
        self._stored += 1
        self.stamps[view.iteration] = self._stored
        self.verdicts[view.verdict or fmt.MISSING] += 1
        if self.only_problems:
            self._refilter(view.iteration)
        while len(self.kept) > self.max_rows:
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        oldest = self.kept.pop(0)
        del self.views[oldest], self.stamps[oldest]
        self.dropped += 1
        self.last_dropped = max(self.last_dropped, oldest)
        if self.only_problems and self.shown and self.shown[0] == oldest:
            self.shown.pop(0)

    def _refilter(self, iteration: int) -> None:
        row = self.row_of(iteration)
        wanted = is_problem(self.views[iteration])
        if wanted and row is None:
            insort(self.shown, iteration)
        elif not wanted and row is not None:
            del self.shown[row]

    def show_only_problems(self, on: bool) -> None:
        self.only_problems = on
        self.shown = [i for i in self.kept if is_problem(self.views[i])] if on else self.kept

    def find(self, needle: str, start: int, step: int) -> int | None:
        """The first row after `start` (before it with step -1), wrapping around, whose
        iteration holds `needle` (case-insensitive); None when no row does."""
        needle = needle.casefold()
        count = len(self.shown)
        for offset in range(1, count + 1):
            row = (start + step * offset) % count
            if needle in search_text(self.view_at(row)):
                return row
        return None

    def clear(self) -> None:
        self.views.clear()
        self.kept.clear()
        self.show_only_problems(self.only_problems)
        self.verdicts.clear()
        self.stamps.clear()
        self.dropped = self.last_dropped = 0
