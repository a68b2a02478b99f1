"""The ICT4S'22 k-NN against scikit-learn 0.24.1 itself.

The reference neighbours were computed once with scikit-learn 0.24.1 built from its PyPI sdist on
Python 3.11 with numpy 1.23.5 (``pip install --no-build-isolation scikit-learn==0.24.1`` in a
throwaway venv; numpy 1.x partitions with a scalar introselect, as the study's numpy 1.20.2 did):
``KNeighborsClassifier()`` on ``_case()`` as sparse CSR and dense, and
``KNeighborsClassifier(weights="distance", n_neighbors=7)`` on it dense (20 features > 15: brute
force). Integer features make many exact distance ties, so the neighbours below depend on the tie
order; on numpy 2.4.6 with AVX-512 the
installed ``KNeighborsClassifier`` returns another set of neighbours for 6 of the 12 sparse queries
(another order for 10) and other probabilities for 3. No network is used here.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.neighbors import KNeighborsClassifier

from harness.estimators import faithful_knn
from harness.estimators.faithful_knn import FaithfulKNeighborsClassifier

SPARSE_KNEIGHBORS_0241 = [[11, 69, 78, 4, 73], [4, 34, 64, 25, 9], [30, 40, 77, 70, 44], [43, 26, 66, 17, 74],
                          [47, 73, 0, 10, 59], [76, 78, 8, 68, 38], [62, 31, 66, 37, 55], [30, 20, 48, 31, 4],
                          [36, 11, 74, 55, 69], [47, 1, 0, 68, 17], [1, 45, 63, 58, 50], [31, 45, 47, 63, 4]]
# predict_proba(...)[:, 1], the same on 0.24.1 for X sparse and dense
PROBA1_0241 = [0.6, 0.6, 0.8, 0.8, 0.2, 0.4, 0.4, 0.6, 0.8, 0.2, 0.4, 0.4]
# kneighbors() without X: each training row's neighbours but itself (first 12 rows)
TRAIN_KNEIGHBORS_0241 = [[1, 55, 62, 70, 4], [0, 60, 55, 42, 32], [41, 49, 22, 75, 71], [79, 25, 33, 23, 9],
                         [57, 45, 31, 51, 62], [31, 27, 17, 51, 11], [60, 62, 58, 31, 33], [8, 76, 45, 15, 32],
                         [75, 76, 50, 66, 7], [27, 25, 30, 18, 50], [79, 47, 68, 6, 58], [52, 51, 69, 29, 27]]
DENSE_DISTANCE7_KNEIGHBORS_0241 = [
    [11, 69, 78, 4, 73, 64, 65], [4, 34, 64, 25, 9, 27, 20], [30, 40, 77, 70, 44, 48, 33],
    [43, 26, 66, 74, 17, 13, 31], [47, 73, 0, 10, 59, 14, 54], [76, 78, 8, 68, 38, 19, 13],
    [62, 31, 66, 37, 55, 0, 73], [30, 20, 48, 31, 4, 70, 53], [36, 11, 55, 74, 69, 29, 51],
    [47, 1, 0, 68, 62, 17, 37], [1, 63, 45, 58, 50, 49, 78], [31, 45, 47, 63, 4, 28, 8]]
DENSE_DISTANCE7_PREDICT_0241 = [1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0]


def _case():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 3, size=(80, 20)).astype(np.float64)
    y = rng.randint(0, 2, size=80)
    Xt = rng.randint(0, 3, size=(12, 20)).astype(np.float64)
    return X, y, Xt


def test_sparse_neighbours_and_probabilities_equal_0_24_1():
    X, y, Xt = _case()
    m = FaithfulKNeighborsClassifier().fit(sp.csr_matrix(X), y)
    assert m.kneighbors(sp.csr_matrix(Xt), return_distance=False).tolist() == SPARSE_KNEIGHBORS_0241
    np.testing.assert_allclose(m.predict_proba(sp.csr_matrix(Xt))[:, 1], PROBA1_0241, atol=1e-12)
    assert m.predict(sp.csr_matrix(Xt)).tolist() == [int(p > 0.5) for p in PROBA1_0241]
    assert m.kneighbors(return_distance=False)[:12].tolist() == TRAIN_KNEIGHBORS_0241


def test_dense_brute_force_with_distance_weights_equals_0_24_1():
    X, y, Xt = _case()
    m = FaithfulKNeighborsClassifier(weights="distance", n_neighbors=7).fit(X, y)
    assert m._fit_method == "brute"
    dist, ind = m.kneighbors(Xt)
    assert ind.tolist() == DENSE_DISTANCE7_KNEIGHBORS_0241
    np.testing.assert_allclose(dist, np.linalg.norm(Xt[:, None, :] - X[ind], axis=2), atol=1e-12)
    assert (np.diff(dist, axis=1) >= 0).all()
    assert m.predict(Xt).tolist() == DENSE_DISTANCE7_PREDICT_0241
    np.testing.assert_allclose(FaithfulKNeighborsClassifier().fit(X, y).predict_proba(Xt)[:, 1], PROBA1_0241,
                               atol=1e-12)


def test_searches_it_does_not_change_are_the_installed_ones():
    """Trees (<= 15 dense features) and non-euclidean metrics: the installed scikit-learn's."""
    X, y, Xt = _case()
    for params, data, query in (({}, X[:, :6], Xt[:, :6]), ({"metric": "manhattan"}, sp.csr_matrix(X),
                                                            sp.csr_matrix(Xt))):
        ours = FaithfulKNeighborsClassifier(**params).fit(data, y)
        theirs = KNeighborsClassifier(**params).fit(data, y)
        assert ours._fit_method == theirs._fit_method
        np.testing.assert_array_equal(ours.kneighbors(query)[1], theirs.kneighbors(query)[1])
        np.testing.assert_array_equal(ours.predict_proba(query), theirs.predict_proba(query))


def test_bad_neighbour_counts_and_feature_counts_raise():
    X, y, Xt = _case()
    m = FaithfulKNeighborsClassifier().fit(sp.csr_matrix(X), y)
    with pytest.raises(ValueError, match="n_neighbors <= n_samples_fit"):
        m.kneighbors(sp.csr_matrix(Xt), n_neighbors=81)
    with pytest.raises(ValueError, match="n_neighbors > 0"):
        m.kneighbors(sp.csr_matrix(Xt), n_neighbors=0)
    with pytest.raises(ValueError, match="19 features"):
        m.predict(sp.csr_matrix(Xt[:, :19]))


def test_refuses_to_fit_where_long_double_ties_are_not_ordered_as_numpy_1(monkeypatch):
    X, y, _ = _case()
    faithful_knn._check_scalar_introselect.cache_clear()
    monkeypatch.setattr(faithful_knn, "_CANARY_FIRST5", {1, 2, 5, 6, 10})  # what float64 gives with AVX-512
    with pytest.raises(RuntimeError, match="cannot reproduce scikit-learn 0.24.1"):
        FaithfulKNeighborsClassifier().fit(X, y)
    faithful_knn._check_scalar_introselect.cache_clear()
