"""A treatment as a pipeline of steps, each a tactic at a level, fitted as a protocol says.

``TacticPipeline`` knows the spec's factors (in step order) and applies one configuration's levels:

- ``dataset_rows``: the rows kept by ``dataset`` steps (T2 duplicates), applied to the whole dataset
  before any split;
- ``fit_apply``: the other steps in order on training rows: a ``rows`` step resamples the training
  rows (test rows untouched); a ``columns`` step is fitted on the current training rows and
  transforms train and test. With ``scale`` set, scaling of the numeric columns is the first step.

Pure: no clocks, no files. Built-in row samplers that can say which rows they keep from the labels
alone (``indices(y)``) are composed as index arrays, so X is copied once, when first needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from harness.errors import TreatmentError
from harness.tactics.registry import is_off, level_text

Levels = tuple  # ((factor name, level), ...) in step order


@dataclass(frozen=True)
class DataContext:
    """What some tactics need beyond X and y: ``keys`` (one normalised text per row, for exact
    duplicates), ``text_columns`` (the tf-idf block, for near duplicates) and ``n_numeric`` (the
    trailing numeric columns, for scaling). Empty for a dataset without text."""

    keys: Sequence[str] | None = None
    text_columns: slice | None = None
    n_numeric: int = 0


@dataclass(frozen=True)
class Factor:
    """One step of the spec's treatment: a built-in ``tactic`` or a user's class (``cls``)."""

    name: str
    kind: str  # dataset | rows | columns
    family: str  # T1..T5, or "user"
    tactic: str | None = None
    cls: type | None = None
    class_path: str | None = None
    params: dict = field(default_factory=dict)
    level_param: str | None = None
    seeded: bool = False  # a user class with random_state not fixed by params

    @property
    def label(self) -> str:
        return self.tactic or self.class_path

    def is_off(self, level) -> bool:
        return is_off(self.tactic, level)

    def build(self, level, seed: int, context: DataContext, n_features: int | None = None):
        """A fresh sampler or transformer for ``level`` (never None: call only for active levels)."""
        if self.cls is not None:
            params = dict(self.params)
            if self.level_param:
                params[self.level_param] = level
            obj = self.cls(**params)
            if self.seeded:
                obj.set_params(random_state=seed)
            return obj
        return _builtin(self.tactic, level, seed, context)


def _builtin(tactic: str, level, seed: int, context: DataContext):
    from harness.tactics import projection, quantization, redundancy, sampling, selection

    if tactic == "stratified":
        return sampling.StratifiedSampler(level, seed)
    if tactic == "random":
        return sampling.RandomSampler(level, seed)
    if tactic == "balanced":
        return sampling.BalancedSampler(level, seed)
    if tactic == "dedup_exact":
        return redundancy.ExactDuplicateRemover(context.keys)
    if tactic == "dedup_near":
        return redundancy.NearDuplicateRemover(level, context.text_columns)
    if tactic in selection.SCORES:
        return selection.FeatureSelector(tactic, level, seed)
    if tactic == "dtype":
        return quantization.DtypeCast(level)
    if tactic == "kbits":
        return quantization.KBitsQuantizer(level)
    if tactic in ("svd", "random_projection"):
        return projection.Projection(tactic, level, seed)
    raise KeyError(tactic)


LEGACY = (Factor("rows", "rows", "T1", tactic="stratified"), Factor("features", "columns", "T3", tactic="chi2"))


def legacy_levels(row_fraction: float, feature_fraction: float) -> Levels:
    """The levels of the ICT4S'22 treatment: stratified rows, then chi2 features."""
    return (("rows", row_fraction), ("features", feature_fraction))


