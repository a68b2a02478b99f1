"""Statistics on synthetic results with known answers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from synthetic import fabricate

from harness.analysis import stats
from harness.analysis.tables import _best_table
from harness.errors import HarnessError


def test_energy_exactly_linear_in_rows_gives_rho_one():
    trials = fabricate(noise=0.0, repetitions=3)
    table = stats.rq2(trials)
    assert set(table["factor"]) == {"rows", "features"}
    assert np.allclose(table["rho"], 1.0)
    assert (table["p"] <= 2 / (stats.SPEARMAN_RESAMPLES + 1)).all()  # 30 pairs: permutation p, its floor
    assert (table["n_levels"] == 10).all()


def test_planted_outlier_is_blanked_and_kept_without_cleaning():
    trials = fabricate(algorithms={"svm": 1.0}, repetitions=30, noise=0.0)
    # evenly spread energies: no natural |z| >= 3 (the largest is about 1.7)
    trials["train_energy_j"] *= 1 + trials["repetition"] / 100
    target = trials.index[(trials["sweep"] == "rows") & (trials["row_fraction"] == 0.5)][7]
    trials.loc[target, "train_energy_j"] *= 50
    zero = trials.index[(trials["sweep"] == "features") & (trials["feature_fraction"] == 0.3)][0]
    trials.loc[zero, "train_energy_j"] = 0.0
    kept, report = stats.clean(trials)
    assert math.isnan(kept.loc[target, "train_energy_j"]) and math.isnan(kept.loc[zero, "train_energy_j"])
    assert len(kept) == len(trials) and kept["train_energy_j"].isna().sum() == 2  # readings blanked, trials kept
    assert report["dropped_outliers"].sum() == 1
    assert report["dropped_nonpositive"].sum() == 1
    row = report[(report["sweep"] == "rows") & (report["row_fraction"] == 0.5)].iloc[0]
    assert (row["n_trials"], row["dropped_outliers"], row["n_kept"]) == (30, 1, 29)


def test_missing_training_energy_is_blanked_and_counted_with_nonpositive():
    from harness.results.load import Results
    from harness.analysis.tables import analysis_tables, to_markdown

    trials = fabricate(algorithms={"svm": 1.0}, repetitions=4, noise=0.0)
    nan_at = trials.index[(trials["sweep"] == "rows") & (trials["row_fraction"] == 0.5)][:2]
    trials.loc[nan_at, "train_energy_j"] = math.nan  # e.g. pyrapl across a counter wrap
    trials.loc[trials.index[0], "train_energy_j"] = 0.0
    kept, report = stats.clean(trials)
    assert len(kept) == len(trials) and kept["train_energy_j"].isna().sum() == 3
    assert report["dropped_nonpositive"].sum() == 3
    tables, _ = analysis_tables(Results(trials=trials, source=None, layout="run"))
    text = to_markdown(tables[0])
    assert "| <= 0 J or missing |" in text and "3 training-energy reading(s) <= 0 J or missing" in text


def test_identical_energies_have_no_outlier():
    trials = fabricate(algorithms={"svm": 1.0}, repetitions=12, noise=0.0)
    kept, report = stats.clean(trials)
    assert len(kept) == len(trials) and report["dropped_outliers"].sum() == 0


def test_median_trial_uses_nearest_rank_on_even_count():
    # sorted: 1 (pos 1), 2 (pos 3), 3 (pos 2), 4 (pos 0); rank ceil(4/2) = 2 -> value 2, position 3
    assert stats.median_trial_position([4.0, 1.0, 3.0, 2.0]) == 3
    assert stats.median_trial_position([5.0, 1.0, 3.0]) == 2  # odd: the middle one
    assert stats.median_trial_position([2.0, 2.0]) == 0       # ties keep their order


def test_representative_trial_is_the_median_energy_trial():
    trials = fabricate(algorithms={"svm": 1.0}, repetitions=4, noise=0.3, seed=3)
    reps = stats.representative_trials(trials)
    assert len(reps) == trials.groupby(stats.config_columns(trials)).ngroups
    for _, rep in reps.iterrows():
        g = trials[(trials[stats.config_columns(trials)] == rep[stats.config_columns(trials)]).all(axis=1)]
        energies = np.sort(g["train_energy_j"].to_numpy())
        assert rep["train_energy_j"] == energies[1]  # rank 2 of 4


def test_constant_f1_gives_undefined_without_warnings():
    trials = fabricate(repetitions=3, f1={"svm": lambda r, f: 0.5})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = stats.rq3(trials)
        stats.normality(trials)
    svm = table[table["algorithm"] == "svm"]
    assert svm["rho"].isna().all() and svm["p"].isna().all()
    other = table[table["algorithm"] != "svm"]
    assert np.allclose(other["rho"], 1.0)


def test_spearman_p_is_exact_for_few_points():
    assert stats.spearman([1, 2, 3], [10, 20, 30]) == pytest.approx((1.0, 1 / 3))
    rho, p = stats.spearman(range(10), range(10))  # 10 pairs: permutation p, at its floor
    assert rho == pytest.approx(1.0) and p == pytest.approx(2 / (stats.SPEARMAN_RESAMPLES + 1))
    assert all(math.isnan(v) for v in stats.spearman([1, 2], [1, 2]))


def test_rq1_medians_and_spread():
    trials = fabricate(algorithms={"a": 10.0, "b": 0.1}, noise=0.0, repetitions=3)
    table = stats.rq1(trials)
    assert list(table["algorithm"]) == ["b", "a"]
    assert table["median_train_energy_j"].tolist() == pytest.approx([0.1, 10.0])
    assert table["n_trials"].tolist() == [6, 6]  # 100% of both sweeps
    assert stats.rq1_spread(table) == pytest.approx(100.0)
    assert table["ratio_to_min"].tolist() == pytest.approx([1.0, 100.0])


def test_rq1_counts_below_resolution_among_the_readings_it_counts():
    """Before: 'a' with every reading blanked showed 1 of 0 trials below resolution."""
    trials = fabricate(algorithms={"a": 10.0, "b": 0.1}, noise=0.0, repetitions=3)
    trials["train_below_resolution"] = True
    trials.loc[trials["algorithm"] == "a", "train_energy_j"] = np.nan  # every reading of a blanked
    table = stats.rq1(trials).set_index("algorithm")
    assert table.loc["a", "n_trials"] == 0 and table.loc["a", "n_below_resolution"] == 0
    assert table.loc["b", "n_trials"] == 6 and table.loc["b", "n_below_resolution"] == 6


def test_rq1_time_ratio_is_its_own_smallest_median():
    trials = fabricate(algorithms={"a": 10.0, "b": 0.1}, noise=0.0, repetitions=3)
    trials["train_s"] = np.where(trials["algorithm"] == "a", 4.0, 8.0)  # b: less energy, more time
    table = stats.rq1(trials).set_index("algorithm")
    assert table["time_ratio_to_min"].to_dict() == pytest.approx({"a": 1.0, "b": 2.0})
    assert table["ratio_to_min"].to_dict() == pytest.approx({"a": 100.0, "b": 1.0})


def test_tradeoff_saving_and_best_within_tolerance():
    f1 = {"svm": lambda r, f: 0.9 if r * f >= 0.5 else 0.5}
    trials = fabricate(algorithms={"svm": 1.0}, noise=0.0, repetitions=5, f1=f1)  # 5: a CI is given
    trade = stats.tradeoff(trials, n_resamples=200)
    rows = trade[trade["factor"] == "rows"].set_index("fraction")
    assert rows.loc[0.1, "saving_pct"] == pytest.approx(90.0)
    assert rows.loc[0.1, "f1_change_pts"] == pytest.approx(-40.0)
    assert rows.loc[1.0, "saving_pct"] == 0.0
    best = stats.best_saving(trade, f1_tolerance=0.01).set_index("factor")
    assert best.loc["rows", "fraction"] == pytest.approx(0.5)
    assert best.loc["rows", "saving_pct"] == pytest.approx(50.0)
    assert best.loc["rows", "saving_ci_low_pct"] == pytest.approx(50.0)


def test_best_saving_with_undefined_savings_is_none_not_an_error():
    # net energy with a full-data median <= 0 J (analyze --net --no-clean): every saving is NaN
    trials = fabricate(algorithms={"svm": 1.0}, repetitions=3, noise=0.0)
    trials["train_energy_j"] -= 2.0  # more than any trial used: all net energies negative
    trade = stats.tradeoff(trials, n_resamples=100)
    reduced = trade[~np.isclose(trade["fraction"], 1.0)]
    assert reduced["saving_pct"].isna().all()
    best = stats.best_saving(trade, f1_tolerance=1.0)
    assert len(best) == 2 and best["fraction"].isna().all()
    # a NaN saving beside a defined one: the defined one wins
    first_rows_level = trade.index[(trade["factor"] == "rows") & (trade["fraction"] < 1)][0]
    trade.loc[first_rows_level, "saving_pct"] = 10.0
    best = stats.best_saving(trade, f1_tolerance=1.0).set_index("factor")
    assert best.loc["rows", "saving_pct"] == 10.0 and math.isnan(best.loc["features", "saving_pct"])


def test_best_saving_says_nothing_saves_when_every_level_costs_energy():
    trials = fabricate(algorithms={"svm": 1.0}, noise=0.0, repetitions=3)
    trade = stats.tradeoff(trials, n_resamples=100)
    reduced = ~np.isclose(trade["fraction"], 1.0)
    trade.loc[reduced, "saving_pct"] = -18.0  # every reduced level costs 18% more
    trade.loc[reduced & (trade["factor"] == "features"), "f1_change_pts"] = -50.0  # and loses F1 here
    best = stats.best_saving(trade, f1_tolerance=0.01).set_index("factor")
    assert best.loc["rows", "outcome"] == "nothing saves" and math.isnan(best.loc["rows", "saving_pct"])
    assert best.loc["features", "outcome"] == "none qualifies"
    shown = _best_table(stats.best_saving(trade, f1_tolerance=0.01), 0.01).display.set_index("factor")
    assert shown.loc["rows", "level"] == "nothing saves" and "-18" not in shown.loc["rows", "training saving (%)"]


def test_bootstrap_is_seeded():
    rng = np.random.default_rng(1)
    a, b = rng.lognormal(size=20), rng.lognormal(size=20)
    assert stats.bootstrap_median_ratio(a, b, 500, 7) == stats.bootstrap_median_ratio(a, b, 500, 7)
    assert math.isnan(stats.bootstrap_median_ratio(a, [0.0, 0.0])[0])
    assert math.isnan(stats.bootstrap_median_ratio([1.0], b)[1])


def test_ten_times_cheaper_candidate():
    trials = fabricate(algorithms={"cheap": 0.1, "base": 1.0}, repetitions=10, noise=0.05, seed=4)
    table = stats.compare(trials, "cheap", ["base"], n_resamples=500)
    combined = table[table["scope"] == "combined"].iloc[0]
    assert combined["test"] == "van Elteren, normal approximation"
    assert combined["energy_ratio"] == pytest.approx(0.1, rel=0.1)
    assert combined["cliffs_delta"] == -1.0 and combined["magnitude"] == "large"
    assert combined["verdict"] == "greener and as accurate across configurations"
    full = table[(table["scope"] == "configuration") & (table["row_fraction"] == 1.0)
                 & (table["feature_fraction"] == 1.0)]
    assert len(full) == 1 and full["sweep"].item() == "features,rows"  # in both sweeps, counted once
    level = full.iloc[0]
    assert level["cliffs_delta"] == -1.0 and level["n_candidate"] == 10
    assert level["ratio_ci_low"] <= 0.1 <= level["ratio_ci_high"]
    assert len(table) == 20  # 19 distinct configurations + combined
    assert (table["holm_p"] >= table["p"]).all()


def test_compare_rejects_unknown_names():
    trials = fabricate(algorithms={"a": 1.0, "b": 1.0}, repetitions=2)
    with pytest.raises(HarnessError, match="candidate"):
        stats.compare(trials, "zzz")
    with pytest.raises(HarnessError, match="baselines"):
        stats.compare(trials, "a", ["zzz"])


def test_cliffs_delta_sign_and_magnitudes():
    d, p = stats.cliffs_delta([1, 2, 3], [4, 5, 6])
    assert d == -1.0 and p < 0.2
    assert stats.cliffs_delta([4, 5, 6], [1, 2, 3])[0] == 1.0
    assert [stats.cliffs_magnitude(x) for x in (0.1, -0.2, 0.4, -0.5, math.nan)] == \
        ["negligible", "small", "medium", "large", "undefined"]
    assert stats.cliffs_magnitude(0.147) == "small" and stats.cliffs_magnitude(0.474) == "large"


def test_holm_matches_hand_computation_and_skips_nan():
    out = stats.holm([0.01, 0.04, math.nan, 0.03])
    assert out[0] == pytest.approx(0.03) and out[3] == pytest.approx(0.06)
    assert out[1] == pytest.approx(0.06) and math.isnan(out[2])


@pytest.mark.parametrize("args, expected", [
    ((0.08, 0.12, 0.001, 0.0), "greener and as accurate"),
    ((0.08, 0.12, 0.001, -0.05), "greener but less accurate"),
    ((0.08, 0.12, 0.2, 0.0), "no clear energy difference, as accurate"),
    ((1.5, 2.0, 0.001, 0.02), "costlier but more accurate"),
    ((1.5, 2.0, 0.001, -0.02), "costlier and less accurate"),
    ((0.5, 1.2, 0.001, 0.01), "no clear energy difference, as accurate"),
])
def test_verdict_rules(args, expected):
    assert stats.verdict(*args, f1_tolerance=0.01) == expected


def test_factorial_grid_contributes_its_slices_through_full_data():
    grid = []
    for rf in (0.5, 1.0):
        for ff in (0.5, 1.0):
            for rep in range(3):
                grid.append({"algorithm": "svm", "sweep": "grid", "row_fraction": rf,
                             "feature_fraction": ff, "repetition": rep, "n_train": 100 * rf,
                             "n_features": 10 * ff, "train_energy_j": rf * ff + rep / 100,
                             "train_s": 1.0, "f1": 0.9})
    slices = stats.one_factor_slices(pd.DataFrame(grid))
    rows, feats = slices["rows"], slices["features"]
    assert set(rows["feature_fraction"]) == {1.0} and set(rows["row_fraction"]) == {0.5, 1.0}
    assert set(feats["row_fraction"]) == {1.0} and set(feats["feature_fraction"]) == {0.5, 1.0}
    assert len(rows) == len(feats) == 6


def test_single_level_sweep_gives_no_slice():
    trials = fabricate(levels=(1.0,), repetitions=3)
    slices = stats.one_factor_slices(trials)
    assert slices["rows"].empty and slices["features"].empty
    assert stats.rq2(trials).empty and stats.tradeoff(trials).empty


@pytest.mark.parametrize("n1, n2, expected", [(2, 2, 1 / 3), (3, 3, 0.1), (4, 4, 2 / 70), (1, 5, 1 / 3), (1, 1, 1.0)])
def test_min_mannwhitney_p_is_complete_separation(n1, n2, expected):
    assert stats.min_mannwhitney_p(n1, n2) == pytest.approx(expected)
    if n1 > 1 and n2 > 1:  # scipy's exact test on non-overlapping samples gives exactly this
        p = stats.cliffs_delta(range(n1), range(100, 100 + n2))[1]
        assert p == pytest.approx(expected)


def test_minimum_detectable_effect_shrinks_with_repetitions_and_is_none_when_untestable():
    assert math.isnan(stats.minimum_detectable_effect(2, 2))
    assert math.isnan(stats.minimum_detectable_effect(3, 3))  # min p 0.1
    mdes = [stats.minimum_detectable_effect(n, n) for n in (5, 10, 30, 100)]
    assert all(0 < m < 1 for m in mdes) and mdes == sorted(mdes, reverse=True)
    # 30 per side: the t-test detects d = 0.74 at 80% power; U needs ~5% more, so delta ~ 0.4
    assert 0.38 < mdes[2] < 0.43


def test_two_repetitions_say_too_few_instead_of_no_clear_difference():
    # ten times cheaper, but 2 trials per side: the configuration rows cannot reach p < 0.05 at all
    trials = fabricate(algorithms={"cheap": 0.1, "base": 1.0}, repetitions=2, noise=0.05, seed=4)
    table = stats.compare(trials, "cheap", ["base"], n_resamples=200)
    levels = table[table["scope"] == "configuration"]
    assert levels["verdict"].str.startswith("too few repetitions to test (smallest possible p = 0.33)").all()
    assert levels["mde_cliffs_delta"].isna().all()
    assert levels["ratio_ci_low"].isna().all()  # no bootstrap CI from 2 trials
    combined = table[table["scope"] == "combined"].iloc[0]
    assert combined["min_p"] == pytest.approx(2 / 6 ** 19)  # 19 strata of 2 vs 2, all separated
    assert combined["test"].startswith("van Elteren, 9,999 within-configuration permutations")
    assert combined["verdict"] == "greener and as accurate across configurations"


def test_verdict_says_too_few_repetitions():
    assert stats.verdict(0.08, 0.12, 0.33, 0.0, min_p=1 / 3) == \
        "too few repetitions to test (smallest possible p = 0.33), as accurate"


def test_cleaning_blanks_the_energy_reading_only_so_f1_changes_do_not_move():
    """Issue 21, item 6, the failing input's kind: one noisy energy reading (|z| >= 3) in a level
    must not move that level's F1 change (AdaBoost 10% features: -0.52 cleaned, -0.65 uncleaned,
    identical per-trial F1). 12 trials a level; the outlier trial has the level's lowest F1."""
    trials = fabricate(algorithms={"svm": 1.0}, repetitions=12, noise=0.0, levels=(0.5, 1.0), sweeps=("rows",))
    trials["train_energy_j"] *= 1 + trials["repetition"] / 100
    level = trials.index[trials["row_fraction"] == 0.5]
    trials.loc[level, "f1"] = [0.80 + 0.01 * i for i in range(12)]  # median of the 12: 0.855
    trials.loc[level[0], "f1"] = 0.50                                # the outlier trial: median 0.86 with it
    trials.loc[level[0], "train_energy_j"] *= 100
    full = trials.index[trials["row_fraction"] == 1.0]
    trials.loc[full, "f1"] = 0.90
    kept, report = stats.clean(trials)
    assert report["dropped_outliers"].sum() == 1 and math.isnan(kept.loc[level[0], "train_energy_j"])
    cleaned = stats.tradeoff(kept, n_resamples=99)
    raw = stats.tradeoff(trials, n_resamples=99)
    row = lambda t: t[t["fraction"] == 0.5].iloc[0]
    # every trial's F1: median of 0.50, 0.81 .. 0.91 = (0.85 + 0.86) / 2 = 0.855, change -4.5 points either way
    assert row(cleaned)["f1_change_pts"] == pytest.approx(-4.5)
    assert row(raw)["f1_change_pts"] == pytest.approx(-4.5)
    # the energy median leaves the blanked reading out: 11 readings, 0.5 x (1 + k / 100), k = 1 .. 11 -> k = 6
    assert row(cleaned)["median_train_energy_j"] == pytest.approx(0.5 * 1.06)
