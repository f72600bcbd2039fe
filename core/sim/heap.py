"""The process heap, set for a simulator that allocates and frees the same few megabytes of
arrays every window (the mid path, the feed's mid, the ledger's per-cell arrays).

With glibc's defaults every array over 128 KB is mapped afresh and returned on free, so each
window faults all of its pages in again: on the 2-core VMs this project runs on that cost more
than computing the arrays (a 60,000-cell array took 0.45 ms to fill fresh against 0.02 ms in
reused memory, measured with numba loops and numpy alike). Kept in the heap, freed arrays are
reused by the next window; the process keeps the peak of one window's working set.
"""

from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest allowed: arrays below this come from the heap
TRIM_THRESHOLD = 256 * 1024 * 1024  # free memory at the heap's top is returned beyond this


def keep_freed_memory() -> None:
    """Asks glibc to serve large arrays from the heap and keep what is freed (elsewhere: nothing)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc
        return
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
