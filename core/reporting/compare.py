"""`soak compare RUN_A RUN_B`: two runs side by side: who they are, their verdicts and exit codes,
each KPI's mean, last-window mean and trend, the parameters that differ, and, when their market
paths are the same, the paired per-iteration differences with a confidence interval.

Two runs share their market paths when both ran the simulator on the same seed, scenario and
window (DESIGN.md section 2: the market is drawn from the seed and the iteration before any
parameter is read). Then iteration i of A and iteration i of B met the same market, and B − A
per iteration measures what their parameters did, with the market's noise taken out.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel

from core.intervals import LEVEL, MeanInterval, mean_interval
from core.kpi import KPIS, MONITORED, Better
from core.reporting.command import load_run
from core.reporting.files import write_report_files
from core.reporting.markdown import MISSING, md, num, table, value
from core.reporting.model import RunReport
from core.reporting.series import kpi_points, kpi_value, recorded
from core.reporting.stats import Stats, stats
from core.runs.discovery import RunSnapshot
from core.runs.views import IterationView

COMPARE_FORMAT = 1
EXTRA_KPIS = ("pnl", "pnl_per_hour", "max_drawdown")  # beside the monitored ones, when recorded
SIM_DRIVER = "sim/"


class RunSide(BaseModel):
    run_id: str
    path: str
    status: str
    verdict: str
    exit_code: int
    facts: dict[str, Any]  # driver, seed, scenario, window_s, profile, gate, auto_tune, as recorded
    iterations: int


class KpiSides(BaseModel):
    kpi: str
    better: Better
    a: Stats
    b: Stats
    a_recent: Stats
    b_recent: Stats
    difference: float | None  # mean of B - mean of A


class ParamDifference(BaseModel):
    param: str
    a_first: Any
    b_first: Any
    a_last: Any
    b_last: Any


class IterationDifference(BaseModel):
    iteration: int
    a: float
    b: float
    difference: float  # b - a


class PairedKpi(BaseModel):
    kpi: str
    better: Better
    interval: MeanInterval | None  # of the differences; None when no iteration has both values
    differences: list[IterationDifference]


class Pairing(BaseModel):
    paired: bool
    reason: str
    iterations: list[int]  # the iterations both runs have


class Comparison(BaseModel):
    format: int = COMPARE_FORMAT
    a: RunSide
    b: RunSide
    window: int
    kpis: list[KpiSides]
    params: list[ParamDifference]
    pairing: Pairing
    paired: list[PairedKpi]

    def json_text(self) -> str:
        return json.dumps(self.model_dump(mode="json"), allow_nan=False, sort_keys=True, indent=2) + "\n"


def compare_command(
    run_a: Path, run_b: Path, md_path: Path | None, json_path: Path | None, out: TextIO | None = None
) -> int:
    """Markdown to `out` (stdout) unless a path is given; ReportError for a run it cannot read."""
    out = out or sys.stdout
    comparison = compare_runs(*load_run(run_a), *load_run(run_b))
    if md_path is None and json_path is None:
        out.write(comparison_markdown(comparison))
    else:
        write_report_files(out, (md_path, comparison_markdown(comparison)), (json_path, comparison.json_text()))
    return 0


def compare_runs(a: RunSnapshot, report_a: RunReport, b: RunSnapshot, report_b: RunReport) -> Comparison:
    """The comparison of two runs as read, with their reports (core/reporting/command.load_run)."""
    window = report_a.recent_window
    names = [
        *MONITORED,
        *(k for k in EXTRA_KPIS if k in KPIS and (recorded(a.iterations, k) or recorded(b.iterations, k))),
    ]
    pairing = pairing_of(a, b)
    return Comparison(
        a=_side(a, report_a),
        b=_side(b, report_b),
        window=window,
        kpis=[_kpi_sides(name, a.iterations, b.iterations, window) for name in names],
        params=param_differences(a.iterations, b.iterations),
        pairing=pairing,
        paired=[_paired(name, a.iterations, b.iterations) for name in names] if pairing.paired else [],
    )


def _side(snapshot: RunSnapshot, report: RunReport) -> RunSide:
    manifest = snapshot.info.manifest or {}
    config = manifest.get("config")
    auto_tune = config.get("auto_tune") if isinstance(config, dict) else None
    facts = {key: manifest.get(key) for key in ("driver", "seed", "scenario", "window_s", "profile", "gate")}
    return RunSide(
        run_id=snapshot.info.run_id,
        path=str(snapshot.info.path),
        status=report.status,
        verdict=report.verdict.verdict,
        exit_code=snapshot.info.exit_code(),
        facts={**facts, "auto_tune": auto_tune.get("value") if isinstance(auto_tune, dict) else None},
        iterations=len(snapshot.iterations),
    )


def _kpi_sides(name: str, a: Sequence[IterationView], b: Sequence[IterationView], window: int) -> KpiSides:
    points_a, points_b = kpi_points(a, name), kpi_points(b, name)
    all_a, all_b = stats(points_a), stats(points_b)
    difference = all_b.mean - all_a.mean if all_a.mean is not None and all_b.mean is not None else None
    return KpiSides(
        kpi=name,
        better=KPIS[name].better,
        a=all_a,
        b=all_b,
        a_recent=stats(points_a[-window:]),
        b_recent=stats(points_b[-window:]),
        difference=difference,
    )


def param_differences(a: Sequence[IterationView], b: Sequence[IterationView]) -> list[ParamDifference]:
    """Parameters whose first or last recorded value differs between the runs."""
    first_a, last_a = (a[0].params, a[-1].params) if a else ({}, {})
    first_b, last_b = (b[0].params, b[-1].params) if b else ({}, {})
    names = dict.fromkeys([*first_a, *last_a, *first_b, *last_b])
    return [
        ParamDifference(
            param=name,
            a_first=first_a.get(name),
            b_first=first_b.get(name),
            a_last=last_a.get(name),
            b_last=last_b.get(name),
        )
        for name in names
        if first_a.get(name) != first_b.get(name) or last_a.get(name) != last_b.get(name)
    ]


def pairing_of(a: RunSnapshot, b: RunSnapshot) -> Pairing:
    common = sorted({v.iteration for v in a.iterations} & {v.iteration for v in b.iterations})
    ma, mb = a.info.manifest, b.info.manifest
    if ma is None or mb is None:
        return Pairing(
            paired=False, reason="not paired: a run without RUN.json does not say its market", iterations=common
        )
    for key in ("driver", "seed", "scenario", "window_s"):
        if ma.get(key) != mb.get(key):
            return Pairing(
                paired=False,
                reason=f"not paired: {key} differs ({ma.get(key)!r} vs {mb.get(key)!r})",
                iterations=common,
            )
    if not str(ma.get("driver")).startswith(SIM_DRIVER):
        return Pairing(
            paired=False, reason="not paired: only the simulator's market paths are known", iterations=common
        )
    reason = (
        f"paired: the simulator on seed {ma.get('seed')}, scenario {ma.get('scenario')}, window "
        f"{ma.get('window_s')} s: the same market path in each iteration"
    )
    return Pairing(
        paired=bool(common), reason=reason if common else "not paired: no iteration in common", iterations=common
    )


def _paired(name: str, a: Sequence[IterationView], b: Sequence[IterationView]) -> PairedKpi:
    by_iteration = {view.iteration: kpi_value(view, name) for view in a}
    differences = []
    for view in b:
        value_a, value_b = by_iteration.get(view.iteration), kpi_value(view, name)
        if value_a is not None and value_b is not None:
            differences.append(
                IterationDifference(iteration=view.iteration, a=value_a, b=value_b, difference=value_b - value_a)
            )
    interval = mean_interval([d.difference for d in differences])
    return PairedKpi(kpi=name, better=KPIS[name].better, interval=interval, differences=differences)


# --------------------------------------------------------------------------------------------
# Markdown


def comparison_markdown(c: Comparison) -> str:
    parts = [
        f"# Compare {md(c.a.run_id)} (A) and {md(c.b.run_id)} (B)",
        _runs(c),
        f"### KPIs\n\nMean over all iterations, over the last {c.window}, and the trend per iteration.\n\n" + _kpis(c),
        _params(c),
        _pairs(c),
    ]
    return "\n\n".join(parts) + "\n"


def _runs(c: Comparison) -> str:
    rows = [
        ["path", md(c.a.path), md(c.b.path)],
        ["status", md(c.a.status), md(c.b.status)],
        ["verdict", f"**{c.a.verdict}**", f"**{c.b.verdict}**"],
        ["exit code", str(c.a.exit_code), str(c.b.exit_code)],
        ["iterations", str(c.a.iterations), str(c.b.iterations)],
        *([key, value(c.a.facts.get(key)), value(c.b.facts.get(key))] for key in c.a.facts),
    ]
    return table(["", "A", "B"], rows)


def _kpis(c: Comparison) -> str:
    rows = [
        [
            k.kpi,
            f"{k.better}",
            num(k.a.mean),
            num(k.b.mean),
            num(k.difference, signed=True),
            num(k.a_recent.mean),
            num(k.b_recent.mean),
            num(k.a.trend_per_iteration, signed=True),
            num(k.b.trend_per_iteration, signed=True),
        ]
        for k in c.kpis
    ]
    columns = [
        "KPI",
        "better",
        "A mean",
        "B mean",
        "B − A",
        f"A last {c.window}",
        f"B last {c.window}",
        "A trend",
        "B trend",
    ]
    return table(columns, rows)


def _params(c: Comparison) -> str:
    if not c.params:
        return "### Parameters\n\nThe same first and last values in both runs."
    rows = [[md(p.param), value(p.a_first), value(p.b_first), value(p.a_last), value(p.b_last)] for p in c.params]
    return "### Parameters that differ\n\n" + table(["parameter", "A first", "B first", "A last", "B last"], rows)


def _pairs(c: Comparison) -> str:
    head = "### Paired per-iteration differences (B − A)"
    if not c.pairing.paired:
        return f"{head}\n\n{md(c.pairing.reason)}."
    rows = [[p.kpi, p.better, *_interval_cells(p.interval), _favours(p)] for p in c.paired]
    note = (
        f"{md(c.pairing.reason)}; {len(c.pairing.iterations)} iteration(s) in common. The interval is "
        f"the {LEVEL:.0%} interval of the mean difference (Student's t over the paired iterations)."
    )
    return f"{head}\n\n{note}\n\n" + table(
        ["KPI", "better", "n", "mean B − A", f"{LEVEL:.0%} interval", "favours"], rows
    )


def _interval_cells(interval: MeanInterval | None) -> list[str]:
    if interval is None:
        return ["0", MISSING, MISSING]
    span = MISSING if interval.low is None or interval.high is None else f"{num(interval.low)} … {num(interval.high)}"
    return [str(interval.n), num(interval.mean, signed=True), span]


def _favours(p: PairedKpi) -> str:
    """B or A when the whole interval is on one side of zero, else neither."""
    i = p.interval
    if i is None or i.low is None or i.high is None or i.low <= 0 <= i.high:
        return "neither"
    b_higher = i.low > 0
    return "B" if b_higher == (p.better is Better.HIGHER) else "A"
