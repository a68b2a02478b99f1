"""Algorithms: the paper's six baselines by name, or any sklearn-compatible estimator by path.

The baselines use scikit-learn defaults except ``class_weight="balanced"`` for SVC and random
forest, as in the ICT4S'22 study.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.errors import SpecError
from harness.imports import import_class

BASELINES: dict[str, tuple[str, dict[str, Any]]] = {
    "svm": ("sklearn.svm:SVC", {"class_weight": "balanced"}),
    "decision_tree": ("sklearn.tree:DecisionTreeClassifier", {}),
    "knn": ("harness.estimators.stable_knn:StableKNeighborsClassifier", {}),
    "random_forest": ("sklearn.ensemble:RandomForestClassifier", {"class_weight": "balanced"}),
    "adaboost": ("sklearn.ensemble:AdaBoostClassifier", {}),
    "bagging": ("sklearn.ensemble:BaggingClassifier", {}),
}


@dataclass(frozen=True)
class Algorithm:
    """A named estimator recipe. ``make(seed)`` returns a fresh, unfitted estimator whose
    ``random_state`` is the trial's seed (unless the spec fixed one in ``params``)."""

    name: str
    cls: type
    params: dict[str, Any] = field(default_factory=dict)
    seeded: bool = False  # the estimator takes random_state and the spec did not fix it

    def make(self, seed: int):
        est = self.cls(**self.params)
        if self.seeded:
            est.set_params(random_state=seed)
        return est

    def describe(self) -> dict:
        return {"class": f"{self.cls.__module__}:{self.cls.__qualname__}", "params": self.params,
                "random_state": "trial seed" if self.seeded else self.params.get("random_state")}


def estimator_type(est) -> str | None:
    """"classifier", "regressor", "clusterer", ... as the estimator declares it: scikit-learn's
    estimator tags (``sklearn.utils.get_tags``, scikit-learn >= 1.6), else the older
    ``_estimator_type`` attribute; None when it declares nothing."""
    if hasattr(est, "__sklearn_tags__"):
        from sklearn.utils import get_tags

        try:
            return get_tags(est).estimator_type
        except Exception:  # noqa: BLE001 - a broken tag method: fall back to the attribute
            pass
    kind = getattr(est, "_estimator_type", None)
    return kind if isinstance(kind, str) else None


def resolve(spec_alg, index: int, allowed: tuple[str, ...] | None = None) -> Algorithm:
    """Turn an AlgorithmSpec into an Algorithm, failing early with the field at fault.

    The class is imported and checked by ``harness.imports.import_class`` (allowed packages only,
    a class with fit and predict) before it is instantiated; ``allowed`` defaults to
    ``harness.imports.allowed_packages()``."""
    where = f"algorithms.{index}"
    if spec_alg.class_ is None:
        path, defaults = BASELINES[spec_alg.name]
    else:
        path, defaults = spec_alg.class_, {}
    cls = import_class(path, where, "estimator", allowed)
    params = {**defaults, **spec_alg.params}
    try:
        est = cls(**params)
    except TypeError as e:
        raise SpecError(f"{where}.params: {cls.__name__} rejects these parameters ({e})") from None
    validate = getattr(est, "_validate_params", None)  # sklearn >= 1.2 checks values only in fit
    if callable(validate):
        try:
            validate()
        except (ValueError, TypeError) as e:
            raise SpecError(f"{where}.params: {' '.join(str(e).split())}") from None
    if not (hasattr(est, "fit") and hasattr(est, "predict")):
        raise SpecError(f"{where}.class: {path} is not an estimator with fit() and predict()")
    kind = estimator_type(est)
    if kind != "classifier":
        what = f"a {kind}" if kind else "not declared a classifier"
        raise SpecError(f"{where}.class: {path} is {what}; every trial is scored as binary classification (F1), so "
                        "use a classifier (your own class: inherit sklearn.base.ClassifierMixin and BaseEstimator, "
                        "or set _estimator_type = 'classifier')")
    seeded = False
    if hasattr(est, "get_params"):
        try:
            seeded = "random_state" in est.get_params(deep=False) and "random_state" not in spec_alg.params
        except Exception as e:  # a broken get_params is the user's bug, but say where
            raise SpecError(f"{where}: {cls.__name__}.get_params() failed ({e})") from None
    return Algorithm(spec_alg.name, cls, params, seeded)
