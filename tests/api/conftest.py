"""Fixtures of the Python API's tests: no test reads this machine's energy counters (a missing powercap
root unless a test builds a fake tree), and a tiny CSV data set with its spec as a dict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fake_powercap import no_real_powercap, powercap  # noqa: F401 (fixtures shared with tests/meters)


def make_tiny(folder):
    """``(spec dict, data folder)``: 2 algorithms x 2 row levels x 2 repetitions = 8 trials on a
    200-row CSV ``data.csv`` in ``folder/data`` (not the current folder), estimate meter, no
    warm-up, cool-down or baseline."""
    rng = np.random.default_rng(0)
    n = 200
    a = rng.random(n)
    data = folder / "data"
    data.mkdir()
    pd.DataFrame({"a": a, "b": rng.random(n), "c": rng.random(n),
                  "target": np.where(a + 0.2 * rng.random(n) > 0.6, "yes", "no")}).to_csv(data / "data.csv", index=False)
    spec = {
        "name": "tiny",
        "dataset": {"path": "data.csv", "label_column": "target", "positive_label": "yes",
                    "feature_columns": ["a", "b", "c"]},
        "protocol": "holdout",
        "repetitions": 2,
        "seed": 7,
        "algorithms": ["decision_tree", "knn"],
        "sweeps": {"rows": {"row_fractions": [0.5, 1.0]}},
        "meter": "estimate",
        "hygiene": {"warmup_s": 0, "cooldown_s": 0, "baseline_s": 0, "threads": 1},
    }
    return spec, data


@pytest.fixture
def tiny(tmp_path):
    return make_tiny(tmp_path)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """The tiny spec run once for a module's tests: ``(run directory, spec, data folder)``."""
    import io

    import harness

    folder = tmp_path_factory.mktemp("run")
    spec, data = make_tiny(folder)
    run_dir = harness.run_spec(spec, base_dir=data, results_dir=folder / "results", progress=False, out=io.StringIO())
    return run_dir, spec, data
