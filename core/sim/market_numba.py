"""The market's costly steps (core/sim/market.py's Kernels) compiled with numba, for the numba
engine: the same draws from the same numpy Generator (numba draws through the generator's own
bit generator with ports of numpy's algorithms, so the stream and its state are shared) and the
same arithmetic in the same order, so every array of the MarketPath is numpy's, bit for bit
(tests/core/sim/test_engines.py holds them together). Loops replace numpy's temporaries: one
pass per array instead of several, and no Python between the Hawkes generations.
"""

from __future__ import annotations

from core.sim.engines import use_numba_cache

use_numba_cache()

import numba  # noqa: E402
import numpy as np  # noqa: E402

from core.scenarios import MarketRegime  # noqa: E402
from core.sim.market import (  # noqa: E402
    CELLS_PER_S,
    FEED_BLOCK_CELLS,
    MAX_GENERATIONS,
    START_PRICE,
    Decay,
    Kernels,
    MarketPath,
)
from core.sim.market import generate_market as generate_with  # noqa: E402

jit = numba.njit(cache=True, nogil=True)
CELLS_PER_SECOND = round(CELLS_PER_S)


@jit
def _ar1(rng, seconds, phi, scale):
    z = np.empty(seconds)
    for i in range(seconds):
        z[i] = rng.standard_normal()
    x = np.empty(seconds)
    x[0] = z[0]
    for i in range(1, seconds):
        x[i] = phi * x[i - 1] + scale * z[i]
    return x


@jit
def _normals(rng, count):
    out = np.empty(count)
    for i in range(count):
        out[i] = rng.standard_normal()
    return out


@jit
def _flow_draws(rng, n, window_s, vol, flow, feed_count, draws):
    steps = _normals(rng, n)
    order_time, order_side, informed = _hawkes(rng, window_s, vol, flow)
    reach_unit = np.empty(len(order_time))
    for i in range(len(order_time)):
        reach_unit[i] = rng.standard_exponential()
    feed_z = _normals(rng, feed_count)
    entry_z = _normals(rng, draws)
    return steps, order_time, order_side, informed, reach_unit, feed_z, entry_z, _normals(rng, draws)


@jit
def _hawkes(rng, window_s, vol, flow):
    """market._hawkes, drawing each generation's values in the same groups and order."""
    base, branching, decay, persistence, informed_share = flow[0], flow[1], flow[2], flow[3], flow[4]
    peak = vol.max()
    count = rng.poisson(base * peak * window_s)
    candidates = np.empty(count)
    for i in range(count):
        candidates[i] = rng.uniform(0.0, window_s)
    keep = np.empty(count, np.bool_)
    for i in range(count):
        keep[i] = rng.uniform(0.0, peak) < vol[np.int64(candidates[i])]
    parents_t = candidates[keep]
    size = len(parents_t)
    parents_s = np.empty(size, np.int64)
    for i in range(size):
        parents_s[i] = rng.integers(0, 2) * 2 - 1
    parents_i = np.empty(size, np.bool_)
    for i in range(size):
        parents_i[i] = rng.uniform(0.0, 1.0) < informed_share
    times, sides, informed = parents_t.copy(), parents_s.copy(), parents_i.copy()
    used = size
    for _ in range(MAX_GENERATIONS):
        if size == 0 or branching == 0.0:
            break
        children = np.empty(size, np.int64)
        for i in range(size):
            children[i] = rng.poisson(branching)
        total = children.sum()
        child_t = np.empty(total)
        child_s = np.empty(total, np.int64)
        child_i = np.empty(total, np.bool_)
        j = 0
        for i in range(size):
            for _child in range(children[i]):
                child_t[j], child_s[j], child_i[j] = parents_t[i], parents_s[i], parents_i[i]
                j += 1
        for j in range(total):
            child_t[j] = child_t[j] + rng.exponential(decay)
        flip = np.empty(total, np.bool_)
        for j in range(total):
            flip[j] = rng.uniform(0.0, 1.0) >= persistence
        for j in range(total):
            fresh = rng.integers(0, 2) * 2 - 1
            if flip[j]:
                child_s[j] = fresh
        inside = child_t < window_s
        parents_t, parents_s, parents_i = child_t[inside], child_s[inside], child_i[inside]
        size = len(parents_t)
        if used + size > len(times):
            room = max(2 * len(times), used + size)
            times, sides, informed = _grown(times, room), _grown(sides, room), _grown(informed, room)
        times[used : used + size] = parents_t
        sides[used : used + size] = parents_s
        informed[used : used + size] = parents_i
        used += size
    order = np.argsort(times[:used], kind="mergesort")  # stable, as numpy's
    return times[:used][order], sides[:used][order], informed[:used][order]


