"""The soak's words and the records it writes (DESIGN.md sections 5-7).

Verdicts, run statuses, guards and exit codes are defined here and nowhere else; the records are
the write-side shape of one iteration (`IterationRecord`, ITER_SUMMARY_<i>.json) and of a run's
verdict. The read side is `core.runs.views.IterationView`.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum, StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer


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
INCOMPLETE = "incomplete"  # the verdict shown for a run stopped or failed: its figures are partial
UNFINISHED: tuple[RunStatus, ...] = (RunStatus.ABORTED, RunStatus.FAILED)


def shown_verdict(status: str, verdict: str | None) -> str | None:
    """A run's verdict as shown (DESIGN.md section 6): INCOMPLETE, never PASS, for a run that was
    stopped or failed."""
    return INCOMPLETE if verdict is not None and status in UNFINISHED else verdict


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


class Phase(_Words):
    """Where an iteration stands in the run's schedule (`--warmup N`, DESIGN.md section 11)."""

    WARMUP = "warmup"  # conservative parameters; the tuner is idle
    RAMP = "ramp"  # on the way from the conservative to the tuned parameters; the tuner is idle
    STEADY = "steady"  # the tuned parameters; the tuner decides


# A tuning decision that applied nothing says why in `skip_reasons`: each a guard, or one of the
# words below, or the Phase that kept the tuner idle.
AUTO_TUNE_OFF = "auto_tune_off"
AT_BOUND = "at_bound"
APPLIED = "applied"  # a parameter's status when its change was applied
NO_CHANGE_BEST = "no_change_best"  # the what-if found no candidate better than leaving things be
SKIP_REASON_SEPARATOR = ","  # how the reasons are joined into one line of text


def join_skip_reasons(reasons: Sequence[str]) -> str | None:
    return SKIP_REASON_SEPARATOR.join(reasons) or None


def split_skip_reasons(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(SKIP_REASON_SEPARATOR) if part.strip())


# --------------------------------------------------------------------------------------------
# The older soak tool's encoding (DESIGN.md section 11), which every record also carries so that
# its post-soak scripts read our runs. Its `skip_reason` is "" when the decision applied, else an
# object with one flag per guard and a `note`; four guards also have a flag of their own.

OLDER_GUARD_FLAGS: dict[Guard, str] = {
    Guard.OSCILLATION: "oscillation_detected",
    Guard.VELOCITY: "velocity_violation",
    Guard.COOLDOWN: "cooldown_active",
    Guard.FREEZE: "freeze_triggered",
}
OLDER_SUMMARY_COUNTS: dict[str, Guard] = {  # TUNING_REPORT's summary: iterations each guard fired in
    "blocked_oscillation": Guard.OSCILLATION,
    "blocked_velocity": Guard.VELOCITY,
    "cooldown_skips": Guard.COOLDOWN,
}
OLDER_PHASES: dict[Phase, str] = {Phase.WARMUP: "WARMUP", Phase.RAMP: "RAMPDOWN", Phase.STEADY: "STEADY"}
OLDER_RATIONALE_SEPARATOR = " | "  # its `rationale` is one line


def older_skip_reason(applied: bool, reasons: Sequence[str]) -> str | dict[str, Any]:
    if applied:
        return ""
    return {**{guard.value: guard in reasons for guard in Guard}, "note": join_skip_reasons(reasons) or ""}


def older_tuning_fields(tuning: TuningRecord) -> dict[str, Any]:
    """What the older tool's readers look for in ITER_SUMMARY's `tuning`, beside ours."""
    return {
        "deltas": tuning.proposed_deltas,
        "skip_reason": older_skip_reason(tuning.applied, tuning.skip_reasons),
        **{flag: guard in tuning.guards_fired for guard, flag in OLDER_GUARD_FLAGS.items()},
    }


def older_summary_fields(runtime_utc: str, verdict: Verdict, phase: Phase) -> dict[str, Any]:
    """What the older tool's readers look for in ITER_SUMMARY's `summary`, beside the KPIs."""
    return {
        "runtime_utc": runtime_utc,
        "kpi_verdict": verdict,
        "phase": OLDER_PHASES[phase],
        "warmup_active": int(phase is Phase.WARMUP),
        "rampdown_active": int(phase is Phase.RAMP),
    }


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


class Tuners(_Words):
    """`--tuner` (DESIGN.md section 5)."""

    RULES = "rules"  # the rules' proposal, as it is
    WHATIF = "whatif"  # the best of the proposal's neighbourhood, replayed on the last finished windows


class Engines(_Words):
    """`--engine` (DESIGN.md section 2, Engines): who runs the simulator's event loop."""

    AUTO = "auto"  # numba when installed and the run is long enough to pay for its start-up
    PYTHON = "python"  # the reference
    NUMBA = "numba"  # the compiled one (the extra `fast`)


class CandidateRecord(BaseModel):
    """One row of the what-if table: a candidate change, replayed on the last finished windows."""

    label: str  # what the candidate is: "proposal", "opposite base_spread_bps", "cautious", "no change", ...
    deltas: dict[str, float]  # clamped to bounds and max step
    kpis: dict[str, float | None]  # the objective's and the constraints' KPIs, averaged over the windows
    objective: float | None
    constraints_met: bool  # its chance of passing the next window reaches the objective's PASS_CHANCE
    failed: list[str]  # the constraints (KPI names) whose chance falls short of it
    pass_chance: float | None = None  # of the next window passing the gate, from the replays (older records: none)
    chosen: bool = False


class TuningRecord(BaseModel):
    """What the tuner proposed for the next iteration, and what it applied. As JSON (ITER_SUMMARY's
    `tuning`) it also carries the older tool's fields (older_tuning_fields)."""

    proposed_deltas: dict[str, float]
    applied_deltas: dict[str, float]
    applied: bool
    skip_reasons: list[str]  # why nothing applied (see AUTO_TUNE_OFF); empty when something did
    param_status: dict[str, str]  # per proposed parameter: APPLIED, AT_BOUND or the guard that held it
    guards_fired: list[Guard]
    changed_keys: list[str]
    guard_state_hash: str  # of the tuner's guard state after this decision
    rationale: list[str]
    signature: str = ""  # sha256 of runtime_overrides.json as this iteration ran with it
    state_hash: str = ""  # sha256 of runtime_overrides.json after this decision (the next one's)
    tuner: Tuners = Tuners.RULES
    objective: str | None = None  # the KPI the what-if maximised
    windows: list[int] = Field(default_factory=list)  # the finished iterations the candidates were replayed on
    candidates: list[CandidateRecord] = Field(default_factory=list)
    gave_up: float | None = None  # objective of the best candidate overall - the chosen one's (the gate's price)

    @model_serializer(mode="wrap")
    def _with_older_fields(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {**handler(self), **older_tuning_fields(self)}

    @classmethod
    def idle(cls, reason: str) -> TuningRecord:
        """The record of an iteration the tuner did not decide: auto-tune off, or a warm-up phase."""
        return cls(
            proposed_deltas={},
            applied_deltas={},
            applied=False,
            skip_reasons=[reason],
            param_status={},
            guards_fired=[],
            changed_keys=[],
            guard_state_hash="",
            rationale=[],
        )


class IterationRecord(BaseModel):
    """ITER_SUMMARY_<i>.json. `params` are the values this iteration ran with; `run` says where
    and when it ran (the older tool reads a `runtime` key as the parameters in force, so ours is
    not called that)."""

    model_config = ConfigDict(extra="allow")

    iteration: int = Field(ge=1)
    phase: Phase = Phase.STEADY
    run: dict[str, Any]
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
