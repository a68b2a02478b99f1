"""Three or more classes: stratified draws keep every class, and the up-front checks name the
class and the level that cannot be drawn (run and --dry-run alike, one line, exit 2)."""

import numpy as np
import pandas as pd
import pytest
from clitools import harness

from harness.data.treatments import stratified_split, subsample_rows

SPEC = """name: three
dataset: {{path: data.csv, label_column: label, feature_columns: [a, b]}}
protocol: {protocol}
algorithms: [decision_tree]
repetitions: 2
sweeps:
  rows: {{row_fractions: [{fractions}]}}
meter: estimate
hygiene: {{warmup_s: 0, cooldown_s: 0, baseline_s: 0, shuffle: false, threads: 1}}
"""


def test_three_class_stratification_keeps_every_class_in_proportion():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    for seed in range(5):
        keep = subsample_rows(y, 0.5, seed)
        assert list(np.bincount(y[keep], minlength=3)) == [30, 15, 5]
        train, test = stratified_split(len(keep), y[keep], 0.3, seed)
        in_test = np.bincount(y[keep][test], minlength=3)
        assert len(test) == 15 and all(abs(in_test - np.array([9, 4.5, 1.5])) <= 1)  # 30% of each class, rounded
        assert (in_test > 0).all() and (np.bincount(y[keep][train], minlength=3) > 0).all()


def _data(tmp_path, counts, protocol="ict4s22", fractions="0.1, 1.0"):
    rng = np.random.default_rng(0)
    labels = np.repeat(["common", "middle", "rare"], counts)
    pd.DataFrame({"a": rng.random(len(labels)), "b": rng.random(len(labels)), "label": labels}).to_csv(
        tmp_path / "data.csv", index=False)
    spec = tmp_path / "three.yaml"
    spec.write_text(SPEC.format(protocol=protocol, fractions=fractions))
    return spec


@pytest.mark.parametrize("dry", [True, False])
def test_a_rare_class_at_a_small_level_is_refused_naming_class_and_level(tmp_path, dry):
    spec = _data(tmp_path, [150, 100, 10])  # level 0.1 keeps 26 rows: 1 'rare' row, none left to test
    proc = harness("run", spec, "--results-dir", tmp_path / "out", *(["--dry-run"] if dry else []))
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "sweeps.rows.row_fractions: level 0.1 keeps 1 row(s) of class 'rare'" in lines[0]
    assert "every class needs at least 2" in lines[0] and "150 'common', 100 'middle', 10 'rare'" in lines[0]
    assert not (tmp_path / "out" / "three").exists()


def test_holdout_checks_the_training_rows_per_class(tmp_path):
    spec = _data(tmp_path, [300, 200, 12], protocol="holdout", fractions="0.05, 1.0")
    proc = harness("run", spec, "--results-dir", tmp_path / "out", "--dry-run")
    assert proc.returncode == 2, proc.stderr
    assert "level 0.05 keeps 0 row(s) of class 'rare'" in proc.stderr and "training rows (holdout)" in proc.stderr


@pytest.mark.slow
def test_a_three_class_csv_runs_with_macro_scores_named_everywhere(tmp_path):
    import json

    from sklearn.metrics import f1_score  # noqa: F401 - the scores' source

    spec = _data(tmp_path, [60, 40, 30], fractions="0.5, 1.0")
    proc = harness("run", spec, "--results-dir", tmp_path / "out", "--quiet")
    assert proc.returncode == 0, proc.stderr
    trials = pd.read_csv(tmp_path / "out/three/trials.csv")
    assert len(trials) == 4 and set(trials["f1_average"]) == {"macro"}
    assert trials["f1"].between(0, 1).all()
    manifest = json.loads((tmp_path / "out/three/manifest.json").read_text())
    facts = manifest["dataset"]
    assert facts["n_classes"] == 3 and facts["f1_average"] == "macro" and facts["n_positive"] is None
    assert facts["class_counts"] == {"common": 60, "middle": 40, "rare": 30} and facts["source"] == "csv"
    out = harness("analyze", tmp_path / "out/three", "--out", tmp_path / "tables")
    assert out.returncode == 0, out.stderr
    assert "macro-averaged" in out.stdout
    written = [md for md in (tmp_path / "tables").glob("*.md") if "F1" in md.read_text()]
    assert len(written) >= 5
    for md in written:
        assert "f1_average: macro" in md.read_text(), md.name


def test_dry_run_says_how_a_three_class_study_is_scored(tmp_path):
    spec = _data(tmp_path, [60, 40, 30], fractions="0.5, 1.0")
    proc = harness("run", spec, "--results-dir", tmp_path / "out", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "3 classes, macro-averaged F1" in proc.stdout
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_the_faithful_replication_refuses_three_classes(tmp_path):
    spec = _data(tmp_path, [60, 40, 30], fractions="0.5, 1.0")
    spec.write_text(spec.read_text().replace("protocol: ict4s22", "protocol: ict4s22\nreplication: ict4s22\n"
                                             "test_fraction: 0.3"))
    proc = harness("run", spec, "--results-dir", tmp_path / "out", "--dry-run")
    assert proc.returncode == 2 and "replication: ict4s22 reproduces a two-class study" in proc.stderr, proc.stderr
