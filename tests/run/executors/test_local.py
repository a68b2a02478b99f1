"""The local executor (no flag) records its host like the Dask one: a ``host`` column and the
manifest's ``hosts`` entry with the meter and idle baseline."""

from __future__ import annotations

import pytest

import json
import socket

import pandas as pd

from clitools import harness

SPEC = """name: tiny
algorithms: [decision_tree]
repetitions: 2
sweeps: {rows: {row_fractions: [0.2, 1.0]}}
meter: estimate
hygiene: {warmup_s: 0, cooldown_s: 0, baseline_s: 0.1, threads: 1}
"""


@pytest.mark.slow
def test_local_rows_and_manifest_name_the_host(tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC)
    proc = harness("run", spec, "--results-dir", tmp_path, "--quiet")
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(tmp_path / "tiny/trials.csv")
    assert "host" in df.columns and (df["host"] == socket.gethostname()).all()
    m = json.loads((tmp_path / "tiny/manifest.json").read_text())
    entry = m["hosts"][socket.gethostname()]
    assert entry["meter"] == "estimate" and entry["workers"] == 1
    assert entry["baseline"] == m["baseline"] and m["baseline"]["duration_s"] > 0
    assert m["sessions"][-1]["executor"] == {"kind": "local"}


def test_the_manifest_names_the_machine_by_its_kernels_boot_id(tmp_path):
    """The host's identity beside its hostname: a container's hostname is its own, its boot_id the server's."""
    from fake_machine import make_fake_machine

    _, proc_root = make_fake_machine(tmp_path / "machine", boot_id="6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab")
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC)
    proc = harness("run", spec, "--results-dir", tmp_path, "--quiet", HARNESS_PROCFS_ROOT=str(proc_root))
    assert proc.returncode == 0, proc.stderr
    entry = json.loads((tmp_path / "tiny/manifest.json").read_text())["hosts"][socket.gethostname()]
    assert entry["boot_id"] == "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab"
    assert {"machine_id", "container"} <= set(entry)
