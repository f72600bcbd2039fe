"""The records a soak writes per iteration (DESIGN.md section 7) and the run's verdict."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Verdict = Literal["PASS", "WARN", "FAIL"]


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
    skip_reason: str | None  # the guard that skipped the whole proposal (e.g. "freeze", "no_op")
    param_status: dict[str, str]  # per proposed parameter: "applied" or the guard that held it
    guards_fired: list[str]
    changed_keys: list[str]
    state_hash: str
    rationale: list[str]


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
