"""QQ plots must not turn floating-point noise of constant values into data."""

from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")

from harness.output.figures import qq_figure  # noqa: E402
from harness.results.load import Results  # noqa: E402

from synthetic import fabricate  # noqa: E402


def test_constant_f1_is_not_plotted_as_rounding_noise():
    trials = fabricate(algorithms={"svm": 0.5, "random_forest": 2.0}, repetitions=30,
                       f1={"svm": lambda r, q: 0.7})  # the mean of 30 copies of 0.7 is off by ~2e-16
    rf = trials.algorithm == "random_forest"
    trials.loc[rf, "f1"] += np.random.default_rng(0).normal(0, 0.01, rf.sum())
    const = trials[trials.algorithm == "svm"]
    assert const["f1"].nunique() == 1
    assert (const.groupby("config_id")["f1"].apply(lambda s: s.std(ddof=1)) > 0).all()  # the trap: not exactly 0
    fig = qq_figure(Results(trials, Path("x"), "run"), trials, "f1", "F1")
    by_title = {ax.get_title(): ax for ax in fig.axes}
    assert not by_title["svm"].lines  # nothing plotted for identical values
    assert by_title["random_forest"].lines  # varying values are plotted
