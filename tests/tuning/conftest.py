"""A small numeric data set and a tuning spec on it: fast enough for CLI round trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SPEC = """name: tune
dataset: {{path: data.csv, label_column: target, positive_label: "yes", feature_columns: [a, b, c, d]}}
protocol: holdout
seed: 3
repetitions: 2
algorithms: [decision_tree, knn]
sweeps:
  full: {{row_fractions: [1.0], feature_fractions: [1.0]}}
tuning:
  strategies: [grid, random, bayesian]
  budget: {budget}
  validation: {validation}
  spaces:
    decision_tree: {{max_depth: [1, 2, 4, null], min_samples_leaf: [1, 8]}}
    knn: {{n_neighbors: [1, 5, 15, 31], weights: [uniform, distance]}}
meter: estimate
hygiene: {{threads: 1}}
"""


@pytest.fixture
def tuning_dir(tmp_path):
    rng = np.random.default_rng(0)
    n = 240
    a, b = rng.random(n), rng.random(n)
    target = np.where(a + 0.5 * b + 0.3 * rng.random(n) > 0.9, "yes", "no")
    pd.DataFrame({"a": a, "b": b, "c": rng.random(n), "d": rng.random(n), "target": target}).to_csv(
        tmp_path / "data.csv", index=False)
    return tmp_path


@pytest.fixture
def write_spec():
    return write


def write(tmp_path, budget=5, validation="{folds: 3}", **replace) -> Path:
    text = SPEC.format(budget=budget, validation=validation)
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / "tune.yaml"
    path.write_text(text)
    return path
