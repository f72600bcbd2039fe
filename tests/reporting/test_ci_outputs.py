"""core/ci_outputs.py: what `soak run` leaves for CI: JUnit, a Markdown summary, GitHub's step summary."""

from __future__ import annotations

import pytest
from junitparser import JUnitXml

from core.errors import ReportError
from core.reporting.ci_outputs import STEP_SUMMARY_ENV, run_summary, write_run_outputs
from core.reporting.command import load_report
from core.reporting.markdown import sparkline, summary_markdown
from tests.support.runs import finished_run


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return finished_run(tmp_path_factory.mktemp("soak"), iterations=6, gate="nightly")


def outputs(run, **kwargs) -> None:
    run_dir, records, finished = run
    args = {"junit": None, "summary_md": None, "env": {}, **kwargs}
    write_run_outputs(run_dir, records, finished.verdict, "nightly", **args)


def test_the_summary_file_is_the_summary_of_the_run(run, tmp_path):
    run_dir, records, finished = run
    path = tmp_path / "summary.md"
    outputs(run, summary_md=path)
    text = path.read_text(encoding="utf-8")
    assert text == summary_markdown(run_summary(run_dir, records, finished.verdict, "nightly"))
    assert f"**Verdict: {finished.verdict.verdict}** — {finished.verdict.reasons[0]}" in text
    assert finished.run_id in text and "gate nightly" in text


def test_the_summary_agrees_with_the_report_read_back_from_disk(run):
    run_dir, records, finished = run
    from_records = run_summary(run_dir, records, finished.verdict, "nightly")
    from_disk = load_report(run_dir)
    assert from_records.kpis == from_disk.kpis
    assert from_records.tuning == from_disk.tuning
    assert from_records.verdict == from_disk.verdict
    text = summary_markdown(from_records)
    for kpi in from_disk.kpis:
        assert sparkline(kpi.series) in text


def test_the_step_summary_is_appended_and_what_was_there_stays(run, tmp_path):
    run_dir, records, finished = run
    step_summary = tmp_path / "step_summary.md"
    before = "## Build\n\nlint ok\n"
    step_summary.write_text(before, encoding="utf-8")
    env = {STEP_SUMMARY_ENV: str(step_summary)}
    outputs(run, env=env)
    once = step_summary.read_text(encoding="utf-8")
    summary = summary_markdown(run_summary(run_dir, records, finished.verdict, "nightly"))
    assert once == before + "\n" + summary
    outputs(run, env=env)  # a second soak step in the same job
    assert step_summary.read_text(encoding="utf-8") == once + "\n" + summary


def test_a_step_summary_file_that_does_not_exist_yet_is_created(run, tmp_path):
    step_summary = tmp_path / "new.md"
    outputs(run, env={STEP_SUMMARY_ENV: str(step_summary)})
    assert "**Verdict:" in step_summary.read_text(encoding="utf-8")


def test_nothing_is_written_unless_asked(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outputs(run, env={STEP_SUMMARY_ENV: ""})
    outputs(run, env={"GITHUB_ACTIONS": "true"})
    assert list(tmp_path.iterdir()) == []


def test_all_three_at_once(run, tmp_path):
    _, _, finished = run
    junit, summary, step = tmp_path / "j.xml", tmp_path / "s.md", tmp_path / "step.md"
    outputs(run, junit=junit, summary_md=summary, env={STEP_SUMMARY_ENV: str(step)})
    suite = next(iter(JUnitXml.fromfile(str(junit))))
    assert (suite.failures > 0) == (finished.verdict.verdict == "FAIL")
    assert step.read_text(encoding="utf-8") == "\n" + summary.read_text(encoding="utf-8")


def test_an_unwritable_path_is_one_line_naming_it(run, tmp_path):
    target = tmp_path / "no" / "such" / "dir" / "summary.md"
    with pytest.raises(ReportError) as caught:
        outputs(run, summary_md=target)
    assert str(target) in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(ReportError, match="cannot write"):
        outputs(run, junit=tmp_path)  # a directory


def test_a_run_that_finished_no_iteration_still_gets_outputs(tmp_path):
    junit, summary = tmp_path / "j.xml", tmp_path / "s.md"
    write_run_outputs(tmp_path / "gone", [], None, "smoke", junit, summary, {})
    assert "no iterations finished" in summary.read_text(encoding="utf-8")
    suite = next(iter(JUnitXml.fromfile(str(junit))))
    assert suite.failures == 1
