"""A cluster starts only after every read-only check and the run's lock (from a review of issue 11:
a missing dataset with an unreachable --cluster took 40 s and reported the scheduler; with --cluster
slurm jobs were submitted before such errors, or a second driver's lock refusal, appeared)."""

from __future__ import annotations

import fcntl
import os

import pytest

from clitools import harness
from faultkit import make_run, one_line

pytest.importorskip("dask_jobqueue")

CLUSTER = "cluster: {queue: short, memory: 2GB, walltime: '00:10:00', jobs: 2}\n"


def fake_sbatch(tmp_path):
    """An sbatch that only records that it was called (no job can start here)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    sbatch = bin_dir / "sbatch"
    sbatch.write_text(f"#!/bin/sh\necho called >> {tmp_path / 'submitted'}\necho 'Submitted batch job 1'\n")
    sbatch.chmod(0o755)
    return bin_dir


def spec_with_cluster(tmp_path, dataset_exists=True):
    spec = make_run(tmp_path)
    spec.write_text(spec.read_text() + CLUSTER)
    if not dataset_exists:
        (tmp_path / "data.csv").unlink()
    return spec


def test_a_missing_dataset_is_named_before_an_unreachable_scheduler(tmp_path):
    spec_with_cluster(tmp_path, dataset_exists=False)
    proc = harness("run", "spec.yaml", "--results-dir", "out", "--cluster", "tcp://127.0.0.1:1", cwd=tmp_path,
                   timeout=120)
    assert proc.returncode == 2, proc.stderr
    line = one_line(proc.stderr)
    assert "data.csv" in line and "scheduler" not in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("problem", ["missing dataset", "run locked"])
def test_slurm_jobs_are_not_submitted_for_bad_input_or_a_locked_run(tmp_path, problem):
    spec_with_cluster(tmp_path, dataset_exists=problem != "missing dataset")
    held = None
    if problem == "run locked":  # another driver holds this run
        (tmp_path / "out/tiny").mkdir(parents=True)
        held = open(tmp_path / "out/tiny/.lock", "a")
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        proc = harness("run", "spec.yaml", "--results-dir", "out", "--cluster", "slurm", cwd=tmp_path, timeout=120,
                       PATH=f"{fake_sbatch(tmp_path)}{os.pathsep}{os.environ['PATH']}")
    finally:
        if held is not None:
            held.close()
    assert proc.returncode == 2, proc.stderr
    line = one_line(proc.stderr)
    assert ("data.csv" in line) if problem == "missing dataset" else ("another harness process" in line)
    assert not (tmp_path / "submitted").exists()  # no job was submitted
    if problem == "missing dataset":
        assert not (tmp_path / "out").exists()


@pytest.mark.slow  # the connection timeout: 30 s
def test_a_scheduler_that_does_not_answer_leaves_no_run_folder(tmp_path):
    """The lock is taken before connecting; a refusal then removes the folders made for it."""
    spec_with_cluster(tmp_path)
    proc = harness("run", "spec.yaml", "--results-dir", "out/nested", "--cluster", "tcp://127.0.0.1:1",
                   cwd=tmp_path, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "no Dask scheduler answers" in one_line(proc.stderr)
    assert not (tmp_path / "out").exists()
