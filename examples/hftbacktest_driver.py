"""A replaying soak driver on recorded order-book data: the strategy's quoting rules run in
hftbacktest (extra `validate`) for one window of a tape, with the overrides in force.

    soak run --no-ui --iterations 4 --window 60 --gate nightly --driver-replay --driver \
      "python examples/hftbacktest_driver.py --tape tape.npz --tick-size 0.001 \
       --overrides {overrides} --output {output} --iteration {iteration} --window {window_s}"

The tape is an hftbacktest data file (npz, its event rows under `data`): a team's own recorded
L2 feed, or our simulated market exported by bench/export_tape.py. Iteration i trades the rows
whose exchange time lies in [t0 + (i-1)*window, t0 + i*window), t0 the tape's first row, and
each window must begin with its book (as hftbacktest snapshots and our export do). One
{iteration} is one window of the tape whatever the overrides, and hftbacktest's replay is
deterministic: that is what `--driver-replay` promises (docs/driver-protocol.md), so the soak
can replay the control and the what-if candidates on the very window the strategy traded.

The rules are bench/hftrun.py's (ours, spelled for hftbacktest's order API). The metrics follow
DESIGN.md section 4 from the fills and the mid the feed shows (sampled every 10 ms): maker share
of traded notional, net bps = PnL per traded notional, gross and adverse (markout at 5 s) bps,
fees at the tier's rates, PnL marked at the window's last mid, mean |inventory| over
max_position, the share of the window with both sides resting within the presence band, and the
request round trip of hftbacktest's constant latency model as p95 latency.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from pydantic import ValidationError

try:
    from bench import hftrun
except ImportError as err:  # hftbacktest (the validate extra) is not installed here
    sys.exit(f"hftbacktest_driver: {err}; install the validate extra (see docs/fidelity.md)")
from numba import njit

from core.params import Params
from core.scenarios import FEE_TIERS
from core.sim.ledger import MARKOUT_S

MidPath = tuple[np.ndarray, np.ndarray]  # (time in s from the window's start, mid)
Metrics = dict[str, object]
NS = 1_000_000_000
MID_STEP_NS = 10_000_000  # the mid is sampled on a 10 ms grid, as our market's


def main() -> None:
    args = _arguments()
    try:
        params = Params(**json.loads(args.overrides.read_text(encoding="utf-8")))
        tape = np.load(args.tape)["data"]
    except (OSError, ValueError, KeyError, ValidationError) as err:
        sys.exit(f"hftbacktest_driver: {str(err).splitlines()[0]}")
    start_ns, rows = window_rows(tape, args.iteration, args.window)
    fees = FEE_TIERS[args.fees]
    venue = hftrun.Venue(
        tick_size=args.tick_size,
        lot_size=args.lot_size,
        entry_latency_ns=round(args.entry_latency_ms * 1e6),
        response_latency_ns=round(args.response_latency_ms * 1e6),
        queue=args.queue,
        maker_fee=fees.maker_fee_bps * 1e-4,
        taker_fee=fees.taker_fee_bps * 1e-4,
    )
    try:
        fills = hftrun.run(rows, hftrun.Rules.of(params, args.presence_band_bps), venue)
    except hftrun.HftbacktestError as err:
        sys.exit(f"hftbacktest_driver: iteration {args.iteration}: {err}")
    fills = dataclasses.replace(fills, time_s=fills.time_s - start_ns / NS)
    metrics = window_metrics(fills, mid_path(rows, start_ns, venue), params, venue, args.window)
    args.output.write_text(json.dumps(metrics), encoding="utf-8")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tape", type=Path, required=True, help="hftbacktest npz with the event rows under `data`")
    parser.add_argument("--tick-size", type=float, required=True)
    parser.add_argument("--lot-size", type=float, default=1e-6)
    parser.add_argument("--fees", choices=sorted(FEE_TIERS), default="mm_program", help="fee tier (default mm_program)")
    parser.add_argument("--entry-latency-ms", type=float, default=40.0)
    parser.add_argument("--response-latency-ms", type=float, default=40.0)
    parser.add_argument("--queue", default="power3:3", help="hftbacktest queue model (power:N, power3:N, log2, ...)")
    parser.add_argument("--presence-band-bps", type=float, default=10.0)
    parser.add_argument("--overrides", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--iteration", type=int, required=True)
    parser.add_argument("--window", type=float, required=True, help="seconds")
    args = parser.parse_args()
    numbers = (args.tick_size, args.lot_size, args.entry_latency_ms, args.response_latency_ms, args.window)
    if not all(0 < v < math.inf for v in numbers) or args.iteration < 1:
        parser.error("tick and lot sizes, latencies and the window must be > 0, the iteration >= 1")
    try:
        hftrun.check_queue(args.queue)
    except ValueError as err:
        parser.error(str(err))
    return args


def window_rows(tape: np.ndarray, iteration: int, window_s: float) -> tuple[int, np.ndarray]:
    """(its start in ns, the rows) of window `iteration` (1-based) of the tape; exits naming the
    tape's length when the window is past its end."""
    start = int(tape["exch_ts"][0]) + round((iteration - 1) * window_s * NS)
    stop = start + round(window_s * NS)
    exch = tape["exch_ts"]
    rows = tape[(exch >= start) & (exch < stop)]
    if not len(rows):
        held = (int(exch[-1]) - int(exch[0])) / NS / window_s
        sys.exit(f"hftbacktest_driver: iteration {iteration} is past the tape's end (it holds {held:.1f} windows)")
    return start, rows


