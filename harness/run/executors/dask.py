"""The Dask executor: trials as tasks on Dask distributed workers; the driver writes every row.

Where the workers come from: ``run --workers N`` starts a local cluster of N worker processes (one
thread each), ``--cluster tcp://HOST:8786`` connects to a running scheduler, ``--cluster slurm``
(pbs, sge, lsf) asks dask-jobqueue for workers as batch jobs (``harness.run.executors.jobqueue``).

Measurement integrity:

- every worker gets the resource ``TRIAL_SLOT = 1`` (a worker plugin, so workers that join later get
  it too) and every trial asks for it, so a worker runs one trial at a time whatever its threads;
- a measured machine is one kernel, not one hostname: containers of one server have hostnames
  (and ``/dev/shm``) of their own but share the kernel's ``boot_id`` and its RAPL packages and GPUs,
  so workers are grouped by ``boot_id`` (``harness.hygiene.machine.machine_identity``, recorded in
  the manifest's ``hosts``);
- with a meter that reads counters concurrent trials would share (rapl, pyrapl, nvml, alone or as a
  part of a combined meter such as ``estimate+nvml``: ``reads_counters``), a machine with more than one worker is refused at start, and so is more than one
  worker where a worker's ``boot_id`` cannot be read (whether two share a machine cannot be told);
  each trial also holds a Dask lock named after its machine (``machine_lock``: the scheduler keeps
  it, so it holds across containers) and an exclusive file lock on its host (``host_lock``: also
  against another scheduler's workers there), so a worker that joins later on a measured machine
  waits instead of measuring another trial's energy (a lock held by a worker that died is freed by
  the scheduler after its lease timeout, ``distributed.scheduler.locks.lease-timeout``, 30 s);
- each worker opens its own meter, measures its own idle baseline and warms up before its first
  trial (``harness.run.executors.bench.Bench``, kept in the worker for the session).

One writer: tasks return rows; the driver appends each as its future completes (``as_completed``).
A worker that dies mid-trial (killed, or restarted by its nanny for its memory limit) loses only
that task, which the scheduler runs again on another worker or on the restarted one; the row is
written when a future completes, so once. The workload (feature matrix, protocol, algorithms) is not
scattered: data scattered to workers that all die is lost for good and every trial needing it is
cancelled (dask/distributed#4400, #6074). It travels inside a task (``hold``) whose specification
the scheduler keeps, so a new worker recomputes it; its sha256 is checked against the driver's
where it lands. What cannot continue (the scheduler stopped or restarted: every future is cancelled,
dask/distributed#8690, #403; a trial that ended every worker running it) ends the run with one line
(ExecutorError); the rows written stay, and the same command resumes.
"""

from __future__ import annotations

import contextlib

import logging
import os
import socket
import tempfile
import uuid
from collections import Counter, defaultdict
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
# What the manifest's ``hosts`` keeps of a worker's host facts (``bench.host_facts``).
HOST_FACTS = ("cpu_model", "cpu_count", "os", "python", "boot_id", "machine_id", "container")
LARGE_GRAPH = "distributed.admin.large-graph-warning-threshold"
CLOSE_TIMEOUT_S = 5


DASK_LOGGERS = ("distributed", "distributed.worker", "distributed.scheduler", "distributed.nanny",
                "distributed.core", "distributed.comm", "dask_jobqueue")


