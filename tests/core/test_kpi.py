"""The KPI registry: one entry per numeric KPI the simulator reports, and nothing else."""

from __future__ import annotations

from core.kpi import KPIS, MONITORED, Better, IterationKPIs


def test_the_registry_names_every_numeric_kpi_of_the_simulator_and_no_other() -> None:
    numeric = {name for name, field in IterationKPIs.model_fields.items() if field.annotation in (int, float)}
    assert set(KPIS) == numeric


def test_every_entry_has_a_direction_a_format_that_formats_and_a_description() -> None:
    for kpi in KPIS.values():
        assert kpi.better in (Better.HIGHER, Better.LOWER)
        assert kpi.show(1.5) != "-" and kpi.show(None) == "-"
        assert kpi.description and kpi.label and kpi.min_jump > 0


def test_the_monitored_kpis_come_first_in_the_order_tables_show() -> None:
    assert list(KPIS)[: len(MONITORED)] == list(MONITORED)
