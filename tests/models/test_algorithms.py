"""A user's estimator (issue 22 items 1, 2, 4): checked through scikit-learn's public API only, given
dense features when it says it needs them, ended in one line when it misbehaves in a trial; a label
named as a feature refused."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from clitools import harness

from harness.errors import SpecError
from harness.models.algorithms import check_fit, prediction_problem, resolve
from harness.spec import parse_spec

REPO = Path(__file__).resolve().parents[2]
BASE = {"name": "t", "sweeps": {"rows": {"row_fractions": [1.0]}}, "meter": "estimate"}


def recipe() -> str:
    """The custom classifier exactly as docs/how-to/own-data.md shows it."""
    text = (REPO / "docs/how-to/own-data.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    found = [b for b in blocks if "class NearestCentroidLite(ClassifierMixin, BaseEstimator)" in b]
    assert len(found) == 1
    return found[0]


def text_data(path: Path, n: int = 120, seed: int = 0) -> None:
    """A small CSV with a text column (sparse tf-idf features) and a numeric column."""
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(n) % 3 == 0, "spam", "ham")
    spam, ham = ["win", "free", "prize", "cash", "claim"], ["see", "you", "lunch", "home", "later"]
    texts = [" ".join(rng.choice(spam if v == "spam" else ham, 5)) + " " + " ".join(rng.choice(spam + ham, 2))
             for v in y]
    pd.DataFrame({"text": texts, "x1": rng.normal(size=n), "target": y}).to_csv(path, index=False)


def write_spec(tmp_path: Path, algorithms: str, name: str = "mine", extra: str = "") -> Path:
    text_data(tmp_path / "data.csv")
    spec = tmp_path / f"{name}.yaml"
    spec.write_text(f"""name: {name}
dataset: {{path: data.csv, label_column: target, positive_label: spam, text_column: text}}
protocol: holdout
repetitions: 2
algorithms: {algorithms}
sweeps:
  rows: {{row_fractions: [0.5, 1.0]}}
