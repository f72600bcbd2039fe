"""`soak watch --no-ui` of a sweep: every soak of it followed together (core/runs/follow.py says
when). A line when a soak starts, each iteration as it lands prefixed by its run id, a line when
a soak ends; the watch ends once SWEEP.json says the sweep is over and every soak it knows of
has ended (the watcher has reported all its iterations), with the sweep's exit code, after a
line of its counts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.console.lines import iteration_line
from core.errors import ReadError
from core.records import FINAL_STATUSES, ExitCode, Verdict
from core.runs.discovery import RunInfo
from core.runs.sweep_file import COULD_NOT_RUN, read_sweep
from core.runs.sweeps import SweepTag
from core.runs.views import IterationView


class SweepFollower:
    def __init__(self, directory: Path, say: Callable[[str], None], complain: Callable[[str], None]) -> None:
        self.directory = directory
        self.sweep_id = directory.name
        self.say, self.complain = say, complain
        self.runs: dict[Path, RunInfo] = {}
        self.ended_runs: set[Path] = set()  # closed (their iterations all reported) or stale
        self.iterations = 0
        self.ended: dict[str, Any] | None = None  # SWEEP.json once it says the sweep is over

    def start(self, found: list[RunInfo]) -> int | None:
        self.say(f"soak watch: following sweep {self.sweep_id}  {self.directory}")
        for info in found:
            if self.owns(info):
                self.join(info)
        return self.sweep_changed()

    def owns(self, info: RunInfo) -> bool:
        tag = SweepTag.of(info)
        return tag is not None and tag.sweep_id == self.sweep_id

    def follows(self, run: Path) -> bool:
        return run in self.runs

    def join(self, info: RunInfo) -> None:
        self.runs[info.path] = info
        tag = SweepTag.of(info)
        cell = f"cell {tag.cell}, attempt {tag.attempt}" if tag and tag.cell else "no cell"
        self.say(f"run {info.run_id} ({cell}): {info.status}")

    def iteration(self, run: Path, view: IterationView) -> None:
        self.iterations += 1
        info = self.runs[run]
        self.say(f"{info.run_id}  {iteration_line(view, info.total_iterations())}")

    def run_ended(self, info: RunInfo) -> int | None:
        self.runs[info.path] = info
        self.ended_runs.add(info.path)
        verdict = (info.recorded_verdict() or {}).get("verdict")
        error = (info.manifest or {}).get("error")
        line = f"run {info.run_id} {info.status}" + (f"  verdict {verdict}" if verdict else "")
        self.say(line + f"  exit {int(info.exit_code())}" + (f"  {error}" if isinstance(error, str) else ""))
        return self._end()

    def run_went_stale(self, info: RunInfo) -> int | None:
        self.ended_runs.add(info.path)
        self.complain(f"run {info.run_id} went stale: its worker is presumed dead")
        return self._end()

    def sweep_changed(self) -> int | None:
        try:
            manifest = read_sweep(self.directory)
        except ReadError as err:
            if err.kind != "missing":
                self.complain(str(err))
            return None
        if manifest.get("status") in FINAL_STATUSES:
            self.ended = manifest
        return self._end()

    def _end(self) -> int | None:
        ended = self.ended
        if ended is None or set(self.runs) - self.ended_runs:
            return None
        recorded = ended.get("counts")
        counts: dict[str, Any] = recorded if isinstance(recorded, dict) else {}
        code = ended.get("exit_code")
        code = code if isinstance(code, int) and not isinstance(code, bool) else ExitCode.ERROR
        shown = "  ".join(f"{name} {counts.get(name, '?')}" for name in Verdict)
        shown += f"  could not run {counts.get(COULD_NOT_RUN, '?')}"
        done = f"{counts.get('done', '?')}/{ended.get('total', '?')}"
        self.say(
            f"sweep {self.sweep_id} {ended.get('status')}: {done} done  {shown}  "
            f"{self.iterations} iteration(s) seen  exit {code}"
        )
        return int(code)
