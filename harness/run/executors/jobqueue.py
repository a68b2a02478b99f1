"""Workers as batch jobs through dask-jobqueue (Slurm, PBS, SGE, LSF), from the spec's ``cluster:``.

Each job runs one Dask worker process (``processes=1``) holding the job's ``cores``; the Dask
executor gives every worker one trial slot, so a job runs one trial at a time. The scheduler runs
in the driver process (on the login node), so the driver must stay up for the run (use ``tmux`` or
``screen``, or submit the driver itself as a job).
"""

from __future__ import annotations

import shutil

from harness.errors import ExecutorError, SpecError

# Dask's profiler would add its CPU time to every measurement (see harness.run.executors.dask).
PROFILER_OFF_ENV = "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False"

JOB_CLASSES = {"slurm": "SLURMJob", "pbs": "PBSJob", "sge": "SGEJob", "lsf": "LSFJob"}
CLUSTER_CLASSES = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster"}


# Each system's exclusive-node directive, for the messages and the README.
EXCLUSIVE = {"slurm": "--exclusive", "pbs": "-l place=excl (PBS Pro) or -n (Torque)",
             "sge": "site-specific (ask your admins; some sites: -l exclusive=true)", "lsf": "-x"}
PREFIX = {"slurm": "#SBATCH", "pbs": "#PBS", "sge": "#$", "lsf": "#BSUB"}


def check_directives(kind: str, directives) -> None:
    """Refuse ``job_directives`` that obviously belong elsewhere: a line with its own ``#``
    prefix (harness adds it), or a Slurm long option (``--exclusive``) for PBS, SGE or LSF, whose
    submit commands have none. Raises SpecError."""
    for d in directives:
        text = d.strip()
        if text.startswith("#"):
            raise SpecError(f"cluster.job_directives: {d!r}: give the option only, without '#...': harness writes "
                            f"'{PREFIX[kind]} ' before each")
        if kind != "slurm" and text.startswith("--"):
            raise SpecError(f"cluster.job_directives: {d!r} is Slurm syntax, not {kind}'s (it would be written "
                            f"'{PREFIX[kind]} {text}'); exclusive node on {kind}: {EXCLUSIVE[kind]}")


def job_options(kind: str, cluster_spec) -> dict:
    """dask-jobqueue keyword arguments for one worker job from a ``ClusterSpec``. Raises SpecError
    for settings the batch system ``kind`` cannot take.

    The worker's Python: the spec's ``python``; else plain ``python`` when a ``prologue`` is given
    (it sets up the nodes' environment: ``source venv/bin/activate``, ``module load``), else
    dask-jobqueue's default, the driver's own interpreter (``sys.executable``: right when the nodes
    share the driver's file system and environment)."""
    c = cluster_spec
    check_directives(kind, c.job_directives)
    if kind == "sge" and c.resource_spec is None:  # SGE has no standard names for cores and memory
        raise SpecError("cluster.resource_spec: SGE jobs request cores and memory through site-specific "
                        f"resources; set it to what your site uses for {c.cores} core(s) and {c.memory}, e.g. "
                        f"'h_vmem={c.memory.replace(' ', '').rstrip('B').rstrip('i')}' (and a parallel environment "
                        f"in job_directives, e.g. '-pe smp {c.cores}')")
    if c.resource_spec is not None and kind not in ("pbs", "sge"):
        raise SpecError(f"cluster.resource_spec: only PBS and SGE jobs take one (-l); {kind} requests cores and "
                        "memory from cores: and memory:; remove it")
    walltime = c.walltime
    if kind == "lsf":  # bsub -W takes [hours:]minutes: round the seconds up
        h, m, sec = map(int, walltime.split(":"))
        m += sec > 0
        walltime = f"{h + m // 60:02d}:{m % 60:02d}"
    opts = {"cores": c.cores, "memory": c.memory, "processes": 1, "walltime": walltime,
            "job_extra_directives": list(c.job_directives),
            "job_script_prologue": [f"export {PROFILER_OFF_ENV}", *c.prologue],
            "job_name": "harness-worker"}
    for key in ("queue", "interface", "python", "local_directory", "resource_spec"):
        value = getattr(c, key)
        if value is not None:
            opts[key] = value
    if c.python is None and c.prologue:
        opts["python"] = "python"
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
