"""`IterationView`: one iteration as everything that reads runs sees it (the read side's one shape).

`IterationView.from_record()` makes it from the loop's own record, in process. `iteration_view()`
makes it from whatever a file holds, native or the older tool's: it never raises but for a record
that is not an object or has no usable iteration number; any other bad field becomes None (or
empty) and a note in `problems`, so nothing is dropped silently and the rest of the run loads.

Both encodings are read (DESIGN.md section 11): an ITER_SUMMARY record nests its decision in
`tuning`, a TUNING_REPORT entry has it at the top level; the verdict is the gate's, else the
older tool's `summary.kpi_verdict` (then `foreign_verdict`); the applied deltas are ours, else the
older tool's `deltas` of its `changed_keys` when it says `applied`; the skip reasons are ours
(`skip_reasons`), else its `skip_reason` ("" when applied, or an object of guard flags).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard, TypeVar

from core.errors import ReadError
from core.kpi import MONITORED, lookup
from core.records import (
    APPLIED,
    OLDER_PHASES,
    OLDER_RATIONALE_SEPARATOR,
    IterationRecord,
    Phase,
    join_skip_reasons,
    split_skip_reasons,
)
from core.runs.jsonio import as_path, finite_number, json_type, read_json, show_json
from core.runs.layout import iteration_number

Thresholds = dict[str, tuple[str, float | None]]  # KPI -> (op, FAIL threshold)
T = TypeVar("T")


@dataclass(frozen=True)
class IterationView:
    """KPI values are None when absent or unusable; `problems` says which fields were unusable and
    why. `raw` is the record as read, for a detail screen and for judging it again."""

    iteration: int
    kpis: dict[str, float | None] = field(default_factory=dict)  # every MONITORED KPI
    fills: float | None = None  # total fill count
    verdict: str | None = None  # as recorded: a file may hold any text
    foreign_verdict: bool = False  # recorded by another tool (summary.kpi_verdict), not by a gate of ours
    gate_reasons: tuple[str, ...] = ()
    thresholds: Thresholds = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    proposed_deltas: dict[str, float] = field(default_factory=dict)
    applied_deltas: dict[str, float] = field(default_factory=dict)
    applied: bool | None = None
    skip_reason: str | None = None  # as shown
    skip_reasons: tuple[str, ...] = ()  # each reason (guard or other) that skipped the proposal
    param_status: dict[str, str] = field(default_factory=dict)
    rationale: tuple[str, ...] = ()
    phase: str | None = None  # a Phase, when the record says
    problems: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def kpi(self, name: str) -> float | None:
        return self.kpis.get(name)

    @classmethod
    def from_record(cls, record: IterationRecord) -> IterationView:
        """The view of a record this process made: its tuning and gate are checked already; its
        summary may be an external driver's, read as tolerantly as a file's."""
        summary, tuning, gate = record.summary, record.tuning, record.gate
        notes = _Notes()
        return cls(
            iteration=record.iteration,
            kpis={name: notes.number(summary, name, "summary") for name in MONITORED},
            fills=_fill_count(summary.get("fills"), notes),
            verdict=str(gate.verdict),
            gate_reasons=tuple(gate.reasons),
            thresholds={check.kpi: (check.op, check.fail) for check in gate.checks},
            params=dict(record.params),
            proposed_deltas=dict(tuning.proposed_deltas),
            applied_deltas=dict(tuning.applied_deltas),
            applied=tuning.applied,
            skip_reason=join_skip_reasons(tuning.skip_reasons),
            skip_reasons=tuple(tuning.skip_reasons),
            param_status=dict(tuning.param_status),
            rationale=tuple(tuning.rationale),
            phase=str(record.phase),
            problems=tuple(notes),
            raw=record.model_dump(mode="json"),
        )


def read_iteration(path: Path | str) -> IterationView:
    path = as_path(path)
    data = read_json(path)
    try:
        return iteration_view(data, fallback_iteration=iteration_number(path))
    except ReadError as err:
        raise ReadError(path, err.kind, err.message) from None


def iteration_view(data: Any, fallback_iteration: int | None = None) -> IterationView:
    """Normalise one ITER_SUMMARY record (native or legacy). ReadError("wrong_shape") only when
    `data` is not an object or has no usable iteration number."""
    if not _is_object(data):
        raise ReadError(None, "wrong_shape", f"expected a JSON object, got {json_type(data)}")
    notes = _Notes()
    iteration = _iteration(data, fallback_iteration, notes)
    summary = notes.mapping(data, "summary")
    tuning = notes.mapping(data, "tuning") if "tuning" in data else data  # a report entry is flat
    gate = notes.mapping(data, "gate")
    verdict, foreign = _verdict(data, summary, gate, notes)
    kpis = summary if "summary" in data else data
    proposed = _proposal(tuning, notes)
    applied = notes.flag(tuning, "applied", "tuning")
    applied_deltas, param_status = _applied(tuning, proposed, applied, notes)
    skip_reason, skip_reasons = _skip_reason(tuning, notes)
    return IterationView(
        iteration=iteration,
        kpis={name: notes.number(kpis, name, "summary") for name in MONITORED},
        fills=_fill_count(kpis.get("fills"), notes),
        verdict=verdict,
        foreign_verdict=foreign,
        gate_reasons=notes.lines(gate, "reasons", "gate") or notes.lines(summary, "kpi_reasons", "summary"),
        thresholds=_thresholds(gate.get("checks"), notes),
        params=dict(notes.mapping(data, "params")),
        proposed_deltas=proposed,
        applied_deltas=applied_deltas,
        applied=applied,
        skip_reason=skip_reason,
        skip_reasons=skip_reasons,
        param_status=param_status,
        rationale=_rationale(notes.lines(tuning, "rationale", "tuning")),
        phase=_phase(data, summary),
        problems=tuple(notes),
        raw=dict(data),
    )


def _verdict(
    data: Mapping[str, Any], summary: Mapping[str, Any], gate: Mapping[str, Any], notes: _Notes
) -> tuple[str | None, bool]:
    """(verdict as recorded, whether another tool recorded it): the gate's, else kpi_verdict."""
    if gate.get("verdict") is not None:
        return notes.text(gate, "verdict", "gate"), False
    for within, where in ((summary, "summary"), (data, "record")):
        if within.get("kpi_verdict") is not None:
            return notes.text(within, "kpi_verdict", where), True
    return None, False


