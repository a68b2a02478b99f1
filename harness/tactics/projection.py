"""T5 data projection: fewer, denser columns fitted on training rows.

- ``svd``: ``TruncatedSVD`` (scikit-learn; works on sparse input, no centring);
- ``random_projection``: ``SparseRandomProjection`` (Achlioptas / Li et al. sparse matrix), sparse output.

A level is a number of components (whole number >= 1) or a fraction of the input's features in (0, 1).
"""

from __future__ import annotations

from sklearn.base import BaseEstimator, TransformerMixin

from harness.errors import TreatmentError


def n_components(level: int | float, n_features: int) -> int:
    """Components for a level: the number itself, or round(level x n_features) (at least 1)."""
    return level if isinstance(level, int) else max(1, round(level * n_features))


class Projection(TransformerMixin, BaseEstimator):
    def __init__(self, method: str = "svd", components: int | float = 100, random_state=None):
        self.method = method
        self.components = components
        self.random_state = random_state

    def fit(self, X, y=None):
        from sklearn.decomposition import TruncatedSVD
        from sklearn.random_projection import SparseRandomProjection

        k = n_components(self.components, X.shape[1])
        if k >= X.shape[1]:
            raise TreatmentError(f"{self.method}: {k} components but the data has only {X.shape[1]} features; "
                                 "ask for fewer components")
        if self.method == "svd":
            self.projection_ = TruncatedSVD(n_components=k, random_state=self.random_state)
        else:
            self.projection_ = SparseRandomProjection(n_components=k, random_state=self.random_state,
                                                      dense_output=False)
        self.projection_.fit(X)
        return self

    def transform(self, X):
        return self.projection_.transform(X)
