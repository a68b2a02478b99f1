"""Executors decide where trials run; they only map trials to rows.

- ``local`` (the default): every trial in this process, one after another.
- ``dask``: trials as tasks on Dask distributed workers: a local cluster of worker processes
  (``run --workers N``), an existing scheduler (``--cluster tcp://HOST:8786``), or workers started
  as batch jobs through dask-jobqueue (``--cluster slurm|pbs|sge|lsf``, configured in the spec's
  ``cluster:`` section; ``harness.executors.jobqueue``).

The runner hands an executor the trials still to do and appends each row it yields; the driver is
the only writer of trials.csv and the manifest whatever the executor. Dask is imported only when a
Dask executor is started.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Iterator

from harness.errors import ExecutorError

__all__ = ["Executor", "make_executor", "JOBQUEUE_KINDS"]

JOBQUEUE_KINDS = ("slurm", "pbs", "sge", "lsf")
# Meters that read counters shared by everything on a host (package, GPU): one trial per host.
COUNTER_METERS = ("rapl", "pyrapl", "nvml")


class Executor(ABC):
    """Where trials run.

    ``start()`` opens the meter(s) where trials will run and raises a HarnessError (before anything
    is written) when they cannot be used; then ``meter_name``, ``meter_info`` (manifest "meter"),
    ``summary()`` and ``hosts`` are set. ``map(workload, trials, known_baseline)`` yields one row per
    trial as each finishes, in any order; ``hosts`` (hostname -> facts, meter and idle baseline) is
    kept up to date for the manifest. ``close()`` is safe to call twice.
    """

    kind: str = "executor"
    # start() may take long or act elsewhere (connect to a scheduler, submit batch jobs): the
    # runner then makes every read-only check and takes the run's lock before calling it.
    costly_start: bool = False
    meter_name: str
    meter_info: dict
    hosts: dict

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def summary(self, short: bool = False) -> str:
        """What the run's first line(s) say: the meter(s) and where trials run (``short``: the
        meter's reasons without their fixes, for ``--quiet``)."""

    def describe(self) -> dict:
        """JSON-able facts for the manifest's ``executor``."""
        return {"kind": self.kind}

    @abstractmethod
    def map(self, workload, trials, known_baseline: dict | None = None, announce=None) -> Iterator[dict]:
        """Rows as trials finish; ``announce(line)`` is called with what the run should print
        before its first trial (the cool-down rule)."""

    def reference_meter(self):
        """A meter whose ``resolution()`` the manifest records (hygiene); None-resolution when
        trials are measured elsewhere."""
        return _Unresolved()

    def activity(self) -> str:
        """A few words on what the executor is doing now, for the progress bar."""
        return ""

    def close(self) -> None:
        pass


class _Unresolved:
    """Stands in for meters that live on the workers: the resolution is per worker (per-phase flags
    in each row), not one number for the run."""

    def resolution(self):
        return None


def check_local_workers(workers: int | None, counters: list[str]) -> None:
    """Refuse ``--workers N`` (N > 1, all on this host) with meters that read shared counters
    (``counters``: their names, e.g. from the spec, or the meter ``auto`` opened). Raises ExecutorError."""
    if workers is not None and workers > 1 and counters:
        import socket

        raise ExecutorError(f"{workers} workers on host {socket.gethostname()} with meter {'+'.join(counters)}: "
                            "concurrent trials would measure each other's energy; use --workers 1, one worker "
                            "per host (--cluster), or --meter estimate")


def make_executor(spec, workers: int | None = None, cluster: str | None = None) -> Executor:
    """The executor for ``run --workers N`` or ``--cluster ADDRESS|slurm|pbs|sge|lsf``; the local
    one when neither is given. Nothing is started yet. Raises ExecutorError for a bad choice."""
    if workers is not None and cluster is not None:
        raise ExecutorError("--workers and --cluster: give one (--workers N starts a local Dask cluster)")
    if workers is not None and workers < 1:
        raise ExecutorError(f"--workers: must be at least 1 (got {workers})")
    check_local_workers(workers, [n for n in spec.meter_names if n in COUNTER_METERS])
    if workers is None and cluster is None:
        from harness.executors.local import LocalExecutor

        return LocalExecutor(spec)
    if cluster is not None and cluster not in JOBQUEUE_KINDS and "://" not in cluster:
        raise ExecutorError(f"--cluster {cluster!r}: give a scheduler address such as tcp://HOST:8786 "
                            f"or one of {', '.join(JOBQUEUE_KINDS)}")
    if cluster in JOBQUEUE_KINDS and spec.cluster is None:
        raise ExecutorError(f"--cluster {cluster}: the spec has no 'cluster:' section; add one with at least "
                            "cores, memory and walltime (see the README's 'Scale out')")
    try:
        import distributed  # noqa: F401
        if cluster in JOBQUEUE_KINDS:
            import dask_jobqueue  # noqa: F401
    except ImportError as e:
        raise ExecutorError(f"--workers/--cluster need Dask ({e.name} is not installed); "
                            "pip install -e '.[dask]'") from None
    if cluster in JOBQUEUE_KINDS:  # settings dask-jobqueue or the batch system would refuse: before anything
        from harness.executors.jobqueue import job_script

        job_script(cluster, spec.cluster)
    from harness.executors.dask import DaskExecutor

    return DaskExecutor(spec, workers=workers, cluster=cluster)