@jit
def _grown(values, room):
    out = np.empty(room, values.dtype)
    out[: len(values)] = values
    return out


@jit
def _noise(steps, sqrt_vol, scale):
    n = len(steps)
    noise_bps = np.zeros(n + 1)
    path = np.zeros(n + 1)
    for second in range(len(sqrt_vol)):  # cell j + 1 lies in second (j + 1) // CELLS_PER_SECOND
        per_cell = scale * sqrt_vol[second]
        for cell in range(max(1, second * CELLS_PER_SECOND), min(n + 1, (second + 1) * CELLS_PER_SECOND)):
            noise_bps[cell] = per_cell * steps[cell - 1]
            path[cell] = path[cell - 1] + noise_bps[cell]
    return noise_bps, path


@jit
def _mid_path(order_cell, permanent, transient, noise_bps, a, block, powers, last_powers):
    cells = len(noise_bps)
    kept = np.zeros(cells)
    fading = np.zeros(cells)
    for k in range(len(order_cell)):
        cell = order_cell[k] + 1
        if cell < cells:  # an order at the window's last instant moves only the end
            kept[cell] += permanent[k]
            fading[cell] += transient[k]
    total = 0.0
    for j in range(cells):
        total = kept[j] + noise_bps[j] if j == 0 else total + (kept[j] + noise_bps[j])
        kept[j] = total
    carry = 0.0
    for start in range(0, cells, block):
        scale = powers if start + block <= cells else last_powers
        running = 0.0
        for i in range(min(block, cells - start)):
            share = fading[start + i] / scale[i]
            running = share if i == 0 else running + share
            fading[start + i] = scale[i] * (carry + running)
        carry = fading[min(start + block, cells) - 1] * a
    mid = np.empty(cells)
    for j in range(cells):
        mid[j] = START_PRICE * (1.0 + (kept[j] + fading[j]) * 1e-4)
    return mid


@jit
def _observed(mid, lag_cells, tick, half):
    out = np.empty(len(mid))
    below, above = 1.0 - half, 1.0 + half
    for j in range(len(mid)):
        delayed = mid[max(j - lag_cells[j // FEED_BLOCK_CELLS], 0)]
        out[j] = 0.5 * (np.floor(delayed * below / tick) * tick + np.ceil(delayed * above / tick) * tick)
    return out


def _mid_path_of(
    order_cell: np.ndarray, permanent: np.ndarray, transient: np.ndarray, noise_bps: np.ndarray, decay: Decay
) -> np.ndarray:
    mid: np.ndarray = _mid_path(
        order_cell, permanent, transient, noise_bps, decay.a, decay.block, decay.powers, decay.last_powers
    )
    return mid


NUMBA = Kernels(_ar1, _flow_draws, _noise, _mid_path_of, _observed)
KERNELS = (_ar1, _flow_draws, _noise, _mid_path, _observed)  # what numba compiles, for its cache


def generate_market(regime: MarketRegime, rng: np.random.Generator, window_s: float) -> MarketPath:
    return generate_with(regime, rng, window_s, NUMBA)
