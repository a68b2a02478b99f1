"""The Dask executor with real ``dask scheduler``/``dask worker`` processes and ``--workers N``:
the same trials and scores as a local run, nothing lost or duplicated when a worker (even the only
one, restarted by its nanny) or the driver is killed, one line and exit 2 when the scheduler goes
away, and no concurrent trials on a machine measured with shared counters (two containers of one
server included)."""

from __future__ import annotations

import json
import os
import signal
import time

import pandas as pd
import pytest
import yaml

from clitools import REPO, start
from clitools import process as harness  # the driver in its own process, as beside real dask workers
from fake_machine import make_fake_machine
from harness.meters.fakes import make_fake_powercap

pytestmark = pytest.mark.slow

SCORES = ["trial_id", "algorithm", "sweep", "row_fraction", "feature_fraction", "repetition", "seed",
          "n_train", "n_test", "n_features", "accuracy", "precision", "recall", "f1"]


def quick_spec(tmp_path, **changes):
    """experiments/spam-quick.yaml with one repetition (36 trials, every algorithm and level) and
    no warm-up, so that the suite stays short; ``changes`` override top-level keys."""
    spec = yaml.safe_load((REPO / "experiments/spam-quick.yaml").read_text())
    spec.update({"repetitions": 1, "meter": "estimate",
                 "hygiene": {"warmup_s": 0, "cooldown_s": 0, "baseline_s": 0.2, "shuffle": True, "threads": 1}})
    spec.update(changes)
    path = tmp_path / "quick.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def light_spec(tmp_path):
    """The quick spec's levels with its two lightest algorithms, two repetitions: 24 trials."""
    return quick_spec(tmp_path, algorithms=["decision_tree", "knn"], repetitions=2)


def trials(out, name="spam-quick"):
    return pd.read_csv(out / name / "trials.csv")


def scores(df):
    return df[SCORES].sort_values("trial_id").reset_index(drop=True)


def wait_rows(path, n, proc=None, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and path.read_bytes().count(b"\n") > n:
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"run ended early: {proc.stderr.read()}")
        time.sleep(0.05)
    raise AssertionError(f"{path}: fewer than {n} rows after {timeout} s")


def test_two_external_workers_give_a_local_runs_trials_and_scores(tmp_path, dask_processes):
    spec = quick_spec(tmp_path)
    dask_processes.add_worker()
    dask_processes.add_worker()
    local = harness("run", spec, "--results-dir", tmp_path / "local", "--quiet")
    assert local.returncode == 0, local.stderr
    dist = harness("run", spec, "--results-dir", tmp_path / "dask", "--quiet", "--cluster", dask_processes.address)
    assert dist.returncode == 0, dist.stderr
    a, b = trials(tmp_path / "local"), trials(tmp_path / "dask")
    assert len(b) == 36 and b["trial_id"].is_unique
    pd.testing.assert_frame_equal(scores(a), scores(b))
    assert "2 worker(s) on 1 host(s)" in dist.stdout
    m = json.loads((tmp_path / "dask/spam-quick/manifest.json").read_text())
    (host,) = m["hosts"]  # both workers run here
    assert (b["host"] == host).all() and (a["host"] == host).all()
    entry = m["hosts"][host]
    assert entry["workers"] == 2 and entry["meter"] == "estimate" and entry["cpu_count"] == os.cpu_count()
    assert len(entry["baselines"]) == 2  # each worker measured its own idle baseline
    assert m["baseline"] is None  # two baselines on one host: none is 'the' baseline
    assert m["sessions"][-1]["executor"]["kind"] == "dask"


def test_local_cluster_of_two_workers_gives_the_same_scores(tmp_path):
    spec = light_spec(tmp_path)
    local = harness("run", spec, "--results-dir", tmp_path / "local", "--quiet")
    dist = harness("run", spec, "--results-dir", tmp_path / "dask", "--workers", "2")
    assert local.returncode == 0 and dist.returncode == 0, dist.stderr
    pd.testing.assert_frame_equal(scores(trials(tmp_path / "local")), scores(trials(tmp_path / "dask")))
    assert "24/24" in dist.stderr  # progress: done/total ...
    assert "/0:" in dist.stderr and "/1:" in dist.stderr  # ... and trials done per host/worker


