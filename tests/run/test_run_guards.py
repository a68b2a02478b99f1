"""What a resumed or crashed run must never do: mix designs, datasets or processes, claim to be
finished when it is not, or leave files behind for input that a treatment rejects."""

import fcntl
import json

import numpy as np
import pandas as pd
import pytest
from clitools import harness

SPEC = """name: guard
dataset: {path: data.csv, label_column: target, positive_label: 1, feature_columns: [a, b, c]}
protocol: holdout
repetitions: 2
algorithms: [decision_tree]
sweeps:
  rows: {row_fractions: [0.5, 1.0]}
  features: {feature_fractions: [0.34]}
meter: estimate
"""


def make_data(path, n=200, seed=0, shift=0.0):
    rng = np.random.default_rng(seed)
    a = rng.random(n) + shift
    pd.DataFrame({"a": a, "b": rng.random(n), "c": rng.random(n), "target": (a > 0.6).astype(int)}).to_csv(path, index=False)


def setup(tmp_path, spec=SPEC):
    make_data(tmp_path / "data.csv")
    (tmp_path / "guard.yaml").write_text(spec)
    return tmp_path / "guard.yaml"


def run(tmp_path, spec, *extra, **env):
    return harness("run", spec, "--results-dir", tmp_path / "out", "--quiet", *extra, cwd=tmp_path, **env)


def test_changed_dataset_file_is_refused_on_resume(tmp_path):
    spec = setup(tmp_path)
    assert run(tmp_path, spec).returncode == 0
    make_data(tmp_path / "data.csv", n=400)
    proc = run(tmp_path, spec)
    assert proc.returncode == 2 and "dataset file changed" in proc.stderr


def test_reordered_sweeps_are_a_different_design(tmp_path):
    spec = setup(tmp_path)
    assert run(tmp_path, spec).returncode == 0
    reordered = SPEC.replace("  rows: {row_fractions: [0.5, 1.0]}\n  features: {feature_fractions: [0.34]}\n",
                             "  features: {feature_fractions: [0.34]}\n  rows: {row_fractions: [0.5, 1.0]}\n")
    assert reordered != SPEC
    spec.write_text(reordered)
    proc = run(tmp_path, spec)
    assert proc.returncode == 2 and "different spec" in proc.stderr


@pytest.mark.slow
def test_an_algorithm_resolved_to_another_class_is_refused_on_resume(tmp_path):
    """As a faithful run started before ``knn`` became FaithfulKNeighborsClassifier: its old k-NN
    rows must not be mixed with new ones, in a run or a dry run."""
    spec = setup(tmp_path)
    assert run(tmp_path, spec).returncode == 0
    manifest = tmp_path / "out/guard/manifest.json"
    m = json.loads(manifest.read_text())
    assert m["algorithms"]["decision_tree"]["class"] == "sklearn.tree._classes:DecisionTreeClassifier"
    m["algorithms"]["decision_tree"]["class"] = "sklearn.tree._classes:ExtraTreeClassifier"
    manifest.write_text(json.dumps(m))
    for extra in ((), ("--dry-run",)):
        proc = run(tmp_path, spec, *extra)
        assert proc.returncode == 2
        assert "'decision_tree' ran as sklearn.tree._classes:ExtraTreeClassifier" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "--fresh" in proc.stderr
    assert run(tmp_path, spec, "--fresh").returncode == 0


@pytest.mark.parametrize("edit, said", [
    (lambda meter: meter.update(per_core_w=10.0, per_core_source="spec estimate.tdp_w 20 W / 2 cores"),
     "10.00 W per busy core (spec estimate.tdp_w 20 W / 2 cores)"),
    (lambda meter: [meter.pop("per_core_w"), meter.pop("per_core_source")],
     "10.00 W per busy core (not recorded: the 10 W constant of harness versions before the TDP table)"),
], ids=["another-constant", "manifest-before-the-field"])
def test_an_estimate_run_with_other_watts_per_core_is_refused_on_resume(tmp_path, edit, said):
    """Issue 21 item 11: a resumed estimate run must model the same watts per core, or its joules mix two
    constants; a manifest without the field was made with 10 W. The fake cpuinfo gives Green Algorithms'
    12 W per core (a CPU not in the table)."""
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/cpuinfo").write_text("processor\t: 0\nmodel name\t: Some CPU\n")
    env = {"HARNESS_PROCFS_ROOT": str(tmp_path / "proc")}
    spec = setup(tmp_path)
    assert run(tmp_path, spec, **env).returncode == 0
    manifest = tmp_path / "out/guard/manifest.json"
    m = json.loads(manifest.read_text())
    assert m["meter"]["per_core_w"] == 12.0 and "not in its TDP table" in m["meter"]["per_core_source"]
    assert run(tmp_path, spec, **env).returncode == 0  # the same constant resumes
    edit(m["meter"])
    manifest.write_text(json.dumps(m))
    proc = run(tmp_path, spec, **env)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert said in proc.stderr and "here it models 12.00 W" in proc.stderr and "--fresh" in proc.stderr


