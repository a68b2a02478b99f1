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
    assert "Figures not drawn" in page and "2 trials per configuration" in page
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


@pytest.mark.slow
def test_one_repetition_is_singular(tmp_path, capsys):
    # issue 22 item 7: "Only 1 repetitions ... rest on 1 values each"
    run = _run(tmp_path, repetitions=1)
    assert main(["report", str(run), "--bootstrap", "200"]) == 0
    page = (run / "report.html").read_text(encoding="utf-8")
    assert "Only 1 repetition per configuration" in page and "1 repetitions" not in page
    # no interval is given below 5 trials a side: the finding says so, never "rest on 1 value" nor "CI undefined"
    assert "no bootstrap confidence interval is given (they need 5 values a side)" in page
    assert "rest on" not in page and "CI undefined" not in page


def test_counted_takes_the_number_of_its_count():
    from harness.errors import counted

    assert [counted(n, "trial") for n in (0, 1, 2, 1200)] == ["0 trials", "1 trial", "2 trials", "1,200 trials"]


@pytest.mark.slow
def test_report_out_writes_nothing_into_the_run(tmp_path, capsys):
    # issue 22 item 7: with --out the tables and figures still went into the run (a read-only run
    # could not be reported, and the refusal said "pass a writable --out" when one was given)
    run = _run(tmp_path)
    before = sorted((p.relative_to(run), p.stat().st_mtime_ns) for p in run.rglob("*"))
    out = tmp_path / "elsewhere" / "r.html"
    assert main(["report", str(run), "--out", str(out), "--bootstrap", "200"]) == 0
    assert sorted((p.relative_to(run), p.stat().st_mtime_ns) for p in run.rglob("*")) == before
    assert out.is_file() and any((tmp_path / "elsewhere" / "r-figures").iterdir())
    assert any((tmp_path / "elsewhere" / "r-analysis").glob("*.csv"))


@pytest.mark.slow
def test_sessions_are_fields_not_json_and_the_page_fits_1280_px(tmp_path, capsys):
    # issue 22 item 7: the Sessions table printed raw JSON cells and widened the page to 1,724 px at 1,280
    import subprocess
    import tempfile

    from browser import FLAGS, chromium

    session = {"started_at": "2026-12-01T10:00:00+00:00", "finished_at": "2026-12-01T11:00:00+00:00",
               "resumed_with_done": 0, "meter_summary": "estimate (ESTIMATED energy, not measured), total = cpu " * 3,
               "versions": {"harness": "0.1.0", "scikit-learn": "1.9.1", "numpy": "2.4.6", "scipy": "1.16.0",
                            "pandas": "2.3.0", "python": "3.11.7"},
               "machine": {"cpu_model": "Intel(R) Xeon(R) Platinum 8480C with a long model name", "cpu_count": 224,
                           "memory_gb": 2015.6, "os": "Linux-6.8.0-generic-x86_64-with-glibc2.39"},
               "trials_done": 150}
    trials = fabricate(repetitions=5)
    run = write_run(tmp_path / "run", trials, {**MANIFEST, "n_trials": len(trials), "sessions": [session, session]})
    assert main(["report", str(run), "--bootstrap", "200"]) == 0
    page = (run / "report.html").read_text(encoding="utf-8")
    sessions = page[page.index("<section id='prov-sessions'>"):]
    sessions = sessions[: sessions.index("</section>")]
    assert '{"' not in html.unescape(sessions) and "scikit-learn" in sessions
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", "<script>document.title = 'W' + "
                                  "document.documentElement.scrollWidth</script></body>"), encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        dom = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", "--window-size=1280,800",
                              "--dump-dom", probe.resolve().as_uri()], capture_output=True, text=True,
                             timeout=180).stdout
    width = int(re.search(r"<title>W(\d+)</title>", dom).group(1))
    assert width <= 1280, f"the page is {width} px wide at 1,280"
