"""Tuning with censoring (issue 21, item 7): a search that stops short of the target is right-censored at
its own energy; Kaplan-Meier medians and the log-rank test, with known answers computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from harness.analysis import tuning
from harness.analysis.tuning import TuningResults


def test_km_median_by_hand():
    # energies 1, 2, 3 (censored), 4, 5: KM S = 4/5 after 1, 3/5 after 2, 3/5 x 1/2 = 0.3 after 4;
    # statsmodels' rule (as SAS): the first energy where S < 0.5 -> 4
    med, low, high = tuning.km_median([1, 2, 3, 4, 5], [True, True, False, True, True])
    assert med == 4.0
    assert low <= med <= high
    # every search reached: the ordinary median of an odd count when S crosses 0.5 strictly: 1..5 -> S(3) = 0.4 -> 3
    assert tuning.km_median([5, 1, 3, 2, 4], [True] * 5)[0] == 3.0
    # half or more stopped short: the median is beyond the data (NaN), never a number
    assert math.isnan(tuning.km_median([1, 2, 3, 4], [True, False, False, False])[0])


def test_logrank_by_hand_matches_survdiff():
    # A: 1, 3 (both reached); B: 2 (reached), 4 (stopped short). Event energies 1, 2, 3:
    # E_A = 2/4 + 1/3 + 1/2 = 4/3, O_A = 2; V = 1/4 + 2/9 + 1/4 = 13/18; chi2 = (2/3)^2 / (13/18) = 8/13
    chisq, p = tuning.logrank([1, 3], [True, True], [2, 4], [True, False])
    assert chisq == pytest.approx(8 / 13)
    assert p == pytest.approx(sps.chi2.sf(8 / 13, 1))
    # every event after the other side stopped short (tuning-quick's k-NN: Bayesian censored at 1.9 J, grid
    # reached at 4.2 J): only one strategy at risk at each event, no variance: undefined, not an exception
    assert all(math.isnan(v) for v in tuning.logrank([5, 6], [True, True], [1, 2], [False, False]))


def _results(spec):
    """A tuning run: spec = {strategy: [(cumulative energies, val F1s), ...] per repetition}."""
    searches, evaluations = [], []
    for strategy, reps in spec.items():
        for rep, (energies, f1s) in enumerate(reps):
            tid = len(searches)
            best = np.maximum.accumulate(f1s)
            searches.append({"trial_id": tid, "algorithm": "svm", "strategy": strategy, "sweep": "full",
                             "row_fraction": 1.0, "feature_fraction": 1.0, "repetition": rep,
                             "search_energy_j": energies[-1], "total_energy_j": energies[-1] + 1,
                             "n_evaluations": len(energies), "f1": 0.9, "best_val_f1": best[-1],
                             "energy_estimated": True, "meter": "estimate"})
            for i, (e, f, b) in enumerate(zip(energies, f1s, best)):
                evaluations.append({"trial_id": tid, "algorithm": "svm", "strategy": strategy, "repetition": rep,
                                    "evaluation": i, "val_f1": f, "cumulative_energy_j": e, "best_val_f1_so_far": b})
    return TuningResults(pd.DataFrame(searches), pd.DataFrame(evaluations), source=None)


def test_a_search_that_stops_short_is_censored_at_its_own_energy_not_infinite():
    """The failing input's kind: random stops short at 13.5 J in some repetitions, grid always reaches the
    target at about 96 J. As +inf, random ranked below grid; censored, random's stops at 13.5 J say only
    'more than 13.5 J', and its successes (10-12 J) make its KM median 12 J, far below grid's."""
    grid = [([50.0, 96.0], [0.5, 1.0])] * 4
    random = [([5.0, 10.0], [0.5, 1.0]), ([6.0, 12.0], [0.5, 1.0]), ([7.0, 13.5], [0.5, 0.6]),
              ([11.0, 13.5], [0.5, 0.6])]
    # each repetition's target: 0.95 x its best (1.0 there) = 0.95; random's reps 2 and 3 stop short
    tables, per = tuning.tuning_tables(_results({"grid": grid, "random": random}), n_resamples=99)
    r = per[per["strategy"] == "random"].sort_values("repetition")
    assert list(r["reached"]) == [True, True, False, False]
    assert list(r["censored_energy_j"]) == [10.0, 12.0, 13.5, 13.5]
    summary = tables[0].frame.set_index("strategy")
    # KM for random: S = 3/4 after 10, 2/4 after 12 (not < 0.5), then only censored: median beyond the data
    assert math.isnan(summary.loc["random", "median_energy_to_target_j"])
    assert summary.loc["random", "reached_share"] == 0.5
    assert summary.loc["grid", "median_energy_to_target_j"] == 96.0 and summary.loc["grid", "reached_share"] == 1.0
    comp = tables[1].frame.iloc[0]
    # log-rank by hand: event energies 10, 12 (random), 96 (grid x4) with random's two censored at 13.5:
    # at 10: n 8 (g 4), E_g = 1/2, V = 4*4*1*7/(64*7) = 1/4; at 12: n 7 (g 4), E_g = 4/7, V = 4*3*6/(49*6) = 12/49;
    # at 96: only grid at risk (4 of 4, 4 events): E_g = 4, V = 0. O_g = 4, E_g = 5 + 1/14, chi2 = (15/14)^2 / (1/4 + 12/49)
    o_minus_e = 4 - (0.5 + 4 / 7 + 4)
    assert comp["chisq"] == pytest.approx(o_minus_e ** 2 / (0.25 + 12 / 49))
    assert "set by the best any strategy found" in " ".join(tables[0].notes)
    assert "right-censored" in " ".join(tables[0].notes)


def test_km_medians_ratio_when_both_defined():
    grid = [([50.0, 96.0], [0.5, 1.0])] * 3
    bayes = [([20.0, 30.0], [0.5, 1.0]), ([20.0, 36.0], [0.5, 1.0]), ([20.0, 40.0], [0.5, 0.6])]
    tables, _ = tuning.tuning_tables(_results({"bayesian": bayes, "grid": grid}), n_resamples=99)
    s = tables[0].frame.set_index("strategy")
    # Bayesian: 30 and 36 reached, 40 censored: S = 2/3 after 30, 1/3 after 36 -> KM median 36
    assert s.loc["bayesian", "median_energy_to_target_j"] == 36.0
    comp = tables[1].frame.iloc[0]
    assert (comp["strategy"], comp["versus"]) == ("bayesian", "grid")
    assert comp["ratio"] == pytest.approx(36 / 96) and comp["reached"] == "2/3"


def test_search_energy_ci_needs_five_searches():
    # issue 21, item 5: below 5 values no percentile bootstrap CI is given as a 95% CI (2 searches
    # gave the range of their two energies); from 5 on the interval holds the median
    med, low, high = tuning.median_ci([1.0, 2.0])
    assert med == 1.5 and math.isnan(low) and math.isnan(high)
    assert all(math.isnan(v) for v in tuning.median_ci([1.0, 2.0, 3.0, 4.0])[1:])
    med, low, high = tuning.median_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    assert low <= med <= high
    assert tuning.median_ci([2.0] * 5) == (2.0, 2.0, 2.0)
