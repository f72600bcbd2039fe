"""The closing table of a sweep: per cell its status, verdict, exit code, PnL/h, uplift and the
gate KPIs, in the terminal, as Markdown and as JSON.

Every figure is the mean over the run's judged window (its last RUN_WINDOW iterations, as the
run verdict and `soak report`'s "recent" statistics), computed from the run directory by the
report's own readers, so it equals what `soak report` says of that run. A KPI a run did not
record (PnL/h and uplift before the simulator and the control arm write them) is a dash.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from core.errors import ReportError
from core.gates import RUN_WINDOW, load_gate
from core.kpi import KPIS
from core.records import INCOMPLETE, RunStatus
from core.reporting.command import load_run
from core.reporting.markdown import MISSING, md, num, table
from core.reporting.series import window_stats
from core.runs.sweep_file import COULD_NOT_RUN, counts
from core.sweep.spec import Cell
from core.sweep.task import SoakOutcome

PNL_PER_HOUR, UPLIFT = "pnl_per_hour", "uplift.pnl"
FIXED = ("cell", "seed", "scenario", "profile", "gate", "status", "verdict", "exit", "tries", "PnL/h", "uplift")


class CellRow(BaseModel):
    cell: int
    seed: int
    scenario: str
    profile: str
    gate: str
    status: str
    verdict: str | None
    exit_code: int
    attempts: int
    run_id: str | None
    run_dir: str | None
    iterations: int
    error: str | None
    pnl_per_hour: float | None
    uplift_pnl: float | None
    kpis: dict[str, float | None]  # the gate KPIs of the sweep

    @property
    def shown_verdict(self) -> str:
        return self.verdict if self.status == RunStatus.COMPLETED and self.verdict else INCOMPLETE


class SweepTable(BaseModel):
    sweep_id: str
    exit_code: int
    window: int
    counts: dict[str, int]
    gate_kpis: list[str]
    rows: list[CellRow]

    def json_text(self) -> str:
        return json.dumps(self.model_dump(mode="json"), allow_nan=False, sort_keys=True, indent=2) + "\n"


def build_table(sweep_id: str, exit_code: int, cells: Sequence[Cell], outcomes: dict[int, SoakOutcome]) -> SweepTable:
    gates = dict.fromkeys(cell.gate for cell in cells)
    gate_kpis = list(dict.fromkeys(rule.kpi for gate in gates for rule in load_gate(gate).rules))
    rows = [_row(cell, outcomes[cell.index], gate_kpis) for cell in cells]
    entries = [{"status": row.status, "verdict": row.verdict} for row in rows]
    return SweepTable(
        sweep_id=sweep_id,
        exit_code=exit_code,
        window=RUN_WINDOW,
        counts=counts(entries),
        gate_kpis=gate_kpis,
        rows=rows,
    )


def _row(cell: Cell, outcome: SoakOutcome, gate_kpis: list[str]) -> CellRow:
    figures: dict[str, float | None] = dict.fromkeys([PNL_PER_HOUR, UPLIFT, *gate_kpis])
    if outcome.run_dir is not None:
        try:
            snapshot, _ = load_run(Path(outcome.run_dir), window=RUN_WINDOW)
        except ReportError:  # no iteration finished: nothing to show
            pass
        else:
            figures = {name: window_stats(snapshot.iterations, name, RUN_WINDOW).mean for name in figures}
    return CellRow(
        **cell.fields(),
        **outcome.fields(),
        pnl_per_hour=figures[PNL_PER_HOUR],
        uplift_pnl=figures[UPLIFT],
        kpis={name: figures[name] for name in gate_kpis},
    )


def _cells(row: CellRow, gate_kpis: list[str]) -> list[str]:
    return [
        str(row.cell),
        str(row.seed),
        row.scenario,
        row.profile,
        row.gate,
        row.status,
        row.shown_verdict,
        str(row.exit_code),
        str(row.attempts),
        _value(PNL_PER_HOUR, row.pnl_per_hour),
        _value(UPLIFT, row.uplift_pnl),
        *(_value(name, row.kpis.get(name)) for name in gate_kpis),
    ]


def _value(name: str, value: float | None) -> str:
    if value is None:
        return MISSING
    kpi = KPIS.get(name)
    return kpi.show(value) if kpi is not None else num(value)


def _headings(gate_kpis: list[str]) -> list[str]:
    return [*FIXED, *(KPIS[name].label if name in KPIS else name for name in gate_kpis)]


def terminal_lines(sweep: SweepTable) -> list[str]:
    rows = [_headings(sweep.gate_kpis), *(_cells(row, sweep.gate_kpis) for row in sweep.rows)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    return [*lines, "", summary_line(sweep)]


def summary_line(sweep: SweepTable) -> str:
    c = sweep.counts
    return (
        f"sweep {sweep.sweep_id}: {c['done']}/{len(sweep.rows)} done  PASS {c['PASS']}  WARN {c['WARN']}  "
        f"FAIL {c['FAIL']}  could not run {c[COULD_NOT_RUN]}  exit {sweep.exit_code}"
    )


def markdown(sweep: SweepTable) -> str:
    rows = [[md(cell) for cell in _cells(row, sweep.gate_kpis)] for row in sweep.rows]
    errors = [f"- cell {row.cell}: {md(row.error)}" for row in sweep.rows if row.error]
    parts = [
        f"# Sweep {md(sweep.sweep_id)} — exit {sweep.exit_code}",
        md(summary_line(sweep)),
        table([md(h) for h in _headings(sweep.gate_kpis)], rows),
        "\n".join(errors),
        f"PnL/h (`{PNL_PER_HOUR}`), uplift (`{UPLIFT}`) and the gate KPIs are means over each run's last "
        f"{sweep.window} iterations, the window its verdict judges; {MISSING} where the run recorded none. "
        f"A run that did not complete has no verdict ({INCOMPLETE}).",
    ]
    return "\n\n".join(part for part in parts if part) + "\n"