def test_a_worker_killed_mid_trial_loses_and_duplicates_nothing(tmp_path, dask_processes):
    spec = light_spec(tmp_path)
    dask_processes.add_worker()
    victim = dask_processes.add_worker("--no-nanny")  # killed for good: its trials must run on the other
    with dask_processes.client() as client:
        client.wait_for_workers(2, timeout=60)
        pids = client.run(os.getpid)
        addr = next(a for a, pid in pids.items() if pid == victim.pid)
        proc = start("run", spec, "--results-dir", tmp_path / "out", "--quiet", "--cluster", dask_processes.address)
        path = tmp_path / "out/spam-quick/trials.csv"
        wait_rows(path, 3, proc)
        deadline = time.monotonic() + 60
        while not client.processing(addr)[addr] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert client.processing(addr)[addr], "the worker to kill had no trial"
        os.kill(victim.pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    df = trials(tmp_path / "out")
    assert sorted(df["trial_id"]) == list(range(24))  # every trial exactly once


def test_the_driver_killed_then_the_same_command_completes(tmp_path, dask_processes):
    spec = light_spec(tmp_path)
    dask_processes.add_worker()
    dask_processes.add_worker()
    args = ("run", spec, "--results-dir", tmp_path / "out", "--quiet", "--cluster", dask_processes.address)
    proc = start(*args)
    path = tmp_path / "out/spam-quick/trials.csv"
    wait_rows(path, 5, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 5 <= len(trials(tmp_path / "out")) < 24
    again = harness(*args)
    assert again.returncode == 0, again.stderr
    df = trials(tmp_path / "out")
    assert sorted(df["trial_id"]) == list(range(24))
    local = harness("run", spec, "--results-dir", tmp_path / "local", "--quiet")
    pd.testing.assert_frame_equal(scores(trials(tmp_path / "local")), scores(df))


def test_two_trials_at_once_on_a_rapl_host_are_refused(tmp_path):
    """meter auto: the workers find RAPL (a fake tree), so the refusal comes from their probes."""
    fake = make_fake_powercap(tmp_path, sockets=1, with_core=False, with_dram=False)
    fake.start({"package-0": 20.0})  # counters that advance: a frozen one is not readable RAPL
    try:
        spec = quick_spec(tmp_path, algorithms=["decision_tree"], meter="auto")
        proc = harness("run", spec, "--results-dir", tmp_path / "out", "--workers", "2",
                       HARNESS_POWERCAP_ROOT=str(fake.root))
    finally:
        fake.stop()
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "2 workers on host" in proc.stderr and "meter rapl" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out/spam-quick").exists()  # refused before anything was written


def test_one_rapl_worker_per_host_runs_and_records_its_baseline(tmp_path):
    fake = make_fake_powercap(tmp_path, sockets=1, with_core=False, with_dram=False)
    fake.start({"package-0": 20.0})
    try:
        spec = quick_spec(tmp_path, algorithms=["decision_tree"], meter="rapl",
                          sweeps={"rows": {"row_fractions": [0.1]}})
        proc = harness("run", spec, "--results-dir", tmp_path / "out", "--workers", "1", "--quiet",
                       HARNESS_POWERCAP_ROOT=str(fake.root))
    finally:
        fake.stop()
    assert proc.returncode == 0, proc.stderr
    m = json.loads((tmp_path / "out/spam-quick/manifest.json").read_text())
    (entry,) = m["hosts"].values()
    (baseline,) = entry["baselines"].values()
    assert baseline["total_w"] == pytest.approx(20.0, rel=0.2)
    assert m["baseline"] == baseline and m["meter"]["name"] == "rapl"
    assert (trials(tmp_path / "out")["meter"] == "rapl").all()


def test_dry_run_refuses_two_local_workers_when_auto_picks_rapl(tmp_path):
    """From a review: meter auto found RAPL, and --workers 2 --dry-run said nothing while the real
    run was refused: the dry run checks the meter it opened, as the run's workers would."""
    fake = make_fake_powercap(tmp_path, sockets=1, with_core=False, with_dram=False)
    fake.start({"package-0": 20.0})
    try:
        spec = quick_spec(tmp_path, algorithms=["decision_tree"], meter="auto")
        proc = harness("run", spec, "--results-dir", tmp_path / "out", "--workers", "2", "--dry-run",
                       HARNESS_POWERCAP_ROOT=str(fake.root))
    finally:
        fake.stop()
    assert proc.returncode == 2, proc.stdout
    assert proc.stderr.count("\n") == 1 and "2 workers on host" in proc.stderr and "meter rapl" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_local_cluster_says_nothing_when_dasks_default_dashboard_port_is_taken(tmp_path):
    """From a review: with another Dask cluster on the machine (port 8787 taken), --workers printed
    Dask's 4-line 'Port 8787 is already in use' warning on stderr, so a refusal was no longer one line."""
    import socket

    holder = socket.socket()
    try:
        holder.bind(("", 8787))
        holder.listen()
    except OSError:
        pass  # taken already (another cluster): the situation to test
    try:
        spec = quick_spec(tmp_path, algorithms=["decision_tree"], sweeps={"rows": {"row_fractions": [0.1]}})
        proc = harness("run", spec, "--results-dir", tmp_path / "out", "--workers", "1", "--quiet")
    finally:
        holder.close()
    assert proc.returncode == 0, proc.stderr
    assert "already in use" not in proc.stderr and "Traceback" not in proc.stderr


# --- two containers of one server, the only worker restarted, the scheduler gone ------------

BOOT = "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab"
# Gives a process the hostname in $FAKE_HOSTNAME, as a container has its own.
SITECUSTOMIZE = """import os, socket
if os.environ.get("FAKE_HOSTNAME"):
    socket.gethostname = lambda: os.environ["FAKE_HOSTNAME"]
"""
# A classifier whose first fit anywhere kills its own process: the worker dies mid-trial (as when
# its nanny ends it for its memory limit) and the nanny starts a new one.
SUICIDE = """import os, signal
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

class DiesOnce(ClassifierMixin, BaseEstimator):
    _parameter_constraints: dict = {}
    def fit(self, X, y):
        marker = os.path.join(os.environ["HB_MARK_DIR"], "died")
        if not os.path.exists(marker):
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        self.classes_ = np.unique(y)
        return self
    def predict(self, X):
        return np.full(X.shape[0], self.classes_[0])
"""


def test_two_containers_of_one_server_are_refused_with_a_counter_meter(tmp_path, dask_processes):
    """Hostnames c1 and c2 (two containers), one kernel boot_id, one RAPL package: taken for two hosts
    before, their trials overlapped on one counter. Refused at start, before anything is written."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site/sitecustomize.py").write_text(SITECUSTOMIZE)
    fake = make_fake_powercap(tmp_path, sockets=1, with_core=False, with_dram=False)
    fake.start({"package-0": 20.0})
    try:
        for name in ("c1", "c2"):
            _, proc = make_fake_machine(tmp_path / name, boot_id=BOOT)
            dask_processes.add_worker(env={"FAKE_HOSTNAME": name, "HARNESS_PROCFS_ROOT": str(proc),
                                           "HARNESS_POWERCAP_ROOT": str(fake.root),
                                           "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"),
                                                                          dask_processes.env["PYTHONPATH"]])})
        with dask_processes.client() as client:
            client.wait_for_workers(2, timeout=60)
        spec = quick_spec(tmp_path, algorithms=["decision_tree"], meter="rapl")
        proc = harness("run", spec, "--results-dir", tmp_path / "out", "--cluster", dask_processes.address,
                       HARNESS_POWERCAP_ROOT=str(fake.root))
    finally:
        fake.stop()
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "2 workers on one machine (hosts c1, c2" in proc.stderr and "boot_id 6f1c2d3e" in proc.stderr
    assert not (tmp_path / "out/spam-quick").exists()


def test_the_only_worker_restarted_by_its_nanny_mid_trial_costs_one_trial(tmp_path, dask_processes):
    """Before, the workload scattered to the only worker died with it: every remaining trial was
    cancelled ('already forgotten') and the run ended in a traceback after 1 of 8 rows."""
    (tmp_path / "mods").mkdir()
    (tmp_path / "mods/hb_dies.py").write_text(SUICIDE)
    env = {"HB_MARK_DIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join([str(tmp_path / "mods"), dask_processes.env["PYTHONPATH"]])}
    dask_processes.add_worker(env=env)  # with its nanny, which starts a new worker when this one dies
    spec = quick_spec(tmp_path, algorithms=["decision_tree", {"name": "dies", "class": "hb_dies:DiesOnce"}],
                      sweeps={"rows": {"row_fractions": [0.5, 1.0]}}, repetitions=2,
                      hygiene={"warmup_s": 0, "cooldown_s": 0, "baseline_s": 0, "shuffle": False, "threads": 1})
    proc = harness("run", spec, "--results-dir", tmp_path / "out", "--quiet", "--cluster", dask_processes.address,
                   "--allow-import", "hb_dies", PYTHONPATH_EXTRA=str(tmp_path / "mods"), HB_MARK_DIR=str(tmp_path))
    assert (tmp_path / "died").exists(), proc.stderr  # the worker did die mid-trial
    assert proc.returncode == 0, proc.stderr
    assert sorted(trials(tmp_path / "out")["trial_id"]) == list(range(8))  # every trial once, the lost one rerun


def test_the_scheduler_stopped_mid_run_ends_it_in_one_line(tmp_path, dask_processes):
    """Before: a FutureCancelledError traceback ('scheduler-connection-lost'), exit 1."""
    dask_processes.add_worker()
    spec = quick_spec(tmp_path, algorithms=["decision_tree", "knn"], repetitions=3,
                      hygiene={"warmup_s": 0, "cooldown_s": 0.3, "baseline_s": 0, "shuffle": False, "threads": 1})
    proc = start("run", spec, "--results-dir", tmp_path / "out", "--quiet", "--cluster", dask_processes.address)
    wait_rows(tmp_path / "out/spam-quick/trials.csv", 2, proc)
    scheduler = dask_processes.procs[0]
    scheduler.send_signal(signal.SIGTERM)
    stopped = time.monotonic()
    _, err = proc.communicate(timeout=120)
    assert time.monotonic() - stopped < 60  # not left waiting for a scheduler that is gone
    assert proc.returncode == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "connection to the Dask scheduler" in err and "run the same command again" in err
    assert 2 <= len(trials(tmp_path / "out")) < 36  # the rows written are kept


def test_local_workers_are_spawned_ignoring_ctrl_c():
    # issue 22 item 7: Ctrl-C on --workers 2 printed the driver's line, then a KeyboardInterrupt /
    # CancelledError traceback per worker process; workers now inherit an ignored SIGINT
    import signal
    import subprocess
    import sys

    from harness.run.executors.dask import _ctrl_c_ignored_by_children

    probe = [sys.executable, "-c", "import signal; print(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)"]
    before = signal.getsignal(signal.SIGINT)
    with _ctrl_c_ignored_by_children():
        inside = subprocess.run(probe, capture_output=True, text=True).stdout.strip()
    assert inside == "True" and signal.getsignal(signal.SIGINT) is before
    assert subprocess.run(probe, capture_output=True, text=True).stdout.strip() == "False"
