"""The ICT4S'22 study's random forest and AdaBoost, as they behaved on scikit-learn 0.24.1 (the
study's pinned version), on any installed scikit-learn >= 1.3.

Why they exist (see ``harness.models.versions``): two library changes alter these two algorithms' results
on the study's data.

- scikit-learn 1.9 draws each tree's bootstrap sample *in proportion to* the sample weights, which
  include ``class_weight="balanced"`` (``sklearn/ensemble/_forest.py``, ``_generate_sample_indices``),
  and fits the tree on the counts alone. 0.24 to 1.8 drew the bootstrap *uniformly* and fitted the
  tree on ``balanced weights x counts``. On the 10%-rows spam data that moves random forest's F1
  from about 0.49 to about 0.75. ``FaithfulRandomForestClassifier`` always does the latter.
- AdaBoost's SAMME.R ("real" AdaBoost, the default until scikit-learn 1.4, deprecated in 1.4 and
  removed in 1.6) is gone; SAMME scores 9-12 F1 points lower on this data.
  ``SAMMERAdaBoostClassifier`` is SAMME.R ported from scikit-learn 1.5.2
  (``sklearn/ensemble/_weight_boosting.py``: ``BaseWeightBoosting.fit``,
  ``AdaBoostClassifier._boost_real``, ``_samme_proba``, ``decision_function``; BSD-3-Clause,
  authors Noel Dawe, Gilles Louppe, Hamzeh Alsalhi, Arnaud Joly), itself Algorithm 4 of J. Zhu,
  H. Zou, S. Rosset, T. Hastie, "Multi-class AdaBoost", Statistics and its Interface 2 (2009).

Both draw their sub-estimators' seeds as scikit-learn's ensembles do (``_set_random_states``: one
``randint(2**31 - 1)`` per sub-estimator from ``check_random_state(random_state)``), so with the
same ``random_state`` they grow the same trees as the scikit-learn versions they reproduce.
Binary and multi-class targets are supported; X may be dense or sparse.

The study's k-NN, whose tie order numpy 2 changed, is ``harness.estimators.faithful_knn``.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.special import xlogy
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions  # scikit-learn >= 1.2
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y

_MAX_INT = np.iinfo(np.int32).max


def _check_X(X, dtype=None):
    return check_array(X, accept_sparse=["csr", "csc"], dtype=dtype)


class FaithfulRandomForestClassifier(ClassifierMixin, BaseEstimator):
    """Random forest with scikit-learn 0.24-1.8's bootstrap: uniform draws, weights applied after.

    For each tree (seed ``s`` drawn from ``random_state``): ``n_samples`` row indices drawn
    uniformly with replacement by ``RandomState(s).randint``, and a ``DecisionTreeClassifier``
    (``max_features="sqrt"``, ``random_state=s``) fitted with sample weight ``w x counts``, where
    ``w`` is ``compute_sample_weight(class_weight, y)`` on the *whole* training set (1 when
    ``class_weight`` is None). Prediction averages the trees' ``predict_proba`` (soft voting).
    Same defaults as ``RandomForestClassifier`` for what the study used; no OOB score, no
    ``max_samples``, no ``balanced_subsample``.

    Parameters: ``n_estimators`` (int >= 1, default 100), ``criterion`` (default "gini"),
    ``max_features`` (default "sqrt"), ``class_weight`` (None, "balanced" or a dict),
    ``random_state`` (None, int or RandomState).
    Shapes: X (n_samples, n_features), dense or sparse; y (n_samples,).
    Raises sklearn's InvalidParameterError (a ValueError) for a parameter outside these values.
    """

    _parameter_constraints: dict = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "criterion": [StrOptions({"gini", "entropy", "log_loss"})],
        "max_features": [StrOptions({"sqrt", "log2"}), Interval(Integral, 1, None, closed="left"),
                         Interval(Real, 0.0, 1.0, closed="right"), None],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "random_state": ["random_state"],
    }

    def __init__(self, n_estimators: int = 100, *, criterion: str = "gini", max_features="sqrt",
                 class_weight=None, random_state=None):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_features = max_features
        self.class_weight = class_weight
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # fit and predict take the sparse tf-idf matrix (check_X_y accept_sparse)
        return tags

    def fit(self, X, y, sample_weight=None):
        self._validate_params()
        # float32 CSC, as the forest hands its trees (they would convert it anyway)
        X, y = check_X_y(X, y, accept_sparse="csc", dtype=np.float32)
        encoder = LabelEncoder().fit(y)
        self.classes_, self.n_classes_ = encoder.classes_, len(encoder.classes_)
        self.n_features_in_ = X.shape[1]
        y_enc = encoder.transform(y).astype(np.float64)
        n = X.shape[0]
        weight = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64).copy()
        if self.class_weight is not None:
            weight *= compute_sample_weight(self.class_weight, y)
        rng = check_random_state(self.random_state)
        seeds = [rng.randint(_MAX_INT) for _ in range(self.n_estimators)]
        self.estimators_ = []
        for seed in seeds:
            counts = np.bincount(np.random.RandomState(seed).randint(0, n, n), minlength=n)
            tree = DecisionTreeClassifier(criterion=self.criterion, max_features=self.max_features,
                                          random_state=seed)
            tree.fit(X, y_enc, sample_weight=weight * counts)
            self.estimators_.append(tree)
        return self

    def predict_proba(self, X):
        """Mean of the trees' class probabilities, shape (n_samples, n_classes)."""
        check_is_fitted(self, "estimators_")
        X = _check_X(X, dtype=np.float32)
        proba = np.zeros((X.shape[0], self.n_classes_))
        for tree in self.estimators_:
            p = tree.predict_proba(X)
            proba[:, tree.classes_.astype(int)] += p  # a tree that saw one class has one column
        return proba / len(self.estimators_)

    def predict(self, X):
        return self.classes_.take(np.argmax(self.predict_proba(X), axis=1), axis=0)