def _proposal(tuning: Mapping[str, Any], notes: _Notes) -> dict[str, float]:
    """The proposed deltas under the first name the record uses (ours, then the older tool's)."""
    for key in ("proposed_deltas", "deltas", "suggested_deltas"):
        if tuning.get(key) is not None:
            return notes.deltas(tuning, key)
    return {}


def _applied(
    tuning: Mapping[str, Any], proposed: dict[str, float], applied: bool | None, notes: _Notes
) -> tuple[dict[str, float], dict[str, str]]:
    """(applied deltas, status per parameter): ours as recorded; for the older tool, which records
    only which keys changed, the proposed deltas of its changed_keys, when it says it applied."""
    if "applied_deltas" in tuning or "param_status" in tuning:
        return notes.deltas(tuning, "applied_deltas"), notes.text_map(tuning, "param_status")
    changed = notes.lines(tuning, "changed_keys", "tuning") if applied else ()
    deltas = {key: proposed[key] for key in changed if key in proposed}
    return deltas, dict.fromkeys(deltas, APPLIED)


def _rationale(lines: tuple[str, ...]) -> tuple[str, ...]:
    """Ours is a list of lines; the older tool's (and a TUNING_REPORT entry's) one joined line."""
    if len(lines) != 1:
        return lines
    return tuple(part for part in lines[0].split(OLDER_RATIONALE_SEPARATOR) if part)


def _phase(data: Mapping[str, Any], summary: Mapping[str, Any]) -> str | None:
    phase = Phase.parse(data.get("phase"))
    if phase is None:
        phase = next((ours for ours, theirs in OLDER_PHASES.items() if summary.get("phase") == theirs), None)
    return str(phase) if phase is not None else None


def _iteration(data: Mapping[str, Any], fallback: int | None, notes: _Notes) -> int:
    value = data.get("iteration")
    if _is_count(value):
        number = int(value)
        if fallback is not None and number != fallback:
            notes.append(f"iteration: record says {number}, file name says {fallback}")
        return number
    if fallback is not None:
        if "iteration" in data:
            notes.append(f"iteration: unusable value {show_json(value)}; using {fallback} from the file name")
        return fallback
    what = "no iteration number" if value is None else f"unusable iteration {show_json(value)}"
    raise ReadError(None, "wrong_shape", f"record has {what}")


def _is_count(value: Any) -> TypeGuard[int | float]:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, float) and value.is_integer() and value >= 0


def _fill_count(value: Any, notes: _Notes) -> float | None:
    """Legacy tools write a number; native writes {maker_count, taker_count, ...}."""
    if value is None:
        return None
    if not _is_object(value):
        return notes.number({"fills": value}, "fills", "summary")
    for key in ("total", "count"):
        if key in value:
            return notes.number(value, key, "summary.fills")
    for maker, taker in (("maker_count", "taker_count"), ("maker", "taker")):
        if maker in value or taker in value:
            parts = [notes.number(value, k, "summary.fills") for k in (maker, taker)]
            if parts[0] is None or parts[1] is None:
                notes.append(f"summary.fills: no total, {maker} and {taker} needed in {show_json(value)}")
                return None
            return parts[0] + parts[1]
    notes.append(f"summary.fills: no count in {show_json(value)}")
    return None


