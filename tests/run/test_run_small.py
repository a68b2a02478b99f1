"""Small runs through the CLI: reruns are identical, --fresh keeps the old files aside,
a user's CSV and estimator run end to end, a factorial grid runs."""

import pandas as pd
import pytest
from clitools import harness

TINY = """name: tiny
algorithms: [decision_tree, knn]
repetitions: 2
seed: 7
sweeps:
  rows: {row_fractions: [0.2, 1.0]}
  features: {feature_fractions: [0.3]}
meter: estimate
hygiene: {warmup_s: 0, cooldown_s: 0, baseline_s: 0, shuffle: true, threads: 1}
"""


@pytest.mark.slow
def test_rerun_gives_identical_scores(tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    for out in ("a", "b"):
        proc = harness("run", spec, "--results-dir", tmp_path / out, "--quiet")
        assert proc.returncode == 0, proc.stderr
    a = pd.read_csv(tmp_path / "a/tiny/trials.csv").set_index("trial_id").sort_index()
    b = pd.read_csv(tmp_path / "b/tiny/trials.csv").set_index("trial_id").sort_index()
    assert len(a) == 12
    cols = ["algorithm", "row_fraction", "feature_fraction", "repetition", "seed", "n_train", "n_features",
            "accuracy", "precision", "recall", "f1"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    # repetitions really differ: different seeds draw different subsets
    dt = a[(a.algorithm == "decision_tree") & (a.row_fraction == 0.2)]
    assert dt["seed"].nunique() == 2


@pytest.mark.slow
def test_fresh_moves_old_files_aside(tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    assert harness("run", spec, "--results-dir", tmp_path, "--quiet").returncode == 0
    proc = harness("run", spec, "--results-dir", tmp_path, "--quiet", "--fresh", "--name", "tiny")
    assert proc.returncode == 0, proc.stderr
    aside = list((tmp_path / "tiny").glob("replaced-*/trials.csv"))
    assert len(aside) == 1 and len(pd.read_csv(aside[0])) == 12
    assert len(pd.read_csv(tmp_path / "tiny/trials.csv")) == 12


def test_user_csv_user_estimator_and_grid(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    n = 300
    x1, x2 = rng.random(n), rng.random(n)
    label = np.where(x1 + 0.2 * rng.random(n) > 0.6, "yes", "no")
    pd.DataFrame({"a": x1, "b": x2, "c": rng.random(n), "target": label}).to_csv(tmp_path / "data.csv", index=False)
    spec = tmp_path / "mine.yaml"
    spec.write_text("""name: mine
dataset: {path: data.csv, label_column: target, positive_label: "yes", feature_columns: [a, b, c]}
protocol: holdout
repetitions: 2
algorithms:
  - decision_tree
  - {name: logreg, class: "sklearn.linear_model:LogisticRegression", params: {C: 2.0}}
sweeps:
  grid: {row_fractions: [0.5, 1.0], feature_fractions: [0.34, 1.0]}
meter: estimate
hygiene: {threads: 1}
""")
    proc = harness("run", spec, "--results-dir", tmp_path / "out", "--quiet")
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(tmp_path / "out/mine/trials.csv")
    assert len(df) == 2 * 4 * 2 and set(df["algorithm"]) == {"decision_tree", "logreg"}
    assert set(df["n_features"]) == {1, 3} and (df["protocol"] == "holdout").all()
    assert df["n_test"].nunique() == 1  # the holdout test set is fixed
    assert df.loc[df.algorithm == "logreg", "f1"].median() > 0.8


@pytest.mark.slow
def test_rows_without_a_manifest_are_not_resumed_blindly(tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    assert harness("run", spec, "--results-dir", tmp_path, "--quiet").returncode == 0
    (tmp_path / "tiny/manifest.json").unlink()
    proc = harness("run", spec, "--results-dir", tmp_path, "--quiet")
    assert proc.returncode == 2 and "no manifest.json" in proc.stderr and "--fresh" in proc.stderr
    assert len(pd.read_csv(tmp_path / "tiny/trials.csv")) == 12