meter: estimate
hygiene: {{warmup_s: 0, cooldown_s: 0, baseline_s: 0, shuffle: false, threads: 1}}
{extra}""")
    return spec


def run(tmp_path, spec, *extra, module: str | None = None):
    allow = ("--allow-import", module) if module else ()
    return harness("run", spec, "--results-dir", tmp_path / "out", "--quiet", *allow, *extra, cwd=tmp_path)


@pytest.mark.slow
def test_the_docs_custom_classifier_runs_and_dry_runs(tmp_path):
    """Before: AttributeError ... no attribute '_parameter_constraints' at load, --dry-run too."""
    (tmp_path / "my_estimators.py").write_text(recipe())
    spec = write_spec(tmp_path, '[{name: lite, class: "my_estimators:NearestCentroidLite", params: {shrink: 0.1}}]')
    dry = run(tmp_path, spec, "--dry-run", module="my_estimators")
    assert dry.returncode == 0, dry.stderr
    assert "lite: dense features (input_tags.sparse is False)" in dry.stdout
    proc = run(tmp_path, spec, module="my_estimators")
    assert proc.returncode == 0, proc.stderr
    rows = pd.read_csv(tmp_path / "out/mine/trials.csv")
    assert len(rows) == 4 and rows["densified"].all() and (rows["f1"] > 0.5).all()


def test_a_user_class_is_checked_through_public_api_and_not_fitted_at_load(tmp_path, monkeypatch):
    (tmp_path / "mods_pub.py").write_text(recipe() + '''

class Counting(NearestCentroidLite):
    fits = 0

    def fit(self, X, y):
        type(self).fits += 1
        return super().fit(X, y)


class Renames(ClassifierMixin, BaseEstimator):  # breaks the convention: clone cannot rebuild it
    def __init__(self, k=1):
        self.k = k + 1

    fit = NearestCentroidLite.fit
    predict = NearestCentroidLite.predict
''')
    monkeypatch.syspath_prepend(str(tmp_path))
    allowed = ("sklearn", "harness", "mods_pub")

    def spec(entry):
        return parse_spec({**BASE, "algorithms": [entry]}).algorithms[0]

    import mods_pub

    alg = resolve(spec({"name": "c", "class": "mods_pub:Counting", "params": {"shrink": 0.5}}), 0, allowed)
    assert mods_pub.Counting.fits == 0 and alg.dense and alg.make(1).shrink == 0.5
    with pytest.raises(SpecError, match=r"algorithms.0: Renames cannot be cloned .*__init__ argument unchanged"):
        resolve(spec({"name": "r", "class": "mods_pub:Renames"}), 0, allowed)
    with pytest.raises(SpecError, match=r"algorithms.0.params: NearestCentroidLite rejects"):
        resolve(spec({"name": "c", "class": "mods_pub:NearestCentroidLite", "params": {"depth": 2}}), 0, allowed)
    # a regressor keeps its one line
    with pytest.raises(SpecError, match="is a regressor"):
        resolve(spec({"name": "lr", "class": "sklearn.linear_model:LinearRegression"}), 0)
    # scikit-learn's own values: checked by a fit on an empty sample, through public API
    with pytest.raises(SpecError, match=r"algorithms.0.params: The 'C' parameter of SVC"):
        resolve(spec({"name": "svm", "params": {"C": -1}}), 0)
    # the paper's six take sparse input: never densified
    for name in ("svm", "decision_tree", "knn", "random_forest", "adaboost", "bagging"):
        assert resolve(spec(name), 0).dense is False
    from harness.spec import replication  # and so do the replication's own estimators (their tags say so)

    faithful = parse_spec({**BASE, "replication": "ict4s22", "algorithms": ["random_forest", "adaboost", "knn"]})
    assert [resolve(a, i).dense for i, a in enumerate(replication.algorithm_specs(faithful))] == [False] * 3
    assert resolve(spec({"name": "nb", "class": "sklearn.naive_bayes:GaussianNB"}), 0).dense is True
    assert resolve(spec({"name": "t", "class": "sklearn.tree:DecisionTreeClassifier", "dense": True}), 0).dense


NO_TAGS = '''
import numpy as np


class {name}:  # no BaseEstimator: no tags, so only a fit tells whether it takes sparse input
    _estimator_type = "classifier"

    def __init__(self):
        pass

    def get_params(self, deep=True):
        return {{}}

    def set_params(self, **params):
        return self

    def fit(self, X, y):
        if hasattr(X, "toarray"):
            raise TypeError("Sparse data was passed, but dense data is required")
        {dense_fit}
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(X.shape[0], self.classes_[0])
'''


def test_a_class_without_tags_that_refuses_sparse_input_gets_dense_features(tmp_path, monkeypatch):
    (tmp_path / "notags_ok.py").write_text(NO_TAGS.format(name="Plain", dense_fit="pass"))
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = parse_spec({**BASE, "algorithms": [{"name": "p", "class": "notags_ok:Plain"}]}).algorithms[0]
    alg = resolve(spec, 0, ("sklearn", "harness", "notags_ok"))
    assert alg.dense is False
    import scipy.sparse as sp

    X, y = sp.random(60, 5, density=0.5, format="csr", random_state=0), np.arange(60) % 2
    checked = check_fit(alg, X, y, "algorithms.0")
    assert checked.dense and checked.dense_why == "its fit refused sparse input"
    assert check_fit(alg, X.toarray(), y, "algorithms.0") is alg  # dense data: nothing to learn


def test_dense_false_on_an_estimator_that_refuses_sparse_input_is_refused_at_load(tmp_path):
    """Before: --dry-run refused it, but run created the run folder and failed at its first trial."""
    spec = write_spec(tmp_path, '[{name: nb, class: "sklearn.naive_bayes:GaussianNB", dense: false}]')
    for extra in (("--dry-run",), ()):
        proc = run(tmp_path, spec, *extra)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert "algorithms.0.dense: false, but GaussianNB refused the sparse features" in proc.stderr
        assert "remove 'dense: false'" in proc.stderr
        assert not (tmp_path / "out/mine").exists()


def test_a_class_that_refuses_sparse_and_dense_is_refused_at_load_and_writes_nothing(tmp_path):
    (tmp_path / "notags_bad.py").write_text(NO_TAGS.format(name="Never", dense_fit='raise ValueError("no rows I like")'))
    spec = write_spec(tmp_path, '[{name: never, class: "notags_bad:Never"}]')
    for extra in (("--dry-run",), ()):
        proc = run(tmp_path, spec, *extra, module="notags_bad")
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert "algorithms.0: Never refused the sparse features and failed on dense ones" in proc.stderr
        assert not (tmp_path / "out/mine").exists()


@pytest.mark.slow
def test_a_dense_only_scikit_learn_classifier_runs_with_the_conversion_in_preprocess(tmp_path):
    """Before: TypeError 'Sparse data was passed ... dense data is required' and a run folder left behind."""
    spec = write_spec(tmp_path, '[{name: nb, class: "sklearn.naive_bayes:GaussianNB"}, decision_tree]')
    dry = run(tmp_path, spec, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "nb: dense features (input_tags.sparse is False)" in dry.stdout and "decision_tree: dense" not in dry.stdout
    proc = run(tmp_path, spec)
    assert proc.returncode == 0, proc.stderr
    rows = pd.read_csv(tmp_path / "out/mine/trials.csv")
    assert rows.groupby("algorithm")["densified"].all().to_dict() == {"decision_tree": False, "nb": True}
    # a results file written before the column existed still loads
    from harness.results.load import load_results

    old = tmp_path / "old/mine"
    old.mkdir(parents=True)
    rows.drop(columns=["densified", "row_sha256"]).to_csv(old / "trials.csv", index=False)
    (old / "manifest.json").write_text((tmp_path / "out/mine/manifest.json").read_text())
    assert len(load_results(old).trials) == 8


MISBEHAVES = '''
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class Flaky(ClassifierMixin, BaseEstimator):
    """Good in its first trial; then {fault}."""
    fits = 0

    def fit(self, X, y):
        type(self).fits += 1
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        if type(self).fits < 2:
            return np.full(X.shape[0], self.classes_[0])
        {body}
'''
FAULTS = {
    "floats": ("return np.full(X.shape[0], 0.7)", "not a label seen in fit (0.7"),
    "raises": ("raise RuntimeError('boom')", "predict raised RuntimeError: boom"),
    "length": ("return np.full(X.shape[0] + 3, self.classes_[0])", "predict returned shape"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_an_estimator_that_misbehaves_mid_run_ends_in_one_line_and_keeps_the_rows(tmp_path, fault):
    body, says = FAULTS[fault]
    module = f"flaky_{fault}"
    (tmp_path / f"{module}.py").write_text(MISBEHAVES.format(fault=fault, body=body))
    spec = write_spec(tmp_path, f'[{{name: flaky, class: "{module}:Flaky"}}]')
    proc = run(tmp_path, spec, module=module)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"algorithms 'flaky' ({module}:Flaky) in trial 1: " in proc.stderr and says in proc.stderr
    assert len(pd.read_csv(tmp_path / "out/mine/trials.csv")) == 1  # the finished trial is kept


def test_prediction_problems():
    assert prediction_problem(np.array([0, 1, 1]), 3, [0, 1]) is None
    assert "shape (2,) for 3 rows" in prediction_problem(np.array([0, 1]), 3, [0, 1])
    assert "2 distinct values that are not a label seen in fit (0.2, 0.9;" in prediction_problem(np.array([0.2, 0.9, 1.0]), 3, [0, 1])
    assert "shape (3, 2)" in prediction_problem(np.zeros((3, 2)), 3, [0, 1])


def test_a_label_named_as_a_feature_is_refused_in_one_line_dry_run_too(tmp_path):
    """Before: accepted, and every algorithm scored F1 = 1.0."""
    n = 60
    rng = np.random.default_rng(1)
    y = (np.arange(n) % 3 == 0).astype(int)
    pd.DataFrame({"x1": rng.normal(size=n), "target": y}).to_csv(tmp_path / "data.csv", index=False)
    spec = tmp_path / "leak.yaml"
    spec.write_text("""name: leak
