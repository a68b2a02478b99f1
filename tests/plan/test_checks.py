"""Up-front checks (issue 15, items 4-6 and 8): every (row level, repetition) and every whole-matrix
precondition checked before anything is written, classifiers only, a dry run that checks what a run
checks and writes nothing."""

from __future__ import annotations

import csv
import random

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from clitools import harness
from harness.plan.checks import _every_draw_fine, _rows_problem
from harness.plan.duration import long_run_warning
from harness.plan import Trial, repetition_seed
from harness.plan.protocols import PROTOCOLS
from harness.run.session import progress_label
from harness.spec import load_spec
from harness.data.treatments import split_sizes, stratify_problem, subsample_sizes


def rare_csv(path, n=160, positives=15, seed=7):
    rnd = random.Random(seed)
    ham = "meet lunch today call later home dinner see you soon thanks ok".split()
    spam = "win free prize cash claim now urgent offer txt reply stop award".split()
    rows = [("ham", " ".join(rnd.choice(ham) for _ in range(6))) for _ in range(n - positives)]
    rows += [("spam", " ".join(rnd.choice(spam) for _ in range(6))) for _ in range(positives)]
    rnd.shuffle(rows)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["label", "text"])
        w.writerows(rows)
    return np.array([r[0] == "spam" for r in rows], dtype=np.int64)


RARE = """name: rare
dataset: {{path: rare.csv, label_column: label, positive_label: spam, text_column: text}}
seed: {seed}
repetitions: 2
algorithms: [decision_tree]
sweeps:
  rows: {{row_fractions: [0.1, 1.0]}}
meter: estimate
"""


def _seed_failing_only_repetition_1(y):
    protocol = PROTOCOLS["ict4s22"](np.zeros((len(y), 1)), y, 0.3, 0)
    return next(s for s in range(500)
                if not _rows_problem(protocol, y, 0.1, repetition_seed(s, 0))
                and _rows_problem(protocol, y, 0.1, repetition_seed(s, 1)))


