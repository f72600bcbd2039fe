"""Markdown from a RunReport: the full post-soak report and the short CI summary.

Text that came from a run's files (ids, reasons, notes) is escaped, so it shows as written and
cannot turn into links, HTML or table columns in GitHub's renderer.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence

from core.gates import PASS_SHARE
from core.kpi import KPIS, MONITORED, Better
from core.records import INCOMPLETE
from core.reporting.model import KpiReport, RunReport
from core.reporting.stats import JUMP_FACTOR, WORST_COUNT, Stats, mean
from core.runs.jsonio import finite_number, show_json
from core.uplift import describe

SPARK_BARS = "▁▂▃▄▅▆▇█"
SPARK_MISSING = "·"
SPARK_WIDTH = 60  # longer runs are bucketed: each bar is the mean of a bucket of iterations
MISSING = "—"
# What changes rendering in the middle of a line (artifact text never starts a line here): code,
# emphasis, links, table cells, strikethrough, HTML tags and entities. GitHub ignores `_` inside
# a word, so snake_case names stay unescaped.
_MD_SPECIAL = re.compile(r"[\\`*\[\]|~]|(?<!\w)_|_(?!\w)|<(?=[A-Za-z/!?])|&(?=[#A-Za-z])")


def report_markdown(report: RunReport) -> str:
    sections = [
        _header(report, level=1),
        _verdict(report),
        _baseline(report),
        _kpi_table(report, recent=False),
        _kpi_table(report, recent=True),
        _tuning(report),
        _worst(report),
        _anomalies(report),
        _problems(report),
        _definitions(report),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def summary_markdown(report: RunReport) -> str:
    """The short form for a CI job's summary page: verdict, KPIs with sparklines, tuning."""
    sections = [_header(report, level=2), _verdict(report), _kpi_table(report, recent=False), _tuning_line(report)]
    return "\n\n".join(s for s in sections if s) + "\n"


# --------------------------------------------------------------------------------------------
# Sections


def _header(report: RunReport, level: int) -> str:
    verdict = report.verdict.verdict if report.complete else INCOMPLETE
    title = f"{'#' * level} Soak report: {md(report.run_id)} — **{verdict}**"
    facts = [f"{report.kind} run", f"gate {md(report.verdict.gate)}"]
    if report.kind != "legacy":
        facts.insert(0, f"status {md(report.status)}")
    facts += [f"{key} {md(report.run[key])}" for key in ("driver", "seed", "profile", "scenario") if key in report.run]
    facts.append(_iteration_span(report.iterations))
    return f"{title}\n\n{' · '.join(facts)}  \n{md(report.path)}"


def _iteration_span(iterations: Sequence[int]) -> str:
    if not iterations:
        return "no iterations"
    return f"{len(iterations)} iteration(s), {iterations[0]}–{iterations[-1]}"


def _verdict(report: RunReport) -> str:
    v = report.verdict
    paragraphs = [
        f"**Verdict: {v.verdict}** — " + md("; ".join(v.reasons))
        if report.complete
        else f"**Verdict: {INCOMPLETE}** — status {md(report.status)}; so far: " + md("; ".join(v.reasons)),
        f"The verdict judges the last {v.window} iteration(s): PASS when at least {PASS_SHARE:.0%} of them "
        f"pass, WARN when none fails, FAIL otherwise ({v.passed} PASS, {v.warned} WARN, {v.failed} FAIL).",
    ]
    if v.evaluated:
        paragraphs.append(
            f"Iterations with no recorded gate verdict were judged here against gate "
            f"{md(v.gate)}: {_ranges(v.evaluated)}."
        )
    if v.rejudged:
        paragraphs.append(
            f"The older tool recorded the iterations' verdicts (summary.kpi_verdict); they stand as recorded. "
            f"Gate {md(v.gate)} says of the same KPIs: "
            + ", ".join(f"{item.iteration} {item.verdict} (gate: {item.ours})" for item in v.rejudged)
            + "."
        )
    if v.not_passing:
        paragraphs.append(
            "\n".join(
                f"- iteration {item.iteration} **{item.verdict}**: "
                + (md("; ".join(item.reasons)) or "no reason recorded")
                for item in v.not_passing
            )
        )
    return "\n\n".join(paragraphs)


