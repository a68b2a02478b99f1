"""A phase whose counter went backwards (a GPU reset inside the window) is stored NaN with its reason in
``energy_invalid``, counted by analyze; an older trials.csv without that column still loads and resumes;
--meter and the spec name GPUs."""

from __future__ import annotations

import csv
import json
import math
import sys

import pandas as pd
import pytest
from clitools import harness
from fake_nvml import fake_pynvml

from harness.results.read import row_sha256
from harness.run.runner import _meter_override
from harness.spec import parse_spec

SPEC = """name: gpu
algorithms: [decision_tree]
repetitions: 3
seed: 7
sweeps:
  rows: {row_fractions: [1.0], feature_fractions: [1.0]}
meter: [estimate, nvml]
hygiene: {warmup_s: 0, cooldown_s: 0, baseline_s: 0, shuffle: false, threads: 1}
"""
# reads: 1 when the meter opens, 1 as the session's footprint chain begins (harness.run.footprint), then
# preprocess begin, end, train begin, train END (reset)
RESET_AT = 6


@pytest.fixture
def resetting_gpu(monkeypatch):
    """One fake GPU whose counter rises 1 J per read and restarts from 10 mJ at read RESET_AT."""
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    mod = fake_pynvml([0])
    reads = [0]

    def energy(handle):
        reads[0] += 1
        n = reads[0]
        return 1000 * n if n < RESET_AT else 10 + 1000 * (n - RESET_AT)

    mod.nvmlDeviceGetTotalEnergyConsumption = energy
    monkeypatch.setitem(sys.modules, "pynvml", mod)
    return reads


def test_a_reset_inside_train_is_nan_with_a_reason_and_counted(tmp_path, resetting_gpu):
    spec = tmp_path / "gpu.yaml"
    spec.write_text(SPEC)
    proc = harness("run", spec, "--results-dir", tmp_path, "--quiet")
    assert proc.returncode == 0, proc.stderr
    rows = pd.read_csv(tmp_path / "gpu/trials.csv", keep_default_na=False)
    first = rows[rows["trial_id"] == 0].iloc[0]
    assert first["energy_invalid"].startswith("train: gpu0 counter went backwards (5000 -> 10 mJ")
    assert math.isnan(float(first["train_energy_j"]))  # NaN, never -3.99 J
    assert math.isnan(json.loads(first["train_domains_j"])["gpu0"])
    assert float(first["predict_energy_j"]) >= 0 and float(first["preprocess_energy_j"]) >= 0
    footprint = json.loads((tmp_path / "gpu/manifest.json").read_text())["sessions"][-1]["footprint"]
    assert footprint["energy_j"] is None and "not a measurement" in footprint["energy_note"]  # the reset is in it
    assert (rows[rows["trial_id"] != 0]["energy_invalid"] == "").all()
    out = harness("analyze", tmp_path / "gpu", "--out", tmp_path / "analysis")
    assert out.returncode == 0, out.stderr
    text = out.stdout + "".join(p.read_text() for p in (tmp_path / "analysis").rglob("*.md"))
    assert "Invalid energy: 1 phase of 1 trial are not measurements (train 1)" in text
    assert "gpu0 counter went backwards (driver reloaded or GPU reset)" in text


@pytest.mark.slow
def test_older_trials_csv_without_the_column_loads_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)
    spec = tmp_path / "est.yaml"
    spec.write_text(SPEC.replace("name: gpu", "name: est").replace("[estimate, nvml]", "estimate"))
    assert harness("run", spec, "--results-dir", tmp_path, "--quiet").returncode == 0
    path = tmp_path / "est/trials.csv"
    with open(path, newline="") as f:
        table = list(csv.reader(f))
    header, body = table[0], table[1:]
    drop, check = header.index("energy_invalid"), header.index("row_sha256")
    old = [c for i, c in enumerate(header) if i != drop]
    kept = []
    for row in body[:1]:  # a file written before the column, interrupted after one trial
        cells = [c for i, c in enumerate(row) if i not in (drop, check)]
        kept.append(cells + [row_sha256(cells)])
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([old, *kept])
    proc = harness("run", spec, "--results-dir", tmp_path, "--quiet")
    assert proc.returncode == 0, proc.stderr
    again = pd.read_csv(path)
    assert list(again.columns) == old and len(again) == 3
    assert harness("analyze", tmp_path / "est", "--out", tmp_path / "a").returncode == 0


def test_meter_option_names_gpus():
    assert _meter_override("rapl+nvml:3,GPU-ab") == (["rapl", "nvml"], [3, "GPU-ab"])
    assert _meter_override("nvml:MIG-1234") == ("nvml", ["MIG-1234"])
    assert _meter_override("rapl+nvml") == (["rapl", "nvml"], None)
    spec = parse_spec({**_minimal(), "nvml": {"devices": [3, "GPU-ab"]}})
    assert spec.meter_options()["nvml"] == {"devices": [3, "GPU-ab"]}
    assert parse_spec(_minimal()).meter_options()["nvml"] == {}
    assert spec.design_hash() == parse_spec(_minimal()).design_hash()  # which GPUs is the meter's choice
    with pytest.raises(Exception, match="not an NVML index"):
        parse_spec({**_minimal(), "nvml": {"devices": ["titan"]}})


def test_a_spec_names_gpus_that_do_not_exist_one_line(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml([0, 0]))
    spec = tmp_path / "gpu.yaml"
    spec.write_text(SPEC)
    proc = harness("run", spec, "--results-dir", tmp_path, "--quiet", "--meter", "estimate+nvml:5")
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0
    assert "GPU 5 does not exist" in proc.stderr


def _minimal() -> dict:
    return {"name": "x", "algorithms": ["decision_tree"], "sweeps": {"rows": {"row_fractions": [1.0]}}}
