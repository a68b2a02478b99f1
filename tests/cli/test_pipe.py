"""``harness run ... | head -1``: the reader going away stops the output, not the run (issue 22
item 7: the run stopped before its first trial, exit 141, nothing saved)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from clitools import cli_env

SPEC = """name: pipe
dataset: {path: d.csv, label_column: target, positive_label: 1, feature_columns: [a, b]}
protocol: holdout
repetitions: 3
algorithms: [decision_tree, knn]
sweeps:
  rows: {row_fractions: [0.5, 1.0]}
meter: estimate
hygiene: {warmup_s: 0, cooldown_s: 0, baseline_s: 0, threads: 1}
"""


@pytest.mark.slow
def test_run_piped_into_head_finishes_and_saves_every_trial(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.random(200)
    pd.DataFrame({"a": a, "b": rng.random(200), "target": (a > 0.6).astype(int)}).to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "pipe.yaml").write_text(SPEC)
    proc = subprocess.Popen([sys.executable, "-m", "harness", "run", "pipe.yaml", "--results-dir", "out"],
                            cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()  # as `head -1`: one line, then the reader goes away
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 0, err
    assert "Traceback" not in err
    assert len(pd.read_csv(tmp_path / "out/pipe/trials.csv")) == 12