def _baseline(report: RunReport) -> str:
    b = report.baseline
    if b is None:
        return ""
    worse = b.regressed
    head = f"### Against the baseline {md(b.run_id)} — **{'worse' if worse else 'not worse'}**"
    rows = [
        [c.kpi, md(c.rule), num(c.run), num(c.baseline), num(c.worse_by, signed=True), num(c.allowed), c.status]
        for c in b.checks
    ]
    rule = (
        f"Each gate KPI's mean over the last {b.window} iteration(s) of each run; the run may be worse than "
        "the baseline by at most the width of the gate's WARN band (|warn − fail|). A rule with no WARN band "
        "is not checked."
    )
    columns = ["KPI", "gate", "this run", "baseline", "worse by", "allowed", "status"]
    return f"{head}\n\n{md(b.path)}\n\n{table(columns, rows)}\n\n{rule}"


def _kpi_table(report: RunReport, recent: bool) -> str:
    if recent:
        if report.recent_window >= len(report.iterations):
            return ""  # the same iterations as the table over all of them
        head = f"### KPIs over the last {report.recent_window} iterations"
        columns = ["KPI", "mean", "median", "min", "max", "trend/iter", "values"]
    else:
        head = f"### KPIs over all {len(report.iterations)} iteration(s)"
        columns = ["KPI", "gate", "last", "mean", "median", "min", "max", "trend/iter", "values", "sparkline"]
    rows = [_kpi_row(kpi, recent) for kpi in report.kpis]
    return f"{head}\n\n{table(columns, rows)}"


def _kpi_row(kpi: KpiReport, recent: bool) -> list[str]:
    s: Stats = kpi.recent if recent else kpi.all
    cells = [num(s.mean), num(s.median), num(s.min), num(s.max), _trend(s.trend_per_iteration, kpi.better), _count(s)]
    if recent:
        return [kpi.kpi, *cells]
    return [kpi.kpi, md(kpi.gate) if kpi.gate else MISSING, num(kpi.last), *cells, sparkline(kpi.series)]


def _trend(slope: float | None, better: Better) -> str:
    if slope is None:
        return MISSING
    if slope == 0:
        return "0 (flat)"
    improving = (slope > 0) == (better is Better.HIGHER)
    return f"{slope:+.3g} ({'better' if improving else 'worse'})"


def _count(s: Stats) -> str:
    return f"{s.count}" + (f" ({s.missing} missing)" if s.missing else "")


def _tuning(report: RunReport) -> str:
    t = report.tuning
    lines = ["### Tuning", "", _tuning_line(report), ""]
    if report.uplift is not None:
        lines += [f"Tuning's {md(describe(report.uplift))} over the control arm (same market paths).", ""]
    guard_rows = [[name, str(n)] for name, n in t.guards.items()]
    guard_rows += [[f"{md(name)} (not a guard)", str(n)] for name, n in t.other_reasons.items()]
    lines.append(table(["held by", "iterations"], guard_rows))
    if t.params:
        rows = [
            [md(p.param), value(p.start), value(p.end), num(p.change, signed=True), str(p.times_changed)]
            for p in t.params
        ]
        lines += ["", table(["parameter", "first value", "last value", "net change", "times changed"], rows)]
    else:
        lines += ["", "No parameter values were recorded."]
    return "\n".join(lines)


def _tuning_line(report: RunReport) -> str:
    t = report.tuning
    line = f"Tuning applied changes in {t.applied} of {t.decisions} iteration(s), skipped {t.skipped}"
    if t.unknown:
        line += f", unknown in {t.unknown}"
    held = {**{g: n for g, n in t.guards.items() if n}, **t.other_reasons}
    if held:
        line += "; held by " + ", ".join(f"{md(name)} {n}" for name, n in held.items())
    return line + "."