def _thresholds(checks: Any, notes: _Notes) -> Thresholds:
    if checks is None:
        return {}
    if not isinstance(checks, list):
        notes.append(f"gate.checks: expected a list, got {json_type(checks)}")
        return {}
    found: Thresholds = {}
    for index, check in enumerate(checks):
        within = f"gate.checks[{index}]"
        if not _is_object(check):
            notes.append(f"{within}: expected an object, got {json_type(check)}")
            continue
        kpi, op = notes.text(check, "kpi", within), notes.text(check, "op", within)
        if kpi is not None and op is not None:
            found[kpi] = (op, notes.number(check, "fail", within))
    return found


def _skip_reason(tuning: Mapping[str, Any], notes: _Notes) -> tuple[str | None, tuple[str, ...]]:
    """(as shown, each reason). Ours: `skip_reasons`, a list of words. The older tool's (and ours
    before): `skip_reason`, "" or null when applied, a reason or several joined
    (records.join_skip_reasons), or an object of guard flags with an optional `note`:
    {"oscillation": true, "cooldown": false, "note": "x"} -> ("oscillation (x)", ("oscillation",))."""
    listed = tuning.get("skip_reasons")
    if isinstance(listed, list):
        reasons = tuple(item if isinstance(item, str) else show_json(item) for item in listed)
        return join_skip_reasons(reasons), reasons
    value = tuning.get("skip_reason")
    if value is None or value == "":
        return None, ()
    if isinstance(value, str):
        return value, split_skip_reasons(value)
    if not _is_object(value):
        notes.append(f"tuning.skip_reason: unusable value {show_json(value)}")
        return show_json(value), ()
    flags = tuple(str(key) for key, on in value.items() if key != "note" and on is True)
    other = {k: v for k, v in value.items() if k != "note" and not isinstance(v, bool)}
    note = value.get("note")
    parts = [", ".join(flags)] if flags else []
    if other:
        parts.append(show_json(other))
    if note is not None and note != "":
        text = note if isinstance(note, str) else show_json(note)
        parts.append(f"({text})" if parts else text)
    return " ".join(parts) or None, flags


class _Notes(list[str]):
    """Typed field access that records, instead of raising, every unusable field. `within` names
    the object `data` is (e.g. "summary"): a note names the field as "summary.net_bps"; the name
    is put together only for a note, as most records have none."""

    def mapping(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key)
        if value is None:
            return {}
        if not _is_object(value):
            self.append(f"{key}: expected an object, got {json_type(value)}")
            return {}
        return value  # type: ignore[no-any-return]

    def number(self, data: Mapping[str, Any], key: str, within: str) -> float | None:
        value = lookup(data, key)
        if value is None:
            return None
        number = finite_number(value)
        if number is None:
            self.append(f"{within}.{key}: expected a number, got {show_json(value)}")
        return number

    def text(self, data: Mapping[str, Any], key: str, within: str) -> str | None:
        return self._typed(data, key, within, str, "text")

    def flag(self, data: Mapping[str, Any], key: str, within: str) -> bool | None:
        return self._typed(data, key, within, bool, "true or false")

    def _typed(self, data: Mapping[str, Any], key: str, within: str, kind: type[T], expected: str) -> T | None:
        value = data.get(key)
        if value is None or isinstance(value, kind):
            return value
        self.append(f"{within}.{key}: expected {expected}, got {show_json(value)}")
        return None

    def lines(self, data: Mapping[str, Any], key: str, within: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list):
            self.append(f"{within}.{key}: expected a list of text, got {json_type(value)}")
            return ()
        return tuple(item if isinstance(item, str) else show_json(item) for item in value)

    def deltas(self, tuning: Mapping[str, Any], key: str) -> dict[str, float]:
        return self._each(tuning, key, self.number)

    def text_map(self, tuning: Mapping[str, Any], key: str) -> dict[str, str]:
        return self._each(tuning, key, self.text)

    def _each(
        self, tuning: Mapping[str, Any], key: str, read: Callable[[Mapping[str, Any], str, str], T | None]
    ) -> dict[str, T]:
        """tuning.<key> as an object of values `read` accepts; the others are noted and left out."""
        value = self.mapping(tuning, key)
        within = f"tuning.{key}"
        found = {str(name): read(value, name, within) for name in value}
        return {name: item for name, item in found.items() if item is not None}


def _is_object(value: Any) -> bool:
    """A JSON object: a dict as parsed, or any mapping given to iteration_view. (The dict check
    first: a Mapping check alone goes through the ABC machinery, at ten per record.)"""
    return isinstance(value, (dict, Mapping))
