"""Runs grouped by the sweep that ran them, and how far each sweep is, from the runs alone: every
soak of a sweep says in its RUN.json which sweep, which cell, how many cells, which attempt
(core/runs/sweep_file.py). `soak watch` shows a sweep row above its runs; the headless watch
follows a sweep's runs together (core/console/watch.py).

A cell counts as done once its newest attempt has finished; a cell whose worker died shows the
attempt that took over (or, after the last attempt, the one ended `failed`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from core.records import RunStatus, Verdict
from core.runs.discovery import RunInfo
from core.runs.sweep_file import SWEEP_ATTEMPT, SWEEP_CELL, SWEEP_ID, SWEEP_TOTAL

T = TypeVar("T")


@dataclass(frozen=True)
class SweepTag:
    sweep_id: str
    cell: int | None
    total: int | None
    attempt: int

    @classmethod
    def of(cls, info: RunInfo) -> SweepTag | None:
        """The sweep a run belongs to, as its RUN.json says (None for a run of its own)."""
        manifest = info.manifest or {}
        sweep_id = manifest.get(SWEEP_ID)
        if not isinstance(sweep_id, str) or not sweep_id:
            return None
        return cls(
            sweep_id,
            _count(manifest.get(SWEEP_CELL)),
            _count(manifest.get(SWEEP_TOTAL)),
            _count(manifest.get(SWEEP_ATTEMPT)) or 1,
        )


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@dataclass(frozen=True)
class SweepProgress:
    sweep_id: str
    total: int | None  # cells in the sweep
    done: int  # cells whose newest attempt has finished
    live: int  # soaks running now
    verdicts: dict[str, int] = field(default_factory=dict)  # of the cells that completed
    could_not_run: int = 0  # done without a verdict (failed, aborted)

    @property
    def finished(self) -> bool:
        return self.total is not None and self.done >= self.total

    def counts_text(self) -> str:
        """'PASS 2 WARN 1 FAIL 0', and '+1 not run' when cells ended without a verdict."""
        counts = [f"{verdict} {self.verdicts.get(verdict, 0)}" for verdict in Verdict]
        if self.could_not_run:
            counts.append(f"+{self.could_not_run} not run")
        return " ".join(counts)

    def done_text(self) -> str:
        return f"{self.done}/{self.total if self.total is not None else '?'}"


def sweep_progress(sweep_id: str, runs: Iterable[RunInfo]) -> SweepProgress:
    newest: dict[object, tuple[int, tuple[str, str], RunInfo]] = {}
    total = None
    for info in runs:
        tag = SweepTag.of(info)
        if tag is None or tag.sweep_id != sweep_id:
            continue
        total = tag.total or total
        cell = tag.cell if tag.cell is not None else info.path  # an untagged cell stands alone
        rank = (tag.attempt, info.start_key(), info)
        if cell not in newest or rank[:2] > newest[cell][:2]:
            newest[cell] = rank
    cells = [info for _, _, info in newest.values()]
    verdicts: dict[str, int] = {}
    could_not_run = 0
    for info in cells:
        if not info.finished:
            continue
        verdict = Verdict.parse((info.recorded_verdict() or {}).get("verdict"))
        if info.status == RunStatus.COMPLETED and verdict is not None:
            verdicts[verdict] = verdicts.get(verdict, 0) + 1
        else:
            could_not_run += 1
    return SweepProgress(
        sweep_id=sweep_id,
        total=total,
        done=sum(info.finished for info in cells),
        live=sum(info.live for info in cells),
        verdicts=verdicts,
        could_not_run=could_not_run,
    )


def group_by_sweep(items: Iterable[T], info_of: Callable[[T], RunInfo]) -> list[tuple[SweepProgress | None, list[T]]]:
    """The items in their order, those of a sweep gathered where its first one stands, each
    sweep with its progress; an item of no sweep is a group of its own (None, [item])."""
    items = list(items)
    groups: list[tuple[str | None, list[T]]] = []
    index: dict[str, list[T]] = {}
    for item in items:
        tag = SweepTag.of(info_of(item))
        if tag is None:
            groups.append((None, [item]))
        elif tag.sweep_id in index:
            index[tag.sweep_id].append(item)
        else:
            index[tag.sweep_id] = [item]
            groups.append((tag.sweep_id, index[tag.sweep_id]))
    return [
        (None if sweep_id is None else sweep_progress(sweep_id, map(info_of, members)), members)
        for sweep_id, members in groups
    ]
