"""The quick spec end to end, as a user runs it: interrupted by Ctrl-C, killed with SIGKILL,
left with a torn last line, then resumed to completion. Then: every trial exactly once, the
resumed results equal a fresh computation, a changed spec is refused."""

from __future__ import annotations

import json
import signal
import time

import pandas as pd
import pytest

from clitools import harness, start
from harness.models.algorithms import resolve
from harness.data.datasets import load_sms_spam
from harness.data.features import build_features
from harness.plan import make_plan
from harness.plan.protocols import PROTOCOLS
from harness.run.trial import run_trial
from harness.meters import open_meter
from harness.spec import load_spec
from harness.results.store import trial_columns

pytestmark = pytest.mark.slow  # one run of the quick spec shared by the module (about 45 s)

N_QUICK = 72


def rows_in(path) -> int:
    try:
        return max(0, path.read_text().count("\n") - 1)
    except FileNotFoundError:
        return 0


def wait_for_rows(path, n, proc, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        if rows_in(path) >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"run ended early: {proc.stderr.read()}")
        time.sleep(0.05)
    raise AssertionError(f"fewer than {n} rows after {timeout} s")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory, repo):
    """Run experiments/spam-quick.yaml with two interruptions; returns the run directory."""
    out = tmp_path_factory.mktemp("results")
    spec = repo / "experiments/spam-quick.yaml"
    trials = out / "spam-quick" / "trials.csv"
    args = ("run", spec, "--results-dir", out, "--meter", "estimate")

    proc = start(*args)
    wait_for_rows(trials, 5, proc)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "run the same command again to resume" in stderr
    assert stdout.splitlines()[0].startswith("meter: estimate (ESTIMATED")
    after_sigint = rows_in(trials)
    assert after_sigint >= 5

    proc = start(*args)
    wait_for_rows(trials, after_sigint + 5, proc)
    proc.kill()
    proc.wait(timeout=30)
    before_torn = trials.read_bytes()
    with open(trials, "ab") as f:  # what a kill in the middle of a write leaves behind
        f.write(before_torn.splitlines(keepends=True)[-1][:30])

    done = harness(*args, "--quiet")
    assert done.returncode == 0, done.stderr
    return out / "spam-quick", before_torn


def test_every_trial_exactly_once(quick_run):
    run_dir, _ = quick_run
    df = pd.read_csv(run_dir / "trials.csv")
    assert list(df.columns) == list(trial_columns(("rows", "features")))
    assert len(df) == N_QUICK and sorted(df["trial_id"]) == list(range(N_QUICK))
    assert set(df["algorithm"]) == {"svm", "decision_tree", "knn", "random_forest", "adaboost", "bagging"}
    assert (df["meter"] == "estimate").all() and df["energy_estimated"].all()
    for phase in ("preprocess", "train", "predict"):
        assert (df[f"{phase}_s"] > 0).all() and (df[f"{phase}_energy_j"] >= 0).all()
    assert df["f1"].between(0, 1).all() and df["accuracy"].between(0, 1).all()
    full = df[(df.row_fraction == 1.0) & (df.feature_fraction == 1.0)]
    assert full.groupby("algorithm")["accuracy"].median()["random_forest"] > 0.95  # the paper's best F1
    assert (pd.to_datetime(df["finished_at"]) > pd.to_datetime(df["started_at"])).all()
    assert df["started_at"].str.endswith("+00:00").all()


def test_torn_line_was_cut_and_rows_before_it_kept(quick_run):
    run_dir, before_torn = quick_run
    assert (run_dir / "trials.csv").read_bytes().startswith(before_torn)


def test_manifest_records_machine_meter_and_sessions(quick_run):
    run_dir, _ = quick_run
    m = json.loads((run_dir / "manifest.json").read_text())
    assert m["spec"]["name"] == "spam-quick" and m["n_trials"] == N_QUICK
    assert m["meter"]["name"] == "estimate" and m["meter"]["estimated"] is True
    assert m["versions"]["scikit-learn"] and m["machine"]["cpu_count"] >= 1 and m["machine"]["os"]
    assert m["dataset"]["n_rows"] == 5574 and m["features"]["n_features"] > 5000
    assert len(m["sessions"]) == 3 and m["finished_at"] and m["started_at"] < m["finished_at"]
    assert m["baseline"] is not None and m["baseline"]["duration_s"] >= 1.0


