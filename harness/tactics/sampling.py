"""T1 sampling: row samplers with imbalanced-learn's API, ``fit_resample(X, y) -> (X, y)``.

Each keeps ``floor(fraction x n)`` rows and sets ``sample_indices_`` (the kept rows, as
imbalanced-learn's under-samplers do).
"""

from __future__ import annotations

import math

import numpy as np

from harness.errors import TreatmentError
from harness.data.treatments import subsample_rows


class _RowSampler:
    def __init__(self, fraction: float = 1.0, random_state: int | None = None):
        self.fraction = fraction
        self.random_state = random_state

    def indices(self, y: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def fit_resample(self, X, y):
        """Rows ``sample_indices_`` of (X, y); shapes (k, n_features) and (k,)."""
        self.sample_indices_ = self.indices(np.asarray(y))
        return X[self.sample_indices_], np.asarray(y)[self.sample_indices_]


class StratifiedSampler(_RowSampler):
    """A stratified random ``fraction`` of the rows (class proportions kept): the ICT4S'22 study's
    subsampling, ``train_test_split(train_size=fraction, stratify=y)``; fraction 1 keeps all rows in order."""

    def indices(self, y):
        return subsample_rows(y, self.fraction, self.random_state)


class RandomSampler(_RowSampler):
    """A uniform random ``fraction`` of the rows, without regard to class (sorted indices)."""

    def indices(self, y):
        n = len(y)
        if self.fraction >= 1.0:
            return np.arange(n)
        k = math.floor(self.fraction * n)
        if k < 2:
            raise TreatmentError(f"row fraction {self.fraction} of {n} rows keeps fewer than 2 rows; use a larger fraction")
        return np.sort(np.random.default_rng(self.random_state).choice(n, size=k, replace=False))


def balanced_counts(class_sizes: dict, k: int) -> dict:
    """Rows per class for ``k`` rows in all, as equal as the classes allow (water-filling: a class
    smaller than its share gives all it has and the rest is shared by the others)."""
    left, out = k, {}
    pending = sorted(class_sizes, key=lambda c: class_sizes[c])
    while pending:
        share = left // len(pending)
        c = pending.pop(0)
        take = min(class_sizes[c], share) if pending else min(class_sizes[c], left)
        out[c] = take
        left -= take
    return out


class BalancedSampler(_RowSampler):
    """Class-balanced under-sampling of ``fraction`` of the rows with imbalanced-learn's
    ``RandomUnderSampler``: the minority class keeps up to half of the rows kept."""

    def indices(self, y):
        n = len(y)
        if self.fraction >= 1.0:
            return np.arange(n)
        from imblearn.under_sampling import RandomUnderSampler

        labels, sizes = np.unique(y, return_counts=True)
        want = balanced_counts({label.item(): int(s) for label, s in zip(labels, sizes)}, math.floor(self.fraction * n))
        if min(want.values()) < 1:
            raise TreatmentError(f"row fraction {self.fraction} of {n} rows is too few to keep both classes; "
                                 "use a larger fraction")
        sampler = RandomUnderSampler(sampling_strategy=want, random_state=self.random_state)
        sampler.fit_resample(np.zeros((n, 1)), y)
        return np.sort(sampler.sample_indices_)
