"""Per-factor analysis with known answers: slices, savings against the untreated trials, the best
tactic within an F1 tolerance, and the cells of a factorial sweep."""

import numpy as np
import pandas as pd
import pytest

from harness.analysis import factors


def _trials():
    rows = []
    # untreated: 10 J, F1 0.9; svd=10: 2 J, F1 0.85 (too costly in F1); chi2=0.1: 4 J, F1 0.895; grid cell 1 J
    spec = [("base", "none", {}, 10.0, 0.90), ("svd", "svd=10", {"svd": "10"}, 2.0, 0.85),
            ("svd", "svd=50", {"svd": "50"}, 5.0, 0.90), ("chi2", "chi2=0.1", {"chi2": "0.1"}, 4.0, 0.895),
            ("grid", "chi2=0.1+svd=10", {"chi2": "0.1", "svd": "10"}, 1.0, 0.80)]
    for sweep, label, levels, e, f1 in spec:
        for rep in range(4):
            rows.append({"algorithm": "svm", "sweep": sweep, "treatment": label, "repetition": rep,
                         "train_energy_j": e * (1 + 0.01 * rep), "f1": f1, "n_train": 100,
                         "n_features": int(levels.get("svd", 1000)) if "svd" in levels else 1000,
                         "level_chi2": levels.get("chi2", "none"), "level_svd": levels.get("svd", "none")})
    return pd.DataFrame(rows)


def test_slices_hold_one_factor_and_the_untreated_reference():
    slices = factors.factor_slices(_trials())
    assert set(slices) == {"svd", "chi2"}
    assert sorted(slices["svd"]["level"].unique()) == ["10", "50", "none"]
    assert "chi2=0.1+svd=10" not in set(slices["svd"]["treatment"])


def test_savings_and_best_tactic_within_tolerance():
    trade = factors.tradeoff(_trials(), n_resamples=200)
    svd10 = trade[(trade.factor == "svd") & (trade.level == "10")].iloc[0]
    assert np.isclose(svd10.saving_pct, 80.0, atol=0.5) and np.isclose(svd10.f1_change_pts, -5.0)
    best = factors.best_tactic(trade, 0.01).iloc[0]
    assert (best.factor, best.level) == ("chi2", "0.1") and np.isclose(best.saving_pct, 60.0, atol=0.5)
    assert best.runner_up.startswith("svd=50")


def test_factorial_cells_and_correlation_variable():
    cells = factors.factorial_cells(_trials())
    assert len(cells) == 1 and np.isclose(cells.iloc[0].saving_pct, 90.0, atol=0.5)
    with_predict = _trials().assign(preprocess_energy_j=1.0, predict_energy_j=2.0, n_test=50)
    cell = factors.factorial_cells(with_predict).iloc[0]
    assert np.isclose(cell.median_predict_energy_per_row_j, 0.04)  # 2 J over 50 test rows
    assert np.isclose(cell.median_trial_energy_j, 1.0 + 1.015 + 2.0)  # preprocess + median train + predict
    corr = factors.correlations(_trials(), "train_energy_j")
    # chi2 keeps n_features here (synthetic): its x is the fraction kept, none = 1.0, never "bits" with none = 64
    assert dict(zip(corr.factor, corr.variable)) == {"svd": "n_features", "chi2": "level_value"}
    chi2 = corr.set_index("factor").loc["chi2"]
    assert chi2.n_levels == 2 and chi2.n_trials == 8 and chi2.rho > 0  # 10 J at 1.0 (none), 4 J at 0.1
    assert factors.level_bits("float32") == 32 and factors.level_bits("none") == 64


def _one_factor(factor, levels, energy):
    """svm trials of one factor: untreated (10 J) and each level (energy[level] J), 3 repetitions."""
    rows = []
    for level in ["none", *levels]:
        for rep in range(3):
            rows.append({"algorithm": "svm", "sweep": factor if level != "none" else "base",
                         "treatment": "none" if level == "none" else f"{factor}={level}", "repetition": rep,
                         "train_energy_j": (10.0 if level == "none" else energy[level]) * (1 + 0.01 * rep),
                         "f1": 0.9, "n_train": 100, "n_features": 1000, f"level_{factor}": level})
    return pd.DataFrame(rows)


def test_dtype_and_kbits_correlate_with_bits_per_value():
    dtype = factors.correlations(_one_factor("dtype", ["float32", "float16"], {"float32": 8.0, "float16": 6.0}),
                                 "train_energy_j").iloc[0]
    # no fit_dtype recorded in these rows: the requested bits, and the row says so
    assert (dtype.variable, dtype.n_levels) == ("bits (requested)", 3) and dtype.rho > 0.9  # 6 J at 16 < 8 J at 32 < 10 J at 64
    assert "not recorded" in dtype.note
    # a step named otherwise is still kbits when the manifest says so: 1, 8 bits and none = 64
    quant = _one_factor("quant", ["1", "8"], {"1": 4.0, "8": 7.0})
    kb = factors.correlations(quant, "train_energy_j", tactics={"quant": "kbits"}).iloc[0]
    assert kb.variable == "kbits (value resolution)"
    assert factors.correlations(quant, "train_energy_j", tactics={"quant": "kbits"}).iloc[0].rho > 0.9


def test_a_user_tactic_is_correlated_with_its_level_not_bits():
    # a user step with numeric levels: "none" has no known value, so it is left out (was 64 "bits")
    corr = factors.correlations(_one_factor("mine", ["2", "3"], {"2": 30.0, "3": 20.0}), "train_energy_j").iloc[0]
    assert corr.variable == "level_value" and corr.n_levels == 2 and corr.n_trials == 6
    assert corr.rho < 0  # 30 J at level 2, 20 J at level 3


