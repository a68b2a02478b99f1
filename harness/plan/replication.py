"""The ICT4S'22 study's own treatment and split (``replication: ict4s22``; see
``harness.spec.replication`` for what the mode fixes and why): rows subsampled with the original's
seed, chi-squared feature selection on the subset, then the 70/30 split with its seed, in two steps
so that the split can be measured inside the training window as the original's was."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.errors import TreatmentError
from harness.spec.replication import ICT4S22_SPLIT_SEED, ICT4S22_SUBSAMPLE_SEED, ICT4S22_TEST_FRACTION

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Treated:
    """Rows after the preprocess window of the ict4s22 mode, not yet split."""

    X: object
    y: "np.ndarray"


@dataclass(frozen=True)
class Split:
    X_train: object
    X_test: object
    y_train: "np.ndarray"
    y_test: "np.ndarray"
    n_rows: int | None = None  # as harness.plan.protocols.Split: no duplicate removal in this mode


def _percent(fraction: float) -> float:
    """A fraction as the original's percentage (10, 20, ...), free of float noise (0.7 x 100 is
    70.00000000000001, which moves SelectPercentile's threshold)."""
    return round(fraction * 100, 9)


class ICT4S22Faithful:
    """The original's treatment and split (see the module docstring), in two steps so that the
    split can be measured inside the training window."""

    name = "ict4s22"

    def __init__(self, X, y):
        self.X, self.y = X, y

    def treat(self, row_fraction: float, feature_fraction: float) -> Treated:
        import numpy as np
        from sklearn.feature_selection import SelectPercentile, chi2
        from sklearn.model_selection import train_test_split

        X, y = self.X, self.y
        if row_fraction < 1.0:
            try:
                keep, _ = train_test_split(np.arange(len(y)), stratify=y, random_state=ICT4S22_SUBSAMPLE_SEED,
                                           test_size=(100 - _percent(row_fraction)) / 100, shuffle=True)
            except ValueError as e:
                raise TreatmentError(f"row fraction {row_fraction} of {len(y)} rows is too few to keep both "
                                     f"classes ({e})") from None
            X, y = X[keep], y[keep]
        if feature_fraction < 1.0:
            try:
                with np.errstate(divide="ignore", invalid="ignore"):
                    X = SelectPercentile(chi2, percentile=_percent(feature_fraction)).fit_transform(X, y)
            except ValueError as e:
                raise TreatmentError(f"chi-squared feature selection failed ({e}); chi2 needs "
                                     "non-negative features") from None
        return Treated(X, y)

    def split(self, treated: Treated) -> Split:
        import numpy as np
        from sklearn.model_selection import train_test_split

        try:
            train, test = train_test_split(np.arange(len(treated.y)), test_size=ICT4S22_TEST_FRACTION,
                                           stratify=treated.y, random_state=ICT4S22_SPLIT_SEED)
        except ValueError as e:
            raise TreatmentError(f"cannot split {len(treated.y)} rows 70/30 keeping both classes ({e}); "
                                 "use a larger row fraction") from None
        X, y = treated.X, treated.y
        return Split(X[train], X[test], y[train], y[test])

    def preprocess(self, row_fraction: float, feature_fraction: float, seed: int) -> Split:
        """Treatment and split at once (``seed`` is unused: the seeds are fixed), as other
        protocols offer it; used to check every level before a run writes anything."""
        return self.split(self.treat(row_fraction, feature_fraction))

    def apply(self, levels, seed: int) -> Split:
        """``preprocess`` for a trial's (factor, level) pairs: only the paper's two factors exist
        in this mode (``check`` refuses tactics)."""
        lv = dict(levels)
        return self.preprocess(lv.get("rows") or 1.0, lv.get("features") or 1.0, seed)
