"""Tuning works and is the cause (the full 10-seed table is bench/tuning_effect.py). The claims are
the issue's, on 3 seeds: the what-if tuner PASSes where the untuned run FAILs, and earns more; the
rules tuner PASSes on most seeds (the issue asks 7 of 10) and never earns less than no tuning."""

import functools

import pytest

from core.config import build_config
from core.events import IterationFinished, RunFinished
from core.gates import RUN_WINDOW
from core.loop import SoakLoop

SEEDS = (1, 2, 3)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nightly_run(tmp_path_factory):
    """The events of a 24-iteration nightly soak at a seed and tuner (None: untuned), run once."""

    @functools.cache
    def run(seed, tuner):
        settings = {"iterations": 24, "seed": seed, "gate": "nightly", "out": str(tmp_path_factory.mktemp("soak"))}
        settings |= {"auto_tune": False} if tuner is None else {"tuner": tuner}
        return tuple(SoakLoop(build_config(settings, {})).run())

    return run


def records(events):
    return [e.record for e in events if isinstance(e, IterationFinished)]


def pnl_last(events):
    return sum(r.summary["pnl"] for r in records(events)[-RUN_WINDOW:])


@pytest.mark.parametrize("seed", SEEDS)
def test_the_whatif_tuner_turns_a_failing_nightly_soak_into_a_pass(nightly_run, seed):
    untuned, whatif, rules = (nightly_run(seed, tuner) for tuner in (None, "whatif", "rules"))
    assert untuned[-1].verdict.verdict == "FAIL"
    assert whatif[-1].verdict.verdict == "PASS" and pnl_last(whatif) > pnl_last(untuned)
    # The defaults fail on the same market the tuned runs start from: iteration 1 is identical.
    first = [records(run)[0] for run in (whatif, rules, untuned)]
    kpis = [{k: v for k, v in record.summary.items() if k != "runtime_utc"} for record in first]
    assert kpis[0] == kpis[1] == kpis[2] and first[0].gate.verdict == "FAIL"
    # Untuned, the parameters never move.
    assert len({str(record.params) for record in records(untuned)}) == 1
    assert isinstance(whatif[-1], RunFinished) and whatif[-1].exit_code == 0


def test_the_rules_tuner_passes_on_most_seeds_and_never_earns_less_than_no_tuning(nightly_run):
    verdicts = {seed: nightly_run(seed, "rules")[-1].verdict.verdict for seed in SEEDS}
    assert sum(verdict == "PASS" for verdict in verdicts.values()) >= 2, verdicts
    for seed in SEEDS:
        assert pnl_last(nightly_run(seed, "rules")) >= pnl_last(nightly_run(seed, None)), seed
