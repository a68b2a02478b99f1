"""The default ``knn``: neighbours at equal distance in training-index order, whatever the CPU.

numpy >= 2.0 partitions and sorts float64 with SIMD code chosen at run time (x86-simd-sort with AVX-512
or AVX2, scalar introselect otherwise), each with its own order among equal values, so
``KNeighborsClassifier`` picks other neighbours among rows tied at the k-th distance on other CPUs
(issue 21, item 10)."""

import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.neighbors import KNeighborsClassifier

from harness.estimators.stable_knn import StableKNeighborsClassifier, stable_neighbours
from harness.models.algorithms import BASELINES

# A tie case built by hand: one query, 12 training rows; rows 1, 3, 4, 6, 8, 9, 11 are all at
# squared distance 1 (the query and each of them differ in one coordinate by 1), row 5 at 0.
TRAIN = np.array([[3, 0], [1, 0], [2, 0], [0, 1], [0, 1], [0, 0], [1, 0], [4, 0], [0, 1], [1, 0], [2, 0],
                  [0, 1]], dtype=float)
LABELS = np.array([0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0])
QUERY = np.array([[0.0, 0.0]])


def _reference(dist_row, k):
    return sorted(range(len(dist_row)), key=lambda i: (dist_row[i], i))[:k]


def test_tie_case_takes_the_lowest_indices_among_equal_distances():
    d = ((TRAIN - QUERY) ** 2).sum(axis=1)[None, :]
    assert stable_neighbours(d, 5).tolist() == [[5, 1, 3, 4, 6]]
    assert stable_neighbours(d, 5).tolist() == [_reference(d[0], 5)]


def test_stable_neighbours_equal_a_total_order_on_random_tie_heavy_rows():
    rng = np.random.RandomState(0)
    d = rng.randint(0, 4, size=(50, 40)).astype(float)
    for k in (1, 5, 40):
        assert stable_neighbours(d, k).tolist() == [_reference(row, k) for row in d]


@pytest.mark.parametrize("sparse", [True, False])
def test_classifier_uses_the_stable_order(sparse):
    X = sp.csr_matrix(TRAIN) if sparse else TRAIN
    q = sp.csr_matrix(QUERY) if sparse else QUERY
    # dense with 2 features: scikit-learn would pick a tree search, left to it; brute force asked for
    knn = (StableKNeighborsClassifier() if sparse else StableKNeighborsClassifier(algorithm="brute")).fit(X, LABELS)
    dist, ind = knn.kneighbors(q)
    assert ind.tolist() == [[5, 1, 3, 4, 6]] and dist.tolist() == [[0.0, 1.0, 1.0, 1.0, 1.0]]
    # labels of 5, 1, 3, 4, 6: 1, 1, 0, 0, 1 -> class 1 with probability 0.6
    assert knn.predict(q).tolist() == [1] and knn.predict_proba(q)[:, 1].tolist() == [0.6]


def test_same_parameters_as_scikit_learns():
    assert StableKNeighborsClassifier().get_params() == KNeighborsClassifier().get_params()


def test_the_knn_baseline_is_the_stable_one():
    assert BASELINES["knn"][0] == "harness.estimators.stable_knn:StableKNeighborsClassifier"


_PROBE = """
import numpy as np, scipy.sparse as sp
from harness.estimators.stable_knn import StableKNeighborsClassifier
rng = np.random.RandomState(0)
d = rng.randint(0, 3, size=(20, 400)).astype(float)
print(np.argpartition(d, 4, axis=1)[:, :5].tolist())
X = sp.csr_matrix(rng.randint(0, 2, size=(300, 6)).astype(float))
print(StableKNeighborsClassifier().fit(X, rng.randint(0, 2, 300)).kneighbors(X[:40])[1].tolist())
"""


@pytest.mark.slow
def test_numpy_tie_order_depends_on_cpu_dispatch_but_stable_neighbours_do_not():
    """Under ``NPY_DISABLE_CPU_FEATURES`` (numpy's scalar path) ``np.argpartition`` picks other tied
    indices than with AVX2/AVX-512 (the ordering issue; skipped on a CPU without them), while the
    stable search returns the same neighbours."""
    import numpy._core._multiarray_umath as mu

    if not mu.__cpu_features__.get("AVX2"):
        pytest.skip("this CPU has no AVX2: numpy runs its scalar partition either way")
    def probe(extra):
        env = {**os.environ, **extra, "PYTHONPATH": os.getcwd()}
        return subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env,
                              check=True).stdout.splitlines()
    simd = probe({})
    scalar = probe({"NPY_DISABLE_CPU_FEATURES": "AVX512_ICL AVX512_SPR X86_V4 X86_V3"})
    assert simd[0] != scalar[0]
    assert simd[1] == scalar[1]
