"""The soak's words and the records it writes (DESIGN.md sections 5-7).

Verdicts, run statuses, guards and exit codes are defined here and nowhere else; the records are
the write-side shape of one iteration (`IterationRecord`, ITER_SUMMARY_<i>.json) and of a run's
verdict. The read side is `core.runs.views.IterationView`.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field


class _Words(StrEnum):
    @classmethod
    def parse(cls, text: object) -> Self | None:
        """The member `text` names, or None for anything else (a file may say anything)."""
        return cls._value2member_map_.get(text) if isinstance(text, str) else None  # type: ignore[return-value]


class Verdict(_Words):
    """A gate's answer for an iteration or a run, best first."""

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Verdict.PASS: 0, Verdict.WARN: 1, Verdict.FAIL: 2}


class RunStatus(_Words):
    """What RUN.json says of a run."""

    RUNNING = "running"
    COMPLETED = "completed"
    ABORTED = "aborted"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self is not RunStatus.RUNNING


FINAL_STATUSES: tuple[RunStatus, ...] = tuple(s for s in RunStatus if s.final)


class Guard(_Words):
    """What may hold a tuning change (DESIGN.md section 5; core/tuning/guards.py decides)."""

    NO_OP = "no_op"
    OSCILLATION = "oscillation"
    COOLDOWN = "cooldown"
    VELOCITY = "velocity"
    FREEZE = "freeze"


class ExitCode(IntEnum):
    """What `soak` exits with (DESIGN.md section 6)."""

    OK = 0  # the run's verdict is PASS or WARN; or a command that is not a soak succeeded
    GATE_FAILED = 1  # the run's verdict is FAIL
    ERROR = 2  # usage or input error; a run that failed
    INTERRUPTED = 130  # SIGINT/SIGTERM, or stopped from the monitor

    @classmethod
    def for_verdict(cls, verdict: str | RunVerdict) -> ExitCode:
        """0 for PASS or WARN, 1 for FAIL."""
        name = verdict.verdict if isinstance(verdict, RunVerdict) else verdict
        known = Verdict.parse(name)
        if known is None:
            raise ValueError(f"unknown verdict {name!r}; allowed: {', '.join(Verdict)}")
        return cls.GATE_FAILED if known is Verdict.FAIL else cls.OK


# A tuning decision that applied nothing says why in `skip_reason`: one reason, or several
# joined by SKIP_REASON_SEPARATOR (each a guard, or the other words below).
SKIP_REASON_SEPARATOR = ","
AUTO_TUNE_OFF = "auto_tune_off"
AT_BOUND = "at_bound"
APPLIED = "applied"  # a parameter's status when its change was applied


def join_skip_reasons(reasons: list[str]) -> str | None:
    return SKIP_REASON_SEPARATOR.join(reasons) or None


def split_skip_reasons(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(SKIP_REASON_SEPARATOR) if part.strip())


class GateCheck(BaseModel):
    """One KPI against one gate rule."""

    kpi: str
    op: Literal[">=", ">", "<=", "<", "present"]
    value: float | None
    fail: float | None  # the FAIL threshold (None for `present`)
    warn: float | None  # the WARN band edge, if the gate has one
    status: Verdict


class GateRecord(BaseModel):
    verdict: Verdict
    reasons: list[str]  # one human line per check that is not PASS
    checks: list[GateCheck] = Field(default_factory=list)


class TuningRecord(BaseModel):
    """What the tuner proposed for the next iteration, and what it applied."""

    proposed_deltas: dict[str, float]
    applied_deltas: dict[str, float]
    applied: bool
    skip_reason: str | None  # why nothing applied: see join_skip_reasons
    param_status: dict[str, str]  # per proposed parameter: APPLIED, AT_BOUND or the guard that held it
    guards_fired: list[Guard]
    changed_keys: list[str]
    state_hash: str
    rationale: list[str]

    @classmethod
    def untuned(cls) -> TuningRecord:
        """The record of an iteration run with auto-tune off."""
        return cls(
            proposed_deltas={},
            applied_deltas={},
            applied=False,
            skip_reason=AUTO_TUNE_OFF,
            param_status={},
            guards_fired=[],
            changed_keys=[],
            state_hash="",
            rationale=[],
        )


class IterationRecord(BaseModel):
    """ITER_SUMMARY_<i>.json. `params` are the values this iteration ran with."""

    model_config = ConfigDict(extra="allow")

    iteration: int = Field(ge=1)
    runtime: dict[str, Any]
    params: dict[str, Any]
    summary: dict[str, Any]
    tuning: TuningRecord
    gate: GateRecord


class RunVerdict(BaseModel):
    verdict: Verdict
    reasons: list[str]
    window: int  # how many of the last iterations were judged
    passed: int
    warned: int
    failed: int
