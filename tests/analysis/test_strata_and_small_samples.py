"""Issue 21: compare at the paper's sizes, one row per whole configuration, a stratified combined
test, small samples said; each statistic against scipy or a hand computation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests
from synthetic import fabricate, fabricate_tactics, write_ict4s22, write_run

from harness.analysis import stats
from harness.analysis.tables import Options, analysis_tables, compare_table
from harness.cli import main
from harness.results.load import load_results

SIX = {"a": 1.0, "b": 2.0, "c": 0.5, "d": 0.3, "e": 3.0, "f": 0.1}


# ---------------------------------------------------------------- 1. compare at the paper's sizes

def test_min_p_in_log_space_at_600_a_side():
    # 2 / math.comb(1200, 600) raised OverflowError (int too large to convert to float)
    assert stats.min_mannwhitney_p(600, 600) == 0.0  # about 1e-360: below the smallest float
    assert math.log(stats.min_mannwhitney_p(30, 30)) == pytest.approx(math.log(2) - math.log(math.comb(60, 30)))
    assert stats.min_mannwhitney_p(2, 2) == pytest.approx(1 / 3)
    assert stats.min_van_elteren_p([(2, 2)] * 3) == pytest.approx(2 / 216)


@pytest.mark.slow
def test_compare_at_the_papers_design_30_repetitions_6_algorithms(tmp_path, capsys):
    path = write_ict4s22(tmp_path / "experiment_data.csv", iterations=30,
                         algorithms=("SVM", "Decision Tree", "KNN", "Random Forest", "AdaBoost", "Bagging Classifier"))
    assert len(pd.read_csv(path)) == 3600
    assert main(["compare", str(path), "--candidate", "decision_tree", "--bootstrap", "200"]) == 0
    table = pd.read_csv(tmp_path / "experiment_data-analysis" / "compare_decision_tree.csv")
    per = table[table["scope"] == "configuration"]
    assert len(per) == 5 * 19 and (per["n_candidate"] == 30).all()  # full data once, not in both sweeps
    combined = table[table["scope"] == "combined"]
    assert len(combined) == 5 and (combined["n_candidate"] == 19 * 30).all()
    assert combined["test"].eq("van Elteren, normal approximation").all()
    assert "van Elteren" in capsys.readouterr().out


def test_compare_on_a_synthetic_30_repetition_study():
    table = stats.compare(fabricate(SIX, repetitions=30, noise=0.1), "a", n_resamples=200)
    assert len(table) == 5 * 20 and table["p"].notna().all() and table["min_p"].notna().all()


# ---------------------------------------------------------------- 2. treatments never merged

def test_every_tactic_level_is_its_own_row():
    trials = fabricate_tactics(repetitions=5, seed=2)
    table = stats.compare(trials, "svm", ["random_forest"], n_resamples=200)
    kbits = table[table["configuration"].str.startswith("kbits=")]
    assert sorted(kbits["configuration"]) == ["kbits=1", "kbits=2", "kbits=4", "kbits=8"]
    assert (kbits["n_candidate"] == 5).all()
    c, b = trials[trials["algorithm"] == "svm"], trials[trials["algorithm"] == "random_forest"]
    for level, row in zip(kbits["level_kbits"], kbits.itertuples()):
        expect = (c[c["level_kbits"] == level]["train_energy_j"].median()
                  / b[b["level_kbits"] == level]["train_energy_j"].median())
        assert row.energy_ratio == pytest.approx(expect)
    assert len(table[table["scope"] == "configuration"]) == trials["treatment"].nunique()


def test_a_configuration_in_two_sweeps_is_counted_once():
    trials = fabricate({"a": 1.0}, repetitions=3)
    once = stats.distinct_configurations(trials)
    full = once[np.isclose(once["row_fraction"], 1) & np.isclose(once["feature_fraction"], 1)]
    assert len(once) == len(trials) - 3 and len(full) == 3
    assert set(full["sweep"]) == {"features"} and set(full["sweeps"]) == {"features,rows"}
    # different seeds are different draws: kept
    other = trials.assign(seed=np.where(trials["sweep"] == "rows", trials["seed"] + 100, trials["seed"]))
    assert len(stats.distinct_configurations(other)) == len(trials)


# ---------------------------------------------------------------- 3. the stratified test

def test_van_elteren_by_hand_two_strata():
    # stratum 1: x 1,2 / y 3,4: W = 3, E = 5, Var = 2*2*5/12; stratum 2: x 5 / y 1,2: W = 3, E = 2, Var = 2/3
    z, p, delta = stats.van_elteren([([1, 2], [3, 4]), ([5], [1, 2])])
    t = (3 - 5) / 5 + (3 - 2) / 4
    var = (20 / 12) / 25 + (2 / 3) / 16
    assert z == pytest.approx(t / math.sqrt(var)) and z == pytest.approx(-0.45573, abs=1e-5)
    assert p == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(abs(z) / math.sqrt(2)))))
    assert delta == pytest.approx(2 * t / (4 / 5 + 2 / 4))  # weights n1 n2 / (N + 1)


def test_van_elteren_with_one_stratum_is_mann_whitneys_normal_approximation():
    from scipy.stats import mannwhitneyu

    x, y = [1.0, 2.0, 2.0, 5.0, 7.0], [2.0, 3.0, 4.0, 8.0, 8.0, 9.0]  # with ties
    z, p, delta = stats.van_elteren([(x, y)])
    ref = mannwhitneyu(x, y, method="asymptotic", use_continuity=False)
    assert p == pytest.approx(ref.pvalue)
    assert delta == pytest.approx(2 * ref.statistic / 30 - 1)


def test_van_elteren_permutation_p_against_full_enumeration():
    strata = [([1.0, 2.0], [3.0, 4.0]), ([2.0, 2.5, 5.0], [3.0, 6.0]), ([1.0, 4.0], [2.0, 3.0, 5.0])]
    z_obs = stats.van_elteren(strata)[0]
    # every within-stratum split (6 x 10 x 10 = 600), the statistic as z
    splits = []
    for x, y in strata:
        pooled = list(x) + list(y)
        splits.append([([pooled[i] for i in idx], [pooled[i] for i in range(len(pooled)) if i not in idx])
                       for idx in itertools.combinations(range(len(pooled)), len(x))])
    zs = np.array([stats.van_elteren(list(combo))[0] for combo in itertools.product(*splits)])
    exact = min(1.0, 2 * min(np.mean(zs <= z_obs + 1e-12), np.mean(zs >= z_obs - 1e-12)))
    _, p, _ = stats.van_elteren(strata, n_resamples=stats.VAN_ELTEREN_RESAMPLES, seed=3)
    assert p == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / stats.VAN_ELTEREN_RESAMPLES) + 1e-3)


def test_combined_row_ranks_within_configurations_not_across():
    # the candidate is cheaper than the baseline at every level, but its 100% trials cost more than
    # the baseline's 10% ones: a pooled test mixed them (delta -0.676 for -1 at each level)
    trials = fabricate({"cand": 0.5, "base": 1.0}, repetitions=10, noise=0.01, sweeps=("rows",))
    table = stats.compare(trials, "cand", ["base"], n_resamples=200)
    combined = table[table["scope"] == "combined"].iloc[0]
    assert combined["cliffs_delta"] == -1.0
    assert combined["energy_ratio"] == pytest.approx(0.5, rel=0.02)
    assert "greener" in combined["verdict"]
    pooled, _ = stats.cliffs_delta(trials[trials.algorithm == "cand"]["train_energy_j"],
                                   trials[trials.algorithm == "base"]["train_energy_j"])
    assert pooled > -0.8  # what the old "overall" row reported


def test_holm_family_counts_each_configuration_once():
    table = stats.compare(fabricate({"a": 1.0, "b": 2.0}, repetitions=6), "a", n_resamples=200)
    assert len(table) == 19 + 1
    assert table["holm_p"].tolist() == pytest.approx(multipletests(table["p"], method="holm")[1].tolist())


# ---------------------------------------------------------------- 5. small samples

def test_mann_whitney_with_ties_at_2_vs_2_is_exact():
    # scipy's normal approximation gives 0.221; of the 6 splits of {1, 2, 3, 3} two are as extreme
    delta, p = stats.cliffs_delta([1, 2], [3, 3])
    assert delta == -1.0 and p == pytest.approx(1 / 3)
    assert stats.cliffs_delta([1, 1], [2, 3])[1] == pytest.approx(1 / 3)


def test_spearman_at_10_pairs_is_a_permutation_p():
    # t-approximation 0.0016; exact 10,390 of 10! pairings as extreme (enumerated: 0.0028632)
    x, y = range(1, 11), [8, 10, 9, 7, 6, 5, 1, 3, 2, 4]
    rho, p = stats.spearman(x, y)
    exact = 10390 / math.factorial(10)
    assert rho == pytest.approx(-0.854545, abs=1e-6)
    assert p == pytest.approx(exact, abs=4 * math.sqrt(exact / stats.SPEARMAN_RESAMPLES))
    assert stats.spearman_method(10).startswith("permutation") and stats.spearman_method(51) == "t-approximation"


@pytest.mark.slow
def test_no_bootstrap_ci_below_5_trials_and_the_note_says_why(tmp_path):
    assert all(math.isnan(v) for v in stats.bootstrap_median_ratio([1, 2, 3, 4], [2, 3, 4, 5, 6])[1:])
    assert not any(math.isnan(v) for v in stats.bootstrap_median_ratio([1, 2, 3, 4, 5], [2, 3, 4, 5, 6], 200))
    tables = {t.name: t for t in analysis_tables(load_results_of(fabricate(repetitions=2), tmp_path), Options(n_resamples=200))[0]}
    for name in ("tradeoff", "tradeoff_best"):
        assert any("No bootstrap CI where a side has fewer than 5 trials" in n for n in tables[name].notes)
    assert stats.small_sample_note([5, 30]) == ()


@pytest.mark.slow
def test_rq2_and_rq3_adjust_within_their_table(tmp_path):
    tables = {t.name: t for t in analysis_tables(load_results_of(fabricate(repetitions=3), tmp_path), Options(n_resamples=200))[0]}
    for name in ("rq2_energy_spearman", "rq3_f1_spearman"):
        frame = tables[name].frame
        ok = frame["p"].notna()
        assert frame.loc[ok, "holm_p"].tolist() == pytest.approx(
            multipletests(frame.loc[ok, "p"], method="holm")[1].tolist())
        assert "Holm p" in tables[name].display.columns
        assert any("one family" in n for n in tables[name].notes)


def test_compare_table_says_no_ci_at_2_repetitions(tmp_path):
    table = compare_table(load_results_of(fabricate(repetitions=2), tmp_path), "svm", ["knn"], Options(n_resamples=200))
    assert any("No bootstrap CI" in n for n in table.notes)
    assert (table.display.loc[table.frame["scope"] == "configuration", "95% CI"] == "undefined").all()


def load_results_of(trials, where):
    return load_results(write_run(where / "run", trials))


def test_one_trial_a_side_gives_the_exact_p_not_a_scipy_error():
    """tactics-quick has 1 repetition: compare raised scipy's 'two or more observations' ValueError."""
    from harness.analysis import stats as st

    assert st.cliffs_delta([1.0], [2.0]) == (-1.0, 1.0)  # 2 splits, both as extreme: p = 1
    delta, p = st.cliffs_delta([1.0], [2.0, 3.0, 4.0])   # 4 splits: U = 0, 1, 2, 3; |U - 1.5| >= 1.5 twice
    assert delta == -1.0 and p == 0.5 and st.min_mannwhitney_p(1, 3) == pytest.approx(0.5)
    delta, p = st.cliffs_delta([2.0, 3.0, 4.0], [1.0])
    assert delta == 1.0 and p == 0.5
