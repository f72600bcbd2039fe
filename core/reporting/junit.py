"""The run's gate verdict as JUnit XML (`soak run --junit PATH`), for CI test-report tools.

One test suite, named for the gate, with one test case per gate check:
- `run verdict` fails exactly when the run's verdict is FAIL; its message is the verdict's reasons.
- one case per KPI rule of the gate (in the gate's order) fails when the run's verdict is FAIL
  and that KPI FAILed in at least one of the judged iterations (the last `verdict.window`), i.e.
  it helped make the run fail. Its message names the KPI, its worst judged value (the iteration
  it came from) and the threshold; the body lists every judged iteration where it did not pass.
So the file holds a failure exactly when the run FAILs. WARN is not a failure; a KPI that warned
or failed in a run that did not FAIL says so in its system-out.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from core.gates import asks_higher, describe_miss, run_verdict
from core.records import GateCheck, IterationRecord, RunVerdict, Verdict
from core.reporting.files import write_text_output

SUITE_PREFIX = "soak gate"
FAILURE_TYPE = "GateFailure"


def junit_xml(records: Sequence[IterationRecord], verdict: RunVerdict | None, gate_name: str, run_id: str) -> str:
    verdict = verdict or run_verdict([r.gate.verdict for r in records])
    judged = list(records)[len(records) - verdict.window :]
    suite = ET.Element("testsuite", name=_xml_text(f"{SUITE_PREFIX} {gate_name}"), errors="0", skipped="0")
    classname = _xml_text(f"soak.{run_id}")
    _add_case(
        suite, classname, "run verdict", _verdict_failure(verdict), f"{verdict.verdict}: {'; '.join(verdict.reasons)}"
    )
    for kpi in _gate_kpis(records):
        checks = [(r.iteration, c) for r in judged for c in r.gate.checks if c.kpi == kpi]
        failure = _kpi_failure(kpi, checks, verdict) if verdict.verdict == Verdict.FAIL else None
        _add_case(suite, classname, kpi, failure, _kpi_note(checks))
    failures = sum(case.find("failure") is not None for case in suite)
    suite.set("tests", str(len(suite)))
    suite.set("failures", str(failures))
    root = ET.Element("testsuites", name="mm-soak", tests=str(len(suite)), failures=str(failures), errors="0")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _gate_kpis(records: Sequence[IterationRecord]) -> list[str]:
    """The gate's KPIs in its order, as the iterations recorded them."""
    return list(dict.fromkeys(c.kpi for r in records for c in r.gate.checks))


def _verdict_failure(verdict: RunVerdict) -> tuple[str, str] | None:
    if verdict.verdict != Verdict.FAIL:
        return None
    message = f"run verdict FAIL: {'; '.join(verdict.reasons)}"
    return message, message


def _kpi_failure(kpi: str, checks: list[tuple[int, GateCheck]], verdict: RunVerdict) -> tuple[str, str] | None:
    failed = [(i, c) for i, c in checks if c.status == Verdict.FAIL]
    if not failed:
        return None
    iteration, worst = min(failed, key=lambda item: _badness(item[1]))
    value = "missing" if worst.value is None else f"{worst.value:g}"
    threshold = worst.op if worst.fail is None else f"{worst.op} {worst.fail:g}"
    message = (
        f"{kpi} FAILed in {len(failed)} of the last {verdict.window} iteration(s): "
        f"worst {value} at iteration {iteration}, threshold {kpi} {threshold}"
    )
    return message, "\n".join(f"iteration {i}: {_describe(c)}" for i, c in checks if c.status != Verdict.PASS)


def _badness(check: GateCheck) -> tuple[int, float]:
    """Sort key, worst first: a missing value, then the value furthest past the threshold."""
    if check.value is None or check.fail is None:
        return (0, 0.0)
    lower_is_worse = asks_higher(check.op)
    return (1, check.value if lower_is_worse else -check.value)


def _kpi_note(checks: list[tuple[int, GateCheck]]) -> str:
    lines = [f"iteration {i}: {_describe(c)}" for i, c in checks if c.status != Verdict.PASS]
    passed = sum(c.status == Verdict.PASS for _, c in checks)
    return "\n".join([f"passed in {passed} of {len(checks)} judged iteration(s)", *lines])


def _describe(check: GateCheck) -> str:
    if check.value is None or check.fail is None:
        return f"{check.kpi} missing ({check.status})"
    return describe_miss(check)


def _add_case(suite: ET.Element, classname: str, name: str, failure: tuple[str, str] | None, out: str) -> None:
    case = ET.SubElement(suite, "testcase", classname=classname, name=_xml_text(name))
    if failure is not None:
        message, body = failure
        element = ET.SubElement(case, "failure", message=_xml_text(message), type=FAILURE_TYPE)
        element.text = _xml_text(body)
    ET.SubElement(case, "system-out").text = _xml_text(out)


def _xml_text(text: str) -> str:
    """XML 1.0 cannot hold most control characters at all, even escaped: show them as \\xNN."""
    return "".join(
        ch
        if ch in "\t\n\r" or (ch >= " " and ch not in "\ufffe\uffff" and not "\ud800" <= ch <= "\udfff")
        else f"\\x{ord(ch):02x}"
        for ch in text
    )


def write_junit(
    path: Path, records: Sequence[IterationRecord], verdict: RunVerdict | None, gate_name: str, run_id: str
) -> None:
    write_text_output(path, junit_xml(records, verdict, gate_name, run_id))
