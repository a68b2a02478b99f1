"""A run on the real-machine layouts of issue 15: the start of a run refuses frozen counters
(nothing written) and counts a Threadripper's mirrored dies once in every phase and the baseline."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from fake_powercap import make_die_powercap
from harness.errors import MeterError
from harness.run.runner import run_spec

SPEC = """name: probe
dataset: {path: data.csv, label_column: target, positive_label: 1, feature_columns: [a, b, c]}
protocol: holdout
repetitions: 1
algorithms: [random_forest]
sweeps:
  rows: {row_fractions: [1.0]}
meter: rapl
hygiene: {warmup_s: 0, cooldown_s: 0, baseline_s: 0.3, shuffle: false, threads: 1}
"""


def spec_file(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.random(300)
    pd.DataFrame({"a": a, "b": rng.random(300), "c": rng.random(300), "target": (a > 0.6).astype(int)}
                 ).to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "probe.yaml").write_text(SPEC)
    return tmp_path / "probe.yaml"


def test_run_on_frozen_counters_stops_before_writing(tmp_path, powercap):
    powercap(sockets=1)  # counters never move
    with pytest.raises(MeterError, match="did not advance"):
        run_spec(spec_file(tmp_path), results_dir=tmp_path / "out", quiet=True, out=io.StringIO())
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_run_counts_mirrored_dies_once(tmp_path, powercap):
    fake = powercap(builder=make_die_powercap, start_uj=[38419855704, 38419855704])
    fake.start({"package-0-die-0": 68.0, "package-0-die-0/core": 0.6},
               mirror={"package-0-die-1": "package-0-die-0", "package-0-die-1/core": "package-0-die-0/core"})
    out = io.StringIO()
    assert run_spec(spec_file(tmp_path), results_dir=tmp_path / "out", quiet=True, out=out) == 0
    first = out.getvalue().splitlines()[0]
    assert first == ("meter: rapl, total = package-0-die-0 (package-0-die-1 mirrors package-0-die-0: "
                     "one counter, counted once)")
    manifest = json.loads((tmp_path / "out/probe/manifest.json").read_text())
    assert manifest["meter"]["total_domains"] == ["package-0-die-0"]
    assert manifest["meter"]["mirrored_zones"]["package-0-die-1"] == "package-0-die-0"
    assert manifest["baseline"]["total_w"] == pytest.approx(68.0, rel=0.2)  # was 136 W
    row = pd.read_csv(tmp_path / "out/probe/trials.csv").iloc[0]
    train = json.loads(row["train_domains_j"])
    assert row["train_energy_j"] == pytest.approx(train["package-0-die-0"])  # once, not twice
    # the fake writes the mirrored file just after the other (two files, one tick of 1 ms at 68 W apart):
    # a window read between the two writes sees them differ by up to one tick at each end
    assert train["package-0-die-1"] == pytest.approx(train["package-0-die-0"], abs=2 * 68.0 * 0.001 + 1e-6)
