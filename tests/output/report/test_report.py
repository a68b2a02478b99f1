"""The report page: self-contained, generic over tables, figures and manifest keys, loud about
estimated energy and incomplete runs, and rendered by a real browser without console errors."""

from __future__ import annotations

import html
import json
import re

import pytest

from browser import ink, open_page
from synthetic import fabricate, write_run

from harness.cli import main  # noqa: E402
from harness.output.report.page import read_markdown_table  # noqa: E402

MANIFEST = {
    "run": "synthetic", "n_trials": 150, "design_hash": "abc123",
    "spec": {"name": "synthetic", "seed": 42, "repetitions": 5, "hygiene": {"warmup_s": 30, "cooldown_s": 5}},
    "meter": {"name": "estimate", "estimated": True, "formula": "energy_j = cpu_s * tdp_w / cores",
              "not_used": {"rapl": "/sys/class/powercap does not exist"}},
    "baseline": {"duration_s": 10.0, "total_w": 3.5, "domains_w": {"cpu": 3.5}},
    "machine": {"cpu_model": "Test CPU 9000", "cpu_count": 2},
    "versions": {"harness": "0.1.0", "scikit-learn": "1.9.1"},
    # what other parts of the harness are adding: shown without a change to the report
    "hygiene": {"governor": "performance", "load_1min": 0.12},
    "hosts": [{"host": "node-a", "trials": 75}, {"host": "node-b", "trials": 75}],
}


def _run(tmp_path, repetitions=5, planned=None, **kw):
    manifest = dict(MANIFEST)
    trials = fabricate(repetitions=repetitions, **kw)
    manifest["n_trials"] = planned or len(trials)
    return write_run(tmp_path / "run", trials, manifest)


@pytest.mark.slow
def test_report_has_every_table_figure_and_manifest_key(tmp_path, capsys):
    run = _run(tmp_path)
    (run / "analysis").mkdir()
    # a table another command wrote earlier (e.g. a tuning study), in the tables' Markdown format
    (run / "analysis" / "tuning_study.md").write_text(
        "### Tuning study: best C per algorithm\n\nA note about it.\n\n| algorithm | C \\| gamma |\n|---|---|\n"
        "| svm | 10 \\| 0.1 |\n", encoding="utf-8")
    assert main(["report", str(run), "--bootstrap", "200", "--intensity", "FRA", "--embodied-kg", "300"]) == 0
    page = (run / "report.html").read_text(encoding="utf-8")
    for md in (run / "analysis").glob("*.md"):
        if md.stem != "analysis":
            title = read_markdown_table(md)[0]
            assert f"id='table-{md.stem}'" in page and html.escape(title) in page, md.stem
    assert "Written earlier" in page or "written earlier" in page  # the tuning table is marked as such
    assert "10 | 0.1" in page  # an escaped bar in a cell survives
    index = json.loads((run / "figures" / "index.json").read_text())
    for fig in index["figures"]:
        assert f"id='fig-{fig['name']}'" in page
    assert "carbon" in [f["name"] for f in index["figures"]]
    for text in ("Test CPU 9000", "scikit-learn", "/sys/class/powercap does not exist", "3.5",
                 "governor", "performance", "node-a", "Hosts", "abc123", "SeedSequence",
                 "Complete: 300 of 300 planned trials",
                 "ESTIMATED ENERGY", "France", "Our World in Data", "gCO2e",
                 "selected after the fact"):  # the largest saving is said to be a selected maximum
        assert text in page, text
    # self-contained: nothing is loaded from anywhere else
    for ref in re.findall(r"(?:src|href)\s*=\s*['\"]([^'\"]+)", page):
        assert ref.startswith("data:") or ref.startswith("#"), ref
    assert "<script" not in page and "@import" not in page and "url(" not in page


@pytest.mark.slow
def test_incomplete_run_says_so_at_the_top(tmp_path, capsys):
    run = _run(tmp_path, planned=400)
    assert main(["report", str(run), "--bootstrap", "200"]) == 0
    page = (run / "report.html").read_text(encoding="utf-8")
    top = page[: page.index("<h2 id='findings'>")]
    assert "Incomplete run: 300 of 400 planned trials" in top
    assert "note: incomplete run: 300 of 400 planned trials" in capsys.readouterr().out
    assert "Carbon: not computed (pass --intensity" in page


@pytest.mark.slow
def test_too_few_repetitions_are_said_in_findings_and_figures(tmp_path, capsys):
    run = _run(tmp_path, repetitions=2)
    assert main(["report", str(run), "--bootstrap", "200"]) == 0
    page = (run / "report.html").read_text(encoding="utf-8")
    assert "Figures not drawn" in page and "2 trial(s) per configuration" in page
    assert "Only 2 repetitions per configuration" in page


def test_bad_carbon_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    run = _run(tmp_path)
    assert main(["report", str(run), "--intensity", "Atlantis"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--intensity 'Atlantis'" in err
    assert not (run / "report.html").exists()


@pytest.mark.slow
def test_chromium_renders_the_report_without_console_errors(tmp_path, capsys):
    run = _run(tmp_path)
    assert main(["report", str(run), "--bootstrap", "200", "--intensity", "350", "--embodied-kg", "1000"]) == 0
    opened = open_page(run / "report.html", tmp_path)
    assert opened.console == [], opened.console
    assert ink(opened.screenshot) > 0.02, "the screenshot is (nearly) blank"


@pytest.mark.slow
def test_the_browser_check_sees_console_errors_and_blank_pages(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>console.error('boom'); notDefined();</script></body></html>")
    opened = open_page(bad, tmp_path, 400, 300)
    assert any("boom" in line for line in opened.console)
    assert any("notDefined" in line for line in opened.console)
    assert ink(opened.screenshot) < 0.001
