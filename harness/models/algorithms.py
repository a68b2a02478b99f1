"""Algorithms: the paper's six baselines by name, or any sklearn-compatible estimator by path.

The baselines use scikit-learn defaults except ``class_weight="balanced"`` for SVC and random
forest, as in the ICT4S'22 study.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.errors import SpecError
from harness.imports import import_class, parameter_problem

BASELINES: dict[str, tuple[str, dict[str, Any]]] = {
    "svm": ("sklearn.svm:SVC", {"class_weight": "balanced"}),
    "decision_tree": ("sklearn.tree:DecisionTreeClassifier", {}),
    "knn": ("harness.estimators.stable_knn:StableKNeighborsClassifier", {}),
    "random_forest": ("sklearn.ensemble:RandomForestClassifier", {"class_weight": "balanced"}),
    "adaboost": ("sklearn.ensemble:AdaBoostClassifier", {}),
    "bagging": ("sklearn.ensemble:BaggingClassifier", {}),
}


# ``dense_why`` of an estimator the spec keeps on sparse features (``dense: false``): ``check_fit`` checks it
KEPT_SPARSE = "spec: dense false"


@dataclass(frozen=True)
class Algorithm:
    """A named estimator recipe. ``make(seed)`` returns a fresh, unfitted estimator whose
    ``random_state`` is the trial's seed (unless the spec fixed one in ``params``)."""

    name: str
    cls: type
    params: dict[str, Any] = field(default_factory=dict)
    seeded: bool = False  # the estimator takes random_state and the spec did not fix it
    dense: bool = False  # it is given dense features (a sparse matrix is converted in preprocess)
    dense_why: str = ""  # why: "spec", "input_tags.sparse is False", "its fit refused sparse input"; KEPT_SPARSE

    def make(self, seed: int):
        est = self.cls(**self.params)
        if self.seeded:
            est.set_params(random_state=seed)
        return est

    def inputs(self, X):
        """``X`` as this estimator takes it: dense (``toarray()``) when ``dense`` and ``X`` is sparse."""
        import scipy.sparse as sp

        return X.toarray() if self.dense and sp.issparse(X) else X

    def describe(self) -> dict:
        out = {"class": f"{self.cls.__module__}:{self.cls.__qualname__}", "params": self.params,
               "random_state": "trial seed" if self.seeded else self.params.get("random_state")}
        if self.dense:  # only then: manifests of runs without dense estimators are unchanged
            out["dense_input"] = self.dense_why
        return out


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


def accepts_sparse(est) -> bool | None:
    """Whether ``est`` declares that it accepts a sparse matrix (scikit-learn's estimator tags,
    ``input_tags.sparse``, scikit-learn >= 1.6); None when it declares no tags (a class that does
    not inherit ``BaseEstimator``): then only a fit can tell (``check_fit``)."""
    if not hasattr(est, "__sklearn_tags__"):
        return None
    from sklearn.utils import get_tags

    try:
        return bool(get_tags(est).input_tags.sparse)
    except Exception:  # noqa: BLE001 - a broken tag method: as if it declared none
        return None


def resolve(spec_alg, index: int, allowed: tuple[str, ...] | None = None) -> Algorithm:
    """Turn an AlgorithmSpec into an Algorithm, failing early with the field at fault.

    The class is imported and checked by ``harness.imports.import_class`` (allowed packages only,
    a class with fit and predict) before it is instantiated; ``allowed`` defaults to
    ``harness.imports.allowed_packages()``. Then, through scikit-learn's public API only (what its
    ``check_estimator`` checks that matters here): ``get_params`` names every parameter the spec sets,
    ``clone`` rebuilds it from them (``set_params``), it is a classifier (``is_classifier``: estimator
    tags), and its parameter values are accepted (``parameter_problem``). Whether it takes sparse
    input is read from its tags (``accepts_sparse``; the spec's ``dense`` overrides); without tags,
    ``check_fit`` finds out on the data. Raises SpecError."""
    from sklearn.base import clone

    where = f"algorithms.{index}"
    if spec_alg.class_ is None:
        path, defaults = BASELINES[spec_alg.name]
    else:
        path, defaults = spec_alg.class_, {}
    cls = import_class(path, where, "estimator", allowed)
    params = {**defaults, **spec_alg.params}
    name = cls.__name__
    try:
        est = cls(**params)
    except TypeError as e:
        raise SpecError(f"{where}.params: {name} rejects these parameters ({e})") from None
    if not (hasattr(est, "fit") and hasattr(est, "predict")):
        raise SpecError(f"{where}.class: {path} is not an estimator with fit() and predict()")
    kind = estimator_type(est)
    if kind != "classifier":
        what = f"a {kind}" if kind else "not declared a classifier"
        raise SpecError(f"{where}.class: {path} is {what}; every trial is scored as classification (F1 of predicted labels), so "
                        "use a classifier (your own class: inherit sklearn.base.ClassifierMixin and BaseEstimator, "
                        "or set _estimator_type = 'classifier')")
    convention = ("a scikit-learn estimator stores each __init__ argument unchanged, as an attribute of the "
                  "same name (inherit sklearn.base.BaseEstimator for get_params and set_params)")
    try:
        known = est.get_params(deep=False)
    except Exception as e:  # noqa: BLE001 - a broken get_params is the user's bug, but say where
        raise SpecError(f"{where}: {name}.get_params() failed ({type(e).__name__}: {e}); {convention}") from None
    if not isinstance(known, dict):
        raise SpecError(f"{where}: {name}.get_params() returned a {type(known).__name__}, not a dict; {convention}")
    unknown = [p for p in params if p not in known]
    if unknown:
        raise SpecError(f"{where}.params: {name}.get_params() has no {', '.join(map(repr, unknown))} (it has "
                        f"{', '.join(sorted(known)) or 'none'}); {convention}")
    try:
        est = clone(est)  # get_params, then a new instance from them: what every trial's estimator goes through
    except Exception as e:  # noqa: BLE001 - the user's class: any exception, said in one line
        raise SpecError(f"{where}: {name} cannot be cloned ({type(e).__name__}: {' '.join(str(e).split())}); "
                        f"{convention}") from None
    problem = parameter_problem(clone(est))
    if problem:
        raise SpecError(f"{where}.params: {problem}")
    seeded = "random_state" in known and "random_state" not in spec_alg.params
    dense, why = False, ""
    if getattr(spec_alg, "dense", None) is not None:
        dense, why = bool(spec_alg.dense), "spec" if spec_alg.dense else KEPT_SPARSE
    elif accepts_sparse(est) is False:
        dense, why = True, "input_tags.sparse is False"
    return Algorithm(spec_alg.name, cls, params, seeded, dense, why)