def test_best_tactic_says_nothing_saves_rather_than_a_negative_saving():
    # k-NN float32: 18% MORE energy, F1 unchanged -> not a "best" tactic
    trade = factors.tradeoff(_one_factor("dtype", ["float32"], {"float32": 11.8}), n_resamples=200)
    assert trade.loc[trade.level == "float32", "saving_pct"].iloc[0] < 0
    best = factors.best_tactic(trade, 0.01).iloc[0]
    assert best.outcome == "nothing saves" and best.factor is None and np.isnan(best.saving_pct)
    assert best.runner_up is None


def test_runner_up_lists_only_a_saving():
    trials = pd.concat([_one_factor("dtype", ["float32"], {"float32": 12.0}),
                        _one_factor("svd", ["10"], {"10": 5.0}).query("treatment != 'none'")], ignore_index=True)
    best = factors.best_tactic(factors.tradeoff(trials, n_resamples=200), 0.01).iloc[0]
    assert (best.factor, best.outcome, best.runner_up) == ("svd", "saves", None)


def test_whole_trial_energy_ranks_a_tactic_whose_own_cost_outweighs_its_training_saving():
    """Issue 21, item 4, the failing input's kind: SVD to 50 components on the decision tree saved 22.1% of
    training energy while the whole trial cost 26% more (the projection's preprocessing). Hand values:
    untreated 1 + 10 + 1 J (preprocess + train + predict) = 12 J; svd=50: 8.2 + 7.8 + 1 = 17 J.
    Training saving 1 - 7.8 / 10 = 22%; whole-trial saving 1 - 17 / 12 = -41.7% (costs more)."""
    rows = []
    for level, (pre, train, pred) in {"none": (1.0, 10.0, 1.0), "50": (8.2, 7.8, 1.0)}.items():
        for rep in range(4):
            k = 1 + 0.01 * rep
            rows.append({"algorithm": "decision_tree", "sweep": "base" if level == "none" else "svd",
                         "treatment": "none" if level == "none" else "svd=50", "repetition": rep,
                         "preprocess_energy_j": pre * k, "train_energy_j": train * k, "predict_energy_j": pred * k,
                         "n_test": 100, "f1": 0.9, "n_train": 100, "n_features": 1000 if level == "none" else 50,
                         "level_svd": level})
    trade = factors.tradeoff(pd.DataFrame(rows), n_resamples=200)
    svd = trade[trade.level == "50"].iloc[0]
    assert np.isclose(svd.saving_pct, 22.0)
    assert np.isclose(svd.trial_saving_pct, 100 * (1 - 17 / 12))
    assert np.isclose(svd.median_trial_energy_j, 17 * 1.015)
    assert np.isclose(svd.median_predict_energy_per_row_j, 1.015 / 100)  # J per prediction: predict J / test rows
    by_trial = factors.best_tactic(trade, 0.01).iloc[0]  # the default ranks on the whole trial
    assert by_trial.outcome == "nothing saves" and by_trial.ranked_on.startswith("whole trial")
    by_train = factors.best_tactic(trade, 0.01, energy="train").iloc[0]
    assert (by_train.factor, by_train.level) == ("svd", "50") and np.isclose(by_train.saving_pct, 22.0)
    assert np.isclose(by_train.trial_saving_pct, 100 * (1 - 17 / 12))


def test_dtype_factor_is_analysed_by_what_reached_the_estimator():
    """Issue 21, item 8: RQ2 correlated the dtype factor with the requested bits (64/32) although the decision
    tree computes in float32 at both levels. With fit_dtype recorded: nominal for the tree (no rho), and
    for an estimator that computes in what it gets, rho over the bits it computed in."""
    tree = _one_factor("dtype", ["float32"], {"float32": 8.0}).assign(algorithm="decision_tree", fit_dtype="float32")
    svm = _one_factor("dtype", ["float32"], {"float32": 8.0})
    svm["fit_dtype"] = np.where(svm["level_dtype"] == "float32", "float32", "float64")
    corr = factors.correlations(pd.concat([tree, svm], ignore_index=True), "train_energy_j").set_index("algorithm")
    assert corr.loc["decision_tree", "variable"] == "fit_dtype bits"
    assert np.isnan(corr.loc["decision_tree", "rho"]) and corr.loc["decision_tree", "note"].startswith("nominal")
    assert corr.loc["svm", "variable"] == "fit_dtype bits" and corr.loc["svm", "note"] == ""
    # 8 J at 32 bits, 10 J at 64 (3 trials each): rho as scipy gives it on (fit_dtype bits, energy)
    from scipy import stats as sps
    g = svm.assign(b=np.where(svm["fit_dtype"] == "float32", 32.0, 64.0))
    assert corr.loc["svm", "rho"] == pytest.approx(sps.spearmanr(g["b"], g["train_energy_j"]).statistic)
    # older rows without fit_dtype but with input_dtype: that is what reached the estimator
    old = _one_factor("dtype", ["float32"], {"float32": 8.0})
    old["input_dtype"] = np.where(old["level_dtype"] == "float32", "float32", "float64")
    assert factors.correlations(old, "train_energy_j").iloc[0].variable == "input_dtype bits"


def test_kbits_says_its_values_reach_the_estimator_as_float64():
    quant = _one_factor("kbits", ["1", "8"], {"1": 4.0, "8": 7.0}).assign(input_dtype="float64")
    row = factors.correlations(quant, "train_energy_j").iloc[0]
    assert row.variable == "kbits (value resolution)" and "float64 at every level" in row.note and row.rho > 0.9