def mid_path(rows: np.ndarray, start_ns: int, venue: hftrun.Venue) -> MidPath:
    """The mid every 10 ms, as the feed shows the book."""
    hbt = hftrun.backtest(rows, venue)
    span = int(rows["exch_ts"][-1] - rows["exch_ts"][0])
    out = np.full((span // MID_STEP_NS + 2, 2), np.nan)
    n = _sample_mids(hbt, MID_STEP_NS, out)
    hbt.close()
    time_s = (out[:n, 0] - start_ns) / NS
    ok = ~np.isnan(out[:n, 1])
    return time_s[ok], out[:n, 1][ok]


@njit
def _sample_mids(hbt, step, out):  # type: ignore[no-untyped-def]
    if hbt.wait_next_feed(False, 1 << 62) == 1:
        return 0
    n = 0
    while n < len(out):
        depth = hbt.depth(0)
        out[n, 0] = hbt.current_timestamp
        if depth.best_bid_tick > -(1 << 62) and depth.best_ask_tick < (1 << 62):
            out[n, 1] = 0.5 * (depth.best_bid + depth.best_ask)
        n += 1
        if hbt.elapse(step) != 0:  # the end of the rows (or an error: the mids so far stand)
            break
    return n


def window_metrics(fills: hftrun.Fills, mids: MidPath, params: Params, venue: hftrun.Venue, window_s: float) -> Metrics:
    """The window's KPIs (DESIGN.md section 4) from its fills and mid; times from its start."""
    mid = mids[1]
    if not len(mid):
        sys.exit("hftbacktest_driver: the window's rows never show a two-sided book")
    t, signed, price = fills.time_s, fills.side * fills.qty, fills.price
    notional = fills.qty * price
    fee = np.where(fills.maker, venue.maker_fee, venue.taker_fee) * notional
    mid_fill = _mid_at(mids, t)
    mid_markout = _mid_at(mids, np.minimum(t + MARKOUT_S, window_s))
    position = np.cumsum(signed)
    pnl = float(np.sum(-signed * price) + signed.sum() * mid[-1] - fee.sum())
    volume = float(notional.sum())
    to_bps = 1e4 / volume if volume > 0 else math.nan
    per_hour = 3600.0 / window_s
    edge = {
        "gross_bps": float(np.sum(signed * (mid_fill - price))) * to_bps,  # a taker's slippage included
        "fees_eff_bps": float(fee.sum()) * to_bps,
        "adverse_bps": float(np.sum(-signed * (mid_markout - mid_fill))) * to_bps,
        "net_bps": pnl * to_bps,
    }
    counters = fills.counters
    held = np.diff(np.append(t, window_s))  # how long each position after a fill was held
    return {
        "maker_taker_ratio": float(notional[fills.maker].sum()) / volume if volume > 0 else None,
        **{key: (None if math.isnan(value) else value) for key, value in edge.items()},  # no fills: no edge
        "pnl": pnl,
        "pnl_per_hour": pnl * per_hour,
        "volume": volume,
        "volume_per_hour": volume * per_hour,
        "risk_ratio": min(1.0, float(np.abs(position) @ held) / window_s / params.max_position),
        "quote_presence": counters["presence_ns"] / (window_s * NS),
        "p95_latency_ms": (venue.entry_latency_ns + venue.response_latency_ns) / 1e6,  # constant latency
        "fills": {
            "maker_count": int(fills.maker.sum()),
            "taker_count": int((~fills.maker).sum()),
            "maker_volume": float(notional[fills.maker].sum()),
            "taker_volume": float(notional[~fills.maker].sum()),
        },
        "orders_sent": counters["orders_sent"],
        "cancels_sent": counters["cancels_sent"],
        "rejects": counters["rejects"],
        "hedges": counters["hedges"],
        "engine": "hftbacktest",
    }


def _mid_at(mids: MidPath, time_s: np.ndarray) -> np.ndarray:
    """The mid in force at each time (the first sample before the first)."""
    mid_time, mid = mids
    return mid[np.clip(np.searchsorted(mid_time, time_s, side="right") - 1, 0, len(mid) - 1)]


if __name__ == "__main__":
    main()
