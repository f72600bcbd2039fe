"""The ledger's costliest step (core/sim/ledger.py's quoted_cells, a pass over every cell of the
window) compiled with numba, for the numba engine: the same comparisons on the same values, so
the same count and the same quote presence."""

from __future__ import annotations

from core.sim.engines import use_numba_cache

use_numba_cache()

import numba  # noqa: E402
import numpy as np  # noqa: E402


@numba.njit(cache=True, nogil=True)
def quoted_cells(mid, side, start, stop, price, band_bps):
    n = len(mid)
    resting = np.full((2, n), np.nan)  # NaN: no quote, and NaN compares False
    for q in range(len(side)):
        resting[side[q], start[q] : stop[q]] = price[q]
    count = 0
    for j in range(n):
        m = mid[j]
        if 1.0 * (m - resting[0, j]) / m * 1e4 <= band_bps and -1.0 * (m - resting[1, j]) / m * 1e4 <= band_bps:
            count += 1
    return count
