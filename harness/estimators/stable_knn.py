"""The ``knn`` baseline: ``KNeighborsClassifier`` whose neighbours are the same on every x86-64 CPU.

Why it exists (issue 21, item 10; ``harness.models.versions``, "knn-argpartition-ties"): scikit-learn's
brute-force search on sparse input (``KNeighborsMixin._kneighbors_reduce_func``, 1.4-1.9) takes the first
``k`` of ``np.argpartition`` over the squared distances, then ``np.argsort`` (quicksort) of those. On the
spam pipeline's features (unit-norm tf-idf rows plus the message length) most test messages are *exactly*
as far from several training messages at the k-th distance, and numpy >= 2.0 partitions and sorts 64-bit
values with SIMD code chosen at run time by the CPU (x86-simd-sort with AVX-512, and with AVX2 on 2.4.6;
numpy's scalar introselect without them), each with its own order among equal values. Which tied training
row becomes a neighbour, and so the vote and F1, depends on the CPU: 8 of the 12 k-NN trials of
``experiments/spam-quick.yaml`` differed between two machines with the same library versions.
Measured here (numpy 2.4.6): ``np.argpartition`` of a tie-heavy row gives other indices with
``NPY_DISABLE_CPU_FEATURES="AVX512_ICL X86_V4 X86_V3"`` (AVX2 off) than by default, and the same with
AVX-512 alone disabled (why disabling AVX-512 alone did not move the trials on an AVX2+AVX-512 machine).

``StableKNeighborsClassifier`` keeps the estimator, its parameters, its distances and its work: the same
brute-force search over the same squared euclidean distances (``pairwise_distances_chunked``,
``XX - 2 X.Y' + YY``, as scikit-learn's), a partition to find the k-th distance, then a sort of the
rows at or below it. Only the order among exactly equal distances is fixed: nearest first, and among
equal distances the lower training index first (a total order, so every correct sort and partition
gives the same neighbours). The k-th distance's value, unlike its position, does not depend on the
partition's algorithm.

What stays CPU-dependent: the distances themselves wherever they come from BLAS (dense input: ``X.Y'``
by the BLAS kernel chosen for the CPU, whose rounding may differ in the last bit, so a tie on one CPU may
not be one on another). On sparse input (the spam pipeline's tf-idf) the products are scipy's sparse
matrix product and scikit-learn's row norms, scalar code without run-time CPU dispatch. Tree searches
(dense data with <= 15 features), other metrics and ``metric="precomputed"`` are left to scikit-learn.
"""

from __future__ import annotations

import numpy as np

from harness.estimators.faithful_knn import FaithfulKNeighborsClassifier


def stable_neighbours(dist: np.ndarray, n_neighbors: int) -> np.ndarray:
    """Indices of the ``n_neighbors`` smallest values of each row of ``dist`` (n_rows, n_fit), nearest
    first, equal values in increasing index order. Shape (n_rows, n_neighbors). Independent of numpy's
    partition and sort algorithms (and so of the CPU): only the k-th value and a total order are used."""
    n_rows = dist.shape[0]
    if n_rows == 0:
        return np.empty((0, n_neighbors), dtype=np.intp)
    kth = np.partition(dist, n_neighbors - 1, axis=1)[:, n_neighbors - 1:n_neighbors]
    rows, cols = np.nonzero(dist <= kth)  # row-major: rows ascending, cols ascending within a row
    order = np.lexsort((cols, dist[rows, cols], rows))  # by row, then distance, then index
    rows, cols = rows[order], cols[order]
    starts = np.searchsorted(rows, np.arange(n_rows))
    take = starts[:, None] + np.arange(n_neighbors)[None, :]
    return cols[take]


class StableKNeighborsClassifier(FaithfulKNeighborsClassifier):
    """``KNeighborsClassifier`` (same parameters) whose brute-force euclidean search orders neighbours
    at equal distance by training index, so that its neighbours do not depend on the CPU's SIMD path
    (see the module docstring).

    Shapes: X (n_samples, n_features), dense or sparse CSR; y (n_samples,) or (n_samples, n_outputs).
    ``kneighbors`` returns distances (euclidean, same units as X) and indices, each
    (n_queries, n_neighbors), nearest first. Raises what ``KNeighborsClassifier`` raises.
    """

    def fit(self, X, y):
        return super(FaithfulKNeighborsClassifier, self).fit(X, y)  # no long double tie-order check

    def _kneighbors_reduce_func(self, dist, start, n_neighbors, return_distance):
        """Neighbours of one chunk: ``dist`` squared euclidean distances (n_chunk, n_fit)."""
        neigh_ind = stable_neighbours(dist, n_neighbors)
        if return_distance:
            return np.sqrt(dist[np.arange(dist.shape[0])[:, None], neigh_ind]), neigh_ind
        return neigh_ind
