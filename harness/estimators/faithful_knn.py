"""The ICT4S'22 study's k-NN as it ran on scikit-learn 0.24.1 with numpy 1.20.2, on any installed
scikit-learn >= 1.3 and numpy.

Why it exists (``harness.models.versions``, "knn-argpartition-ties"): on the study's features (unit-norm tf-idf
rows plus the unscaled message length) most test messages are *exactly* as far from several training
messages at the 5th-neighbour boundary (two training messages of equal length that share no token with
the test message are at the same squared distance): 1,156 of the 1,672 test rows at full data. The
neighbours are the first ``k`` of ``np.argpartition`` over the squared distances (brute force,
``KNeighborsMixin._kneighbors_reduce_func``: scikit-learn 0.24.1, and 1.4-1.9 for sparse input), so
which tied row is a neighbour is numpy's tie order. numpy >= 2.0 on x86-64 CPUs with AVX-512 (and
with AVX2, measured on 2.4.6) partitions 64-bit values with x86-simd-sort, whose tie order differs from
the scalar introselect of numpy 1.x; that alone moves k-NN's F1 by -1.1 to +3.3 points in 11 of the
study's 20 configurations (scikit-learn 1.2-1.3 also differ: they search sparse input with their own
heap, ``ArgKmin``).

``FaithfulKNeighborsClassifier`` is ``KNeighborsClassifier`` whose brute-force euclidean search is
0.24.1's (``sklearn/neighbors/_base.py``: ``kneighbors``, ``_kneighbors_reduce_func``; BSD-3-Clause),
which ``predict`` and ``predict_proba`` of scikit-learn 1.3-1.9 call for it:
squared distances by ``pairwise_distances_chunked`` (``euclidean_distances``: ``XX - 2 X.Y' + YY``,
the same formula and values as 0.24.1's), then ``np.argpartition`` and ``np.argsort`` run on a
``np.longdouble`` copy of each chunk. numpy (to 2.4.6 at least) has no SIMD partition or sort for long
double, so its scalar introselect runs; every float64 is exactly a long double, so the order and the
ties are the float64 ones. Measured (numpy 2.4.6, AVX-512 CPU): the long double permutation equals
numpy 1.23.5's float64 ``argpartition`` on 2,000 random tie-heavy arrays; the neighbours equal
scikit-learn 0.24.1's (built from its sdist, numpy 1.23.5) on a tie-heavy case, sparse and dense
(``tests/estimators/test_faithful_knn.py``); the F1 equals the published value in all 20 of the study's
configurations (``tests/test_replication.py``), as the study's own code on 0.24.1 does.
``_check_scalar_introselect`` checks the tie order on a known case at ``fit`` and refuses to run where
it differs. The cost: the copy and the scalar partition make ``predict`` on the study's full data about 4x
the installed one's and 1.6x what a float64 scalar partition (numpy 1.x's) takes (0.31 / 0.07 / 0.19 s,
minimum of 5, on this 2-core VM under load 9).

Tree searches (dense data with <= 15 features), other metrics and ``metric="precomputed"`` are left
to the installed scikit-learn (not compared with 0.24.1).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from sklearn.metrics import pairwise_distances_chunked
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.validation import check_array, check_is_fitted

# A known answer: numpy 1.23.5's float64 np.argpartition(_CANARY, 4)[:4 + 1] (scalar introselect);
# numpy 2.4.6 with AVX-512 gives {1, 2, 5, 6, 10} instead.
_CANARY = np.array([1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 2, 1, 2, 0, 2, 1, 2, 0, 0, 2, 0, 1, 2, 2, 0, 1, 1, 2, 0, 2,
                    1], dtype=np.float64)
_CANARY_FIRST5 = {8, 10, 14, 19, 21}


@cache
def _check_scalar_introselect() -> None:
    """Raise RuntimeError unless ``np.argpartition`` on long double breaks ties as numpy 1.x's
    scalar introselect (true wherever long double has no SIMD partition)."""
    got = set(np.argpartition(_CANARY.astype(np.longdouble), 4)[:5].tolist())
    if got != _CANARY_FIRST5:
        raise RuntimeError(f"numpy {np.__version__} partitions long double with another tie order on this "
                           "machine: FaithfulKNeighborsClassifier cannot reproduce scikit-learn 0.24.1's neighbours "
                           "here; use KNeighborsClassifier")


class FaithfulKNeighborsClassifier(KNeighborsClassifier):
    """``KNeighborsClassifier`` (same parameters) whose brute-force euclidean neighbour search breaks
    distance ties as scikit-learn 0.24.1 on numpy 1.x did (see the module docstring).

    Shapes: X (n_samples, n_features), dense or sparse CSR; y (n_samples,) or (n_samples, n_outputs).
    ``kneighbors`` returns distances (euclidean, same units as X) and indices, each
    (n_queries, n_neighbors), nearest first. Raises RuntimeError at ``fit`` where numpy's long double
    partition does not break ties as numpy 1.x's (``_check_scalar_introselect``), and what
    ``KNeighborsClassifier`` raises otherwise.
    """

    def fit(self, X, y):
        _check_scalar_introselect()
        return super().fit(X, y)

    def _searches_as_024(self) -> bool:
        return self._fit_method == "brute" and self.effective_metric_ == "euclidean"

    def _kneighbors_reduce_func(self, dist, start, n_neighbors, return_distance):
        """0.24.1's reduce step (``KNeighborsMixin._kneighbors_reduce_func``), partitioning and
        sorting a long double copy of ``dist`` (squared euclidean distances, (n_chunk, n_fit))."""
        exact = dist.astype(np.longdouble)
        sample_range = np.arange(dist.shape[0])[:, None]
        neigh_ind = np.argpartition(exact, n_neighbors - 1, axis=1)[:, :n_neighbors]
        # argpartition doesn't guarantee sorted order, so we sort again (0.24.1's comment)
        neigh_ind = neigh_ind[sample_range, np.argsort(exact[sample_range, neigh_ind])]
        if return_distance:
            return np.sqrt(dist[sample_range, neigh_ind]), neigh_ind
        return neigh_ind

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        """0.24.1's ``KNeighborsMixin.kneighbors`` for the brute-force euclidean search (the
        installed one otherwise). ``X``: (n_queries, n_features), or None for the training rows,
        each without itself. Returns (distances, indices), each (n_queries, n_neighbors), nearest
        first, or the indices alone. Raises ValueError for ``n_neighbors`` outside
        [1, n_samples_fit] or X with another number of features."""
        check_is_fitted(self, "_fit_method")
        if not self._searches_as_024():
            return super().kneighbors(X, n_neighbors, return_distance)
        if n_neighbors is None:
            n_neighbors = self.n_neighbors
        elif n_neighbors <= 0:
            raise ValueError(f"Expected n_neighbors > 0. Got {n_neighbors}")
        elif not isinstance(n_neighbors, (int, np.integer)):
            raise TypeError(f"n_neighbors does not take {type(n_neighbors)} value, enter integer value")
        query_is_train = X is None
        if query_is_train:
            X = self._fit_X
            n_neighbors += 1  # the sample itself is returned, and removed below
        else:
            X = check_array(X, accept_sparse="csr")
            if X.shape[1] != self.n_features_in_:
                raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                                 f"{self.n_features_in_} features as input.")
        if n_neighbors > self.n_samples_fit_:
            raise ValueError(f"Expected n_neighbors <= n_samples_fit, but n_neighbors = {n_neighbors}, "
                             f"n_samples_fit = {self.n_samples_fit_}, n_samples = {X.shape[0]}")
        chunks = list(pairwise_distances_chunked(
            X, self._fit_X, reduce_func=lambda d, start: self._kneighbors_reduce_func(
                d, start, n_neighbors, return_distance),
            metric="euclidean", n_jobs=self.n_jobs, squared=True))
        if return_distance:
            neigh_dist, neigh_ind = (np.vstack(part) for part in zip(*chunks))
        else:
            neigh_ind = np.vstack(chunks)
        if not query_is_train:
            return (neigh_dist, neigh_ind) if return_distance else neigh_ind
        # 0.24.1: drop each sample from its own neighbours; when it has more duplicates than
        # neighbours and is not among them, drop the first one instead
        sample_mask = neigh_ind != np.arange(X.shape[0])[:, None]
        sample_mask[:, 0][np.all(sample_mask, axis=1)] = False
        neigh_ind = neigh_ind[sample_mask].reshape(X.shape[0], n_neighbors - 1)
        if return_distance:
            return neigh_dist[sample_mask].reshape(X.shape[0], n_neighbors - 1), neigh_ind
        return neigh_ind
