"""dask-jobqueue: the batch script a worker job runs (there is no Slurm here to submit it to)."""

from __future__ import annotations

import pytest

from clitools import harness
from harness.spec import ClusterSpec

pytest.importorskip("dask_jobqueue")

from harness.run.executors.jobqueue import job_script  # noqa: E402

CLUSTER = {"queue": "short", "account": "green-ai", "cores": 4, "memory": "8GB", "walltime": "02:30:00",
           "jobs": 3, "job_directives": ["--exclusive", "--constraint=haswell"],
           "prologue": ["module load python/3.11", "source ~/venv/bin/activate"]}


def test_slurm_script_has_the_spec_settings_and_one_worker_per_job():
    s = job_script("slurm", ClusterSpec(**CLUSTER), "tcp://10.0.0.1:8786")
    lines = s.splitlines()
    assert lines[0].startswith("#!")
    for directive in ("#SBATCH -p short", "#SBATCH -A green-ai", "#SBATCH --cpus-per-task=4",
                      "#SBATCH -t 02:30:00", "#SBATCH --exclusive", "#SBATCH --constraint=haswell"):
        assert directive in lines, directive
    assert any(line.startswith("#SBATCH --mem=") for line in lines)
    assert "export DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False" in lines  # its CPU time would be measured
    assert "module load python/3.11" in lines and "source ~/venv/bin/activate" in lines
    assert lines.index("module load python/3.11") < next(i for i, line in enumerate(lines) if "distributed.cli" in line)
    worker = next(line for line in lines if "distributed.cli" in line)
    assert "tcp://10.0.0.1:8786" in worker and "--nworkers" not in worker and "--nthreads 4" in worker  # one process


EXCLUSIVE = {"pbs": "-l place=excl", "sge": "-l exclusive=true", "lsf": "-x"}


@pytest.mark.parametrize("kind, directive", [("pbs", "#PBS -q short"), ("sge", "#$ -q short"), ("lsf", "#BSUB -q short")])
def test_other_batch_systems(kind, directive):
    settings = {**CLUSTER, "job_directives": [EXCLUSIVE[kind]], "resource_spec": "h_vmem=8G" if kind == "sge" else None}
    lines = job_script(kind, ClusterSpec(**settings)).splitlines()
    assert directive in lines and not any("--nworkers" in line for line in lines)
    prefix = directive.split()[0]
    assert f"{prefix} {EXCLUSIVE[kind]}" in lines


def worker_line(script: str) -> str:
    return next(line for line in script.splitlines() if "distributed.cli" in line)


def test_the_worker_runs_the_python_the_prologue_sets_up():
    """From a review: the worker line called the driver's absolute sys.executable, so the README's
    prologue 'source ~/venvs/harness/bin/activate' did not change which Python ran."""
    import sys

    assert worker_line(job_script("slurm", ClusterSpec(**CLUSTER))).split()[0] == "python"
    assert worker_line(job_script("slurm", ClusterSpec(**{**CLUSTER, "prologue": []}))).split()[0] == sys.executable
    named = ClusterSpec(**{**CLUSTER, "python": "/opt/py/bin/python3"})
    assert worker_line(job_script("slurm", named)).split()[0] == "/opt/py/bin/python3"


def test_sge_requests_cores_and_memory_through_resource_spec():
    """From a review: SGE's script requested only h_rt (dask-jobqueue needs resource_spec)."""
    from harness.errors import SpecError

    with pytest.raises(SpecError, match="cluster.resource_spec: SGE jobs request cores and memory"):
        job_script("sge", ClusterSpec(**{**CLUSTER, "job_directives": []}))
    s = job_script("sge", ClusterSpec(**{**CLUSTER, "job_directives": ["-pe smp 4"], "resource_spec": "h_vmem=2G"}))
    assert "#$ -l h_vmem=2G" in s.splitlines() and "#$ -pe smp 4" in s.splitlines()
    with pytest.raises(SpecError, match="only PBS and SGE jobs take one"):
        job_script("slurm", ClusterSpec(**{**CLUSTER, "resource_spec": "h_vmem=2G"}))


@pytest.mark.parametrize("kind", ["pbs", "sge", "lsf"])
def test_a_slurm_directive_for_another_system_is_refused(kind):
    """From a review: the README's job_directives ["--exclusive"] rendered '#PBS --exclusive'."""
    from harness.errors import SpecError

    with pytest.raises(SpecError, match=f"'--exclusive' is Slurm syntax, not {kind}'s"):
        job_script(kind, ClusterSpec(**{**CLUSTER, "resource_spec": "h_vmem=8G" if kind == "sge" else None}))
    with pytest.raises(SpecError, match="without '#...'"):
        job_script(kind, ClusterSpec(**{**CLUSTER, "job_directives": ["#SBATCH -x"], "resource_spec": "x=1"}))


def test_lsf_walltime_is_hours_and_minutes():
    lines = job_script("lsf", ClusterSpec(**{**CLUSTER, "job_directives": [], "walltime": "48:29:30"})).splitlines()
    assert "#BSUB -W 48:30" in lines


@pytest.mark.parametrize("setting, message", [
    ("walltime: banana", "cluster.walltime: give the time per job as HH:MM:SS"),
    ("walltime: '90'", "cluster.walltime: give the time per job as HH:MM:SS"),
    ("memory: 0GB", "cluster.memory: must be more than zero"),
])
def test_a_bad_walltime_or_memory_is_one_line(tmp_path, setting, message):
    """From a review: walltime 'banana' gave '#SBATCH -t banana'; memory 0GB gave dask-jobqueue's
    'not all arguments converted during string formatting'."""
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nalgorithms: [decision_tree]\nsweeps: {rows: {row_fractions: [1.0]}}\n"
                    f"cluster: {{{setting}}}\n")
    proc = harness("run", path, "--cluster", "slurm", "--dry-run")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_dry_run_prints_the_job_script(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nalgorithms: [decision_tree]\nsweeps: {rows: {row_fractions: [1.0]}}\n"
                    "cluster: {queue: short, memory: 2GB, walltime: '00:10:00', jobs: 2}\n")
    proc = harness("run", path, "--cluster", "slurm", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "each of the 2 slurm job(s) would run:" in proc.stdout and "#SBATCH -p short" in proc.stdout
    assert not (tmp_path / "results").exists()


def test_a_memory_without_unit_is_refused(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nalgorithms: [decision_tree]\nsweeps: {rows: {row_fractions: [1.0]}}\n"
                    "cluster: {memory: 2000}\n")
    proc = harness("run", path, "--cluster", "slurm", "--dry-run")
    assert proc.returncode == 2 and "cluster.memory" in proc.stderr


@pytest.mark.parametrize("kind, command", [("slurm", "sbatch"), ("pbs", "qsub"), ("sge", "qsub"), ("lsf", "bsub")])
def test_no_batch_system_here_is_one_line_not_a_hang(tmp_path, kind, command):
    """From a review: --cluster slurm where sbatch is not on PATH (a workstation, or 'module load
    slurm' forgotten) printed dask-jobqueue's traceback and then waited for workers forever."""
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nalgorithms: [decision_tree]\nsweeps: {rows: {row_fractions: [1.0]}}\n"
                    "meter: estimate\ncluster: {queue: short, memory: 2GB, walltime: '00:10:00', jobs: 2"
                    + (", resource_spec: 'h_vmem=2G'" if kind == "sge" else "") + "}\n")
    proc = harness("run", path, "--cluster", kind, "--results-dir", tmp_path / "out", timeout=120,
                   PATH=str(tmp_path))  # the interpreter is called by its full path: no batch command found
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and f"{command} not found" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
