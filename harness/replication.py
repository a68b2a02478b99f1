"""Replication modes: a spec's ``replication:`` key, beside the harness's own design (``none``).

``ict4s22`` reproduces the design of Verdecchia, Cruz, Sallou et al., "Data-Centric Green AI: An
Exploratory Empirical Study", ICT4S 2022, as its code ran (github.com/GreenAIproject/ICT4S22,
``src/energy_experiment.py``, ``modify_dataset.py``, ``text_classification.py``,
``text_preprocessing.py``), where it differs from the harness's default:

- **reading**: the SMS Spam Collection read with pandas' default quoting (``_load_data``): 5,572
  messages (two pairs of lines merged at unmatched quotes), so 3,900 training rows at 100%;
- **fixed seeds**: every repetition subsamples with seed 42 (``RANDOM_SEED``) and splits 70/30
  with seed 101 (``my_train_test_split``), so each configuration is one draw of rows and only the
  estimators' own randomness varies between repetitions (the original left it unseeded; here it is
  the repetition's seed, recorded in the ``seed`` column, so reruns are identical);
- **subsampling**: a level keeping fraction f is the *train* part of
  ``train_test_split(test_size=1 - f, stratify=y, random_state=42)`` (the original's call, whose
  label said 1 - f; see README "Differences"), in its shuffled order; feature selection is
  ``SelectPercentile(chi2, percentile=100 f)`` on the subset;
- **phase boundaries** (``phase_boundaries = "ict4s22"`` in every row): preprocess = subsample +
  feature selection; train = the 70/30 split + ``fit``; predict = ``predict`` + the scores
  (``classification_report``, accuracy, precision, recall, F1), as the original's CodeCarbon
  windows were drawn. The harness's default (``"harness"``): preprocess ends with the split, train
  is ``fit`` alone, predict is ``predict`` alone;
- **estimators**: the baselines ``random_forest`` and ``adaboost`` become
  ``harness.estimators.faithful``'s forest (uniform bootstrap, balanced weights on the whole
  training set) and SAMME.R AdaBoost, and ``knn`` becomes ``harness.estimators.faithful_knn``'s
  k-NN (numpy 1.x's tie order among equidistant neighbours), which behave on any scikit-learn as
  0.24.1's did.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from harness.errors import HarnessError

if TYPE_CHECKING:
    import numpy as np

REPLICATIONS = ("none", "ict4s22")

ICT4S22_SUBSAMPLE_SEED = 42   # modify_dataset.py: RANDOM_SEED
ICT4S22_SPLIT_SEED = 101      # text_classification.py: my_train_test_split
ICT4S22_TEST_FRACTION = 0.3
ICT4S22_QUOTING = "pandas-default"

PHASES_HARNESS = "harness"
PHASES_ICT4S22 = "ict4s22"

ICT4S22_ESTIMATORS = {
    "random_forest": ("harness.estimators.faithful:FaithfulRandomForestClassifier", {"class_weight": "balanced"}),
    "adaboost": ("harness.estimators.faithful:SAMMERAdaBoostClassifier", {}),
    "knn": ("harness.estimators.faithful_knn:FaithfulKNeighborsClassifier", {}),
}


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
    n_rows: int | None = None  # as harness.protocols.Split: no duplicate removal in this mode


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
                raise HarnessError(f"row fraction {row_fraction} of {len(y)} rows is too few to keep both "
                                   f"classes ({e})") from None
            X, y = X[keep], y[keep]
        if feature_fraction < 1.0:
            try:
                with np.errstate(divide="ignore", invalid="ignore"):
                    X = SelectPercentile(chi2, percentile=_percent(feature_fraction)).fit_transform(X, y)
            except ValueError as e:
                raise HarnessError(f"chi-squared feature selection failed ({e}); chi2 needs "
                                   "non-negative features") from None
        return Treated(X, y)

    def split(self, treated: Treated) -> Split:
        import numpy as np
        from sklearn.model_selection import train_test_split

        try:
            train, test = train_test_split(np.arange(len(treated.y)), test_size=ICT4S22_TEST_FRACTION,
                                           stratify=treated.y, random_state=ICT4S22_SPLIT_SEED)
        except ValueError as e:
            raise HarnessError(f"cannot split {len(treated.y)} rows 70/30 keeping both classes ({e}); "
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


def check(spec) -> None:
    """What ``replication: ict4s22`` requires of the rest of the spec (raises HarnessError)."""
    if spec.replication != "ict4s22":
        return
    if spec.protocol != "ict4s22":
        raise HarnessError(f"replication: ict4s22 needs protocol: ict4s22 (got {spec.protocol!r}); "
                           "drop 'protocol' or set it to ict4s22")
    if spec.tactics is not None or spec.scale != "none":
        raise HarnessError("replication: ict4s22 runs the paper's two treatments only (stratified rows, chi2 "
                           "features); drop 'tactics' and 'scale', or drop 'replication'")
    if spec.test_fraction != ICT4S22_TEST_FRACTION:
        raise HarnessError(f"replication: ict4s22 splits 70/30 as the original; test_fraction must be 0.3 "
                           f"(got {spec.test_fraction})")


def quoting(spec) -> str:
    """How the built-in dataset is read in this mode (``harness.datasets.load_sms_spam``)."""
    return ICT4S22_QUOTING if spec.replication == "ict4s22" else "none"


def algorithm_specs(spec) -> list:
    """The spec's algorithms, with the baselines that the mode replaces given by class path."""
    if spec.replication != "ict4s22":
        return list(spec.algorithms)
    out = []
    for a in spec.algorithms:
        if a.class_ is None and a.name in ICT4S22_ESTIMATORS:
            path, defaults = ICT4S22_ESTIMATORS[a.name]
            a = a.model_copy(update={"class_": path, "params": {**defaults, **a.params}})
        out.append(a)
    return out


