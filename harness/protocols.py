"""Protocols: how a trial turns the feature matrix into train and test sets.

- ``ict4s22`` (the paper): subsample rows, select features on that subset, then a stratified
  70/30 split; the estimator is trained on the 70% and predicts the 30%. Feature selection sees
  the test rows' labels, as in the original study.
- ``holdout``: a stratified test set (``test_fraction``) is split off once, with the spec's seed,
  and is the same for every trial; subsampling and feature selection are fitted on training rows
  only, so nothing leaks from the test set into the treatment.

In both, the tf-idf vocabulary and weights are fitted once on all rows (the paper's choice); they
use no labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.treatments import select_features, stratified_split, subsample_rows


@dataclass(frozen=True)
class Split:
    X_train: object
    X_test: object
    y_train: np.ndarray
    y_test: np.ndarray


class ICT4S22:
    name = "ict4s22"

    def __init__(self, X, y, test_fraction: float, seed: int):
        self.X, self.y, self.test_fraction = X, y, test_fraction

    def rows(self, row_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(train, test) row indices into X of a trial: index work only, no fitting (the same draws
        as ``preprocess``). Raises HarnessError when the rows cannot be stratified."""
        keep = subsample_rows(self.y, row_fraction, seed)
        train, test = stratified_split(len(keep), self.y[keep], self.test_fraction, seed)
        return keep[train], keep[test]

    def preprocess(self, row_fraction: float, feature_fraction: float, seed: int) -> Split:
        rows = subsample_rows(self.y, row_fraction, seed)
        X, y = self.X[rows], self.y[rows]
        selector = select_features(X, y, feature_fraction)
        if selector is not None:
            X = selector.transform(X)
        train, test = stratified_split(len(y), y, self.test_fraction, seed)
        return Split(X[train], X[test], y[train], y[test])


class Holdout:
    name = "holdout"

    def __init__(self, X, y, test_fraction: float, seed: int):
        self.X, self.y = X, y
        self.train, self.test = stratified_split(len(y), y, test_fraction, seed)
        self.X_test_all, self.y_test = X[self.test], y[self.test]

    def rows(self, row_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(train, test) row indices into X of a trial: index work only, no fitting (the same draws
        as ``preprocess``). Raises HarnessError when the rows cannot be stratified."""
        return self.train[subsample_rows(self.y[self.train], row_fraction, seed)], self.test

    def preprocess(self, row_fraction: float, feature_fraction: float, seed: int) -> Split:
        rows = self.train[subsample_rows(self.y[self.train], row_fraction, seed)]
        X, y = self.X[rows], self.y[rows]
        X_test = self.X_test_all
        selector = select_features(X, y, feature_fraction)
        if selector is not None:
            X, X_test = selector.transform(X), selector.transform(X_test)
        return Split(X, X_test, y, self.y_test)


PROTOCOLS = {"ict4s22": ICT4S22, "holdout": Holdout}
