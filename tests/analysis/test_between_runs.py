"""Issue 21 item 11: a one-run CI covers that run's sampling only; with several runs of one design,
analyze reports the spread between runs (the range of run medians per configuration)."""

from __future__ import annotations

import pandas as pd
import pytest
from synthetic import fabricate, write_run

from harness.analysis import stats
from harness.analysis.tables import CI_SCOPE_NOTE, SELECTION_NOTE, Options, analysis_tables
from harness.results.load import load_results, pool

SESSION = {"versions": {"scikit-learn": "1.9.1", "numpy": "2.4.6"}, "executor": {"kind": "local"}}


def _run(where, name, scale):
    t = fabricate(algorithms={"svm": 0.5, "knn": 0.02}, repetitions=3)
    t = t.assign(run=name, train_energy_j=t["train_energy_j"] * scale)
    manifest = {"run": name, "baseline": None, "dataset": {"name": "sms_spam", "sha256": "a" * 64},
                "sessions": [SESSION]}
    return write_run(where / name, t, manifest)


def test_between_runs_is_the_range_of_run_medians_by_hand():
    t = pd.DataFrame({"algorithm": ["svm"] * 6, "row_fraction": [1.0] * 6, "feature_fraction": [1.0] * 6,
                      "run": ["a", "a", "a", "b", "b", "b"], "train_energy_j": [1.0, 2.0, 9.0, 4.0, 5.0, 6.0],
                      "f1": [0.9, 0.8, 0.7, 0.6, 0.6, 0.9]})
    row = stats.between_runs(t).iloc[0]
    assert row["n_runs"] == 2
    assert (row["min_run_median_train_energy_j"], row["max_run_median_train_energy_j"]) == (2.0, 5.0)
    assert row["run_median_energy_ratio"] == pytest.approx(2.5)
    assert (row["min_run_median_f1"], row["max_run_median_f1"]) == (0.6, 0.8)
    assert stats.between_runs(t[t["run"] == "a"]).empty


@pytest.mark.slow
def test_analyze_of_two_runs_reports_their_spread_and_one_run_does_not(tmp_path):
    a, b = _run(tmp_path, "a", 1.0), _run(tmp_path, "b", 2.0)
    pooled, _ = pool([load_results(a), load_results(b)])
    tables = {t.name: t for t in analysis_tables(pooled, Options(n_resamples=100))[0]}
    spread = tables["between_runs"].frame
    assert (spread["n_runs"] == 2).all() and spread["run_median_energy_ratio"].to_numpy() == pytest.approx(2.0)
    assert CI_SCOPE_NOTE in tables["tradeoff"].notes and SELECTION_NOTE in tables["tradeoff_best"].notes
    alone = {t.name for t in analysis_tables(load_results(a), Options(n_resamples=100))[0]}
    assert "between_runs" not in alone and "tradeoff" in alone
