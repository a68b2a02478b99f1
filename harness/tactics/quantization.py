"""T4 input quantization: the features' floating-point type, or their values on k bits.

- ``DtypeCast``: ``X.astype(dtype)``. scipy.sparse has no float16, so float16 needs dense features.
- ``KBitsQuantizer``: each column is divided by its largest absolute training value (scikit-learn's
  ``MaxAbsScaler``) and each non-zero value rounded up to one of ``2**bits - 1`` levels on (0, 1]
  (sign kept, zero stays zero and sparse stays sparse); ``bits=1`` gives presence: 1 where a value
  is non-zero. Test values beyond the training maximum are clipped to the top level.

``fitted_dtype`` reports the dtype an estimator actually computed in, since some scikit-learn
estimators upcast what they receive (trees use float32 whatever they are given; libsvm float64).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from harness.errors import TreatmentError


class DtypeCast(TransformerMixin, BaseEstimator):
    def __init__(self, dtype: str = "float64"):
        self.dtype = dtype

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        if sp.issparse(X) and np.dtype(self.dtype) == np.float16:
            raise TreatmentError("dtype float16: scipy.sparse has no float16 and these features are sparse; "
                                 "use float32, or put a projection step (svd) before dtype")
        return X.astype(self.dtype)


class KBitsQuantizer(TransformerMixin, BaseEstimator):
    def __init__(self, bits: int = 8):
        self.bits = bits

    def fit(self, X, y=None):
        from sklearn.preprocessing import MaxAbsScaler

        self.scaler_ = MaxAbsScaler().fit(X)
        return self

    def transform(self, X):
        levels = 2 ** self.bits - 1
        Xs = self.scaler_.transform(X)
        if sp.issparse(Xs):
            Xs = sp.csr_matrix(Xs, copy=True)
            Xs.data = _quantize(Xs.data, levels)
            return Xs
        Xs = np.array(Xs, dtype=np.float64, copy=True)
        nz = Xs != 0
        Xs[nz] = _quantize(Xs[nz], levels)
        return Xs


def _quantize(values: np.ndarray, levels: int) -> np.ndarray:
    mag = np.abs(values)
    with np.errstate(invalid="ignore"):  # inf (a column all-zero in training) clips to the top level
        q = np.clip(np.ceil(np.nan_to_num(mag, posinf=1.0) * levels - 1e-9), 1, levels) / levels
    return np.sign(values) * q


def fitted_dtype(estimator, n_features: int) -> str:
    """The dtype the fitted estimator computed in, from what it learned: float32 for scikit-learn
    trees and ensembles of them (``sklearn.tree._tree.DTYPE``), else the dtype of a learned 2-D array
    with ``n_features`` columns (support vectors, stored training rows, coefficients). ``unknown``
    when nothing tells."""
    seen = {id(estimator)}
    todo = [estimator]
    while todo:
        est = todo.pop(0)
        if hasattr(est, "tree_"):
            return "float32"
        for value in vars(est).values():
            if isinstance(value, np.ndarray) or sp.issparse(value):
                if value.ndim == 2 and value.shape[1] == n_features and np.issubdtype(value.dtype, np.floating):
                    return str(value.dtype)
        for name in ("estimators_", "estimator_", "base_estimator_"):
            inner = getattr(est, name, None)
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if inner is not None and hasattr(inner, "fit") and id(inner) not in seen:
                seen.add(id(inner))
                todo.append(inner)
    return "unknown"