def _samme_proba(estimator, n_classes: int, X) -> np.ndarray:
    """Algorithm 4, step 2, equation (c) of Zhu et al. (2009), as scikit-learn 1.5.2's
    ``_samme_proba``: ``(K - 1) (log p - mean_k log p)``, shape (n_samples, K)."""
    proba = estimator.predict_proba(X)
    np.clip(proba, np.finfo(proba.dtype).eps, None, out=proba)
    log_proba = np.log(proba)
    return (n_classes - 1) * (log_proba - (1.0 / n_classes) * log_proba.sum(axis=1)[:, np.newaxis])


class SAMMERAdaBoostClassifier(ClassifierMixin, BaseEstimator):
    """AdaBoost SAMME.R ("real" multi-class AdaBoost), ported from scikit-learn 1.5.2's
    ``AdaBoostClassifier(algorithm="SAMME.R")`` (see the module docstring for the source).

    Base learner: ``DecisionTreeClassifier(max_depth=1)`` (a stump) unless ``estimator`` is given
    (it must have ``predict_proba`` and accept ``sample_weight``). Every boost has weight 1; the
    decision function is the mean over boosts of ``_samme_proba``; for two classes it is the
    second class's column minus the first's, and ``predict`` takes the second class when it is
    > 0. Boosting stops early when a learner classifies its weighted training set perfectly, or
    the weights overflow or sum to <= 0 (as in 1.5.2).

    Parameters: ``estimator`` (default None: a stump), ``n_estimators`` (int >= 1, default 50),
    ``learning_rate`` (float > 0, default 1.0), ``random_state``.
    Shapes: X (n_samples, n_features), dense or sparse (CSR/CSC); y (n_samples,).
    Raises sklearn's InvalidParameterError (a ValueError) for n_estimators < 1, learning_rate <= 0
    or a base learner without ``fit`` and ``predict_proba``.
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator=None, *, n_estimators: int = 50, learning_rate: float = 1.0, random_state=None):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # fit and predict take the sparse tf-idf matrix (check_X_y accept_sparse)
        return tags

    def fit(self, X, y, sample_weight=None):
        from sklearn.base import clone

        self._validate_params()
        base = DecisionTreeClassifier(max_depth=1) if self.estimator is None else self.estimator
        X, y = check_X_y(X, y, accept_sparse=["csr", "csc"], dtype=None)
        self.n_features_in_ = X.shape[1]
        n = X.shape[0]
        sample_weight = np.ones(n) if sample_weight is None else np.array(sample_weight, dtype=np.float64)
        sample_weight /= sample_weight.sum()
        self.estimators_ = []
        self.estimator_weights_ = np.zeros(self.n_estimators, dtype=np.float64)
        self.estimator_errors_ = np.ones(self.n_estimators, dtype=np.float64)
        rng = check_random_state(self.random_state)
        epsilon = np.finfo(sample_weight.dtype).eps
        zero_weight_mask = sample_weight == 0.0
        for iboost in range(self.n_estimators):
            sample_weight = np.clip(sample_weight, a_min=epsilon, a_max=None)  # scikit-learn issue #20320
            sample_weight[zero_weight_mask] = 0.0
            learner = clone(base)
            if "random_state" in learner.get_params():
                learner.set_params(random_state=rng.randint(_MAX_INT))
            self.estimators_.append(learner)
            sample_weight, error = self._boost_real(iboost, learner, X, y, sample_weight)
            self.estimator_weights_[iboost] = 1.0
            self.estimator_errors_[iboost] = error
            if error == 0:
                break
            total = np.sum(sample_weight)
            if not np.isfinite(total) or total <= 0:
                break
            if iboost < self.n_estimators - 1:
                sample_weight /= total
        return self

    def _boost_real(self, iboost, learner, X, y, sample_weight):
        learner.fit(X, y, sample_weight=sample_weight)
        proba = learner.predict_proba(X)
        if iboost == 0:
            self.classes_ = learner.classes_
            self.n_classes_ = len(self.classes_)
        incorrect = self.classes_.take(np.argmax(proba, axis=1), axis=0) != y
        error = np.mean(np.average(incorrect, weights=sample_weight, axis=0))
        if error <= 0:
            return sample_weight, 0.0
        n_classes = self.n_classes_
        # y coding of Zhu et al.: 1 for the true class, -1/(K-1) for the others
        y_coding = np.array([-1.0 / (n_classes - 1), 1.0]).take(self.classes_ == y[:, np.newaxis])
        np.clip(proba, np.finfo(proba.dtype).eps, None, out=proba)
        estimator_weight = -1.0 * self.learning_rate * ((n_classes - 1.0) / n_classes) * xlogy(y_coding, proba).sum(axis=1)
        if iboost != self.n_estimators - 1:
            sample_weight *= np.exp(estimator_weight * ((sample_weight > 0) | (estimator_weight < 0)))
        return sample_weight, error

    def decision_function(self, X):
        """Shape (n_samples,) for two classes (> 0 means ``classes_[1]``), else (n_samples, K)."""
        check_is_fitted(self, "estimators_")
        X = _check_X(X)
        pred = sum(_samme_proba(est, self.n_classes_, X) for est in self.estimators_)
        pred /= self.estimator_weights_.sum()
        if self.n_classes_ == 2:
            pred[:, 0] *= -1
            return pred.sum(axis=1)
        return pred

    def predict(self, X):
        pred = self.decision_function(X)
        if self.n_classes_ == 2:
            return self.classes_.take(pred > 0, axis=0)
        return self.classes_.take(np.argmax(pred, axis=1), axis=0)
