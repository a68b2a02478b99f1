"""A run records its hygiene: the machine's state and warnings first, the cool-down each trial
waited, below-resolution flags and predict repetitions in every row, resolution in the manifest."""

import io
import json

import pandas as pd
import pytest

from fake_machine import make_fake_machine
from harness.run.runner import run_spec

SPEC = """name: tiny
algorithms: [decision_tree, knn]
repetitions: 2
seed: 7
sweeps:
  rows: {{row_fractions: [0.2, 1.0]}}
meter: {meter}
hygiene: {hygiene}
"""


@pytest.fixture
def machine(tmp_path, monkeypatch):
    sys_root, proc_root = make_fake_machine(tmp_path / "machine")
    monkeypatch.setenv("HARNESS_SYSFS_ROOT", str(sys_root))
    monkeypatch.setenv("HARNESS_PROCFS_ROOT", str(proc_root))


def _run(tmp_path, meter, hygiene):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC.format(meter=meter, hygiene=hygiene))
    out = io.StringIO()
    assert run_spec(spec, results_dir=tmp_path / "results", quiet=True, out=out) == 0
    run = tmp_path / "results/tiny"
    return out.getvalue().splitlines(), pd.read_csv(run / "trials.csv"), json.loads((run / "manifest.json").read_text())


@pytest.mark.slow
def test_until_idle_run_on_a_fake_rapl_tree(tmp_path, machine, powercap, exact_reads):
    fake = exact_reads(powercap(with_dram=False, with_core=False))
    fake.start({"package-0": 10.0})  # always idle: every wait ends at min_s
    lines, rows, manifest = _run(tmp_path, "rapl", "{baseline_s: 0.2, min_phase_s: 0.02, cooldown: "
                                 "{until_idle: true, tolerance: 0.05, min_s: 0.1, max_s: 2, period_s: 0.05}}")
    assert lines[0].startswith("meter: rapl")
    assert lines[1].startswith("warning: governor: powersave on cpu0, cpu1: set performance")
    assert any(line.startswith("warning: load: load average 3.1") for line in lines[1:4])
    assert any(line.startswith("cool-down: until power <=") for line in lines)
    rows = rows.sort_values("started_at")
    assert rows["cooldown_end"].tolist() == ["none"] + ["idle"] * 7
    assert (rows["cooldown_waited_s"].iloc[1:] >= 0.1).all() and (rows["cooldown_waited_s"].iloc[1:] < 1).all()
    assert rows["start_power_w"].iloc[1:].between(9.5, 10.5).all()  # <= idle + 5%: what ended the wait
    assert (rows["predict_repetitions"] >= 1).all() and (rows["predict_s"] * rows["predict_repetitions"] >= 0.02).all()
    assert rows["train_below_resolution"].dtype == bool
    # a 10 W tree: a window's energy is 10 W x its duration, so the 20 ms rule decides the flags
    assert (rows["train_below_resolution"] == (rows["train_s"] < 0.02)).all()
    assert manifest["resolution"]["min_phase_s"] == pytest.approx(0.02)
    assert manifest["machine_state"]["cpu_frequencies"]["cpu0"]["governor"] == "powersave"
    assert manifest["sessions"][0]["machine_state"]["load_average"]["1min"] == 3.1
    assert {"level": "warn", "topic": "turbo"}.items() <= next(c for c in manifest["checklist"]
                                                               if c["topic"] == "turbo").items()


@pytest.mark.slow
def test_until_idle_with_the_estimate_meter_sleeps_the_fixed_time_and_says_so(tmp_path, machine):
    lines, rows, _ = _run(tmp_path, "estimate", "{baseline_s: 0.05, cooldown_s: 0.01, cooldown: {until_idle: true}}")
    assert any("cannot see; sleeping the fixed cooldown_s = 0.01 s instead" in line for line in lines)
    rows = rows.sort_values("started_at")
    assert rows["cooldown_end"].tolist() == ["none"] + ["fixed_estimate"] * 7
    assert rows["start_power_w"].isna().all() and (rows["cooldown_waited_s"].iloc[1:] >= 0.01).all()