def describe(spec) -> dict | None:
    """The manifest's ``replication`` entry: what this mode fixes, reads and measures."""
    if spec.replication != "ict4s22":
        return None
    return {
        "mode": "ict4s22",
        "source": "github.com/GreenAIproject/ICT4S22 (src/energy_experiment.py, modify_dataset.py, "
                  "text_classification.py, text_preprocessing.py)",
        "subsample_seed": ICT4S22_SUBSAMPLE_SEED, "split_seed": ICT4S22_SPLIT_SEED,
        "estimator_seed": "the repetition's seed (the original left estimators unseeded)",
        "test_fraction": ICT4S22_TEST_FRACTION,
        "dataset_quoting": ICT4S22_QUOTING,
        "subsample": "train part of train_test_split(test_size=1 - row_fraction, stratify=y, random_state=42)",
        "feature_selection": "SelectPercentile(chi2, percentile=100 x feature_fraction) on the subsample",
        "phase_boundaries": {"preprocess": "subsample + feature selection",
                             "train": "70/30 split (seed 101) + fit",
                             "predict": "predict + scores (classification_report, accuracy, precision, recall, F1)"},
        "estimators": {name: path for name, (path, _) in ICT4S22_ESTIMATORS.items()},
    }


def run_trial(trial, protocol: ICT4S22Faithful, algorithm, meter, run_name: str, spec) -> dict:
    """One trial with the original's phase boundaries (see the module docstring); the same row
    as ``harness.trial.run_trial``."""
    from sklearn.metrics import classification_report

    from harness.hygiene.phases import below_resolution
    from harness.tactics import level_text
    from harness.tactics.quantization import fitted_dtype
    from harness.trial import _metrics, utc_now

    started = utc_now()
    token = meter.begin()
    treated = protocol.treat(trial.row_fraction, trial.feature_fraction)
    m_pre = meter.end(token)
    estimator = algorithm.make(trial.seed)
    token = meter.begin()
    split = protocol.split(treated)
    estimator.fit(split.X_train, split.y_train)
    m_fit = meter.end(token)
    token = meter.begin()
    y_pred = estimator.predict(split.X_test)
    classification_report(split.y_test, y_pred, zero_division=0)  # computed, unused: as the original
    scores = _metrics(split.y_test, y_pred)
    m_pred = meter.end(token)
    finished = utc_now()
    res, rel = meter.resolution(), spec.hygiene.rel_error
    return {
        "run": run_name, **asdict(trial), "dataset": spec.dataset_name, "protocol": spec.protocol,
        "started_at": started, "finished_at": finished,
        "n_train": split.X_train.shape[0], "n_test": split.X_test.shape[0], "n_features": split.X_train.shape[1],
        "preprocess_energy_j": m_pre.total_j, "preprocess_s": m_pre.duration_s,
        "train_energy_j": m_fit.total_j, "train_s": m_fit.duration_s,
        "predict_energy_j": m_pred.total_j, "predict_s": m_pred.duration_s,
        "meter": meter.name, "energy_estimated": meter.estimated,
        **scores,
        "preprocess_domains_j": dict(m_pre.domains_j), "train_domains_j": dict(m_fit.domains_j),
        "predict_domains_j": dict(m_pred.domains_j), "phase_boundaries": PHASES_ICT4S22,
        "preprocess_below_resolution": below_resolution(m_pre, res, rel),
        "train_below_resolution": below_resolution(m_fit, res, rel),
        "predict_below_resolution": below_resolution(m_pred, res, rel),
        "predict_repetitions": 1,
        "treatment": trial.treatment, "n_rows": len(protocol.y),
        "input_dtype": str(split.X_train.dtype), "fit_dtype": fitted_dtype(estimator, split.X_train.shape[1]),
        **{f"level_{name}": level_text(level) for name, level in trial.levels},
    }
