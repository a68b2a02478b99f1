"""T2 redundant data: remove exact or near-duplicate rows from the whole dataset, before the split.

Both keep the first row of each group (dataset order) and drop the later ones; they use no labels.
Under ``holdout`` they run before the test set is split off, so no duplicate straddles train and
test. Both follow the sampler API: ``fit_resample(X, y)`` and ``sample_indices_``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


class ExactDuplicateRemover:
    """Drops rows whose key equals an earlier row's key. ``keys`` are one string per row (for text:
    the message after the features' normalisation, i.e. its token sequence); without keys a row's
    feature values are its key."""

    def __init__(self, keys=None):
        self.keys = keys

    def fit_resample(self, X, y):
        keys = self.keys if self.keys is not None else _row_keys(X)
        seen: set = set()
        kept = []
        for i, key in enumerate(keys):
            if key not in seen:
                seen.add(key)
                kept.append(i)
        self.sample_indices_ = np.asarray(kept, dtype=np.intp)
        return X[self.sample_indices_], np.asarray(y)[self.sample_indices_]


def _row_keys(X):
    X = sp.csr_matrix(X)
    return [(tuple(X.indices[a:b]), tuple(X.data[a:b])) for a, b in zip(X.indptr[:-1], X.indptr[1:])]


class NearDuplicateRemover:
    """Drops a row when its cosine similarity to an earlier *kept* row is >= ``threshold``.

    Similarity is computed on ``columns`` (for text: the tf-idf block, not the length column, which
    would dominate the cosine) of the L2-normalised rows; all-zero rows are similar to nothing.
    Threshold 1 drops rows whose vectors point the same way (exact duplicates up to rounding, 1e-9).
    Memory: one sparse n x n product of the rows that share a term.
    """

    def __init__(self, threshold: float = 1.0, columns=None):
        self.threshold = threshold
        self.columns = columns

    def fit_resample(self, X, y):
        from sklearn.preprocessing import normalize

        Z = X if self.columns is None else X[:, self.columns]
        Z = normalize(sp.csr_matrix(Z, dtype=np.float64))
        sim = sp.triu(Z @ Z.T, k=1, format="csr")
        sim.data = (sim.data >= self.threshold - 1e-9).astype(np.int8)
        sim.eliminate_zeros()
        dropped = np.zeros(X.shape[0], dtype=bool)
        for i in range(X.shape[0]):
            if not dropped[i]:
                dropped[sim.indices[sim.indptr[i]:sim.indptr[i + 1]]] = True
        self.sample_indices_ = np.flatnonzero(~dropped)
        return X[self.sample_indices_], np.asarray(y)[self.sample_indices_]
