"""Issue 21 item 9: runs of different datasets or protocols are never pooled; differing executors,
hosts and meters are said."""

from __future__ import annotations

import pytest
from clitools import harness
from synthetic import fabricate, write_run

SESSION = {"versions": {"scikit-learn": "1.9.1", "numpy": "2.4.6"}, "executor": {"kind": "local"}}


def _run(where, name, trials=None, dataset=None, executor=None, hosts=None):
    trials = fabricate(algorithms={"svm": 0.5, "knn": 0.02}, repetitions=3) if trials is None else trials
    manifest = {"run": name, "baseline": None, "dataset": {"name": "sms_spam", "sha256": "a" * 64, **(dataset or {})},
                "sessions": [{**SESSION, "executor": executor or SESSION["executor"]}]}
    if hosts is not None:
        manifest["hosts"] = hosts
    return write_run(where / name, trials, manifest)


def test_runs_on_different_datasets_are_refused_naming_both(tmp_path):
    a = _run(tmp_path, "a")
    b = _run(tmp_path, "b", fabricate(algorithms={"svm": 0.5, "knn": 0.02}, repetitions=3).assign(dataset="other_csv"))
    for command in (("analyze",), ("compare", "--candidate", "svm")):
        proc = harness(*command, a, b, "--bootstrap", "100", "--out", tmp_path / "o")
        assert proc.returncode == 2
        line, = proc.stderr.strip().splitlines()
        assert "different datasets" in line and str(a) in line and str(b) in line and "other_csv" in line
    assert not (tmp_path / "o").exists()


def test_same_name_different_file_is_refused(tmp_path):
    a, b = _run(tmp_path, "a"), _run(tmp_path, "b", dataset={"sha256": "b" * 64})
    proc = harness("analyze", a, b, "--bootstrap", "100", "--out", tmp_path / "o")
    assert proc.returncode == 2 and "sha256" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_runs_under_different_protocols_are_refused(tmp_path):
    a = _run(tmp_path, "a")
    b = _run(tmp_path, "b", fabricate(algorithms={"svm": 0.5, "knn": 0.02}, repetitions=3).assign(protocol="ict4s22"))
    proc = harness("analyze", a, b, "--bootstrap", "100", "--out", tmp_path / "o")
    assert proc.returncode == 2 and "different protocols" in proc.stderr and "ict4s22" in proc.stderr


@pytest.mark.parametrize("what", ["executors", "meters"])
def test_different_executors_or_meters_are_said(tmp_path, what):
    a = _run(tmp_path, "a")
    if what == "executors":
        b = _run(tmp_path, "b", executor={"kind": "dask", "cluster": "local", "workers": 2})
    else:
        b = _run(tmp_path, "b", fabricate(algorithms={"svm": 0.5, "knn": 0.02}, repetitions=3, meter="rapl"))
    proc = harness("analyze", a, b, "--bootstrap", "100", "--out", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    assert f"note: pooling runs with different {what}" in proc.stdout
    assert ("dask, 2 workers" if what == "executors" else "rapl") in proc.stdout


def test_same_design_pools_without_a_note(tmp_path):
    a, b = _run(tmp_path, "a"), _run(tmp_path, "b")
    proc = harness("analyze", a, b, "--bootstrap", "100", "--out", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    assert "note: pooling" not in proc.stdout


@pytest.mark.slow
def test_same_host_name_on_different_hardware_is_said(tmp_path):
    # two machines made from one VM image share the host name "vm": the manifests' CPU model and
    # core count tell them apart, and the pooled analysis says so (it was silent)
    a = _run(tmp_path, "a", hosts={"vm": {"cpu_model": "AMD EPYC", "cpu_count": 2, "meter": "estimate"}})
    b = _run(tmp_path, "b", hosts={"vm": {"cpu_model": "Intel Xeon Gold 6148", "cpu_count": 40, "meter": "estimate"}})
    proc = harness("analyze", a, b, "--bootstrap", "100", "--out", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    assert "note: pooling runs with different host hardware" in proc.stdout
    assert "AMD EPYC x 2 cores" in proc.stdout and "Intel Xeon Gold 6148 x 40 cores" in proc.stdout
    same = _run(tmp_path, "c", hosts={"vm": {"cpu_model": "AMD EPYC", "cpu_count": 2, "meter": "estimate"}})
    proc = harness("analyze", a, same, "--bootstrap", "100", "--out", tmp_path / "o2")
    assert proc.returncode == 0 and "note: pooling" not in proc.stdout


@pytest.mark.slow
def test_the_same_design_run_twice_says_its_scores_are_copies(tmp_path):
    a, b = _run(tmp_path, "a"), _run(tmp_path, "b")  # same algorithms, levels and seeds
    proc = harness("analyze", a, b, "--bootstrap", "100", "--out", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    n = len(fabricate(algorithms={"svm": 0.5, "knn": 0.02}, repetitions=3))
    assert f"note: {n} trials of the pooled runs repeat a configuration and seed of another run" in proc.stdout
    other = fabricate(algorithms={"svm": 0.5, "knn": 0.02}, repetitions=3)
    c = _run(tmp_path, "c", other.assign(seed=other["seed"] + 10_000))  # other seeds: no copies
    proc = harness("analyze", a, c, "--bootstrap", "100", "--out", tmp_path / "o2")
    assert proc.returncode == 0 and "repeat a configuration and seed" not in proc.stdout, proc.stdout