def test_a_level_that_fails_only_in_a_later_repetition_is_refused_before_anything_is_written(tmp_path):
    y = rare_csv(tmp_path / "rare.csv")
    seed = _seed_failing_only_repetition_1(y)
    (tmp_path / "rare.yaml").write_text(RARE.format(seed=seed))
    for _ in range(2):  # the resume is refused the same way
        proc = harness("run", "rare.yaml", "--results-dir", "out", "--quiet", cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        line = proc.stderr.strip()
        assert "\n" not in line and "Traceback" not in line
        for needle in ("sweeps.rows.row_fractions", "level 0.1", "1 of 2 repetition", "repetition 1",
                       "label column 'label'", "'spam'"):
            assert needle in line, (needle, line)
        assert not (tmp_path / "out").exists()
    proc = harness("run", "rare.yaml", "--results-dir", "out", "--dry-run", cwd=tmp_path)
    assert proc.returncode == 2 and "repetition 1" in proc.stderr and not (tmp_path / "out").exists()


@pytest.mark.parametrize("n, positives", [(20, 2), (20, 3), (50, 4), (160, 15), (200, 60), (37, 5)])
@pytest.mark.parametrize("fraction", [0.1, 0.15, 0.3, 0.5, 1.0])
@pytest.mark.parametrize("test_fraction", [0.3, 0.5])
def test_stratify_problem_is_exactly_what_train_test_split_needs(n, positives, fraction, test_fraction):
    y = np.array([1] * positives + [0] * (n - positives))
    for sizes, kwargs in ((subsample_sizes(n, fraction), {"train_size": fraction}),
                          (split_sizes(n, test_fraction), {"test_size": test_fraction})):
        if fraction >= 1 and "train_size" in kwargs:
            continue
        problem = stratify_problem(y, *sizes)
        try:
            train, test = train_test_split(np.arange(n), stratify=y, random_state=0, **kwargs)
            assert (len(train), len(test)) == sizes
            works = True
        except ValueError:
            works = False
        assert (problem is None) == works, (problem, sizes)


@pytest.mark.slow
@pytest.mark.parametrize("protocol_name", ["ict4s22", "holdout"])
def test_the_count_shortcut_never_passes_a_level_that_some_draw_fails(protocol_name):
    """_every_draw_fine may say "compute the draws" needlessly, but never "fine" wrongly."""
    checked = passed = 0
    for n, positives in [(40, 3), (40, 5), (60, 7), (100, 9), (160, 15), (300, 12), (120, 40)]:
        y = np.random.default_rng(n + positives).permutation([1] * positives + [0] * (n - positives))
        try:
            protocol = PROTOCOLS[protocol_name](np.zeros((n, 1)), y, 0.3, 1)
        except Exception:  # the holdout split itself is impossible: nothing to check here
            continue
        for fraction in (0.1, 0.2, 0.3, 0.5, 0.8, 1.0):
            if _every_draw_fine(protocol, y, fraction):
                passed += 1
                assert not any(_rows_problem(protocol, y, fraction, s) for s in range(60)), (n, positives, fraction)
            checked += 1
    assert 0 < passed < checked  # both branches exercised


def test_chi2_on_a_negative_column_names_the_column_and_level(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.random(200)
    pd.DataFrame({"a": a, "b": rng.random(200) - 0.5, "target": (a > 0.6).astype(int)}).to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "s.yaml").write_text("""name: neg
dataset: {path: d.csv, label_column: target, positive_label: 1, feature_columns: [a, b]}
repetitions: 1
algorithms: [decision_tree]
sweeps: {features: {feature_fractions: [0.5, 1.0]}}
meter: estimate
""")
    for extra in ([], ["--dry-run"]):
        proc = harness("run", "s.yaml", "--results-dir", "out", *extra, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert "'b'" in proc.stderr and "'a'" not in proc.stderr and "feature_fractions 0.5" in proc.stderr
        assert "non-negative" in proc.stderr and not (tmp_path / "out").exists()


GOOD = """name: t
dataset: {{path: d.csv, label_column: target, positive_label: "yes", feature_columns: [a, b]}}
repetitions: 2
algorithms: [{algorithms}]
sweeps: {{rows: {{row_fractions: [0.5, 1.0]}}}}
meter: estimate
"""


def data(tmp_path, labels=("yes", "no")):
    rng = np.random.default_rng(1)
    a = rng.random(120)
    target = np.where(a > 0.6, labels[0], labels[1]).astype(object)
    if len(labels) > 2:
        target[::7] = labels[2]
    pd.DataFrame({"a": a, "b": rng.random(120), "target": target}).to_csv(tmp_path / "d.csv", index=False)


@pytest.mark.parametrize("algorithm, needles", [
    ("{name: ols, class: 'sklearn.linear_model:LinearRegression'}", ["algorithms.0.class", "regressor", "classifier"]),
    ("{name: km, class: 'sklearn.cluster:KMeans', params: {n_clusters: 2}}", ["algorithms.0.class", "clusterer"]),
    ("{name: duck, class: 'duck:Duck'}", ["duck:Duck is not declared a classifier", "ClassifierMixin"]),
])
def test_estimators_that_are_not_classifiers_are_refused_at_load(tmp_path, algorithm, needles):
    data(tmp_path)
    (tmp_path / "duck.py").write_text("class Duck:\n    def fit(self, X, y):\n        return self\n"
                                      "    def predict(self, X):\n        return X[:, 0] * 0.5\n")
    (tmp_path / "s.yaml").write_text(GOOD.format(algorithms=algorithm))
    for extra in ([], ["--dry-run"]):
        proc = harness("run", "s.yaml", "--results-dir", "out", "--quiet", "--allow-import", "duck", *extra,
                       cwd=tmp_path)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert all(n in proc.stderr for n in needles), proc.stderr
        assert not (tmp_path / "out").exists()


def test_a_label_column_with_three_classes_is_refused_not_folded(tmp_path):
    data(tmp_path, labels=("yes", "no", "maybe"))
    (tmp_path / "s.yaml").write_text(GOOD.format(algorithms="decision_tree"))
    proc = harness("run", "s.yaml", "--results-dir", "out", "--quiet", cwd=tmp_path)
    assert proc.returncode == 2 and "target has 3 classes" in proc.stderr and "'maybe'" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_dry_run_checks_like_a_run_and_writes_nothing_anywhere(tmp_path):
    data(tmp_path)
    spec = tmp_path / "s.yaml"
    spec.write_text(GOOD.format(algorithms="decision_tree, knn"))
    (tmp_path / "out").mkdir()
    cache = tmp_path / "cache"
    proc = harness("run", spec, "--results-dir", tmp_path / "out", "--dry-run", HARNESS_CACHE_DIR=str(cache))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "8 trials" in out and "duration: about" in out and "cool-down" in out and "timed" in out
    assert f"would create {tmp_path / 'out' / 't'}/" in out and "nothing written" in out
    assert list((tmp_path / "out").rglob("*")) == [] and not cache.exists()


@pytest.mark.parametrize("change, needle", [
    (lambda s: s.replace('positive_label: "yes"', 'positive_label: "yes", sha256: ' + "0" * 64), "sha256"),
    (lambda s: s.replace("decision_tree", "{name: x, class: 'sklearn.tree:Nope'}"), "algorithms.0.class"),
    (lambda s: s.replace("decision_tree", "{name: svm, params: {C: -1}}"), "algorithms.0.params"),
    (lambda s: s.replace("feature_columns: [a, b]", "feature_columns: [a, zz]"), "'zz'"),
    (lambda s: s.replace("d.csv", "missing.csv"), "missing.csv"),
])
def test_dry_run_refuses_what_a_run_refuses(tmp_path, change, needle):
    data(tmp_path)
    (tmp_path / "s.yaml").write_text(change(GOOD.format(algorithms="decision_tree")))
    proc = harness("run", "s.yaml", "--results-dir", "out", "--dry-run", cwd=tmp_path)
    assert proc.returncode == 2 and needle in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert not (tmp_path / "out").exists()


def test_dry_run_checks_the_name_and_results_directory(tmp_path):
    data(tmp_path)
    (tmp_path / "s.yaml").write_text(GOOD.format(algorithms="decision_tree"))
    proc = harness("run", "s.yaml", "--dry-run", "--name", "../up", cwd=tmp_path)
    assert proc.returncode == 2 and "--name" in proc.stderr
    (tmp_path / "blocker").write_text("a file")
    proc = harness("run", "s.yaml", "--dry-run", "--results-dir", "blocker/runs", cwd=tmp_path)
    assert proc.returncode == 2 and "--results-dir" in proc.stderr


@pytest.mark.slow
def test_a_changed_spec_is_refused_naming_the_fields_and_the_dry_run_says_so_too(tmp_path):
    data(tmp_path)
    spec = tmp_path / "s.yaml"
    spec.write_text(GOOD.format(algorithms="decision_tree"))
    assert harness("run", "s.yaml", "--results-dir", "out", "--quiet", cwd=tmp_path).returncode == 0
    proc = harness("run", "s.yaml", "--results-dir", "out", "--dry-run", cwd=tmp_path)
    assert proc.returncode == 0 and "all 4 trials are already done" in proc.stdout and "0 trials to run" in proc.stdout
    spec.write_text(GOOD.format(algorithms="decision_tree").replace("repetitions: 2", "repetitions: 3")
                    .replace("[0.5, 1.0]", "[0.4, 1.0]"))
    for extra in ([], ["--dry-run"]):
        proc = harness("run", "s.yaml", "--results-dir", "out", "--quiet", *extra, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert "repetitions 2 -> 3" in proc.stderr and "sweeps.rows.row_fractions [0.5, 1.0] -> [0.4, 1.0]" in proc.stderr


def test_a_user_csv_sha256_mismatch_points_at_the_spec_not_at_a_source_md(tmp_path):
    data(tmp_path)
    (tmp_path / "s.yaml").write_text(GOOD.format(algorithms="decision_tree").replace(
        'positive_label: "yes"', 'positive_label: "yes", sha256: ' + "ab" * 32))
    proc = harness("run", "s.yaml", "--results-dir", "out", cwd=tmp_path)
    assert proc.returncode == 2 and "SOURCE.md" not in proc.stderr and "dataset.sha256" in proc.stderr
    from harness.data.datasets import file_sha256

    assert file_sha256(tmp_path / "d.csv") in proc.stderr  # the value to paste if the change is intended


def test_progress_label_reads_like_the_tables():
    trial = Trial(0, 0, "adaboost", "rows", 0.1, 1.0, 1, 123)
    assert progress_label(trial) == "adaboost, rows 10%, features 100%, rep 1"


def test_the_full_study_warns_that_it_takes_hours_before_starting(repo):
    warning = long_run_warning(load_spec(repo / "experiments/spam.yaml"), 3600)
    assert warning and "at least 5.0 hours" in warning and "3600 trials" in warning
    assert long_run_warning(load_spec(repo / "experiments/spam-quick.yaml"), 72) is None


def test_tactics_progress_label_names_the_steps_that_are_on_and_vary(repo):
    # issue 22 item 7: the label listed all twelve factors, eleven of them "none"
    from harness.plan import make_plan
    from harness.run.session import varying_factors

    plan = make_plan(load_spec(repo / "experiments/tactics-quick.yaml"))
    varying = varying_factors(plan)
    labels = [progress_label(t, varying) for t in plan]
    assert labels[0] == "decision_tree, no tactic, rep 0"
    assert "knn, stratified 0.5, chi2 0.5, rep 0" in labels
    assert all(" none" not in label and label.count(",") <= 4 for label in labels)
    fixed = Trial(0, 0, "svm", "s", 1.0, 1.0, 0, 1, levels=(("dtype", "float32"), ("chi2", 0.5)))
    assert progress_label(fixed, {"chi2"}) == "svm, chi2 0.5, rep 0"  # a factor at one level everywhere: not named


def test_label_copies_with_three_classes_too():
    """Before: the label was cast to bool, so with three or more classes (codes 0..K-1) a column
    holding one value per class was not found (only the 0-vs-rest split was compared)."""
    from types import SimpleNamespace

    from harness.plan.checks import label_copies

    y = np.arange(30) % 3
    columns = np.column_stack([np.choose(y, [0.0, 5.0, 9.0]),      # a copy of the label: warned
                               np.where(y == 0, 1.0, 2.0),          # two classes share a value: not a copy
                               np.random.default_rng(0).normal(size=30)])
    ds = SimpleNamespace(y=y, columns=columns, column_names=("code", "zero_or_not", "x"))
    assert label_copies(ds) == ["code"]
    binary = SimpleNamespace(y=(y == 0).astype(int), columns=columns, column_names=ds.column_names)
    assert label_copies(binary) == ["zero_or_not"]
