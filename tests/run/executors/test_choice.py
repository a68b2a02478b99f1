"""Choosing an executor, and what the Dask executor refuses before anything runs (no cluster needed)."""

from __future__ import annotations

import pytest

from clitools import harness
from harness.errors import DatasetError, ExecutorError, MeterError
from harness.run.executors import make_executor
from harness.run.executors.bench import Bench, Workload, matrix_sha256
from harness.run.executors.dask import DaskExecutor
from harness.run.executors.local import LocalExecutor
from harness.hygiene.provenance import library_versions
from harness.spec import parse_spec

SPEC = {"name": "x", "algorithms": ["decision_tree"], "sweeps": {"rows": {"row_fractions": [1.0]}}, "meter": "estimate"}


def spec(**changes):
    return parse_spec({**SPEC, **changes})


def probe(host, meter="estimate", estimated=True, **changes):
    p = {"host": host, "cpu_model": "cpu", "cpu_count": 2, "os": "linux", "python": "3", "nthreads": 1,
         "boot_id": f"boot-of-{host}",  # one kernel per host name here (test_dask_machines: containers)
         "versions": library_versions(),
         "meter": {"name": meter, "estimated": estimated, "summary": f"meter: {meter}", "not_used": {},
                   "describe": {"name": meter}}}
    p.update(changes)
    return p


def test_no_flag_is_the_local_executor():
    assert isinstance(make_executor(spec()), LocalExecutor)


@pytest.mark.parametrize("kw, message", [
    ({"workers": 0}, "--workers: must be at least 1"),
    ({"cluster": "localhost:8786"}, "give a scheduler address such as tcp://HOST:8786"),
    ({"cluster": "slurm"}, "the spec has no 'cluster:' section"),
])
def test_bad_choices_name_the_option(kw, message):
    with pytest.raises(ExecutorError, match=message):
        make_executor(spec(), **kw)


def test_counter_meter_refuses_two_workers_on_one_host():
    ex = DaskExecutor(spec(meter="rapl"), workers=2)
    with pytest.raises(ExecutorError, match="2 workers on host a with meter rapl"):
        ex._check({"w1": probe("a", "rapl", False), "w2": probe("a", "rapl", False), "w3": probe("b", "rapl", False)})


def test_counter_meter_one_worker_per_host_is_fine_and_recorded():
    ex = DaskExecutor(spec(meter="rapl"), workers=2)
    ex._check({"w1": probe("a", "rapl", False), "w2": probe("b", "rapl", False)})
    assert ex.meter_name == "rapl" and set(ex.hosts) == {"a", "b"}
    assert ex.hosts["a"]["workers"] == 1 and ex.hosts["a"]["meter"] == "rapl"


def test_estimate_may_share_a_host_and_says_so():
    ex = DaskExecutor(spec(), workers=2)
    ex._check({"w1": probe("a"), "w2": probe("a")})
    assert ex.hosts["a"]["concurrent_trials"] == 2
    assert "trials run concurrently on a host" in ex.summary()


def test_workers_with_different_meters_are_refused():
    ex = DaskExecutor(spec(meter="auto"), workers=2)
    with pytest.raises(MeterError, match="workers picked different meters .a: rapl, b: estimate"):
        ex._check({"w1": probe("a", "rapl", False), "w2": probe("b")})


def test_a_worker_that_cannot_open_the_meter_is_named():
    ex = DaskExecutor(spec(meter="rapl"), workers=1)
    with pytest.raises(MeterError, match="worker w1 on a: no powercap"):
        ex._check({"w1": {**probe("a"), "error": "no powercap"}})


def test_a_worker_with_another_scikit_learn_is_refused():
    ex = DaskExecutor(spec(), workers=1)
    other = {**library_versions(), "scikit-learn": "0.1"}
    with pytest.raises(ExecutorError, match="runs scikit-learn 0.1, the driver"):
        ex._check({"w1": probe("a", versions=other)})


def test_a_feature_matrix_that_differs_where_it_lands_is_refused():
    import numpy as np

    X, y = np.eye(4), np.array([0, 1, 0, 1])
    digest = matrix_sha256(X, y)
    X2 = X.copy()
    X2[0, 0] = 0.5
    assert matrix_sha256(X2, y) != digest
    with pytest.raises(DatasetError, match="feature matrix here has sha256"):
        Bench(Workload(spec(), "x", X2, y, digest, "s"))


def test_cluster_section_is_not_part_of_the_design():
    assert spec().design_hash() == spec(cluster={"jobs": 8, "memory": "16GB"}).design_hash()


def test_bad_cluster_flag_is_one_line_exit_2(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nalgorithms: [decision_tree]\nsweeps: {rows: {row_fractions: [1.0]}}\n")
    proc = harness("run", path, "--cluster", "slurm", "--dry-run")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no 'cluster:' section" in proc.stderr
    proc = harness("run", path, "--cluster", "tcp://127.0.0.1:1", "--workers", "2")
    assert proc.returncode == 2 and "not allowed with argument" in proc.stderr


def test_two_local_workers_with_a_counter_meter_are_refused_even_in_a_dry_run(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nalgorithms: [decision_tree]\nsweeps: {rows: {row_fractions: [1.0]}}\nmeter: [rapl, nvml]\n")
    proc = harness("run", path, "--workers", "2", "--dry-run")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "2 workers on host" in proc.stderr and "with meter rapl+nvml" in proc.stderr


def test_a_worker_running_dasks_profiler_is_flagged():
    ex = DaskExecutor(spec(), workers=1)
    ex._check({"w1": probe("a", profiler=True), "w2": probe("b", profiler=False)})
    assert "warning: Dask's profiler runs in 1 worker(s) (a)" in ex.summary()
    assert "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False" in ex.summary()
    assert ex.hosts["a"]["dask_profiler"] is True and ex.hosts["b"]["dask_profiler"] is False


def test_a_worker_that_joins_a_host_later_is_counted():
    """From a review: hosts.<name>.workers stayed 1 when a second worker joined that host after the
    start-up probes, though both baselines were recorded."""
    ex = DaskExecutor(spec(), workers=1)
    ex._check({"w1": probe("a")})
    facts = {k: probe("a")[k] for k in ("cpu_model", "cpu_count", "os", "python")}
    for worker in ("w1", "w2", "w2"):
        ex._record({"host": "a", "worker": worker, "baseline": {"total_w": 1.0}, "facts": facts, "label": f"a/{worker}"})
    assert ex.hosts["a"]["workers"] == 2 and set(ex.hosts["a"]["baselines"]) == {"w1", "w2"}
    ex._record({"host": "b", "worker": "w3", "baseline": None, "facts": facts, "label": "b/w3"})
    assert ex.hosts["b"]["workers"] == 1
