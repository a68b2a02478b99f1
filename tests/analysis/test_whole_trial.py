"""Whole-trial energy beside training energy (issue 21, item 4): preprocess + train + predict, and the energy
per prediction, in the trade-off, compare and their tables; hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from synthetic import fabricate

from harness.analysis import stats
from harness.analysis.tables import analysis_tables, compare_table, to_markdown
from harness.results.load import Results


def test_trial_energy_sums_the_phases_and_a_missing_phase_leaves_it_undefined():
    t = pd.DataFrame({"preprocess_energy_j": [1.0, 1.0], "train_energy_j": [2.0, math.nan],
                      "predict_energy_j": [0.5, 0.5], "n_test": [100, 100]})
    out = stats.with_trial_energy(t)
    assert out["trial_energy_j"].iloc[0] == 3.5 and math.isnan(out["trial_energy_j"].iloc[1])
    assert out["predict_energy_per_row_j"].iloc[0] == pytest.approx(0.005)  # 0.5 J / 100 test rows


def test_legacy_tradeoff_has_the_whole_trial_saving_beside_training():
    # fabricate: preprocess 0.01 J, predict = train / 10; svm at 100%: train 0.5 J, at 50% rows 0.25 J (no noise)
    trials = fabricate(algorithms={"svm": 0.5}, repetitions=5, noise=0.0, levels=(0.5, 1.0), sweeps=("rows",))
    trade = stats.tradeoff(trials, n_resamples=99)
    row = trade[trade["fraction"] == 0.5].iloc[0]
    assert row["saving_pct"] == pytest.approx(50.0)
    # whole trial: (0.01 + 1.1 x 0.25) / (0.01 + 1.1 x 0.5) = 0.285 / 0.56
    assert row["trial_saving_pct"] == pytest.approx(100 * (1 - 0.285 / 0.56))
    assert row["median_predict_energy_per_row_j"] == pytest.approx(0.025 / 1672)
    tables, _ = analysis_tables(Results(trials=trials, source=None, layout="run"))
    text = to_markdown(next(t for t in tables if t.name == "tradeoff"))
    assert "whole-trial saving (%)" in text and "J/prediction" in text and "Whole trial = preprocess" in text
    rq1 = next(t for t in tables if t.name == "rq1_energy")
    assert "training energy, as in the paper" in rq1.title


def test_compare_reports_the_whole_trial_ratio_beside_training():
    """A candidate that halves training (5 vs 10 J) but preprocesses for 10 J against the baseline's 1 J:
    training ratio 0.5, whole trial (10 + 5 + 1) / (1 + 10 + 1) = 16 / 12."""
    rows = []
    for alg, (pre, train, pred) in {"cand": (10.0, 5.0, 1.0), "base": (1.0, 10.0, 1.0)}.items():
        for rep in range(6):
            k = 1 + 0.01 * rep
            rows.append({"algorithm": alg, "sweep": "full", "row_fraction": 1.0, "feature_fraction": 1.0,
                         "repetition": rep, "seed": rep, "preprocess_energy_j": pre * k, "train_energy_j": train * k,
                         "predict_energy_j": pred * k, "n_test": 50, "f1": 0.9, "meter": "estimate",
                         "energy_estimated": True})
    table = stats.compare(pd.DataFrame(rows), "cand", n_resamples=199)
    r = table.iloc[0]
    assert r["energy_ratio"] == pytest.approx(0.5) and r["trial_energy_ratio"] == pytest.approx(16 / 12)
    assert r["trial_ratio_ci_low"] <= 16 / 12 <= r["trial_ratio_ci_high"]
    assert r["candidate_predict_j_per_row"] == pytest.approx(1.025 / 50)
    shown = compare_table(Results(trials=pd.DataFrame(rows), source=None, layout="run"), "cand", None)
    assert "whole-trial ratio" in shown.display.columns and "training energy" in shown.title
    assert np.isclose(shown.frame["trial_energy_ratio"].iloc[0], 16 / 12)