def check_fit(algorithm: Algorithm, X, y, where: str) -> Algorithm:
    """For an estimator that declares no tags (``accepts_sparse`` is None) and is given sparse ``X``:
    fit it on a small stratified sample of the data (at most 50 rows), sparse, to learn whether it
    takes sparse input; if that fit refuses sparse input and a dense one succeeds, the estimator is
    given dense features (``dense_why``). Any other failure of this small fit is left to the trials
    (a sample this small may fail where the real one does not). Estimators that declare tags are
    not fitted here: their tags answer, unless the spec set ``dense: false`` (then this fit checks
    it, and a refusal of sparse input raises SpecError before anything is written). Returns the
    (possibly updated) Algorithm."""
    import numpy as np
    import scipy.sparse as sp

    kept_sparse = algorithm.dense_why == KEPT_SPARSE
    if algorithm.dense or not sp.issparse(X) or (accepts_sparse(algorithm.make(0)) is not None and not kept_sparse):
        return algorithm
    y = np.asarray(y)
    rows = np.concatenate([np.flatnonzero(y == c)[:25] for c in np.unique(y)])
    try:
        algorithm.make(0).fit(X[rows], y[rows])
        return algorithm
    except Exception as e:  # noqa: BLE001 - the user's class: only a refusal of sparse input counts
        if "sparse" not in str(e).lower() and "dense" not in str(e).lower():
            return algorithm
        if kept_sparse:
            raise SpecError(f"{where}.dense: false, but {algorithm.cls.__name__} refused the sparse features "
                            f"({type(e).__name__}: {' '.join(str(e).split())[:160]}); remove 'dense: false' "
                            "(it is then given dense features) or choose an estimator that takes sparse input") from None
    try:
        algorithm.make(0).fit(X[rows].toarray(), y[rows])
    except Exception as e:  # noqa: BLE001
        raise SpecError(f"{where}: {algorithm.cls.__name__} refused the sparse features and failed on dense ones "
                        f"({type(e).__name__}: {' '.join(str(e).split())[:200]})") from None
    return Algorithm(algorithm.name, algorithm.cls, algorithm.params, algorithm.seeded, True,
                     "its fit refused sparse input")


def prediction_problem(y_pred, n_test: int, classes) -> str | None:
    """What is wrong with ``y_pred`` as the prediction of ``n_test`` rows of a classifier trained on
    labels ``classes`` (scikit-learn's ``check_classifiers_train``: one label per row, each a
    label seen in fit), or None."""
    import numpy as np

    try:
        y_pred = np.asarray(y_pred)
    except Exception as e:  # noqa: BLE001
        return f"predict returned a {type(y_pred).__name__} that is not an array ({e})"
    if y_pred.ndim != 1 or len(y_pred) != n_test:
        return f"predict returned shape {tuple(y_pred.shape)} for {n_test} rows (one label per row expected)"
    unseen = np.setdiff1d(np.unique(y_pred), np.asarray(classes))
    if len(unseen):
        shown = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in unseen[:3])
        distinct = "1 distinct value that is" if len(unseen) == 1 else f"{len(unseen)} distinct values that are"
        return (f"predict returned {distinct} not a label seen in fit ({shown}{', ...' if len(unseen) > 3 else ''}; "
                f"fit saw the labels {', '.join(map(str, np.asarray(classes)))}: the harness encodes the data "
                "set's classes as 0, 1, ... before fit)")
    return None
