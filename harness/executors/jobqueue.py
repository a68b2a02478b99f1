"""Workers as batch jobs through dask-jobqueue (Slurm, PBS, SGE, LSF), from the spec's ``cluster:``.

Each job runs one Dask worker process (``processes=1``) holding the job's ``cores``; the Dask
executor gives every worker one trial slot, so a job runs one trial at a time. The scheduler runs
in the driver process (on the login node), so the driver must stay up for the run (use ``tmux`` or
``screen``, or submit the driver itself as a job).
"""

from __future__ import annotations

import shutil

from harness.errors import ExecutorError

# Dask's profiler would add its CPU time to every measurement (see harness.executors.dask).
PROFILER_OFF_ENV = "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False"

JOB_CLASSES = {"slurm": "SLURMJob", "pbs": "PBSJob", "sge": "SGEJob", "lsf": "LSFJob"}
CLUSTER_CLASSES = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster"}


def job_options(kind: str, cluster_spec) -> dict:
    """dask-jobqueue keyword arguments for one worker job from a ``ClusterSpec``."""
    c = cluster_spec
    opts = {"cores": c.cores, "memory": c.memory, "processes": 1, "walltime": c.walltime,
            "job_extra_directives": list(c.job_directives),
            "job_script_prologue": [f"export {PROFILER_OFF_ENV}", *c.prologue],
            "job_name": "harness-worker"}
    for key in ("queue", "interface", "python", "local_directory"):
        value = getattr(c, key)
        if value is not None:
            opts[key] = value
    if c.account is not None:
        opts["project" if kind in ("sge", "lsf") else "account"] = c.account
    return opts


def job_script(kind: str, cluster_spec, scheduler: str = "tcp://SCHEDULER:8786") -> str:
    """The batch script one worker job runs (what ``--cluster KIND`` submits, ``jobs`` times)."""
    import dask_jobqueue

    cls = getattr(dask_jobqueue, CLUSTER_CLASSES[kind]).job_cls
    try:
        return cls(scheduler=scheduler, name="harness-worker", **job_options(kind, cluster_spec)).job_script()
    except (ValueError, TypeError) as e:
        raise ExecutorError(f"cluster: dask-jobqueue refuses these settings for {kind} ({e})") from None


def make_cluster(kind: str, cluster_spec):
    """A dask-jobqueue cluster (its scheduler runs here; no job is submitted until ``scale``).
    Raises ExecutorError when the batch system's submit command (sbatch, qsub, bsub) is not on PATH."""
    import dask_jobqueue

    cls = getattr(dask_jobqueue, CLUSTER_CLASSES[kind])
    submit = cls.job_cls.submit_command
    if shutil.which(submit) is None:  # dask-jobqueue would log a traceback and wait for workers forever
        raise ExecutorError(f"--cluster {kind}: {submit} not found on PATH; run the command on the cluster's "
                            f"login node (after e.g. 'module load {kind}'), or use --dry-run to see the job script")
    try:
        return cls(**job_options(kind, cluster_spec))
    except (ValueError, TypeError) as e:
        raise ExecutorError(f"cluster: dask-jobqueue refuses these settings for {kind} ({e})") from None
