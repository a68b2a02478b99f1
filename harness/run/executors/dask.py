"""The Dask executor: trials as tasks on Dask distributed workers; the driver writes every row.

Where the workers come from: ``run --workers N`` starts a local cluster of N worker processes (one
thread each), ``--cluster tcp://HOST:8786`` connects to a running scheduler, ``--cluster slurm``
(pbs, sge, lsf) asks dask-jobqueue for workers as batch jobs (``harness.run.executors.jobqueue``).

Measurement integrity:

- every worker gets the resource ``TRIAL_SLOT = 1`` (a worker plugin, so workers that join later get
  it too) and every trial asks for it, so a worker runs one trial at a time whatever its threads;
- with a meter that reads counters concurrent trials would share (rapl, pyrapl, nvml: any meter not
  ``estimated``), a host with more than one worker is refused at start, and each trial also takes
  an exclusive file lock on its host (``host_lock``), so a worker that joins later on a measured
  host waits instead of measuring another trial's energy;
- each worker opens its own meter, measures its own idle baseline and warms up before its first
  trial (``harness.run.executors.bench.Bench``, kept in the worker for the session).

One writer: tasks return rows; the driver appends each as its future completes (``as_completed``).
A worker that dies mid-trial loses only that task, which the scheduler runs again on another
worker; the row is written when a future completes, so once. The feature matrix is scattered once
to every worker (``broadcast=True``) and checked against the driver's sha256 where it lands.
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from typing import Iterator

from harness.errors import ExecutorError, HarnessError, MeterError
from harness.run.executors.base import Executor
from harness.run.executors.bench import Bench, host_facts

TRIAL_SLOT = "harness-trial"
CONNECT_TIMEOUT_S = 30
# Dask's statistical profiler samples every worker thread every 10 ms, in the worker's own process:
# its CPU time lands in every measurement (the estimate meter reads process CPU time; counters see
# it too). Workers started here run without it; other workers are flagged.
PROFILER = "distributed.worker.profile.enabled"
PROFILER_OFF_ENV = "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False"
# Library versions that change what a trial computes: a worker must match the driver.
SAME_VERSIONS = ("harness", "scikit-learn", "numpy", "scipy")


DASK_LOGGERS = ("distributed", "distributed.worker", "distributed.scheduler", "distributed.nanny",
                "distributed.core", "distributed.comm", "dask_jobqueue")


def _silence() -> dict[str, int]:
    """Lower Dask's loggers to ERROR while a cluster runs (its warnings about comms closing and
    workers leaving would flood stderr); returns the levels they had, which ``close`` restores."""
    previous = {}
    for name in DASK_LOGGERS:
        logger = logging.getLogger(name)
        previous[name] = logger.level
        logger.setLevel(logging.ERROR)
    return previous


class DaskExecutor(Executor):
    kind = "dask"
    costly_start = True  # a cluster to start, a scheduler to reach, jobs to submit

    def __init__(self, spec, workers: int | None = None, cluster: str | None = None):
        self.spec, self.n_workers, self.cluster_arg = spec, workers, cluster
        self.cluster = self.client = None
        self.hosts: dict = {}
        self.workers: dict = {}  # worker address -> probe facts
        self._done_by: Counter = Counter()
        self._futures: list = []
        self._session = uuid.uuid4().hex
        self._log_levels: dict[str, int] = {}  # Dask's logger levels before start, back at close

    # --- start: a cluster, then a probe of every worker, before anything is written -------------
    def start(self) -> None:
        self._log_levels = self._log_levels or _silence()
        from distributed import Client

        if self.n_workers is not None:
            from distributed import LocalCluster

            import dask

            # dashboard ":0": the scheduler's HTTP server starts even without a dashboard, on 8787 by
            # default, and Dask warns on stderr when another cluster holds that port.
            with dask.config.set({PROFILER: False}):  # the workers' config is copied from here
                self.cluster = LocalCluster(n_workers=self.n_workers, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address=":0", silence_logs=logging.ERROR,
                                            resources={TRIAL_SLOT: 1})
            self.client = Client(self.cluster)
        elif "://" in self.cluster_arg:
            try:
                self.client = Client(self.cluster_arg, timeout=CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError) as e:
                raise ExecutorError(f"--cluster {self.cluster_arg}: no Dask scheduler answers there "
                                    f"({e.__class__.__name__}); start one with 'dask scheduler' and its workers "
                                    f"with 'dask worker {self.cluster_arg} --nworkers 1 --nthreads 1'") from None
        else:
            from harness.run.executors.jobqueue import make_cluster

            self.cluster = make_cluster(self.cluster_arg, self.spec.cluster)
            self.cluster.scale(jobs=self.spec.cluster.jobs)
            self.client = Client(self.cluster)
        self.client.register_plugin(TrialSlot(), name="harness-trial-slot")
        if not self.client.scheduler_info()["workers"]:
            print(f"waiting for Dask workers at {self.client.scheduler.address} ...", flush=True)
        try:
            self.client.wait_for_workers(1, timeout=None if self.cluster_arg in (None, *_jobqueue_kinds())
                                         else CONNECT_TIMEOUT_S)
        except TimeoutError:
            raise ExecutorError(f"--cluster {self.cluster_arg}: no worker joined the scheduler within "
                                f"{CONNECT_TIMEOUT_S} s; start one with 'dask worker {self.cluster_arg} "
                                "--nworkers 1 --nthreads 1'") from None
        if self.n_workers is not None:
            self.client.wait_for_workers(self.n_workers)
        self._check(self.client.run(probe, self.spec.meter_names, self.spec.meter_options()))

    def _check(self, probes: dict) -> None:
        """Refuse what would give wrong numbers: a worker that cannot open the meter, workers that
        picked different meters or run other library versions, or two trial slots on one host with
        a counter meter."""
        from harness.hygiene.provenance import library_versions

        mine = library_versions()
        for addr, p in probes.items():
            if p.get("error"):
                raise MeterError(f"worker {addr} on {p['host']}: {p['error']}")
            other = {k: p["versions"].get(k) for k in SAME_VERSIONS if p["versions"].get(k) != mine.get(k)}
            if other:
                k = next(iter(other))
                raise ExecutorError(f"worker {addr} on {p['host']} runs {k} {other[k]}, the driver {mine.get(k)}; "
                                    "install the same versions everywhere (results would differ)")
        names = {p["meter"]["name"] for p in probes.values()}
        if len(names) > 1:
            listed = ", ".join(sorted(f"{p['host']}: {p['meter']['name']}" for p in probes.values()))
            raise MeterError(f"workers picked different meters ({listed}); name one with --meter or the spec's meter")
        first = next(iter(probes.values()))
        per_host = Counter(p["host"] for p in probes.values())
        if not first["meter"]["estimated"]:
            crowded = sorted(h for h, n in per_host.items() if n > 1)
            if crowded:
                raise ExecutorError(
                    f"{per_host[crowded[0]]} workers on host {crowded[0]} with meter {first['meter']['name']}: "
                    "concurrent trials would measure each other's energy; run one worker per host "
                    "(--workers 1, or 'dask worker ... --nworkers 1') or use --meter estimate")
        self.workers = probes
        self.meter_name = first["meter"]["name"]
        self.meter_info = {**first["meter"]["describe"], "name": self.meter_name,
                           "estimated": first["meter"]["estimated"], "selection": first["meter"]["summary"],
                           "not_used": first["meter"]["not_used"]}
        for p in probes.values():
            entry = self.hosts.setdefault(p["host"], {k: p[k] for k in ("cpu_model", "cpu_count", "os", "python")})
            entry.update({"meter": p["meter"]["name"], "meter_summary": p["meter"]["summary"],
                          "dask_profiler": p.get("profiler", False),
                          "workers": per_host[p["host"]], "concurrent_trials": per_host[p["host"]]})
            entry.setdefault("baselines", {})

    def summary(self, short: bool = False) -> str:
        hosts = Counter(p["host"] for p in self.workers.values())
        where = ", ".join(f"{h} ({n} worker{'s' if n > 1 else ''})" for h, n in sorted(hosts.items()))
        first = next(iter(self.workers.values()))["meter"]["summary"]
        line = f"{first}\ndask: {len(self.workers)} worker(s) on {len(hosts)} host(s): {where}"
        if any(n > 1 for n in hosts.values()):
            line += "; trials run concurrently on a host (estimated energy: per-process CPU time)"
        profiled = sorted(f"{p['host']}" for p in self.workers.values() if p.get("profiler", False))
        if profiled:
            line += (f"\nwarning: Dask's profiler runs in {len(profiled)} worker(s) ({', '.join(profiled)}); its CPU "
                     f"time is measured with every trial: start workers with {PROFILER_OFF_ENV}")
        return line

    def describe(self) -> dict:
        where = self.cluster_arg or f"local cluster of {self.n_workers} worker processes"
        return {"kind": self.kind, "cluster": where, "workers": len(self.workers),
                "scheduler": self.client.scheduler.address if self.client else None}

    # --- map: submit everything, yield rows as futures complete ----------------------------------
    def map(self, workload, trials, known_baseline: dict | None = None, announce=None) -> Iterator[dict]:
        from distributed import KilledWorker, as_completed

        if not trials:
            return
        shipped = self.client.scatter(workload, broadcast=True, hash=False)
        exclusive = not self.meter_info["estimated"]
        self._futures = [self.client.submit(run_on_worker, shipped, t, exclusive, resources={TRIAL_SLOT: 1},
                                            key=f"harness-trial-{t.trial_id}-{workload.session}", pure=False)
                         for t in trials]
        for future in as_completed(self._futures):
            try:
                rows, report = future.result()  # a unit's own exception is raised here, as it would be locally
            except KilledWorker as e:
                raise ExecutorError(f"a trial's task ({e.task}) ended every worker that ran it (out of memory?); "
                                    "give workers more memory or run that configuration locally") from None
            if rows.row["meter"] != self.meter_name:  # a worker that joined after the start-up checks
                raise MeterError(f"worker {report['label']} measured with {rows.row['meter']}, the run with "
                                 f"{self.meter_name}; give that host the same meter, or name one with --meter")
            self._record(report)
            future.release()
            yield rows

    def _record(self, report: dict) -> None:
        entry = self.hosts.setdefault(report["host"], {**report["facts"], "meter": self.meter_name,
                                                       "workers": 1, "concurrent_trials": 1})
        entry.setdefault("baselines", {})[report["worker"]] = report["baseline"]
        # a worker that joined this host after the start-up probes counts too
        entry["workers"] = max(entry.get("workers", 1), len(entry["baselines"]))
        self._done_by[report["label"]] += 1

    def activity(self) -> str:
        return " ".join(f"{label}:{n}" for label, n in sorted(self._done_by.items()))

    def close(self) -> None:
        try:
            if self.client is not None:
                if self._futures:
                    self.client.cancel(self._futures)
                try:
                    self.client.run(close_benches, self._session)
                except Exception:  # noqa: BLE001 - workers gone already: nothing left to close
                    pass
                self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        finally:
            self.client = self.cluster = None
            for name, level in self._log_levels.items():
                logging.getLogger(name).setLevel(level)
            self._log_levels = {}


def _jobqueue_kinds():
    from harness.run.executors.base import JOBQUEUE_KINDS

    return JOBQUEUE_KINDS


# --- on the workers ----------------------------------------------------------------------------

try:
    from distributed import WorkerPlugin as _PluginBase
except ImportError:  # Dask is optional; this module is imported only once it is installed
    _PluginBase = object


class TrialSlot(_PluginBase):
    """Gives every worker, present or joining later, one ``TRIAL_SLOT``: one trial at a time each."""

    name = "harness-trial-slot"

    async def setup(self, worker):
        if worker.state.total_resources.get(TRIAL_SLOT) != 1:
            await worker.set_resources(**{TRIAL_SLOT: 1})


def probe(meter_names, options, dask_worker=None) -> dict:
    """On a worker: its host facts, library versions, threads, and whether the meter opens here
    (opened, described, closed). Errors come back as text for the driver to report."""
    from harness.meters import open_meter
    from harness.hygiene.provenance import library_versions

    import dask

    facts = {**host_facts(), "versions": library_versions(), "nthreads": dask_worker.state.nthreads,
             "profiler": bool(dask.config.get(PROFILER, True))}
    try:
        sel = open_meter(meter_names, options)
    except HarnessError as e:
        return {**facts, "error": str(e)}
    try:
        m = sel.meter
        facts["meter"] = {"name": m.name, "estimated": m.estimated, "summary": sel.summary(),
                          "not_used": sel.reasons, "describe": m.describe()}
    finally:
        sel.meter.close()
    return facts


def host_lock_path() -> Path:
    """One lock file per host for trials measured with shared counters (node-local: /dev/shm)."""
    base = Path("/dev/shm") if os.path.isdir("/dev/shm") else Path(tempfile.gettempdir())
    return base / f"harness-measured-host-{os.getuid()}.lock"


class host_lock:
    """Exclusive flock on ``host_lock_path()`` for one trial; released by the kernel if the process dies."""

    def __enter__(self):
        import fcntl

        self._f = open(host_lock_path(), "a")
        fcntl.flock(self._f.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self._f.close()


def _benches(worker) -> dict:
    if not hasattr(worker, "_harness_benches"):
        worker._harness_benches = {}
    return worker._harness_benches


def run_on_worker(workload, trial, exclusive: bool):
    """The task: this worker's bench (made on its first trial of the session: matrix check, meter,
    baseline, warm-up) runs one unit (a trial or a search). Returns (rows, report): the unit's
    ``harness.run.study.Rows``; report names the host, the
    worker and its baseline."""
    from contextlib import nullcontext

    from distributed import get_worker

    worker = get_worker()
    benches = _benches(worker)
    lock = host_lock() if exclusive else nullcontext()
    with lock:
        bench = benches.get(workload.session)
        if bench is None:
            bench = benches[workload.session] = Bench(workload)
            bench.prepare()
        rows = bench.run(trial)
    name = str(worker.name)
    return rows, {"host": bench.host, "worker": name, "baseline": bench.baseline, "facts": bench.facts,
                 "label": f"{bench.host}/{name}"}


def close_benches(session: str, dask_worker=None) -> None:
    bench = _benches(dask_worker).pop(session, None)
    if bench is not None:
        bench.close()