def test_a_second_process_on_the_same_run_is_refused(tmp_path):
    spec = setup(tmp_path)
    (tmp_path / "out/guard").mkdir(parents=True)
    with open(tmp_path / "out/guard/.lock", "w") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        proc = run(tmp_path, spec)
    assert proc.returncode == 2 and "another harness process" in proc.stderr
    assert not (tmp_path / "out/guard/trials.csv").exists()


def test_input_a_treatment_rejects_fails_before_anything_is_written(tmp_path):
    spec = setup(tmp_path)
    df = pd.read_csv(tmp_path / "data.csv")
    df["b"] -= 0.5  # chi2 needs non-negative features
    df.to_csv(tmp_path / "data.csv", index=False)
    proc = run(tmp_path, spec)
    assert proc.returncode == 2 and "non-negative" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_crash_mid_run_keeps_rows_and_does_not_claim_the_run_finished(tmp_path):
    (tmp_path / "flaky.py").write_text(
        "from sklearn.tree import DecisionTreeClassifier\n"
        "class Flaky(DecisionTreeClassifier):\n"
        "    def fit(self, X, y):\n"
        "        if X.shape[1] < 3:\n"
        "            raise RuntimeError('a bug in the user estimator')\n"
        "        return super().fit(X, y)\n")
    spec = setup(tmp_path, SPEC.replace("algorithms: [decision_tree]", "algorithms: [{name: flaky, class: 'flaky:Flaky'}]")
                 .replace("repetitions: 2", "repetitions: 2\nhygiene: {shuffle: false}"))
    proc = run(tmp_path, spec, "--allow-import", "flaky", PYTHONPATH_EXTRA=str(tmp_path))
    assert proc.returncode != 0 and "a bug in the user estimator" in proc.stderr
    rows = pd.read_csv(tmp_path / "out/guard/trials.csv")
    m = json.loads((tmp_path / "out/guard/manifest.json").read_text())
    assert len(rows) == 4  # the rows sweep (3 features) finished before the features sweep crashed
    assert m["finished_at"] is None and m["sessions"][-1]["trials_done"] == 4


def test_resuming_with_the_meter_auto_picked_is_accepted(tmp_path):
    spec = setup(tmp_path, SPEC.replace("meter: estimate", "meter: auto"))
    no_counters = {"HARNESS_POWERCAP_ROOT": str(tmp_path / "no-powercap")}
    assert run(tmp_path, spec, **no_counters).returncode == 0
    proc = run(tmp_path, spec, "--meter", "estimate", **no_counters)
    assert proc.returncode == 0 and "6 of 6 trials already done" in proc.stdout


def test_run_names_cannot_leave_the_results_directory(tmp_path):
    spec = setup(tmp_path)
    proc = run(tmp_path, spec, "--name", "..")
    assert proc.returncode == 2 and "--name" in proc.stderr
    spec.write_text(SPEC.replace("name: guard", "name: .."))
    proc = run(tmp_path, spec)
    assert proc.returncode == 2 and "name:" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_no_version_block_when_no_known_change_moves_these_results(tmp_path):
    # issue 22 item 7: "version-dependent results: none known ..." printed on every run; it stays in
    # the manifest, and the analyze/compare headers say it
    spec = setup(tmp_path)
    for extra in (("--dry-run",), ()):
        proc = run(tmp_path, spec, *extra)
        assert proc.returncode == 0, proc.stderr
        assert "version-dependent results" not in proc.stdout + proc.stderr
    m = json.loads((tmp_path / "out/guard/manifest.json").read_text())
    assert "none known" in json.dumps(m)
