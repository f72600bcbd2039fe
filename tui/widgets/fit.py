"""What fits a width: items kept by priority and shown in their own order (the iteration table's
columns, the header's fields). The most important go in first; the first that does not fit ends
it, so what is dropped is always the least important, never a gap in the middle."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def fit_by_priority(items: Sequence[T], width: int, cells: Callable[[T], int], priority: Callable[[T], int]) -> list[T]:
    """The items (in their order) whose cells fit `width`, taken lowest priority number first."""
    kept: set[int] = set()
    used = 0
    for index in sorted(range(len(items)), key=lambda i: priority(items[i])):  # stable: ties by order
        need = cells(items[index])
        if used + need > width:
            break
        kept.add(index)
        used += need
    return [item for index, item in enumerate(items) if index in kept]
