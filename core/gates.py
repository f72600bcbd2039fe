"""KPI gates (DESIGN.md section 6): per-iteration verdicts and the run's verdict."""

from __future__ import annotations

import math
import operator
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import GateError
from core.kpi import GATEABLE, KPIS, lookup
from core.records import GateCheck, GateRecord, RunVerdict, Verdict

GATE_DIR = Path(__file__).parent / "gate_profiles"
GATES: tuple[str, ...] = tuple(sorted(p.stem for p in GATE_DIR.glob("*.toml")))
DEFAULT_GATE = "smoke"
DEFAULT_OBJECTIVE = "pnl_per_hour"  # what the tuner maximises under the FAIL thresholds (DESIGN.md section 5)
RUN_WINDOW = 8
PASS_SHARE = 0.75  # of the judged window, for a PASS run

_COMPARE = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
_NEGATED = {">=": "<", ">": "<=", "<=": ">", "<": ">="}
_OPS = (*_COMPARE, "present")
_RULE_KEYS = {"op", "fail", "warn", "missing"}
_MISSING = {"pass": Verdict.PASS, "warn": Verdict.WARN, "fail": Verdict.FAIL}


def asks_higher(op: str) -> bool:
    """Whether a rule with this operator passes values above its threshold."""
    return op in (">=", ">")


@dataclass(frozen=True)
class GateRule:
    """`kpi op fail` must hold or the iteration FAILs; `kpi op warn` must hold or it WARNs. A KPI
    that is missing (a window without fills has no edge) gets the `missing` verdict; for `present`
    a missing KPI always FAILs."""

    kpi: str
    op: str
    fail: float | None = None
    warn: float | None = None
    missing: Verdict = Verdict.WARN


@dataclass(frozen=True)
class GateProfile:
    name: str
    rules: tuple[GateRule, ...]
    objective: str = DEFAULT_OBJECTIVE  # a KPI of the registry; its `better` says which way is up


def load_gate(name_or_path: str) -> GateProfile:
    """A gate by name (core/gate_profiles) or from a path to a TOML file."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        if name_or_path not in GATES:
            raise GateError(f"unknown gate {name_or_path!r}; allowed: {', '.join(GATES)} or a path to a .toml file")
        path = GATE_DIR / f"{name_or_path}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return GateProfile(name=path.stem, rules=_parse_rules(data), objective=_parse_objective(data))
    except FileNotFoundError:
        raise GateError(f"gate file not found: {path}") from None
    except OSError as err:  # a directory, or one it may not read or search
        raise GateError(f"gate {path}: cannot read: {err.strerror or err}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise GateError(f"malformed gate {path}: {err}") from None
    except GateError as err:
        raise GateError(f"malformed gate {path}: {err}") from None


def _parse_rules(data: dict[str, Any]) -> tuple[GateRule, ...]:
    unknown = sorted(set(data) - {"kpi", "missing", "objective"})
    if unknown:
        raise GateError(f"unknown top-level key {unknown[0]!r}; allowed: missing, objective, [kpi.<name>] tables")
    default = _missing_verdict("missing", data.get("missing", "warn"))
    table = data.get("kpi")
    if not isinstance(table, dict) or not table:
        raise GateError("no [kpi.<name>] rules")
    return tuple(_parse_rule(kpi, spec, default) for kpi, spec in table.items())


def _parse_objective(data: dict[str, Any]) -> str:
    objective = data.get("objective", DEFAULT_OBJECTIVE)
    if objective not in KPIS:
        raise GateError(f"objective={objective!r}; allowed: a KPI of the registry ({', '.join(KPIS)})")
    return str(objective)


def _missing_verdict(key: str, value: Any) -> Verdict:
    if value not in _MISSING:
        raise GateError(f"{key}={value!r}; allowed: {', '.join(_MISSING)}")
    return _MISSING[value]


def _parse_rule(kpi: str, spec: Any, default_missing: Verdict) -> GateRule:
    if kpi not in GATEABLE:
        raise GateError(f"unknown KPI {kpi!r}; allowed: {', '.join(GATEABLE)}")
    if not isinstance(spec, dict):
        raise GateError(f"kpi.{kpi} must be a table with op, fail and optional warn")
    extra = sorted(set(spec) - _RULE_KEYS)
    if extra:
        raise GateError(f"kpi.{kpi}: unknown key {extra[0]!r}; allowed: op, fail, warn, missing")
    op = spec.get("op")
    if op not in _OPS:
        raise GateError(f"kpi.{kpi}.op={op!r}; allowed: {', '.join(_OPS)}")
    if op == "present":
        if "fail" in spec or "warn" in spec or "missing" in spec:
            raise GateError(f"kpi.{kpi}: op 'present' takes no fail, warn or missing")
        return GateRule(kpi, op)
    missing = _missing_verdict(f"kpi.{kpi}.missing", spec["missing"]) if "missing" in spec else default_missing
    fail = _threshold(kpi, "fail", spec.get("fail"))
    warn = _threshold(kpi, "warn", spec["warn"]) if "warn" in spec else None
    passing_side = operator.ge if asks_higher(op) else operator.le
    if warn is not None and not passing_side(warn, fail):
        raise GateError(f"kpi.{kpi}: warn={warn:g} must lie on the passing side of fail={fail:g} ({op})")
    return GateRule(kpi, op, fail, warn, missing)


def _threshold(kpi: str, key: str, value: Any) -> float:
    if not _is_number(value):
        raise GateError(f"kpi.{kpi}.{key}={value!r}; allowed: a finite number")
    return float(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def evaluate_iteration(summary: Mapping[str, Any], gate: GateProfile) -> GateRecord:
    """PASS, WARN or FAIL for one iteration's KPIs, with one reason per check that did not pass."""
    checks: list[GateCheck] = []
    reasons: list[str] = []
    for rule in gate.rules:
        check, reason = _check(rule, lookup(summary, rule.kpi))
        checks.append(check)
        if reason:
            reasons.append(reason)
    verdict = _worst(c.status for c in checks)
    return GateRecord(verdict=verdict, reasons=reasons, checks=checks)


