"""core/readers.py: tolerant reading of native and legacy soak artifacts."""
from __future__ import annotations

import pytest

from core.readers import ReadError, iteration_view


def native_record(i: int = 3) -> dict:
    return {
        "iteration": i,
        "runtime": {"elapsed_s": 1.5},
        "params": {"base_spread_bps": 2.35, "min_interval_ms": 240},
        "summary": {
            "fills": {"maker_count": 40, "taker_count": 2, "maker_volume": 1e5, "taker_volume": 5e3},
            "maker_taker_ratio": 0.88,
            "net_bps": 2.95,
            "risk_ratio": 0.31,
            "adverse_bps_p95": 2.6,
            "slippage_bps_p95": 1.5,
            "p95_latency_ms": 196,
            "cancel_ratio": 0.35,
            "order_age_p95_ms": 1800.0,
        },
        "tuning": {
            "proposed_deltas": {"base_spread_bps": 0.1, "inventory_skew_bps": 0.2},
            "applied_deltas": {"base_spread_bps": 0.1},
            "applied": True,
            "skip_reason": None,
            "param_status": {"base_spread_bps": "applied", "inventory_skew_bps": "cooldown"},
            "guards_fired": ["cooldown"],
            "changed_keys": ["base_spread_bps"],
            "state_hash": "abc",
            "rationale": ["maker share 0.87 < 0.90 -> skew"],
        },
        "gate": {
            "verdict": "PASS",
            "reasons": [],
            "checks": [
                {"kpi": "maker_taker_ratio", "op": ">=", "value": 0.88, "fail": 0.85, "warn": 0.9,
                 "status": "PASS"},
                {"kpi": "p95_latency_ms", "op": "present", "value": 196, "fail": None, "warn": None,
                 "status": "PASS"},
            ],
        },
    }


def test_native_record_is_read_field_by_field():
    view = iteration_view(native_record())
    assert view.iteration == 3
    assert (view.maker_taker_ratio, view.net_bps, view.risk_ratio) == (0.88, 2.95, 0.31)
    assert (view.adverse_bps_p95, view.slippage_bps_p95) == (2.6, 1.5)
    assert (view.p95_latency_ms, view.cancel_ratio, view.order_age_p95_ms) == (196.0, 0.35, 1800.0)
    assert view.fills == 42
    assert view.verdict == "PASS" and view.gate_reasons == ()
    assert view.thresholds == {"maker_taker_ratio": (">=", 0.85), "p95_latency_ms": ("present", None)}
    assert view.params["min_interval_ms"] == 240
    assert view.proposed_deltas == {"base_spread_bps": 0.1, "inventory_skew_bps": 0.2}
    assert view.applied_deltas == {"base_spread_bps": 0.1}
    assert view.applied is True and view.skip_reason is None
    assert view.param_status["inventory_skew_bps"] == "cooldown"
    assert view.rationale == ("maker share 0.87 < 0.90 -> skew",)
    assert view.problems == ()
    assert view.raw == native_record()


@pytest.mark.parametrize("bad", [True, "0.8", float("nan"), float("inf"), [0.8], {"v": 1}])
def test_a_bad_kpi_becomes_none_and_is_noted_not_dropped_silently(bad):
    record = native_record()
    record["summary"]["net_bps"] = bad
    view = iteration_view(record)
    assert view.net_bps is None
    assert view.maker_taker_ratio == 0.88  # the rest of the record survives
    assert any(p.startswith("summary.net_bps:") for p in view.problems)


def test_legacy_record_without_iteration_uses_the_file_number():
    view = iteration_view({"summary": {"net_bps": -1.2, "fills": 17}}, fallback_iteration=5)
    assert view.iteration == 5 and view.net_bps == -1.2 and view.fills == 17


def test_a_record_number_that_disagrees_with_the_file_name_is_kept_and_noted():
    view = iteration_view({"iteration": 4}, fallback_iteration=5)
    assert view.iteration == 4
    assert view.problems == ("iteration: record says 4, file name says 5",)


@pytest.mark.parametrize("data", [[1, 2], "text", 3, None, {"summary": {}}, {"iteration": "3"},
                                  {"iteration": True}, {"iteration": -1}, {"iteration": 2.5}])
def test_not_an_object_or_no_usable_iteration_is_wrong_shape(data):
    with pytest.raises(ReadError) as caught:
        iteration_view(data)
    assert caught.value.kind == "wrong_shape"
    assert "\n" not in caught.value.message


@pytest.mark.parametrize(
    ("skip", "expected"),
    [
        ("freeze", "freeze"),
        (None, None),
        ({"oscillation": True, "cooldown": False, "note": "sign flipped twice"},
         "oscillation (sign flipped twice)"),
        ({"oscillation": True, "velocity": True}, "oscillation, velocity"),
        ({"oscillation": False, "note": "nothing fired"}, "nothing fired"),
        ({}, None),
    ],
)
def test_skip_reason_string_or_object_of_flags_becomes_readable_text(skip, expected):
    view = iteration_view({"iteration": 1, "tuning": {"skip_reason": skip}})
    assert view.skip_reason == expected
