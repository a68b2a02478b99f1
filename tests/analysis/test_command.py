"""End to end through the CLI: analyze, figures and compare on a run directory."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from synthetic import fabricate, write_run

from harness.cli import main
from harness.results.read import read_results_file


@pytest.fixture
def run_with_outlier(tmp_path):
    trials = fabricate(algorithms={"svm": 1.0, "knn": 0.1}, repetitions=12, noise=0.0)
    trials["train_energy_j"] *= 1 + trials["repetition"] / 100
    outlier = trials.index[(trials["algorithm"] == "svm") & (trials["sweep"] == "rows")
                           & (trials["row_fraction"] == 1.0)][5]
    trials.loc[outlier, "train_energy_j"] = 1000.0
    return write_run(tmp_path / "run", trials)


def test_analyze_writes_tables_that_agree_with_trials_csv(run_with_outlier, capsys):
    assert main(["analyze", str(run_with_outlier), "--bootstrap", "200"]) == 0
    printed = capsys.readouterr().out
    out = run_with_outlier / "analysis"
    for name in ("cleaning", "normality", "normality_summary", "rq1_energy", "rq2_energy_spearman",
                 "rq3_f1_spearman", "tradeoff", "tradeoff_best"):
        for suffix in (".md", ".tex", ".csv"):
            assert (out / f"{name}{suffix}").is_file(), name + suffix
    assert printed.startswith((out / "analysis.md").read_text()[:200])
    assert "estimated energy (CPU-time model, not measured)" in printed

    trials = read_results_file(run_with_outlier / "trials.csv").frame()
    full = trials[(trials["row_fraction"] == 1.0) & (trials["feature_fraction"] == 1.0)]
    full = full[full["train_energy_j"] < 1000]  # the planted outlier is cleaned away
    expected = full.groupby("algorithm")["train_energy_j"].median()
    rq1 = pd.read_csv(out / "rq1_energy.csv").set_index("algorithm")
    assert rq1["median_train_energy_j"].to_dict() == pytest.approx(expected.to_dict())
    assert rq1.loc["svm", "n_trials"] == 23
    assert f"{expected['svm']:.4g}" in printed

    cleaning = pd.read_csv(out / "cleaning.csv")
    assert cleaning["dropped_outliers"].sum() == 1 and cleaning["cleaned"].all()


def test_no_clean_keeps_the_outlier(run_with_outlier, tmp_path, capsys):
    out = tmp_path / "kept"
    assert main(["analyze", str(run_with_outlier), "--no-clean", "--out", str(out),
                 "--bootstrap", "200"]) == 0
    assert "Not cleaned (--no-clean)" in capsys.readouterr().out
    rq1 = pd.read_csv(out / "rq1_energy.csv").set_index("algorithm")
    assert rq1.loc["svm", "n_trials"] == 24
    trade = pd.read_csv(out / "tradeoff.csv")
    assert trade["n_trials"].sum() == 2 * 2 * 10 * 12


def test_compare_ten_times_cheaper(tmp_path, capsys):
    run = write_run(tmp_path / "run", fabricate(algorithms={"cheap": 0.1, "base": 1.0},
                                                repetitions=10, noise=0.05))
    assert main(["compare", str(run), "--candidate", "cheap", "--baselines", "base",
                 "--bootstrap", "500"]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(run / "analysis" / "compare_cheap.csv")
    combined = table[table["scope"] == "combined"].iloc[0]
    assert combined["energy_ratio"] == pytest.approx(0.1, rel=0.1)
    assert combined["magnitude"] == "large"
    assert combined["verdict"] == "greener and as accurate across configurations"
    full = table[(table["scope"] == "configuration") & (table["configuration"] == "rows 100%, features 100%")]
    assert full["ratio_ci_low"].item() <= 0.1 <= full["ratio_ci_high"].item()
    assert "greener and as accurate" in printed and "van Elteren" in printed


@pytest.mark.slow
def test_figures_are_written(tmp_path, capsys):
    run = write_run(tmp_path / "run", fabricate(repetitions=5))
    assert main(["figures", str(run), "--log", "--intensity", "DEU", "--embodied-kg", "1200"]) == 0
    for name in ("rq1_energy", "rq2_energy", "rq3_f1", "qq_energy", "qq_f1", "tradeoff", "carbon"):
        for suffix in (".png", ".pdf"):
            path = run / "figures" / f"{name}{suffix}"
            assert path.is_file() and path.stat().st_size > 1000, path
    index = json.loads((run / "figures" / "index.json").read_text())
    assert [f["name"] for f in index["figures"]][-1] == "carbon" and index["skipped"] == []


@pytest.mark.slow
def test_too_few_repetitions_skip_qq_with_one_line_each(tmp_path, capsys):
    run = write_run(tmp_path / "run", fabricate(repetitions=5))
    assert main(["figures", str(run)]) == 0
    assert (run / "figures" / "qq_f1.png").is_file()
    (run / "trials.csv").unlink()
    run = write_run(run, fabricate(repetitions=2))  # the same directory, fewer repetitions
    capsys.readouterr()
    assert main(["figures", str(run)]) == 0
    out = capsys.readouterr().out
    skipped = [line for line in out.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 2 and all("2 trials per configuration" in line for line in skipped)
    assert not (run / "figures" / "qq_f1.png").exists()  # no stale figure from the earlier run


@pytest.mark.parametrize("argv, message", [
    (["compare", "{run}", "--candidate", "nope"], "not in the results"),
    (["analyze", "{run}", "--net"], "--net subtracts idle power measured by a hardware meter"),
    (["analyze", "{run}/missing.csv"], "no such run directory"),
    (["analyze", "{run}", "--f1-tolerance", "-1"], "--f1-tolerance"),
    (["analyze", "{run}", "--intensity", "XYZ"], "--intensity 'XYZ'"),
    (["figures", "{run}", "--pue", "1.2"], "--pue needs --intensity"),
    (["analyze", "{run}", "--intensity", "300", "--pue", "0.5"], "--pue must be >= 1"),
    (["analyze", "{run}", "--intensity", "1e9"], "no grid emits more than 2000"),
    (["report", "{run}", "--intensity", "400", "--pue", "50"], "--pue must be at most 3"),
    (["analyze", "{run}", "--target-f1", "0.9"], "--target-f1 applies to tuning runs"),
    (["analyze", "{run}", "--target-fraction", "0.8"], "--target-fraction applies to tuning runs"),
])
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, capsys, argv, message):
    run = write_run(tmp_path / "run", fabricate(repetitions=2))
    assert main([a.format(run=run) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_negative_bootstrap_seed_is_one_line(synthetic_run, capsys):
    from harness.cli import main

    assert main(["analyze", str(synthetic_run), "--seed", "-1"]) == 2
    err = capsys.readouterr().err
    assert "--seed must be an integer >= 0" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv, needle", [(["--intensity", "1500"], "--intensity 1500 gCO2e/kWh is above every country"),
                                          (["--intensity", "400", "--pue", "2.5"], "--pue 2.5 is unusual")])
def test_unusual_carbon_inputs_are_one_warning_and_still_computed(tmp_path, capsys, argv, needle):
    run = write_run(tmp_path / "run", fabricate(repetitions=2))
    assert main(["analyze", str(run), "--bootstrap", "100", *argv]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("harness: warning: ") and needle in err, err
    assert (run / "analysis" / "carbon.csv").is_file()


def test_a_torn_last_line_is_said_once_and_the_rest_analysed(tmp_path, capsys):
    run = write_run(tmp_path / "run", fabricate(repetitions=2))
    text = (run / "trials.csv").read_text()
    whole = text.count("\n") - 1
    (run / "trials.csv").write_text(text + text.splitlines(keepends=True)[1][:40])  # a write cut short
    assert main(["analyze", str(run), "--bootstrap", "100"]) == 0
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and f"{run / 'trials.csv'}: its last line (40 bytes" in err, err
    assert "same 'harness run' command" in err
    assert f"Source: run; {whole} trials" in out  # every complete row, not the torn one
