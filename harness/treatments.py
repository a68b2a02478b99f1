"""Data-centric treatments: pure functions of data, fraction and seed.

- ``subsample_rows``: stratified random subset keeping ``fraction`` of the rows;
- ``select_features``: chi-squared selection keeping ``fraction`` of the features
  (``SelectPercentile(chi2)``, as in the ICT4S'22 study).
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_selection import SelectPercentile, chi2
from sklearn.model_selection import train_test_split

from harness.errors import HarnessError


def subsample_rows(y: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Indices of a stratified random ``fraction`` of the rows (floor(fraction x n) rows, class
    proportions kept). ``fraction == 1`` returns every row in order."""
    n = len(y)
    if fraction >= 1.0:
        return np.arange(n)
    try:
        keep, _ = train_test_split(np.arange(n), train_size=fraction, stratify=y, random_state=seed)
    except ValueError as e:
        raise HarnessError(f"row fraction {fraction} of {n} rows is too few to keep both classes ({e})") from None
    return keep


def select_features(X, y: np.ndarray, fraction: float) -> SelectPercentile | None:
    """A chi-squared selector fitted on (X, y) that keeps ``fraction`` of the columns, or None
    when ``fraction == 1`` (nothing to select). chi2 needs non-negative features."""
    if fraction >= 1.0:
        return None
    selector = SelectPercentile(chi2, percentile=fraction * 100)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):  # all-zero columns score NaN: never kept
            selector.fit(X, y)
    except ValueError as e:
        raise HarnessError(f"chi-squared feature selection failed ({e}); chi2 needs non-negative features") from None
    return selector


def stratified_split(n: int, y: np.ndarray, test_fraction: float, seed: int):
    """(train, test) index arrays into ``n`` rows: a stratified split, ``test_fraction`` in test."""
    try:
        return train_test_split(np.arange(n), test_size=test_fraction, stratify=y, random_state=seed)
    except ValueError as e:
        raise HarnessError(f"cannot split {n} rows {1 - test_fraction:.0%}/{test_fraction:.0%} "
                           f"keeping both classes ({e}); use a larger row fraction") from None
