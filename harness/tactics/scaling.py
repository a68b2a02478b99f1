"""``scale:`` scaling of the numeric (non-text) feature columns, fitted on training rows.

The ICT4S'22 features put the message length in characters (0..~900) beside tf-idf weights (0..1),
unscaled; ``scale: none`` (the default) keeps that. ``standard`` (``StandardScaler``: zero mean, unit
variance) or ``maxabs`` (``MaxAbsScaler``: divided by the largest absolute value, keeps zeros and
signs, so chi2 still applies) rescale only the numeric columns: the length column and a CSV's
``feature_columns``, which are the last ``n_numeric`` columns of the feature matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from harness.errors import TreatmentError


class NumericScaler(TransformerMixin, BaseEstimator):
    def __init__(self, method: str = "standard", n_numeric: int = 1):
        self.method = method
        self.n_numeric = n_numeric

    def fit(self, X, y=None):
        from sklearn.preprocessing import MaxAbsScaler, StandardScaler

        if self.n_numeric < 1:
            raise TreatmentError(f"scale: {self.method} but the features have no numeric column "
                                 "(no length feature, no feature_columns); use scale: none")
        self.scaler_ = (StandardScaler() if self.method == "standard" else MaxAbsScaler()).fit(self._numeric(X))
        return self

    def _numeric(self, X):
        block = X[:, X.shape[1] - self.n_numeric:]
        return block.toarray() if sp.issparse(block) else np.asarray(block)

    def transform(self, X):
        scaled = self.scaler_.transform(self._numeric(X))
        rest = X[:, : X.shape[1] - self.n_numeric]
        if sp.issparse(X):
            return sp.hstack([rest, sp.csr_matrix(scaled)], format="csr", dtype=X.dtype)
        return np.hstack([rest, scaled])
