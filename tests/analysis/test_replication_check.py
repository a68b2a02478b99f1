"""``harness replication``: a run's median F1 per configuration against the published CIs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic import fabricate, write_run
from synthetic import write_ict4s22

from harness.cli.replication import compare_to_published, summary_lines
from harness.cli import main

KEY = ["algorithm", "sweep", "row_fraction", "feature_fraction"]


def _config(f1s, algorithm="bagging"):
    return pd.DataFrame({"algorithm": algorithm, "sweep": "rows", "row_fraction": 0.1, "feature_fraction": 1.0,
                         "f1": f1s})


def test_median_inside_a_spread_ci_and_outside_by_its_distance():
    published = _config(np.linspace(0.80, 0.90, 30))
    inside = compare_to_published(_config([0.84, 0.85, 0.86]), published)
    assert inside["outside_pts"].tolist() == [0.0]
    low, high = inside.loc[0, ["ci_low", "ci_high"]]
    assert 0.80 < low < 0.85 < high < 0.90
    above = compare_to_published(_config([0.95, 0.95, 0.96]), published)
    assert above.loc[0, "outside_pts"] == pytest.approx(100 * (0.95 - high))
    below = compare_to_published(_config([0.70]), published)
    assert below.loc[0, "outside_pts"] == pytest.approx(100 * (0.70 - low))


def test_a_deterministic_published_value_must_be_equalled():
    published = _config([0.8372] * 30, "svm")
    assert compare_to_published(_config([0.83721], "svm"), published)["outside_pts"].tolist() == [0.0]
    miss = compare_to_published(_config([0.8470], "svm"), published)
    assert miss.loc[0, "outside_pts"] == pytest.approx(0.98)
    assert np.isnan(miss.loc[0, "mannwhitney_p"])  # one value in the run: no test
    assert summary_lines(miss) == ["svm: 0 of 1 configurations inside the published median's CI; "
                                   "1 outside by +0.98 to +0.98 F1 points"]
    # two values against 30 ties: the exact permutation p is 2 / C(32, 2) (asymptotic: ~1e-7)
    two = compare_to_published(_config([0.8470, 0.8470], "svm"), published)
    assert two.loc[0, "mannwhitney_p"] == pytest.approx(2 / 496)
    assert summary_lines(two)[0].endswith("distributions differ (Mann-Whitney, Holm-adjusted p < 0.05) in 1 of 1")
    equal = compare_to_published(_config([0.8372] * 5, "svm"), published)
    assert np.isnan(equal.loc[0, "mannwhitney_p"])  # the same value on both sides: nothing to test


def test_a_shifted_distribution_is_significant_after_holm():
    published = pd.concat([_config(np.linspace(0.80, 0.90, 30), a) for a in ("bagging", "svm")])
    run = pd.concat([_config(np.linspace(0.80, 0.90, 30), "bagging"), _config(np.linspace(0.85, 0.95, 30), "svm")])
    table = compare_to_published(run, published).set_index("algorithm")
    assert table.loc["bagging", "holm_p"] > 0.5
    assert table.loc["svm", "mannwhitney_p"] < 0.01 and table.loc["svm", "holm_p"] < 0.05


def test_configurations_the_published_file_lacks_are_left_out():
    table = compare_to_published(_config([0.8], "svm"), _config([0.8] * 3, "knn"))
    assert table.empty


def test_cli_writes_the_table_and_says_what_is_not_compared(tmp_path, capsys):
    published = write_ict4s22(tmp_path / "experiment_data.csv", algorithms=("Random Forest", "Bagging Classifier"))
    # the fixture's published F1: 0.8 + 0.01 x row fraction on the rows sweep, 0.85 on the features sweep
    # (the F1 function sees no sweep: at 100%/100% it gives 0.81, right for rows, 4 points low for features)
    truth = {"random_forest": lambda r, f: 0.85 if f < 1.0 else 0.8 + 0.01 * r, "bagging": lambda r, f: 0.9}
    trials = fabricate(algorithms={"random_forest": 1.0, "bagging": 1.0}, repetitions=3, f1=truth)
    run = write_run(tmp_path / "faithful", trials, {"run": "faithful", "baseline": None,
                                                      "spec": {"replication": "ict4s22"}})
    assert main(["replication", str(run), str(published)]) == 0
    out = capsys.readouterr().out
    assert "energy is not compared" in out and "not in faithful mode" not in out
    table = pd.read_csv(run / "analysis" / "replication.csv")
    assert len(table) == 40
    rf = table[table["algorithm"] == "random_forest"]
    bag = table[table["algorithm"] == "bagging"]
    assert (bag["outside_pts"] > 0).all()
    missed = rf[rf["outside_pts"] != 0]
    assert missed[["sweep", "feature_fraction"]].values.tolist() == [["features", 1.0]]
    assert missed["outside_pts"].iloc[0] == pytest.approx(-4.0)
    assert (run / "analysis" / "replication.md").read_text().count("| bagging |") == 20


def test_cli_refuses_the_published_file_as_the_run(tmp_path, capsys):
    published = write_ict4s22(tmp_path / "experiment_data.csv")
    assert main(["replication", str(published), str(published)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "run directory" in err


def test_cli_says_when_the_run_is_not_faithful(tmp_path, capsys):
    published = write_ict4s22(tmp_path / "experiment_data.csv", algorithms=("Bagging Classifier",))
    run = write_run(tmp_path / "default", fabricate(algorithms={"bagging": 1.0}, repetitions=2))
    assert main(["replication", str(run), str(published)]) == 0
    assert "not in faithful mode" in capsys.readouterr().out
