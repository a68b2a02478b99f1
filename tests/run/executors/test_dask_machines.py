"""One measured machine is one kernel, not one hostname: Dask workers in two containers of one
server (hostnames and /dev/shm of their own, one kernel boot_id) share its RAPL packages and GPUs,
so a counter meter allows one worker there and one trial at a time."""

from __future__ import annotations

import threading
import time

import pytest

from harness.errors import ExecutorError
from harness.hygiene.provenance import library_versions
from harness.run.executors import dask as dask_executor
from harness.run.executors.dask import DaskExecutor, refuse_shared_machines

BOOT_A = "11111111-2222-4333-8444-555555555555"
BOOT_B = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


def probe(host, boot_id, meter="rapl", estimated=False):
    """What ``dask.probe`` returns from a worker on ``host`` whose kernel reads ``boot_id``."""
    return {"host": host, "boot_id": boot_id, "machine_id": None, "container": "/.dockerenv",
            "cpu_model": "Xeon", "cpu_count": 64, "os": "Linux", "python": "3.11", "versions": library_versions(),
            "nthreads": 1, "profiler": False,
            "meter": {"name": meter, "estimated": estimated, "summary": f"meter: {meter}", "not_used": {},
                      "describe": {}}}


def checked(probes):
    ex = DaskExecutor(spec=None, cluster="tcp://127.0.0.1:8786")
    ex._check(probes)
    return ex


def test_two_containers_of_one_server_are_one_machine_for_a_counter_meter():
    """The fault: two workers with hostnames c1 and c2 were taken for two hosts, and their trials
    overlapped on one RAPL package (each row 1.7-1.9x the joules the counter delivered)."""
    probes = {"tcp://10.0.0.2:1": probe("c1", BOOT_A), "tcp://10.0.0.3:1": probe("c2", BOOT_A)}
    with pytest.raises(ExecutorError) as e:
        checked(probes)
    msg = str(e.value)
    assert "\n" not in msg
    assert "2 workers on one machine (hosts c1, c2" in msg and "boot_id 11111111" in msg and "meter rapl" in msg


def test_two_workers_of_one_hostname_are_refused_as_before():
    probes = {"a": probe("vm", BOOT_A, meter="nvml"), "b": probe("vm", BOOT_A, meter="nvml")}
    with pytest.raises(ExecutorError, match="2 workers on host vm with meter nvml"):
        checked(probes)


def test_two_machines_run_and_their_identity_is_recorded():
    ex = checked({"a": probe("n1", BOOT_A), "b": probe("n2", BOOT_B)})
    assert ex.hosts["n1"]["boot_id"] == BOOT_A and ex.hosts["n2"]["boot_id"] == BOOT_B
    assert ex.hosts["n1"]["container"] == "/.dockerenv" and ex.hosts["n1"]["machine_id"] is None
    assert "2 worker(s) on 2 host(s)" in ex.summary() and "one machine" not in ex.summary()


def test_an_unreadable_boot_id_refuses_a_second_worker_but_not_a_single_one():
    """Whether two workers share a machine cannot be told without the boot_id: refused for a counter
    meter, as the layout where one trial per machine cannot be guaranteed."""
    with pytest.raises(ExecutorError) as e:
        checked({"a": probe("n1", None), "b": probe("n2", BOOT_B)})
    assert "\n" not in str(e.value) and "boot_id" in str(e.value) and "cannot be told" in str(e.value)
    assert checked({"a": probe("n1", None)}).hosts["n1"]["boot_id"] is None
    refuse_shared_machines({"a": probe("n1", None)}, "rapl")  # one worker: nothing to overlap


def test_the_estimate_meter_allows_containers_of_one_server_and_says_so():
    ex = checked({"a": probe("c1", BOOT_A, "estimate", True), "b": probe("c2", BOOT_A, "estimate", True)})
    line = ex.summary()
    assert "one machine (one kernel boot_id: containers of one server): c1, c2" in line
    assert "trials run concurrently on a host" in line


def test_the_machine_lock_is_named_by_boot_id_under_the_procfs_root(tmp_path, monkeypatch):
    from fake_machine import make_fake_machine

    _, proc = make_fake_machine(tmp_path, boot_id=BOOT_A)
    monkeypatch.setenv("HARNESS_PROCFS_ROOT", str(proc))
    assert dask_executor.machine_lock().name == f"harness-measured-machine-{BOOT_A}"


@pytest.mark.slow
def test_the_machine_lock_keeps_two_workers_trials_apart():
    """Two workers (as two containers would be: no shared /dev/shm lock between them) taking the
    machine's lock: their windows never overlap. The lock is the scheduler's, so it holds across
    processes and containers alike."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        workers = list(client.scheduler_info()["workers"])
        futures = [client.submit(_locked_window, i, workers=[workers[i % 2]], pure=False) for i in range(6)]
        windows = sorted(f.result() for f in futures)
    assert {w[2] for w in windows} == set(workers)  # both workers took part
    for (_, end, _), (start, _, _) in zip(windows, windows[1:]):
        assert start >= end  # one window at a time


def _locked_window(i):
    from distributed import get_worker

    with dask_executor.machine_lock():
        start = time.monotonic()
        time.sleep(0.2)
        return start, time.monotonic(), get_worker().address


def test_a_combined_meter_with_a_counter_part_is_one_worker_per_machine_too():
    """The fault: ``estimate+nvml`` is ``estimated`` (a part is), so two containers of one server ran
    trials concurrently on one GPU counter, each measuring the other's GPU energy."""
    from types import SimpleNamespace

    from harness.run.executors.dask import reads_counters

    est, gpu = SimpleNamespace(estimated=True), SimpleNamespace(estimated=False)
    assert reads_counters(SimpleNamespace(estimated=True, meters=[est, gpu]))
    assert not reads_counters(SimpleNamespace(estimated=True, meters=[est]))
    assert reads_counters(gpu) and not reads_counters(est)
    both = [probe(h, BOOT_A, "estimate+nvml", True) for h in ("c1", "c2")]
    for p in both:
        p["meter"]["counters"] = True
    with pytest.raises(ExecutorError) as e:
        checked({"a": both[0], "b": both[1]})
    assert "\n" not in str(e.value) and "2 workers on one machine" in str(e.value) and "estimate+nvml" in str(e.value)
    assert checked({"a": both[0]}).meter_info["counters"] is True  # one worker: trials hold the machine lock
