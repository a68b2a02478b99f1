"""A trial throttled by the cgroup's CPU quota is flagged (issue 20 item 7): ``cpu_throttled_s`` in its row
(two readings of ``cpu.stat``), the session's total in the manifest; an older trials.csv without the column
still loads and resumes."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
from clitools import harness

from harness.results.read import row_sha256

pytestmark = pytest.mark.slow  # each runs the CLI (about 3 s)

SPEC = """name: quota
algorithms: [decision_tree]
repetitions: 2
seed: 7
sweeps:
  rows: {row_fractions: [1.0], feature_fractions: [1.0]}
meter: estimate
hygiene: {warmup_s: 0, cooldown_s: 0, baseline_s: 0, shuffle: false, threads: 1}
"""


def _container(tmp_path, monkeypatch):
    """A 1-CPU container (cgroup v2 cpu.max at the namespace root) whose throttled time grows 0.25 s at
    every reading of cpu.stat after the session's first."""
    cg = tmp_path / "sys/fs/cgroup"
    cg.mkdir(parents=True)
    (cg / "cpu.max").write_text("100000 100000\n")
    (cg / "cpu.stat").write_text("nr_periods 10\nnr_throttled 2\nthrottled_usec 1000000\n")
    monkeypatch.setenv("HARNESS_SYSFS_ROOT", str(tmp_path / "sys"))
    import harness.meters.cpus as cpus

    real, reads = cpus.throttled_s, [0]

    def growing(*args, **kw):
        base = real(*args, **kw)
        reads[0] += 1
        return None if base is None else base + 0.25 * reads[0]

    monkeypatch.setattr(cpus, "throttled_s", growing)


def test_a_throttled_trial_and_session_are_flagged(tmp_path, monkeypatch):
    _container(tmp_path, monkeypatch)
    spec = tmp_path / "quota.yaml"
    spec.write_text(SPEC)
    assert harness("run", spec, "--results-dir", tmp_path, "--quiet").returncode == 0
    rows = pd.read_csv(tmp_path / "quota/trials.csv")
    assert (rows["cpu_throttled_s"] >= 0.25).all()  # at least one more reading at its end than at its start
    m = json.loads((tmp_path / "quota/manifest.json").read_text())
    session = m["sessions"][-1]
    assert session["machine_state"]["cpu_quota"]["cpus"] == 1.0
    assert session["cpu_throttled_s"] > 0


def test_without_a_quota_the_cell_is_empty(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_SYSFS_ROOT", str(tmp_path / "no-sys"))
    spec = tmp_path / "quota.yaml"
    spec.write_text(SPEC)
    assert harness("run", spec, "--results-dir", tmp_path, "--quiet").returncode == 0
    rows = pd.read_csv(tmp_path / "quota/trials.csv")
    assert rows["cpu_throttled_s"].isna().all()
    assert "cpu_throttled_s" not in json.loads((tmp_path / "quota/manifest.json").read_text())["sessions"][-1]


def test_older_trials_csv_without_the_column_loads_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_SYSFS_ROOT", str(tmp_path / "no-sys"))
    spec = tmp_path / "quota.yaml"
    spec.write_text(SPEC)
    assert harness("run", spec, "--results-dir", tmp_path, "--quiet").returncode == 0
    path = tmp_path / "quota/trials.csv"
    with open(path, newline="") as f:
        table = list(csv.reader(f))
    header, body = table[0], table[1:]
    drop, check = header.index("cpu_throttled_s"), header.index("row_sha256")
    old = [c for i, c in enumerate(header) if i != drop]
    cells = [c for i, c in enumerate(body[0]) if i not in (drop, check)]  # written before the column, cut after 1
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([old, cells + [row_sha256(cells)]])
    proc = harness("run", spec, "--results-dir", tmp_path, "--quiet")
    assert proc.returncode == 0, proc.stderr
    again = pd.read_csv(path)
    assert list(again.columns) == old and len(again) == 2
    assert harness("analyze", tmp_path / "quota", "--out", tmp_path / "a").returncode == 0
