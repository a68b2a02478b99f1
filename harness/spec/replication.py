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
  label said 1 - f; see docs/explanation/replication.md), in its shuffled order; feature selection is
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


from harness.errors import SpecError

ICT4S22_SUBSAMPLE_SEED = 42   # modify_dataset.py: RANDOM_SEED
ICT4S22_SPLIT_SEED = 101      # text_classification.py: my_train_test_split
ICT4S22_TEST_FRACTION = 0.3
ICT4S22_QUOTING = "pandas-default"

PHASES_ICT4S22 = "ict4s22"

ICT4S22_ESTIMATORS = {
    "random_forest": ("harness.estimators.faithful:FaithfulRandomForestClassifier", {"class_weight": "balanced"}),
    "adaboost": ("harness.estimators.faithful:SAMMERAdaBoostClassifier", {}),
    "knn": ("harness.estimators.faithful_knn:FaithfulKNeighborsClassifier", {}),
}


def check(spec) -> None:
    """What ``replication: ict4s22`` requires of the rest of the spec (raises SpecError)."""
    if spec.replication != "ict4s22":
        return
    if spec.protocol != "ict4s22":
        raise SpecError(f"replication: ict4s22 needs protocol: ict4s22 (got {spec.protocol!r}); "
                        "drop 'protocol' or set it to ict4s22")
    if spec.tactics is not None or spec.scale != "none":
        raise SpecError("replication: ict4s22 runs the paper's two treatments only (stratified rows, chi2 "
                        "features); drop 'tactics' and 'scale', or drop 'replication'")
    if spec.test_fraction != ICT4S22_TEST_FRACTION:
        raise SpecError(f"replication: ict4s22 splits 70/30 as the original; test_fraction must be 0.3 "
                        f"(got {spec.test_fraction})")


def quoting(spec) -> str:
    """How the built-in dataset is read in this mode (``harness.data.datasets.load_sms_spam``)."""
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
