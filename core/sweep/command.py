"""`soak sweep`: every cell of the spec as a soak on Dask, SWEEP.json kept as they finish, a line
per finished soak, and the closing table (terminal, and Markdown/JSON files when asked).

Everything that can be wrong with the input (the spec, a cell's scenario, profile or gate, an
output path, the scheduler) is one line and exit code 2 before any soak starts. The exit code
then: 0 when every soak passed or warned, 1 when any failed its gate, 2 when any could not run
(it failed, or its worker died in both attempts), 130 when the sweep was interrupted.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from core.records import ExitCode, RunStatus, Verdict
from core.reporting.files import check_output_path, write_report_files
from core.runs.sweep_file import SweepDirectory
from core.sweep import attempts
from core.sweep.spec import Cell, SweepSpec, check_cells, load_spec
from core.sweep.table import SweepTable, build_table, markdown, terminal_lines
from core.sweep.task import SoakOutcome, SoakTask
from core.text import escape_controls

if TYPE_CHECKING:
    from core.sweep.engine import DaskEngine


@dataclass(frozen=True)
class SweepOptions:
    spec_file: Path | None
    flags: Mapping[str, Any]  # spec keys given as flags (None: not given)
    workers: int | None
    scheduler: str | None
    out: Path
    md: Path | None = None
    json: Path | None = None


def sweep_command(options: SweepOptions, out: TextIO = sys.stdout) -> int:
    spec = load_spec(options.spec_file, options.flags)
    root = options.out.resolve()  # the workers may run elsewhere: they get absolute paths
    cells = check_cells(spec, root)
    for path in (options.md, options.json):
        if path is not None:
            check_output_path(path)
    from core.sweep.engine import DaskEngine  # Dask's import takes a second: only for good input

    with _interruptible(), DaskEngine(options.workers, options.scheduler) as engine:
        sweep = SweepDirectory.create(root)
        sweep.start(spec.model_dump(mode="json"), [cell.fields() for cell in cells], engine.describe(), _now())
        _print(out, _first_line(sweep, spec, engine.describe()))
        outcomes = _run(engine, sweep, spec, cells, out)
    if len(outcomes) < len(cells):
        return _abandon(sweep, cells, outcomes, engine, out)
    code = sweep_exit_code(outcomes.values())
    sweep.finish(RunStatus.COMPLETED, code, _now())
    result = build_table(sweep.sweep_id, code, cells, outcomes)
    _report(result, options, out)
    return code


def sweep_exit_code(outcomes: Any) -> int:
    outcomes = list(outcomes)
    if any(outcome.could_not_run for outcome in outcomes):
        return ExitCode.ERROR
    if any(outcome.verdict == Verdict.FAIL for outcome in outcomes):
        return ExitCode.GATE_FAILED
    return ExitCode.OK


def _run(
    engine: DaskEngine, sweep: SweepDirectory, spec: SweepSpec, cells: list[Cell], out: TextIO
) -> dict[int, SoakOutcome]:
    """The outcomes as they come; on an interrupt, those that came before it."""
    tasks = [
        SoakTask(sweep.sweep_id, str(sweep.root), spec.model_dump(mode="json"), cell, len(cells)) for cell in cells
    ]
    outcomes: dict[int, SoakOutcome] = {}
    try:
        for outcome in engine.run(tasks):
            outcomes[outcome.cell] = outcome
            sweep.record(outcome.cell, **_entry(outcome, sweep.root))
            _print(out, progress_line(len(outcomes), cells[outcome.cell - 1], outcome, len(cells)))
    except KeyboardInterrupt:
        engine.cancel()
    return outcomes


def _abandon(
    sweep: SweepDirectory, cells: list[Cell], outcomes: dict[int, SoakOutcome], engine: DaskEngine, out: TextIO
) -> int:
    """After an interrupt: the soaks the embedded cluster was running were stopped with it."""
    if engine.owns_workers:
        for cell in cells:
            if cell.index not in outcomes:
                attempts.close_attempts(sweep.attempts, cell.index, RunStatus.ABORTED, "the sweep was interrupted")
    sweep.finish(RunStatus.ABORTED, ExitCode.INTERRUPTED, _now())
    _print(out, f"sweep {sweep.sweep_id} interrupted: {len(outcomes)}/{len(cells)} done  exit {ExitCode.INTERRUPTED}")
    return ExitCode.INTERRUPTED


def _report(result: SweepTable, options: SweepOptions, out: TextIO) -> None:
    _print(out, "")
    for line in terminal_lines(result):
        _print(out, line)
    write_report_files(out, (options.md, markdown(result)), (options.json, result.json_text()))


def progress_line(done: int, cell: Cell, outcome: SoakOutcome, total: int) -> str:
    verdict = f" {outcome.verdict}" if outcome.verdict else ""
    line = f"[{done}/{total}] cell {cell.index} {cell.label}: {outcome.status}{verdict} exit {outcome.exit_code}"
    if outcome.run_id:
        line += f"  run {outcome.run_id}"
    if outcome.attempts > 1:
        line += f"  (attempt {outcome.attempts})"
    if outcome.error:
        line += f"  error: {outcome.error}"
    return line


def _first_line(sweep: SweepDirectory, spec: SweepSpec, engine: Mapping[str, Any]) -> str:
    where = (
        f"a local cluster of {engine['workers']} worker(s)"
        if engine["kind"] == "local"
        else f"the cluster at {engine['scheduler']} ({engine['workers']} worker(s))"
    )
    return f"soak sweep {sweep.sweep_id}: {spec.size} soak(s) on {where}  -> {sweep.path}"


def _entry(outcome: SoakOutcome, root: Path) -> dict[str, Any]:
    """SWEEP.json's entry for a finished cell (its run directory relative to the root)."""
    run_dir = Path(outcome.run_dir) if outcome.run_dir else None
    relative = str(run_dir.relative_to(root)) if run_dir and run_dir.is_relative_to(root) else outcome.run_dir
    fields = outcome.fields()
    del fields["iterations"]
    return {**fields, "run_dir": relative}


class _interruptible:
    """SIGTERM as SIGINT while the sweep runs: both stop it the same way (exit code 130)."""

    def __enter__(self) -> None:
        self._before = signal.signal(signal.SIGTERM, _raise_interrupt)

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGTERM, self._before)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _now() -> datetime:
    return datetime.now(UTC)


def _print(out: TextIO, line: str) -> None:
    print(escape_controls(line), file=out, flush=True)
