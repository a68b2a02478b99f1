"""Protocols: how a trial turns the feature matrix into train and test sets.

- ``ict4s22`` (the paper): apply the treatment's steps to all rows (subsample rows, select features
  on that subset, ...), then a stratified 70/30 split; the estimator is trained on the 70% and
  predicts the 30%. Feature selection sees the test rows' labels, as in the original study. A user's
  sampler (``fit_resample``: SMOTE, NearMiss) is the exception: it runs on the training rows after the
  split, so every test row is a real row.
- ``holdout``: a stratified test set (``test_fraction``) is split off with the spec's seed and is the
  same for every trial; every step is fitted on training rows only (row steps touch training rows
  only) and applied to the fixed test set, so nothing leaks from the test set into the treatment.
  Steps that remove duplicates (T2) run first, on the whole dataset, so the split is made of
  deduplicated rows (and the test set is then the same for every trial at that level).

In both, the tf-idf vocabulary and weights are fitted once on all rows (the paper's choice); they
use no labels. ``apply(levels, seed)`` takes any treatment (``harness.tactics``);
``preprocess(row_fraction, feature_fraction, seed)`` is the ICT4S'22 pair, stratified rows then chi2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.tactics import TacticPipeline, legacy_levels
from harness.data.treatments import stratified_split, subsample_rows


@dataclass(frozen=True)
class Split:
    X_train: object
    X_test: object
    y_train: np.ndarray
    y_test: np.ndarray
    n_rows: int | None = None  # rows left after duplicate removal, before the split


class ICT4S22:
    name = "ict4s22"

    def __init__(self, X, y, test_fraction: float, seed: int, pipeline: TacticPipeline | None = None):
        self.X, self.y, self.test_fraction = X, y, test_fraction
        self.pipeline = pipeline or TacticPipeline()

    def rows(self, row_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(train, test) row indices into X of a trial: index work only, no fitting (the same draws
        as ``preprocess``). Raises TreatmentError when the rows cannot be stratified."""
        keep = subsample_rows(self.y, row_fraction, seed)
        train, test = stratified_split(len(keep), self.y[keep], self.test_fraction, seed)
        return keep[train], keep[test]

    def preprocess(self, row_fraction: float, feature_fraction: float, seed: int) -> Split:
        return self.apply(legacy_levels(row_fraction, feature_fraction), seed)

    def apply(self, levels: tuple, seed: int) -> Split:
        X, y = self.X, self.y
        kept = self.pipeline.dataset_rows(levels, X, y, seed)
        if kept is not None:
            X, y = X[kept], y[kept]
        n_rows = len(y)
        X, y, _ = self.pipeline.fit_apply(levels, X, y, None, seed, user_rows=False)
        train, test = stratified_split(len(y), y, self.test_fraction, seed)
        # a user's sampler (SMOTE, NearMiss, ...) runs on the training rows only: test rows are real rows
        X_train, y_train = self.pipeline.user_samplers(levels, X[train], y[train], seed)
        return Split(X_train, X[test], y_train, y[test], n_rows)


class Holdout:
    name = "holdout"

    def __init__(self, X, y, test_fraction: float, seed: int, pipeline: TacticPipeline | None = None):
        self.X, self.y, self.test_fraction, self.seed = X, y, test_fraction, seed
        self.pipeline = pipeline or TacticPipeline()
        self.train, self.test = stratified_split(len(y), y, test_fraction, seed)
        self.X_test_all, self.y_test = X[self.test], y[self.test]

    def rows(self, row_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(train, test) row indices into X of a trial: index work only, no fitting (the same draws
        as ``preprocess``). Raises TreatmentError when the rows cannot be stratified."""
        return self.train[subsample_rows(self.y[self.train], row_fraction, seed)], self.test

    def preprocess(self, row_fraction: float, feature_fraction: float, seed: int) -> Split:
        return self.apply(legacy_levels(row_fraction, feature_fraction), seed)

    def split_for(self, levels: tuple, seed: int):
        """(train indices, test indices, rows before the split) into X for this treatment's
        duplicate removal: the fixed split when there is none, else a split of the rows kept."""
        kept = self.pipeline.dataset_rows(levels, self.X, self.y, seed)
        if kept is None:
            return self.train, self.test, len(self.y)
        train, test = stratified_split(len(kept), self.y[kept], self.test_fraction, self.seed)
        return kept[train], kept[test], len(kept)

    def apply(self, levels: tuple, seed: int) -> Split:
        train, test, n_rows = self.split_for(levels, seed)
        X_test, y_test = (self.X_test_all, self.y_test) if test is self.test else (self.X[test], self.y[test])
        X, y, X_test = self.pipeline.fit_apply(levels, self.X, self.y, X_test, seed, rows=train)
        return Split(X, X_test, y, y_test, n_rows)


PROTOCOLS = {"ict4s22": ICT4S22, "holdout": Holdout}