def _silence() -> dict[str, int]:
    """Silence Dask's loggers while a cluster runs: its warnings about comms closing and workers
    leaving, and the errors it logs while reconnecting to a scheduler that went away, would flood
    stderr; what they mean reaches the driver as an exception, said in one line. Returns the levels
    they had, which ``close`` restores."""
    previous = {}
    names = {*DASK_LOGGERS, *(n for n in logging.root.manager.loggerDict if n.startswith("distributed."))}
    for name in sorted(names):
        logger = logging.getLogger(name)
        previous[name] = logger.level
        logger.setLevel(logging.CRITICAL)
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
        self._scheduler_lost = False
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
            # The worker processes ignore Ctrl-C: it reaches the whole terminal process group, and the
            # driver alone answers it (one line, then it closes the cluster); a worker that took it too
            # printed a KeyboardInterrupt/CancelledError traceback each. SIG_IGN survives the spawn.
            with dask.config.set({PROFILER: False}), _ctrl_c_ignored_by_children():  # workers' config is copied from here
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
        if first["meter"].get("counters", not first["meter"]["estimated"]):
            refuse_shared_machines(probes, first["meter"]["name"])
        self.workers = probes
        self.meter_name = first["meter"]["name"]
        self.meter_info = {**first["meter"]["describe"], "name": self.meter_name,
                           "estimated": first["meter"]["estimated"], "selection": first["meter"]["summary"],
                           "counters": first["meter"].get("counters", not first["meter"]["estimated"]),
                           "not_used": first["meter"]["not_used"]}
        for p in probes.values():
            entry = self.hosts.setdefault(p["host"], {k: p.get(k) for k in HOST_FACTS})
            entry.update({"meter": p["meter"]["name"], "meter_summary": p["meter"]["summary"],
                          "dask_profiler": p.get("profiler", False),
                          "workers": per_host[p["host"]], "concurrent_trials": per_host[p["host"]]})
            entry.setdefault("baselines", {})

    def summary(self, short: bool = False) -> str:
        hosts = Counter(p["host"] for p in self.workers.values())
        where = ", ".join(f"{h} ({n} worker{'s' if n > 1 else ''})" for h, n in sorted(hosts.items()))
        first = next(iter(self.workers.values()))["meter"]["summary"]
        line = f"{first}\ndask: {len(self.workers)} worker(s) on {len(hosts)} host(s): {where}"
        machines = _by_machine(self.workers)
        shared = sorted(sorted({p["host"] for p in ps}) for ps in machines.values() if len({p["host"] for p in ps}) > 1)
        if shared:
            line += "; one machine (one kernel boot_id: containers of one server): " + "; ".join(
                ", ".join(hs) for hs in shared)
        if any(len(ps) > 1 for ps in machines.values()):
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
        from distributed import KilledWorker, as_completed, wait
        from distributed.comm import CommClosedError
        from distributed.protocol.pickle import dumps
        from distributed.utils import CancelledError

        import dask

        if not trials:
            return
        exclusive = self.meter_info["counters"]
        address = self.client.scheduler.address
        try:
            # In a task, not scattered: the scheduler keeps the task's specification, so a worker that
            # joins after every holder of the workload died (a nanny's restart) recomputes it. Its
            # size is known and wanted in the graph: Dask's hint to scatter it instead is not printed.
            # Pickled here: the scheduler unpickles the graphs it is given, and need not import what
            # a workload holds (a user's estimator module, on the workers' path only).
            blob = dumps(workload)
            with dask.config.set({LARGE_GRAPH: "1 PiB"}):
                held = self.client.submit(hold, blob, key=f"harness-workload-{workload.session}", pure=False)
            # Held before the trials are submitted: the scheduler takes graphs in concurrently, and a
            # trial's graph that arrives before the workload's is cancelled ("lost dependencies").
            wait([held])
            self._futures = [held] + [
                self.client.submit(run_on_worker, held, t, exclusive, resources={TRIAL_SLOT: 1},
                                   key=f"harness-trial-{t.trial_id}-{workload.session}", pure=False)
                for t in trials]
        except (CommClosedError, OSError) as e:  # the scheduler went away since the start
            raise self._lost(address, 0, len(trials), e.__class__.__name__) from None
        done = 0
        for future in as_completed(self._futures[1:]):
            try:
                rows, report = future.result()  # a unit's own exception is raised here, as it would be locally
            except KilledWorker as e:
                raise ExecutorError(f"a trial's task ({e.task}) ended every worker that ran it (out of memory?); "
                                    "give workers more memory or run that configuration locally") from None
            except CancelledError as e:  # FutureCancelledError: the scheduler (or the connection) dropped it
                raise self._lost(address, done, len(trials), getattr(e, "reason", None)) from None
            if rows.row["meter"] != self.meter_name:  # a worker that joined after the start-up checks
                raise MeterError(f"worker {report['label']} measured with {rows.row['meter']}, the run with "
                                 f"{self.meter_name}; give that host the same meter, or name one with --meter")
            self._record(report)
            future.release()
            done += 1
            yield rows

    def _lost(self, address: str, done: int, total: int, reason: str | None) -> ExecutorError:
        """The one line for a session that cannot go on because Dask dropped its trials."""
        self._scheduler_lost = True
        if reason in ("scheduler-connection-lost", "CommClosedError", "OSError", "ConnectionRefusedError"):
            what = f"the connection to the Dask scheduler at {address} was lost (stopped or restarted?)"
        else:
            what = f"the Dask scheduler at {address} cancelled this session's trials ({reason or 'no reason given'})"
        return ExecutorError(f"{what} after {done} of {total} trials of this session; the rows written are kept: "
                             "once the scheduler and its workers are up, run the same command again to resume")

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
                if self._scheduler_lost:  # its futures and the workers' benches went with it
                    self.client.close(timeout=CLOSE_TIMEOUT_S)
                else:
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


