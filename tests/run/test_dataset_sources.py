"""Bundled and OpenML data sets through the CLI: a dry run checks them, an empty cache is one line."""

import pytest
from clitools import harness

SPEC = """name: src
dataset: {dataset}
algorithms: [decision_tree]
repetitions: 1
sweeps:
  rows: {{row_fractions: [0.5, 1.0]}}
meter: estimate
hygiene: {{warmup_s: 0, cooldown_s: 0, baseline_s: 0, shuffle: false, threads: 1}}
"""


def _spec(tmp_path, dataset):
    path = tmp_path / "src.yaml"
    path.write_text(SPEC.format(dataset=dataset))
    return path


@pytest.mark.filterwarnings("ignore:Multiple active versions")
def test_openml_from_a_cache_beside_the_spec_dry_runs(tmp_path):
    from openml_cache import real_iris_cache

    real_iris_cache(tmp_path / "cache")
    proc = harness("run", _spec(tmp_path, "{openml: 61, cache: cache}"), "--results-dir", tmp_path / "out",
                   "--dry-run", cwd=tmp_path.parent)
    assert proc.returncode == 0, proc.stderr
    assert "dataset openml:61" in proc.stdout and "3 classes, macro-averaged F1" in proc.stdout


def test_openml_with_an_empty_cache_is_one_line_and_exit_2(tmp_path):
    proc = harness("run", _spec(tmp_path, "{openml: 61, cache: empty}"), "--results-dir", tmp_path / "out",
                   "--dry-run")
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "is empty (the harness never downloads)" in lines[0]
    assert "fetch_openml(data_id=61" in lines[0]


def test_bundled_breast_cancer_dry_runs_as_binary(tmp_path):
    proc = harness("run", _spec(tmp_path, "{sklearn: breast_cancer}"), "--results-dir", tmp_path / "out", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "2 classes, binary F1 of 'malignant'" in proc.stdout
