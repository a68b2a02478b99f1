"""analyze/compare: version notes, refusal to pool mixed versions, the published data's unit,
and the F1 of the median-energy trial beside the median F1."""

import json

import pandas as pd
import pytest

from clitools import harness
from harness.analysis.stats import median_energy_f1

TINY = """name: {name}
algorithms: [decision_tree, {{name: random_forest, params: {{n_estimators: 5}}}}]
repetitions: 3
sweeps:
  rows: {{row_fractions: [0.2, 1.0]}}
meter: estimate
hygiene: {{warmup_s: 0, cooldown_s: 0, baseline_s: 0, shuffle: true, threads: 1}}
"""


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    for name in ("a", "b"):
        spec = root / f"{name}.yaml"
        spec.write_text(TINY.format(name=name))
        proc = harness("run", spec, "--results-dir", root, "--quiet")
        assert proc.returncode == 0, proc.stderr
    return root


def _set_sklearn(run_dir, version):
    path = run_dir / "manifest.json"
    m = json.loads(path.read_text())
    for s in [m, *m["sessions"]]:
        s["versions"]["scikit-learn"] = version
    path.write_text(json.dumps(m))


@pytest.mark.slow
def test_analyze_names_the_version_effects(two_runs):
    proc = harness("analyze", two_runs / "a", "--bootstrap", "100", "--out", two_runs / "out-a")
    assert proc.returncode == 0, proc.stderr
    assert "version-dependent results" in proc.stdout
    import sklearn

    if tuple(int(x) for x in sklearn.__version__.split(".")[:2]) >= (1, 9):
        assert "random_forest: since scikit-learn 1.9" in proc.stdout
    else:
        assert "none known for scikit-learn" in proc.stdout


def test_pooling_runs_with_other_scikit_learn_is_refused_then_allowed(two_runs, tmp_path):
    import shutil

    b = tmp_path / "b"
    shutil.copytree(two_runs / "b", b)
    _set_sklearn(b, "1.8.0")
    proc = harness("analyze", two_runs / "a", b, "--bootstrap", "100", "--out", tmp_path / "o")
    assert proc.returncode == 2 and "--mixed-versions" in proc.stderr and "1.8.0" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "o").exists()
    proc = harness("compare", two_runs / "a", b, "--candidate", "decision_tree", "--bootstrap", "100",
                   "--out", tmp_path / "o")
    assert proc.returncode == 2 and "--mixed-versions" in proc.stderr
    proc = harness("analyze", two_runs / "a", b, "--mixed-versions", "--bootstrap", "100", "--out", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    assert "warning: pooling" in proc.stdout
    assert "| 6 |" in (tmp_path / "o/rq1_energy.md").read_text()  # 3 + 3 trials per algorithm


def test_pooling_same_versions_works(two_runs, tmp_path):
    proc = harness("analyze", two_runs / "a", two_runs / "b", "--bootstrap", "100", "--out", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    assert "| 6 |" in (tmp_path / "o/rq1_energy.md").read_text()


def test_median_energy_trial_f1_is_not_the_median_f1():
    t = pd.DataFrame({"repetition": [0, 1, 2, 3], "train_energy_j": [4.0, 1.0, 3.0, 2.0],
                      "f1": [0.9, 0.1, 0.2, 0.8]})
    assert median_energy_f1(t) == 0.8  # energies 1,2,3,4: the 2nd (nearest rank) is rep 3
    assert t["f1"].median() == pytest.approx(0.5)
