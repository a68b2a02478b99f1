"""The ICT4S'22 estimators against the scikit-learn versions they reproduce.

The reference numbers were computed once on a small case with the real libraries, installed apart
(``pip install --target DIR scikit-learn==1.8.0`` / ``==1.5.2``, then ``PYTHONPATH=DIR``):
``RandomForestClassifier(n_estimators=10, class_weight="balanced", random_state=3)`` on 1.8.0 and
``AdaBoostClassifier(n_estimators=20, algorithm="SAMME.R", random_state=3)`` on 1.5.2, both on
``_case()`` below (numpy 2.4.6). No network is used here.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.ensemble import RandomForestClassifier

from harness.estimators.faithful import FaithfulRandomForestClassifier, SAMMERAdaBoostClassifier

# sklearn 1.8.0: uniform bootstrap, balanced weights x counts
RF_18_PROBA1 = [0.0, 0.0, 0.0, 0.3, 0.4, 0.0, 0.1, 0.0, 0.0, 0.0, 0.6, 0.2, 0.0, 0.3, 0.3]
# sklearn 1.9.1 on the same case (class-balanced bootstrap): what the faithful forest must NOT give
RF_19_PROBA1 = [0.0, 0.1, 0.0, 0.5, 0.7, 0.0, 0.1, 0.1, 0.0, 0.1, 0.8, 0.3, 0.1, 0.5, 0.4]
# sklearn 1.5.2: AdaBoostClassifier(algorithm="SAMME.R").decision_function
SAMME_R_15_DECISION = [-1.556431324238, -0.807741430021, -1.556431324238, -0.265324181029, -0.160228644487,
                       -1.556431324238, -1.556431324238, -2.186728839037, -1.556431324238, -1.556431324238,
                       -0.265324181029, -0.125368708385, -1.684179225957, -0.35559562282, -0.828394575867]


def _case():
    rng = np.random.RandomState(7)
    X = rng.rand(120, 6)
    X[:, 0] += np.r_[np.zeros(100), np.ones(20)] * 0.6
    y = np.r_[np.zeros(100, int), np.ones(20, int)]
    Xs = sp.csr_matrix(np.where(X > 0.5, X, 0.0))
    Xt = rng.rand(15, 6)
    return X, y, Xs, Xt


def test_forest_equals_sklearn_1_8_with_balanced_weights():
    X, y, _, Xt = _case()
    m = FaithfulRandomForestClassifier(n_estimators=10, class_weight="balanced", random_state=3).fit(X, y)
    proba = m.predict_proba(Xt)[:, 1]
    np.testing.assert_allclose(proba, RF_18_PROBA1, atol=1e-12)
    assert not np.allclose(proba, RF_19_PROBA1)
    assert list(m.predict(Xt)) == [int(p > 0.5) for p in proba]


def test_forest_equals_installed_sklearn_without_weights():
    """Without class weights every version draws uniformly: same trees as scikit-learn's forest."""
    X, y, _, Xt = _case()
    ours = FaithfulRandomForestClassifier(n_estimators=10, random_state=3).fit(X, y).predict_proba(Xt)
    theirs = RandomForestClassifier(n_estimators=10, random_state=3).fit(X, y).predict_proba(Xt)
    np.testing.assert_array_equal(ours, theirs)


def test_samme_r_equals_sklearn_1_5():
    _, y, Xs, Xt = _case()
    m = SAMMERAdaBoostClassifier(n_estimators=20, random_state=3).fit(Xs, y)
    np.testing.assert_allclose(m.decision_function(sp.csr_matrix(Xt)), SAMME_R_15_DECISION, atol=1e-10)
    assert (m.estimator_weights_ == 1.0).all() and len(m.estimators_) == 20
    assert list(m.predict(Xt)) == [0] * 15  # decision <= 0 everywhere: the first class


def test_samme_r_multiclass_and_string_labels():
    rng = np.random.RandomState(0)
    X = rng.rand(90, 3)
    y = np.array(["a", "b", "c"])[np.digitize(X[:, 0], [0.33, 0.66])]
    m = SAMMERAdaBoostClassifier(n_estimators=10, random_state=0).fit(X, y)
    assert m.decision_function(X).shape == (90, 3)
    assert (m.predict(X) == y).mean() > 0.9


@pytest.mark.parametrize("est", [FaithfulRandomForestClassifier(n_estimators=0),
                                 FaithfulRandomForestClassifier(class_weight="balanced_subsample"),
                                 SAMMERAdaBoostClassifier(learning_rate=0.0),
                                 SAMMERAdaBoostClassifier(estimator="tree")])
def test_bad_parameters_are_refused(est):
    X, y, _, _ = _case()
    with pytest.raises(ValueError):
        est.fit(X, y)


def test_seeded_forests_repeat_and_differ_by_seed():
    X, y, _, Xt = _case()
    a = FaithfulRandomForestClassifier(n_estimators=5, class_weight="balanced", random_state=1).fit(X, y)
    b = FaithfulRandomForestClassifier(n_estimators=5, class_weight="balanced", random_state=1).fit(X, y)
    c = FaithfulRandomForestClassifier(n_estimators=5, class_weight="balanced", random_state=2).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(Xt), b.predict_proba(Xt))
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))
