"""What a new user meets first in the analysis: incomplete runs said so at the top, F1 tolerance in
points, output piped into head, and LaTeX tables that compile (issue 15, items 7 and 8)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from synthetic import fabricate, write_run

from clitools import cli_env
from harness.analysis.tables import Options, analysis_tables, to_latex
from harness.results.load import load_results
from harness.cli import main


def incomplete_run(tmp_path):
    trials = fabricate(algorithms={"svm": 1.0, "knn": 0.1}, repetitions=3)
    return write_run(tmp_path / "run", trials.iloc[:-7], {"run": "synthetic", "baseline": None,
                                                          "n_trials": len(trials)}), len(trials)


@pytest.mark.slow
@pytest.mark.parametrize("command", [["analyze"], ["figures"], ["compare", "--candidate", "svm"]])
def test_an_incomplete_run_says_n_of_m_planned_trials_first(tmp_path, capsys, command):
    run, planned = incomplete_run(tmp_path)
    extra = ["--bootstrap", "100"] if command[0] != "figures" else []
    assert main([command[0], str(run), *command[1:], *extra]) == 0
    out = capsys.readouterr().out
    top = [line for line in out.splitlines() if line.strip()][:2]
    assert any(f"{planned - 7} of {planned} planned trials" in line for line in top), top


def test_a_complete_run_does_not_claim_to_be_incomplete(tmp_path, capsys):
    trials = fabricate(algorithms={"svm": 1.0}, repetitions=3)
    run = write_run(tmp_path / "run", trials, {"run": "x", "baseline": None, "n_trials": len(trials)})
    assert main(["analyze", str(run), "--bootstrap", "100"]) == 0
    assert "planned" not in capsys.readouterr().out


@pytest.mark.parametrize("points, level", [(1, 0.9), (5, 0.5)])
def test_f1_tolerance_is_in_points_like_the_tables(tmp_path, capsys, points, level):
    # F1 falls 1 point per 10% of rows removed: 1 point tolerated keeps 90%, 5 points keep 50%.
    trials = fabricate(algorithms={"svm": 1.0}, repetitions=3, noise=0.0, sweeps=("rows",),
                       f1={"svm": lambda r, q: 0.9 - 0.1 * (1 - r)})
    run = write_run(tmp_path / "run", trials)
    assert main(["analyze", str(run), "--bootstrap", "100", "--f1-tolerance", str(points)]) == 0
    best = (run / "analysis/tradeoff_best.csv").read_text().splitlines()[1]
    assert f",{level}," in best, best
    assert f"at most {points} F1 point" in (run / "analysis/tradeoff_best.md").read_text()


def test_f1_tolerance_above_100_points_is_refused_with_the_reason(tmp_path, capsys):
    run = write_run(tmp_path / "run", fabricate(repetitions=2))
    assert main(["analyze", str(run), "--f1-tolerance", "101"]) == 2
    err = capsys.readouterr().err
    assert "F1 points" in err and err.count("\n") == 1


@pytest.mark.slow
def test_output_piped_into_head_ends_quietly(tmp_path):
    run = write_run(tmp_path / "run", fabricate(algorithms={"svm": 1.0, "knn": 0.1}, repetitions=3))
    proc = subprocess.Popen([sys.executable, "-m", "harness", "analyze", str(run), "--bootstrap", "100"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env())
    proc.stdout.readline()
    proc.stdout.close()  # what head does after its lines
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert proc.returncode in (0, 141)


def _tabular_columns(tex: str) -> tuple[int, list[int]]:
    """(columns declared by the tabular, cells per row) of one of our .tex tables."""
    spec = re.search(r"\\begin\{tabular\}\{([^}]*)\}", tex).group(1)
    body = tex.split(r"\toprule", 1)[1].split(r"\bottomrule", 1)[0]
    widths = []
    for line in body.splitlines():
        line = line.strip()
        if not line.endswith(r"\\"):
            continue
        span = re.match(r"\\multicolumn\{(\d+)\}", line)
        widths.append(int(span.group(1)) if span else len(re.split(r"(?<!\\)&", line)))
    return len(spec), widths


def _all_tables(tmp_path, trials):
    results = load_results(write_run(tmp_path / "run", trials))
    tables, _ = analysis_tables(results, Options(n_resamples=100))
    return tables


@pytest.mark.slow
def test_every_tex_table_has_as_many_cells_per_row_as_columns(tmp_path):
    tables = _all_tables(tmp_path, fabricate(repetitions=4, noise=0.0))  # nothing dropped: empty cleaning
    cleaning = next(t for t in tables if t.name == "cleaning")
    assert cleaning.display.empty
    for table in tables:
        n, widths = _tabular_columns(to_latex(table))
        assert widths and all(w == n for w in widths), (table.name, n, widths)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed (apt-get install texlive-latex-base texlive-latex-recommended)")
def test_every_tex_table_compiles(tmp_path):
    tables = _all_tables(tmp_path, fabricate(repetitions=4, noise=0.0))
    body = "\n".join(to_latex(t) for t in tables)
    doc = tmp_path / "tables.tex"
    doc.write_text("\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{booktabs}\n"
                   "\\begin{document}\n" + body + "\n\\end{document}\n")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "Error" not in proc.stdout