def _worst(report: RunReport) -> str:
    rows = [
        [
            kpi.kpi,
            f"{kpi.better} is better",
            ", ".join(f"{num(w.value)} (iteration {w.iteration})" for w in kpi.worst) or MISSING,
        ]
        for kpi in report.kpis
    ]
    return f"### Worst iterations (up to {WORST_COUNT} per KPI)\n\n" + table(["KPI", "direction", "worst"], rows)


def _anomalies(report: RunReport) -> str:
    rows = [
        [
            kpi.kpi,
            f"{j.from_iteration} → {j.to_iteration}",
            num(j.before),
            num(j.after),
            num(j.change, signed=True),
            num(kpi.jump_threshold),
        ]
        for kpi in report.kpis
        for j in kpi.anomalies
    ]
    head = "### Anomalies"
    if not rows:
        return f"{head}\n\nNo jumps between consecutive iterations beyond the thresholds."
    return f"{head}\n\n" + table(["KPI", "iterations", "before", "after", "change", "threshold"], rows)


def _problems(report: RunReport) -> str:
    if not report.problems:
        return ""
    lines = [
        f"### Data problems ({len(report.problems)})",
        "",
        "Fields that could not be used; the report treats them as missing.",
        "",
    ]
    return "\n".join(lines + [f"- {md(p)}" for p in report.problems])


def _definitions(report: RunReport) -> str:
    return "\n".join(
        [
            "### How to read this report",
            "",
            "- Statistics use the iterations where the KPI has a value; missing values are counted, not guessed.",
            "- trend/iter is the least-squares slope of the KPI against the iteration number.",
            f"- A jump is a change between consecutive iterations larger than {JUMP_FACTOR:g} × the KPI's "
            "median absolute change over the run, and at least " + _min_jumps() + ".",
            "- A guard held an iteration when it skipped the whole tuning proposal or held one parameter's change.",
            "- A parameter's net change runs from the first to the last value the iterations ran with.",
            f"- The sparkline is scaled between the KPI's min and max; {SPARK_MISSING} marks a missing value.",
        ]
    )


def _min_jumps() -> str:
    return ", ".join(f"{num(KPIS[kpi].min_jump)} for {kpi}" for kpi in MONITORED)


# --------------------------------------------------------------------------------------------
# Pieces


def sparkline(series: Sequence[float | None], width: int = SPARK_WIDTH) -> str:
    """One bar per iteration (per bucket of iterations past `width`), scaled between min and max."""
    points = _buckets(series, width)
    present = [p for p in points if p is not None]
    if not present:
        return SPARK_MISSING * len(points)
    low, high = min(present), max(present)
    top = len(SPARK_BARS) - 1
    return "".join(
        SPARK_MISSING
        if p is None
        else SPARK_BARS[top // 2]
        if high == low
        else SPARK_BARS[round((p / 2 - low / 2) / (high / 2 - low / 2) * top)]  # halves: no overflow
        for p in points
    )


def _buckets(series: Sequence[float | None], width: int) -> list[float | None]:
    if len(series) <= width:
        return list(series)
    bounds = [round(k * len(series) / width) for k in range(width + 1)]
    buckets = [[v for v in series[a:b] if v is not None] for a, b in itertools.pairwise(bounds)]
    return [mean(b) for b in buckets]


def num(value: float | None, signed: bool = False) -> str:
    if value is None:
        return MISSING
    text = f"{value:.0f}" if 1e5 <= abs(value) < 1e15 else f"{value:.4g}"
    return f"+{text}" if signed and value > 0 else text


def value(raw: object) -> str:
    if raw is None:
        return MISSING
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, int | float):
        number = finite_number(raw)  # an integer may be too large for a float
        return num(number) if number is not None else md(show_json(raw))
    return md(json.dumps(raw, ensure_ascii=False) if not isinstance(raw, str) else raw)


def md(text: object) -> str:
    """`text` shown literally in Markdown: specials escaped, line breaks and control characters shown."""
    plain = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in str(text))
    return _MD_SPECIAL.sub(lambda match: "\\" + match.group(0), plain)


def _ranges(numbers: Sequence[int]) -> str:
    """[1, 2, 3, 7] -> "1–3, 7"."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


def table(columns: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
