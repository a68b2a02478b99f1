"""Executors decide where units of work (trials, tuning searches) run; they only map units to rows.

- ``local`` (the default): every trial in this process, one after another.
- ``dask``: trials as tasks on Dask distributed workers: a local cluster of worker processes
  (``run --workers N``), an existing scheduler (``--cluster tcp://HOST:8786``), or workers started
  as batch jobs through dask-jobqueue (``--cluster slurm|pbs|sge|lsf``, configured in the spec's
  ``cluster:`` section; ``harness.run.executors.jobqueue``).

The runner hands an executor the units still to do and appends the rows each yields; the driver is
the only writer of the run's files and the manifest whatever the executor. Dask is imported only when a
Dask executor is started.
"""

from __future__ import annotations

from harness.errors import ExecutorError
from harness.run.executors.base import COUNTER_METERS, JOBQUEUE_KINDS, Executor  # noqa: F401

__all__ = ["Executor", "make_executor", "JOBQUEUE_KINDS"]

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
        from harness.run.executors.local import LocalExecutor

        return LocalExecutor(spec)
    if cluster is not None and cluster not in JOBQUEUE_KINDS and "://" not in cluster:
        raise ExecutorError(f"--cluster {cluster!r}: give a scheduler address such as tcp://HOST:8786 "
                            f"or one of {', '.join(JOBQUEUE_KINDS)}")
    if cluster in JOBQUEUE_KINDS and spec.cluster is None:
        raise ExecutorError(f"--cluster {cluster}: the spec has no 'cluster:' section; add one with at least "
                            "cores, memory and walltime (see docs/how-to/cluster.md)")
    try:
        import distributed  # noqa: F401
        if cluster in JOBQUEUE_KINDS:
            import dask_jobqueue  # noqa: F401
    except ImportError as e:
        raise ExecutorError(f"--workers/--cluster need Dask ({e.name} is not installed); "
                            "pip install -e '.[dask]'") from None
    if cluster in JOBQUEUE_KINDS:  # settings dask-jobqueue or the batch system would refuse: before anything
        from harness.run.executors.jobqueue import job_script

        job_script(cluster, spec.cluster)
    from harness.run.executors.dask import DaskExecutor

    return DaskExecutor(spec, workers=workers, cluster=cluster)
