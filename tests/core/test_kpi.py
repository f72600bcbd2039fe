"""The KPI registry: one entry per numeric KPI the simulator reports, and nothing else."""

from __future__ import annotations

from core.kpi import BY_PRIORITY, KPIS, MONITORED, UNRANKED, Better, IterationKPIs


def test_the_registry_names_every_numeric_kpi_of_the_simulator_and_no_other() -> None:
    numeric = {
        name for name, field in IterationKPIs.model_fields.items() if field.annotation in (int, float, float | None)
    }
    assert set(KPIS) == numeric


def test_every_entry_has_a_direction_a_format_that_formats_and_a_description() -> None:
    for kpi in KPIS.values():
        assert kpi.better in (Better.HIGHER, Better.LOWER)
        assert kpi.show(1.5) != "-" and kpi.show(None) == "-"
        assert kpi.description and kpi.label and kpi.min_jump > 0


def test_the_monitor_orders_every_monitored_kpi_and_only_those() -> None:
    assert sorted(BY_PRIORITY) == sorted(MONITORED)
    ranks = [KPIS[name].priority for name in BY_PRIORITY]
    assert ranks == sorted(ranks) and len(set(ranks) - {UNRANKED}) == len([r for r in ranks if r != UNRANKED])
    assert all(KPIS[name].priority == UNRANKED for name in KPIS if name not in MONITORED)


def test_the_maker_share_is_called_what_it_is() -> None:
    assert KPIS["maker_taker_ratio"].label == "maker share"
