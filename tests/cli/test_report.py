"""The report and CI outputs through the `soak` command line."""

import json

from junitparser import JUnitXml

from tests.support.runs import newest_run
from tests.support.soak import SMOKE


def test_run_writes_junit_summary_and_appends_step_summary(soak, tmp_path):
    step = tmp_path / "step.md"
    step.write_text("earlier step\n")
    result = soak(
        *SMOKE,
        "--out",
        str(tmp_path / "a"),
        "--gate",
        "nightly",
        "--junit",
        str(tmp_path / "j.xml"),
        "--summary-md",
        str(tmp_path / "s.md"),
        env={"GITHUB_STEP_SUMMARY": str(step)},
    )
    assert result.returncode == 1, result.stderr  # nightly fails on the untuned defaults
    cases = [case for suite in JUnitXml.fromfile(str(tmp_path / "j.xml")) for case in suite]
    assert any(not case.is_passed for case in cases)
    summary = (tmp_path / "s.md").read_text()
    assert "FAIL" in summary
    assert step.read_text().startswith("earlier step\n") and summary.strip() in step.read_text()


def test_report_cli_writes_json_and_markdown(soak, tmp_path):
    assert soak(*SMOKE, "--out", str(tmp_path)).returncode == 0
    result = soak(
        "report", str(tmp_path / "latest"), "--md", str(tmp_path / "r.md"), "--json", str(tmp_path / "r.json")
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    manifest = json.loads((newest_run(tmp_path) / "RUN.json").read_text())
    assert report["verdict"]["verdict"] == manifest["verdict"]["verdict"] == "PASS"
    assert report["iterations"] == [1, 2, 3]
    assert "**PASS**" in (tmp_path / "r.md").read_text()


def test_report_on_empty_or_corrupt_dirs_is_one_line_exit_2(soak, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "ITER_SUMMARY_1.json").write_text("{oops")
    for target in (empty, corrupt, tmp_path / "missing"):
        result = soak("report", str(target))
        assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
        assert str(target) in result.stderr