def _worst(verdicts: Iterable[Verdict]) -> Verdict:
    return max(verdicts, key=lambda verdict: verdict.severity, default=Verdict.PASS)


def _check(rule: GateRule, raw: Any) -> tuple[GateCheck, str | None]:
    def record(value: float | None, status: Verdict) -> GateCheck:
        return GateCheck(kpi=rule.kpi, op=rule.op, value=value, fail=rule.fail, warn=rule.warn, status=status)

    if raw is None and rule.op != "present":
        if rule.missing == Verdict.PASS:
            return record(None, Verdict.PASS), None
        why = ": no fills" if rule.missing == Verdict.WARN else ""
        return record(None, rule.missing), f"{rule.kpi} missing{why} ({rule.missing})"
    if not _is_number(raw):
        return record(None, Verdict.FAIL), f"{rule.kpi} {_describe_missing(raw)} (FAIL)"
    value = float(raw)
    if rule.op == "present":
        return record(value, Verdict.PASS), None
    assert rule.fail is not None
    holds = _COMPARE[rule.op]
    if not holds(value, rule.fail):
        check = record(value, Verdict.FAIL)
    elif rule.warn is not None and not holds(value, rule.warn):
        check = record(value, Verdict.WARN)
    else:
        return record(value, Verdict.PASS), None
    return check, describe_miss(check)


def _describe_missing(raw: Any) -> str:
    if raw is None:
        return "missing"
    if isinstance(raw, float):
        return f"not a finite number ({raw})"
    return f"not a number ({raw!r})"


def describe_miss(check: GateCheck) -> str:
    """The reason line of a WARN or FAIL check that has a value, e.g. "net_bps 1.93 < 2.7 (FAIL)"."""
    assert check.value is not None and check.fail is not None
    edge = check.warn if check.status == Verdict.WARN and check.warn is not None else check.fail
    shown_value, shown_edge = _distinct(check.value, edge)
    return f"{check.kpi} {shown_value} {_NEGATED[check.op]} {shown_edge} ({check.status})"


def _distinct(value: float, edge: float) -> tuple[str, str]:
    """Short numbers, with just enough digits that a value near its threshold does not print equal."""
    for digits in range(3, 13):
        shown_value, shown_edge = f"{value:.{digits}g}", f"{edge:.{digits}g}"
        if shown_value != shown_edge or value == edge:
            break
    return shown_value, shown_edge


def run_verdict(verdicts: Sequence[str], window: int = RUN_WINDOW) -> RunVerdict:
    """The run's verdict over its last min(window, len(verdicts)) iteration verdicts."""
    if window < 1:
        raise ValueError(f"window={window}; allowed: an integer >= 1")
    judged = list(verdicts)[-window:]
    unknown = [v for v in judged if Verdict.parse(v) is None]
    if unknown:
        raise ValueError(f"unknown verdict {unknown[0]!r}; allowed: {', '.join(Verdict)}")
    n = len(judged)
    passed, warned, failed = (judged.count(v) for v in Verdict)
    counts = {"window": n, "passed": passed, "warned": warned, "failed": failed}
    if n == 0:
        return RunVerdict(verdict=Verdict.FAIL, reasons=["no iterations finished"], **counts)
    tally = f"{passed}/{n} of the last {n} iterations passed"
    if passed >= PASS_SHARE * n:
        return RunVerdict(verdict=Verdict.PASS, reasons=[f"{tally} (>= {PASS_SHARE:.0%})"], **counts)
    if failed == 0:
        return RunVerdict(verdict=Verdict.WARN, reasons=[f"{tally} (< {PASS_SHARE:.0%}), none failed"], **counts)
    return RunVerdict(verdict=Verdict.FAIL, reasons=[f"{tally} (< {PASS_SHARE:.0%}), {failed} failed"], **counts)
