"""KPI gates: thresholds, WARN bands, missing KPIs, gate files, and the run's verdict."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import GateError
from core.gates import GATES, GateProfile, GateRule, evaluate_iteration, load_gate, run_verdict
from core.records import ExitCode
from tests.support.strategies import GATE_KPIS, gate_and_tightening, kpi_value

GOOD_NIGHTLY = {
    "maker_taker_ratio": 0.92,
    "net_bps": 3.4,
    "risk_ratio": 0.20,
    "p95_latency_ms": 180.0,
    "quote_presence": 0.95,
    "pnl_per_hour": 120.0,
}


def nightly(**changes: object) -> dict[str, object]:
    return {**GOOD_NIGHTLY, **changes}


def test_builtin_gates_are_listed_and_carry_the_design_thresholds() -> None:
    assert set(GATES) == {"smoke", "nightly"}
    fails = {r.kpi: (r.op, r.fail) for r in load_gate("nightly").rules}
    assert fails == {
        "maker_taker_ratio": (">=", 0.85),
        "net_bps": (">=", 2.7),
        "risk_ratio": ("<=", 0.40),
        "p95_latency_ms": ("<=", 350.0),
        "quote_presence": (">=", 0.90),
        "pnl_per_hour": (">", 0.0),
    }
    smoke = {r.kpi: (r.op, r.fail) for r in load_gate("smoke").rules}
    assert smoke == {
        "maker_taker_ratio": (">=", 0.50),
        "net_bps": (">", -10.0),
        "risk_ratio": ("<=", 0.80),
        "p95_latency_ms": (">", 0.0),
    }


@pytest.mark.parametrize(
    ("value", "verdict"),
    [(0.90, "PASS"), (0.88, "PASS"), (0.87, "WARN"), (0.85, "WARN"), (0.8499, "FAIL"), (0.0, "FAIL")],
)
def test_nightly_maker_share_bands(value: float, verdict: str) -> None:
    record = evaluate_iteration(nightly(maker_taker_ratio=value), load_gate("nightly"))
    assert record.verdict == verdict
    assert len(record.reasons) == (verdict != "PASS")


@pytest.mark.parametrize(
    ("kpi", "value", "verdict"),
    [
        ("risk_ratio", 0.35, "PASS"),
        ("risk_ratio", 0.38, "WARN"),
        ("risk_ratio", 0.41, "FAIL"),
        ("p95_latency_ms", 320.0, "WARN"),
        ("p95_latency_ms", 351.0, "FAIL"),
        ("net_bps", 2.8, "WARN"),
        ("net_bps", 1.93, "FAIL"),
    ],
)
def test_nightly_upper_and_lower_bounds(kpi: str, value: float, verdict: str) -> None:
    assert evaluate_iteration(nightly(**{kpi: value}), load_gate("nightly")).verdict == verdict


def test_reasons_are_human_lines_and_the_worst_check_decides() -> None:
    record = evaluate_iteration(nightly(net_bps=1.93, maker_taker_ratio=0.86), load_gate("nightly"))
    assert record.verdict == "FAIL"
    assert record.reasons == ["maker_taker_ratio 0.86 < 0.88 (WARN)", "net_bps 1.93 < 2.7 (FAIL)"]
    statuses = {c.kpi: c.status for c in record.checks}
    assert statuses == {
        "maker_taker_ratio": "WARN",
        "net_bps": "FAIL",
        "risk_ratio": "PASS",
        "p95_latency_ms": "PASS",
        "quote_presence": "PASS",
        "pnl_per_hour": "PASS",
    }


def test_a_value_just_past_its_threshold_does_not_print_as_equal() -> None:
    record = evaluate_iteration(nightly(net_bps=2.6999999), load_gate("nightly"))
    assert record.reasons == ["net_bps 2.6999999 < 2.7 (FAIL)"]


@pytest.mark.parametrize(
    ("net_bps", "verdict"), [(-10.0, "FAIL"), (-9.9, "WARN"), (0.0, "WARN"), (0.1, "PASS"), (5.0, "PASS")]
)
def test_smoke_net_edge_is_strictly_above_minus_ten(net_bps: float, verdict: str) -> None:
    summary = {"maker_taker_ratio": 0.7, "net_bps": net_bps, "risk_ratio": 0.3, "p95_latency_ms": 50.0}
    assert evaluate_iteration(summary, load_gate("smoke")).verdict == verdict


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "p95_latency_ms missing (FAIL)"),
        (0.0, "p95_latency_ms 0 <= 0 (FAIL)"),
        (math.nan, "p95_latency_ms not a finite number (nan) (FAIL)"),
        (math.inf, "p95_latency_ms not a finite number (inf) (FAIL)"),
        ("fast", "p95_latency_ms not a number ('fast') (FAIL)"),
        (True, "p95_latency_ms not a number (True) (FAIL)"),
    ],
)
def test_smoke_latency_must_be_present_and_positive(value: object, reason: str) -> None:
    summary = {"maker_taker_ratio": 0.7, "net_bps": 1.0, "risk_ratio": 0.3, "p95_latency_ms": value}
    record = evaluate_iteration(summary, load_gate("smoke"))
    assert (record.verdict, record.reasons) == ("FAIL", [reason])
    assert record.checks[-1].value == (0.0 if value == 0.0 else None)  # never NaN in a record


def test_a_missing_kpi_warns_no_fills_by_default_never_reads_as_zero() -> None:
    summary = nightly(net_bps=None, maker_taker_ratio=None)  # a window without fills has no edge
    record = evaluate_iteration(summary, load_gate("nightly"))
    assert (record.verdict, record.reasons) == (
        "WARN",
        ["maker_taker_ratio missing: no fills (WARN)", "net_bps missing: no fills (WARN)"],
    )
    assert [c.value for c in record.checks if c.status == "WARN"] == [None, None]
    absent = {k: v for k, v in GOOD_NIGHTLY.items() if k != "risk_ratio"}
    assert evaluate_iteration(absent, load_gate("nightly")).reasons == ["risk_ratio missing: no fills (WARN)"]


@pytest.mark.parametrize(("policy", "verdict"), [("pass", "PASS"), ("warn", "WARN"), ("fail", "FAIL")])
def test_the_gate_profile_says_what_a_missing_kpi_gets(tmp_path: Path, policy: str, verdict: str) -> None:
    per_rule = tmp_path / "per_rule.toml"
    per_rule.write_text(f'[kpi.net_bps]\nop = ">="\nfail = 1.0\nmissing = "{policy}"\n')
    default = tmp_path / "default.toml"
    default.write_text(f'missing = "{policy}"\n[kpi.net_bps]\nop = ">="\nfail = 1.0\n')
    for path in (per_rule, default):
        assert evaluate_iteration({"net_bps": None}, load_gate(str(path))).verdict == verdict
        assert evaluate_iteration({"net_bps": 0.5}, load_gate(str(path))).verdict == "FAIL"  # a measured value


def test_an_empty_summary_warns_on_every_check_without_crashing() -> None:
    record = evaluate_iteration({}, load_gate("nightly"))
    assert record.verdict == "WARN"
    assert len(record.reasons) == 6


def test_unknown_gate_names_the_allowed_ones() -> None:
    with pytest.raises(GateError, match=r"^unknown gate 'weekly'; allowed: nightly, smoke") as err:
        load_gate("weekly")
    assert "\n" not in str(err.value)


def test_a_gate_file_by_path_including_presence_checks(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[kpi.cancel_ratio]\nop = "<"\nfail = 0.9\n[kpi.pnl]\nop = "present"\n')
    gate = load_gate(str(path))
    assert gate == GateProfile("mine", (GateRule("cancel_ratio", "<", 0.9), GateRule("pnl", "present")))
    assert evaluate_iteration({"cancel_ratio": 0.5, "pnl": -3.0}, gate).verdict == "PASS"
    assert evaluate_iteration({"cancel_ratio": 0.5}, gate).reasons == ["pnl missing (FAIL)"]  # present: never WARN


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[kpi.net_bps\nop = '>='", "Expected ']'"),
        ("", "no [kpi.<name>] rules"),
        ("[kpi.net_bsp]\nop = '>='\nfail = 1", "unknown KPI 'net_bsp'; allowed: maker_taker_ratio"),
        ("[kpi.net_bps]\nop = '=>'\nfail = 1", "kpi.net_bps.op='=>'; allowed: >=, >, <=, <, present"),
        ("[kpi.net_bps]\nop = '>='", "kpi.net_bps.fail=None; allowed: a finite number"),
        ("[kpi.net_bps]\nop = '>='\nfail = true", "kpi.net_bps.fail=True; allowed: a finite number"),
        ("[kpi.net_bps]\nop = '>='\nfail = nan", "kpi.net_bps.fail=nan; allowed: a finite number"),
        ("[kpi.net_bps]\nop = '>='\nfail = 2\nwarn = 1", "warn=1 must lie on the passing side of fail=2"),
        ("[kpi.risk_ratio]\nop = '<='\nfail = 0.4\nwarn = 0.5", "warn=0.5 must lie on the passing side"),
        ("[kpi.net_bps]\nop = '>='\nfail = 2\nwran = 3", "unknown key 'wran'; allowed: op, fail, warn"),
        ("[kpi.pnl]\nop = 'present'\nfail = 0", "op 'present' takes no fail, warn or missing"),
        ("kpi = 3", "no [kpi.<name>] rules"),
        ("kpi = {net_bps = 3}", "kpi.net_bps must be a table"),
        ("[gate]\nname = 'x'", "unknown top-level key 'gate'"),
    ],
)
def test_malformed_gate_files_name_the_file_and_problem(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(text)
    with pytest.raises(GateError) as err:
        load_gate(str(path))
    message = str(err.value)
    assert message.startswith(f"malformed gate {path}: ")
    assert problem in message
    assert "\n" not in message


def test_a_missing_gate_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(GateError, match=r"gate file not found: .*absent\.toml$"):
        load_gate(str(tmp_path / "absent.toml"))


@pytest.mark.parametrize(
    ("verdicts", "expected", "counts"),
    [
        (["PASS"] * 6 + ["FAIL"] * 2, "PASS", (8, 6, 0, 2)),
        (["PASS"] * 5 + ["WARN"] * 3, "WARN", (8, 5, 3, 0)),
        (["PASS"] * 5 + ["WARN", "WARN", "FAIL"], "FAIL", (8, 5, 2, 1)),
        (["FAIL"] * 10 + ["PASS"] * 6 + ["WARN"] * 2, "PASS", (8, 6, 2, 0)),
        (["PASS"] * 8 + ["FAIL"] * 3, "FAIL", (8, 5, 0, 3)),
        (["PASS", "PASS", "PASS"], "PASS", (3, 3, 0, 0)),
        (["PASS", "PASS", "WARN"], "WARN", (3, 2, 1, 0)),
        (["PASS", "PASS", "PASS", "FAIL"], "PASS", (4, 3, 0, 1)),
        (["FAIL"], "FAIL", (1, 0, 0, 1)),
    ],
)
def test_run_verdict_over_the_last_window(verdicts: list[str], expected: str, counts: tuple[int, ...]) -> None:
    result = run_verdict(verdicts)
    assert result.verdict == expected
    assert (result.window, result.passed, result.warned, result.failed) == counts
    assert result.reasons and f"of the last {counts[0]} iterations passed" in result.reasons[0]


def test_run_verdict_window_is_configurable() -> None:
    history = ["FAIL", "PASS", "PASS", "PASS"]
    assert run_verdict(history, window=3).verdict == "PASS"
    assert run_verdict(history, window=4).verdict == "PASS"
    assert run_verdict(["FAIL", *history], window=5).verdict == "FAIL"


def test_a_run_without_iterations_fails_with_a_reason() -> None:
    result = run_verdict([])
    assert (result.verdict, result.window, result.reasons) == ("FAIL", 0, ["no iterations finished"])


def test_run_verdict_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="window=0; allowed: an integer >= 1"):
        run_verdict(["PASS"], window=0)
    with pytest.raises(ValueError, match="unknown verdict 'OK'; allowed: PASS, WARN, FAIL"):
        run_verdict(["PASS", "OK"])


def test_exit_codes() -> None:
    assert [ExitCode.for_verdict(v) for v in ("PASS", "WARN", "FAIL")] == [0, 0, 1]
    assert ExitCode.for_verdict(run_verdict(["FAIL"])) == 1
    assert ExitCode.for_verdict(run_verdict(["WARN"])) == 0
    with pytest.raises(ValueError):
        ExitCode.for_verdict("MAYBE")


@given(gates=gate_and_tightening(), values=st.tuples(*[kpi_value] * len(GATE_KPIS)))
def test_a_stricter_threshold_never_turns_a_fail_into_a_pass(
    gates: tuple[GateProfile, GateProfile], values: tuple[float | None, ...]
) -> None:
    gate, stricter = gates
    summary = dict(zip(GATE_KPIS, values, strict=True))
    before = evaluate_iteration(summary, gate).verdict
    after = evaluate_iteration(summary, stricter).verdict
    assert after.severity >= before.severity


def test_a_gate_may_judge_the_control_arm_and_the_uplift_over_it(tmp_path: Path) -> None:
    path = tmp_path / "paired.toml"
    path.write_text('[kpi."uplift.pnl_per_hour"]\nop = ">="\nfail = 0\n[kpi."control.net_bps"]\nop = ">="\nfail = 1\n')
    gate = load_gate(str(path))
    summary = {"net_bps": 4.0, "uplift": {"pnl_per_hour": 5.0}, "control": {"net_bps": 0.5}}
    record = evaluate_iteration(summary, gate)
    assert record.verdict == "FAIL" and record.reasons == ["control.net_bps 0.5 < 1 (FAIL)"]
    assert evaluate_iteration({"uplift": {"pnl_per_hour": 5.0}, "control": {"net_bps": 2.0}}, gate).verdict == "PASS"
    path.write_text('[kpi."control.happiness"]\nop = ">="\nfail = 1\n')
    with pytest.raises(GateError, match=r"unknown KPI 'control\.happiness'"):
        load_gate(str(path))
