"""dask-jobqueue: the batch script a worker job runs (there is no Slurm here to submit it to)."""

from __future__ import annotations

import pytest

from clitools import harness
from harness.spec import ClusterSpec

pytest.importorskip("dask_jobqueue")

from harness.executors.jobqueue import job_script  # noqa: E402

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


@pytest.mark.parametrize("kind, directive", [("pbs", "#PBS -q short"), ("sge", "#$ -q short"), ("lsf", "#BSUB -q short")])
def test_other_batch_systems(kind, directive):
    s = job_script(kind, ClusterSpec(**CLUSTER))
    assert directive in s.splitlines() and "--nworkers" not in s


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
                    "meter: estimate\ncluster: {queue: short, memory: 2GB, walltime: '00:10:00', jobs: 2}\n")
    proc = harness("run", path, "--cluster", kind, "--results-dir", tmp_path / "out", timeout=120,
                   PATH=str(tmp_path))  # the interpreter is called by its full path: no batch command found
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and f"{command} not found" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