dataset: {path: data.csv, label_column: target, positive_label: 1, feature_columns: [x1, target]}
protocol: holdout
algorithms: [decision_tree]
sweeps: {rows: {row_fractions: [1.0]}}
meter: estimate
""")
    for extra in (("--dry-run",), ()):
        proc = run(tmp_path, spec, *extra)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert "feature_columns names the label column 'target'" in proc.stderr
        assert not (tmp_path / "out").exists()


def test_a_feature_identical_to_the_label_is_warned_about(tmp_path):
    n = 60
    rng = np.random.default_rng(1)
    y = (np.arange(n) % 3 == 0).astype(int)
    pd.DataFrame({"x1": rng.normal(size=n), "copy": y * 5.0, "target": y}).to_csv(tmp_path / "data.csv", index=False)
    spec = tmp_path / "copy.yaml"
    spec.write_text("""name: copy
dataset: {path: data.csv, label_column: target, positive_label: 1, feature_columns: [x1, copy]}
protocol: holdout
algorithms: [decision_tree]
sweeps: {rows: {row_fractions: [1.0]}}
meter: estimate
hygiene: {warmup_s: 0, cooldown_s: 0, baseline_s: 0}
""")
    proc = run(tmp_path, spec, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    warned = [line for line in proc.stdout.splitlines() if line.startswith("warning: dataset.feature_columns")]
    assert len(warned) == 1 and "'copy'" in warned[0] and "'x1'" not in warned[0]