@pytest.mark.slow
def test_resumed_results_equal_a_fresh_computation(quick_run, repo):
    """Accuracy and F1 depend only on (configuration, repetition): recompute a sample of trials."""
    run_dir, _ = quick_run
    df = pd.read_csv(run_dir / "trials.csv").set_index("trial_id")
    spec = load_spec(repo / "experiments/spam-quick.yaml")
    fm = build_features(load_sms_spam(), spec.text)
    protocol = PROTOCOLS[spec.protocol](fm.X, fm.y, spec.test_fraction, spec.seed)
    algorithms = {a.name: resolve(a, i) for i, a in enumerate(spec.algorithms)}
    meter = open_meter("estimate").meter
    sample = [t for t in make_plan(spec) if t.algorithm in ("decision_tree", "knn", "adaboost")][::3]
    for trial in sample:
        row = run_trial(trial, protocol, algorithms[trial.algorithm], meter, "x", spec)
        for col in ("accuracy", "f1", "n_train", "n_test", "n_features", "seed"):
            assert row[col] == df.loc[trial.trial_id, col], (trial, col)


def test_changed_spec_or_meter_is_refused(quick_run, tmp_path, repo):
    run_dir, _ = quick_run
    changed = tmp_path / "spam-quick.yaml"
    changed.write_text((repo / "experiments/spam-quick.yaml").read_text().replace("seed: 42", "seed: 43")
                       .replace("repetitions: 2", "repetitions: 1")
                       .replace("[0.1, 0.5, 1.0], feature_fractions: [1.0]", "[0.1], feature_fractions: [1.0]")
                       .replace("[svm, decision_tree, knn, random_forest, adaboost, bagging]", "[decision_tree]")
                       .replace("feature_fractions: [0.1, 0.5, 1.0]", "feature_fractions: [0.1]"))
    refused = harness("run", changed, "--results-dir", run_dir.parent, "--meter", "estimate", "--quiet")
    assert refused.returncode == 2 and "different spec" in refused.stderr and "--fresh" in refused.stderr
    assert len(pd.read_csv(run_dir / "trials.csv")) == N_QUICK

    other_meter = harness("run", repo / "experiments/spam-quick.yaml", "--results-dir", run_dir.parent,
                          "--meter", "rapl", "--quiet", HARNESS_POWERCAP_ROOT=str(tmp_path / "none"))
    assert other_meter.returncode == 2 and "Traceback" not in other_meter.stderr
    # a finished run reruns as a no-op
    again = harness("run", repo / "experiments/spam-quick.yaml", "--results-dir", run_dir.parent,
                    "--meter", "estimate", "--quiet")
    assert again.returncode == 0 and f"{N_QUICK} of {N_QUICK} trials already done, 0 to go" in again.stdout


@pytest.mark.slow
def test_analyze_figures_compare_on_the_quick_run(quick_run, tmp_path):
    """The statistics commands on a real run: files exist and the numbers agree with trials.csv."""
    run_dir, _ = quick_run
    df = pd.read_csv(run_dir / "trials.csv")
    analyze = harness("analyze", run_dir, "--out", tmp_path / "a")
    assert analyze.returncode == 0, analyze.stderr
    assert "RQ1" in analyze.stdout and "estimated energy" in analyze.stdout
    rq1 = pd.read_csv(tmp_path / "a/rq1_energy.csv").set_index("algorithm")
    full = df[(df.row_fraction == 1) & (df.feature_fraction == 1)]
    expected = full.groupby("algorithm")["train_energy_j"].median()  # 4 trials: |z| < 3, nothing cleaned
    assert set(rq1.index) == set(expected.index)
    for alg, value in expected.items():
        assert rq1.loc[alg, "median_train_energy_j"] == pytest.approx(value, rel=1e-12)
    for name in ("rq2_energy_spearman", "rq3_f1_spearman", "tradeoff", "tradeoff_best", "cleaning", "normality"):
        for ext in ("md", "tex", "csv"):
            assert (tmp_path / f"a/{name}.{ext}").stat().st_size > 0

    figures = harness("figures", run_dir, "--out", tmp_path / "f")
    assert figures.returncode == 0, figures.stderr
    for name in ("rq1_energy", "rq2_energy", "rq3_f1", "tradeoff"):
        for ext in ("png", "pdf"):
            assert (tmp_path / f"f/{name}.{ext}").stat().st_size > 1000
    for name in ("qq_energy", "qq_f1"):  # 2 repetitions: nothing a QQ plot could show
        assert f"skipped {name}: 2 trials per configuration" in figures.stdout
        assert not (tmp_path / f"f/{name}.png").exists()

    compare = harness("compare", run_dir, "--candidate", "decision_tree", "--baselines", "random_forest,knn",
                      "--out", tmp_path / "c")
    assert compare.returncode == 0, compare.stderr
    table = pd.read_csv(tmp_path / "c/compare_decision_tree.csv")
    combined = table[table["scope"] == "combined"].set_index("baseline")
    # decision trees train far cheaper than random forests, far dearer than KNN (which only stores rows)
    assert combined.loc["random_forest", "energy_ratio"] < 0.5 < 2 < combined.loc["knn", "energy_ratio"]
    assert "greener" in combined.loc["random_forest", "verdict"]
