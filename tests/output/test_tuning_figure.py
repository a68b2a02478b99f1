"""The tuning figure passes the paper checks of the study's figures (tests/helpers/figure_checks.py),
with energy spans short (minor log labels ran together) and long, and says what it must."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from figure_checks import problems, visible_texts  # noqa: E402

from harness.output.figures import WIDTH_IN  # noqa: E402
from harness.analysis.tuning import TuningResults  # noqa: E402
from harness.output.tuning_figures import tuning_figure  # noqa: E402


def _tuning(algorithms, energy_per_eval, repetitions=4, evaluations=12, n_planned=None) -> TuningResults:
    """Searches of every strategy on each algorithm, one per repetition; evaluation k costs
    ``energy_per_eval[algorithm]`` J times a factor from 0.5 to 1.5; F1 climbs towards 0.9."""
    rng = np.random.default_rng(0)
    searches, evaluations_rows = [], []
    for algorithm in algorithms:
        for strategy in ("grid", "random", "bayesian"):
            for rep in range(repetitions):
                trial = len(searches)
                searches.append({"trial_id": trial, "algorithm": algorithm, "strategy": strategy, "sweep": "full",
                                 "row_fraction": 1.0, "feature_fraction": 1.0, "repetition": rep,
                                 "meter": "estimate", "energy_estimated": True})
                cumulative, best = 0.0, 0.0
                for k in range(evaluations):
                    cumulative += energy_per_eval[algorithm] * rng.uniform(0.5, 1.5)
                    best = max(best, 0.9 - 0.5 * rng.random() / (k + 1))
                    evaluations_rows.append({"trial_id": trial, "algorithm": algorithm, "strategy": strategy,
                                             "repetition": rep, "evaluation": k, "cumulative_energy_j": cumulative,
                                             "best_val_f1_so_far": best})
    return TuningResults(pd.DataFrame(searches), pd.DataFrame(evaluations_rows), Path("synthetic"), n_planned)


@pytest.mark.parametrize("energy", [
    {"decision_tree": 0.05, "knn": 2.0, "svm": 40.0},          # each panel within about one decade
    {"a_rather_long_algorithm_name": 1e-3, "knn": 0.02, "svm": 3.0, "random_forest": 9.0},  # 4 panels, 2 rows
])
def test_tuning_figure_is_paper_ready(energy):
    fig = tuning_figure(_tuning(list(energy), energy))
    try:
        assert fig.get_figwidth() == WIDTH_IN
        assert not problems(fig)
        text = "\n".join(t.get_text() for t, _ in visible_texts(fig))
        assert "estimated" in text and "IQR" in text
        assert all(ax.collections for ax in fig.axes if ax.get_visible()), "no interquartile band"
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_an_incomplete_tuning_run_says_so_on_its_figure():
    results = _tuning(["knn"], {"knn": 1.0}, n_planned=100)
    fig = tuning_figure(results)
    text = "\n".join(t.get_text() for t, _ in visible_texts(fig))
    import matplotlib.pyplot as plt

    plt.close(fig)
    assert "incomplete run: 12 of 100 planned searches" in text
