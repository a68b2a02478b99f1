"""Per-factor analysis with known answers: slices, savings against the untreated trials, the best
tactic within an F1 tolerance, and the cells of a factorial sweep."""

import numpy as np
import pandas as pd

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
    corr = factors.correlations(_trials(), "train_energy_j")
    assert dict(zip(corr.factor, corr.variable)) == {"svd": "n_features", "chi2": "level_bits"}
    assert factors.level_bits("float32") == 32 and factors.level_bits("none") == 64
