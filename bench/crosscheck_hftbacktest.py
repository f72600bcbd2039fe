"""Fidelity cross-check (DESIGN.md section 2): our simulator against hftbacktest on the same market.

    python bench/crosscheck_hftbacktest.py [--seeds 10] [--window 600] [--scenario normal]

Needs the `validate` extra (hftbacktest; it wants numpy<2.3, so give it a venv of its own, see
docs/fidelity.md). Per parameter set (defaults, wide, fast) and seed: our engine runs one window;
its market path is exported as an hftbacktest feed (bench/hftpath.py, bench/hftfeed.py) and the
same quoting rules run in hftbacktest's exchange with its queue and latency models
(bench/hftrun.py); both sets of fills go through our ledger (core/sim/ledger.py), so maker share,
net bps (fees, 5 s markout, inventory at the last mid) and fills per side have one definition.
What our model does and hftbacktest does not is switched off in our run, and printed.

Prints one row per set and seed, then `maker_share_abs_diff_max=`, `net_bps_abs_diff_max=`,
`fills_rel_diff_max=` (the largest |ours - hftbacktest| over all rows; fills: per side, relative to
ours) and `crosscheck_wall_s=`. Targets: 0.03, 0.3 bp, 0.10.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench import hftrun
from bench.hftfeed import to_events
from bench.hftpath import book_path
from core.kpi import IterationKPIs
from core.params import Params
from core.scenarios import MarketRegime, regime_for, variant
from core.sim import simulate_regime
from core.sim.engine import HEDGE_TRIGGER, QUOTE_SIZE, THROTTLE_WINDOW_S
from core.sim.ledger import summarise
from core.sim.market import CELL_S, MarketPath
from core.sim.tape import Tape

PARAM_SETS = {
    "defaults": Params(),
    "wide": Params(base_spread_bps=4.0, replace_threshold_bps=0.8),
    "fast": Params(base_spread_bps=1.0, min_interval_ms=20, replace_threshold_bps=0.1, tail_age_ms=500),
}
# What our model does that hftbacktest's replay does not; each is switched off in our run.
SWITCHES = {
    "latency_sigma": (0.0, "order latency is a constant (hftbacktest ConstantLatency)"),
    "queue_ms_per_rps": (0.0, "no gateway queueing with the request rate"),
    "feed_latency_sigma": (0.0, "the feed delay is a constant"),
    "slippage_bps": (0.0, "a taker fill pays no slippage beyond the touch (the replay's book has the touch size)"),
}
TICK_BPS = 0.01  # the grid the feed is published on (our model has none)
TOUCH_SIZE = 1000.0  # units at the market's touch
TARGETS = {"maker_share_abs_diff_max": 0.03, "net_bps_abs_diff_max": 0.3, "fills_rel_diff_max": 0.10}


def switched(regime: MarketRegime) -> MarketRegime:
    return variant(regime, **{name: value for name, (value, _) in SWITCHES.items()})


def feed_delay_cells(market: MarketPath) -> int:
    """The (constant, once switched) delay of the feed, read off the path: observed = mid shifted."""
    for lag in range(len(market.mid)):
        if np.array_equal(market.observed_mid[lag:], market.mid[: len(market.mid) - lag]):
            return lag
    raise ValueError("the feed delay is not constant: switch feed_latency_sigma off")


def rules_of(params: Params) -> hftrun.Rules:
    return hftrun.Rules(
        interval_ns=params.min_interval_ms * 1_000_000,
        half_spread=params.base_spread_bps * 1e-4,
        skew=params.inventory_skew_bps * 1e-4,
        max_position=params.max_position,
        threshold=params.replace_threshold_bps * 1e-4,
        tail_age_ns=params.tail_age_ms * 1_000_000,
        replace_rate_per_min=params.replace_rate_per_min,
        concurrency_limit=params.concurrency_limit,
        post_only=params.post_only,
        impact_cap_ratio=params.impact_cap_ratio,
        quote_size=QUOTE_SIZE,
        hedge_trigger=HEDGE_TRIGGER,
        throttle_window_ns=round(THROTTLE_WINDOW_S * 1e9),
    )


def replay(params: Params, regime: MarketRegime, market: MarketPath, queue: str) -> tuple[IterationKPIs, hftrun.Fills]:
    tick_size = market.mid[0] * TICK_BPS * 1e-4
    events = to_events(book_path(market, regime, tick_size, TOUCH_SIZE), feed_delay_cells(market) * CELL_S)
    venue = hftrun.Venue(
        tick_size=tick_size,
        lot_size=1e-6,
        entry_latency_ns=round(regime.latency_median_ms * 1e6),
        response_latency_ns=0,  # our strategy learns of fills and acks as they happen
        queue=queue,
        maker_fee=regime.maker_fee_bps * 1e-4,
        taker_fee=regime.taker_fee_bps * 1e-4,
    )
    fills = hftrun.run(events, rules_of(params), venue)
    return summarise(tape_of(fills, regime), market, params.max_position), fills


def tape_of(fills: hftrun.Fills, regime: MarketRegime) -> Tape:
    """hftbacktest's fills as our tape (a fill's touch is its price: the replay has no slippage)."""
    fee_bps = np.where(fills.maker, regime.maker_fee_bps, regime.taker_fee_bps)
    tape = Tape(
        fill_time=fills.time_s.tolist(),
        fill_side=fills.side.tolist(),
        fill_qty=fills.qty.tolist(),
        fill_price=fills.price.tolist(),
        fill_touch=fills.price.tolist(),
        fill_fee=(fee_bps * 1e-4 * fills.price * fills.qty).tolist(),
        fill_maker=fills.maker.tolist(),
    )
    tape.position = float(np.sum(fills.side * fills.qty))
    return tape


def per_side(tape_side: list[int] | np.ndarray) -> tuple[int, int]:
    side = np.asarray(tape_side)
    return int((side > 0).sum()), int((side < 0).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--window", type=float, default=600.0)
    parser.add_argument("--scenario", default="normal")
    parser.add_argument("--queue", default="power3:3", help="hftbacktest queue model (power:N, power3:N, log2, ...)")
    args = parser.parse_args()
    started = time.perf_counter()
    regime_name, regime = regime_for(args.scenario, 1)
    ours_regime = switched(regime)
    print(
        f"scenario={args.scenario} regime={regime_name} window={args.window:g}s seeds={args.seeds} queue={args.queue}"
    )
    for name, (value, why) in SWITCHES.items():
        print(f"switched off in our run: {name}={value:g} ({why})")
    print(
        f"{'set':<9}{'seed':>5}  {'maker share ours/hft':>21}  {'net bps ours/hft':>17}  "
        f"{'bought ours/hft':>16}  {'sold ours/hft':>14}  ack_wait position_check"
    )
    worst = dict.fromkeys(TARGETS, 0.0)
    for set_name, params in PARAM_SETS.items():
        for seed in range(1, args.seeds + 1):
            ours = simulate_regime(params, ours_regime, seed, 1, args.window, regime_name)
            theirs, fills = replay(params, ours_regime, ours.market, args.queue)
            ours_sides, their_sides = per_side(ours.tape.fill_side), per_side(fills.side)
            share_o, share_h = ours.summary.maker_taker_ratio, theirs.maker_taker_ratio
            net_o, net_h = ours.summary.net_bps, theirs.net_bps
            worst["maker_share_abs_diff_max"] = max(worst["maker_share_abs_diff_max"], abs(share_o - share_h))
            worst["net_bps_abs_diff_max"] = max(worst["net_bps_abs_diff_max"], abs(net_o - net_h))
            for o, h in zip(ours_sides, their_sides, strict=True):
                worst["fills_rel_diff_max"] = max(worst["fills_rel_diff_max"], abs(o - h) / max(o, 1))
            position_ok = abs(fills.position - float(np.sum(fills.side * fills.qty))) < 1e-6
            print(
                f"{set_name:<9}{seed:>5}  {share_o:>10.3f}/{share_h:<10.3f}  {net_o:>8.2f}/{net_h:<8.2f}  "
                f"{ours_sides[0]:>7}/{their_sides[0]:<8}  {ours_sides[1]:>6}/{their_sides[1]:<7}  "
                f"{fills.counters['ack_wait']:>8} {'ok' if position_ok else 'MISMATCH'}",
                flush=True,
            )
    for name, value in worst.items():
        print(f"{name}={value:.4f}  (target {TARGETS[name]:g})")
    print(f"crosscheck_wall_s={time.perf_counter() - started:.1f}")


if __name__ == "__main__":
    main()