class TacticPipeline:
    def __init__(self, factors: Sequence[Factor] = LEGACY, scale: str = "none", context: DataContext = DataContext()):
        self.factors = {f.name: f for f in factors}
        self.order = [f.name for f in factors]
        self.scale = scale
        self.context = context

    def active(self, levels: Levels) -> list[tuple[Factor, Any]]:
        """(factor, level) of the steps that change the data, in step order."""
        given = dict(levels)
        return [(self.factors[n], given[n]) for n in self.order
                if n in given and not self.factors[n].is_off(given[n])]

    def label(self, levels: Levels) -> str:
        """Canonical treatment label: active steps as ``factor=level`` joined by ``+`` in step order
        (``scale=...`` first when set), or ``none``."""
        parts = [f"scale={self.scale}"] if self.scale != "none" else []
        parts += [f"{f.name}={level_text(level)}" for f, level in self.active(levels)]
        return "+".join(parts) or "none"

    def dataset_rows(self, levels: Levels, X, y, seed: int = 0) -> np.ndarray | None:
        """Indices of the rows the dataset steps keep (in order), or None when no such step is active."""
        rows = None
        for f, level in self.active(levels):
            if f.kind != "dataset":
                continue
            step = f.build(level, seed, _subset_context(self.context, rows))
            Xs, ys = (X, y) if rows is None else (X[rows], y[rows])
            _resample(step, Xs, ys)
            kept = np.asarray(step.sample_indices_)
            rows = kept if rows is None else rows[kept]
        return rows

    def user_samplers(self, levels: Levels, X, y, seed: int = 0):
        """(X, y) after the user's samplers of ``levels`` only, in step order: under protocol ict4s22 they
        run on the training rows after the split (``fit_apply(..., user_rows=False)`` skipped them), so
        that every test row is a real row."""
        y = np.asarray(y)
        for f, level in self.active(levels):
            if f.family == "user" and f.kind == "rows":
                X, y, _, _ = _user_step(f, level, f.build(level, seed, self.context), "rows", X, y, X, None,
                                        np.arange(len(y)))
        return X, y

    def fit_apply(self, levels: Levels, X, y, X_test=None, seed: int = 0, rows: np.ndarray | None = None,
                  user_rows: bool = True):
        """(X_train, y_train, X_test) after the row and column steps, fitted on (X[rows], y[rows]).

        ``rows`` indexes the training rows of X (None: all of X). ``X_test`` (None under a protocol
        that splits afterwards) is only ever transformed, never fitted on or resampled."""
        y = np.asarray(y)
        Xt = None  # materialised training matrix, once a step needs it
        if rows is None:
            rows = np.arange(len(y))
        steps = [(f, level) for f, level in self.active(levels) if f.kind != "dataset"
                 and (user_rows or not (f.family == "user" and f.kind == "rows"))]
        if self.scale != "none":
            from harness.tactics.scaling import NumericScaler

            steps.insert(0, (None, NumericScaler(self.scale, self.context.n_numeric)))
        for f, level in steps:
            step = level if f is None else f.build(level, seed, self.context)
            kind = "columns" if f is None else f.kind
            if f is not None and f.family == "user":  # a user's step: its failure is one line naming it
                Xt, y, X_test, rows = _user_step(f, level, step, kind, X, y, Xt, X_test, rows)
                continue
            if kind == "rows":
                if Xt is None and hasattr(step, "indices"):
                    rows = rows[step.indices(y[rows])]
                    continue
                if Xt is None:
                    Xt, y = X[rows], y[rows]
                Xt, y = _resample(step, Xt, y)
                continue
            if Xt is None:
                Xt, y = X[rows], y[rows]
            step.fit(Xt, y)
            Xt = step.transform(Xt)
            if X_test is not None:
                X_test = step.transform(X_test)
        if Xt is None:
            Xt, y = X[rows], y[rows]
        return Xt, np.asarray(y), X_test


SPARSE_FIX = "the features are a sparse matrix (tf-idf): use a step that accepts sparse input"


def sparse_fix(class_path: str) -> str:
    """The fix for a step that refused sparse input: ``StandardScaler``'s own option where the step
    is one, else steps that take sparse input (scikit-learn's ``MaxAbsScaler``, ``TruncatedSVD``)."""
    if class_path.rsplit(":", 1)[-1].rsplit(".", 1)[-1] == "StandardScaler":
        return f"{SPARSE_FIX}: StandardScaler with params {{with_mean: false}}, or MaxAbsScaler"
    return f"{SPARSE_FIX}, e.g. MaxAbsScaler instead of a centring scaler, TruncatedSVD instead of PCA"


def _user_step(f, level, step, kind, X, y, Xt, X_test, rows):
    """Apply a user's sampler or transformer as ``fit_apply`` applies a built-in step; any exception it
    raises becomes one TreatmentError naming ``tactics.<factor>``, the class, the level and the fix
    where one is known (sparse input)."""
    try:
        if Xt is None:
            Xt, y = X[rows], y[rows]
        if kind == "rows":
            Xt, y = _resample(step, Xt, y)
        else:
            step.fit(Xt, y)
            Xt = step.transform(Xt)
            if X_test is not None:
                X_test = step.transform(X_test)
    except Exception as e:  # noqa: BLE001 - a user's code: any exception, said in one line
        text = " ".join(str(e).split())[:300] or type(e).__name__
        fix = f"; {sparse_fix(f.class_path)}" if "sparse" in text.lower() else ""
        raise TreatmentError(f"tactics.{f.name}: {f.class_path} at level {level!r} failed on the data "
                             f"({type(e).__name__}: {text}){fix}") from None
    return Xt, np.asarray(y), X_test, rows


def _resample(step, X, y):
    out = step.fit_resample(X, y)
    return out[0], np.asarray(out[1])


def _subset_context(context: DataContext, rows) -> DataContext:
    if rows is None or context.keys is None:
        return context
    return DataContext([context.keys[i] for i in rows], context.text_columns, context.n_numeric)