def _by_machine(probes: dict) -> dict:
    """Workers' probes grouped by machine: the kernel's ``boot_id``, else (unreadable) the hostname."""
    groups = defaultdict(list)
    for p in probes.values():
        groups[p.get("boot_id") or f"host {p['host']}"].append(p)
    return groups


def reads_counters(meter) -> bool:
    """Whether ``meter`` (or a part of a combined one) reads counters that concurrent trials on one
    machine would share: ``estimate+nvml`` is ``estimated`` (a part is) yet its GPU counter is shared."""
    return any(not part.estimated for part in getattr(meter, "meters", [meter]))


def refuse_shared_machines(probes: dict, meter: str) -> None:
    """For a counter meter (``meter``): raise ExecutorError when two workers run on one machine (one
    kernel ``boot_id``, whatever their hostnames: containers of one server share its RAPL packages
    and GPUs), or when there are several workers and one's ``boot_id`` cannot be read (whether it
    shares a machine with another cannot be told). ``probes``: worker address -> ``probe()``."""
    unknown = sorted(f"{addr} on {p['host']}" for addr, p in probes.items() if not p.get("boot_id"))
    if unknown and len(probes) > 1:
        raise ExecutorError(
            f"worker {unknown[0]}: the kernel's boot_id (/proc/sys/kernel/random/boot_id) cannot be read there, so "
            f"whether it shares a machine (RAPL package, GPU) with the {len(probes) - 1} other worker(s) cannot be "
            f"told and meter {meter} could count another trial's energy; run one worker in all, or use --meter estimate")
    for key, ps in sorted(_by_machine(probes).items()):
        if len(ps) < 2:
            continue
        hosts = sorted({p["host"] for p in ps})
        where = (f"host {hosts[0]}" if len(hosts) == 1 else
                 f"one machine (hosts {', '.join(hosts)}: one kernel boot_id {key[:8]}..., containers of one server)")
        raise ExecutorError(f"{len(ps)} workers on {where} with meter {meter}: concurrent trials would measure each "
                            "other's energy; run one worker per machine (--workers 1, or 'dask worker ... --nworkers 1' "
                            "in one container per server) or use --meter estimate")


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
        facts["meter"] = {"name": m.name, "estimated": m.estimated, "counters": reads_counters(m),
                          "summary": sel.summary(),
                          "not_used": sel.reasons, "describe": m.describe()}
    finally:
        sel.meter.close()
    return facts


def hold(blob: bytes):
    """The task that holds the workload on the workers (see the module's docstring): the workload,
    unpickled from ``blob``."""
    from distributed.protocol.pickle import loads

    return loads(blob)


class machine_lock:
    """A Dask lock (kept by the scheduler) named after this worker's machine: its kernel ``boot_id``,
    the same in every container of one server; the hostname where it cannot be read (then
    ``refuse_shared_machines`` has allowed a single worker only)."""

    def __init__(self):
        from harness.hygiene.machine import boot_id

        self.name = f"harness-measured-machine-{boot_id() or 'host-' + socket.gethostname()}"

    def __enter__(self):
        from distributed import Lock

        self._lock = Lock(self.name)
        self._lock.acquire()
        return self

    def __exit__(self, *exc):
        lock, self._lock = self._lock, None
        lock.release()  # dropped then: its lease refresher stops (not close(): that would end it for all)


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
    from contextlib import ExitStack

    from distributed import get_worker

    worker = get_worker()
    benches = _benches(worker)
    with ExitStack() as locks:
        if exclusive:  # one machine-wide, then one on this host's /dev/shm (other schedulers' workers)
            locks.enter_context(machine_lock())
            locks.enter_context(host_lock())
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


@contextlib.contextmanager
def _ctrl_c_ignored_by_children():
    """SIGINT ignored while local worker processes are spawned (they inherit the disposition and
    Python leaves an ignored SIGINT ignored), then the driver's handler back. In a thread other
    than the main one signals cannot be set: nothing is changed."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
