"""A tiny run for fault tests: 120 rows of numeric features, decision tree and k-NN, holdout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

from clitools import harness, start

SPEC = """name: tiny
dataset: {{path: data.csv, label_column: label, positive_label: pos, feature_columns: [a, b, c]}}
protocol: holdout
seed: 3
repetitions: {repetitions}
algorithms: [decision_tree, knn]
sweeps:
  rows: {{row_fractions: [0.5, 1.0]}}
  features: {{feature_fractions: [0.34]}}
meter: estimate
hygiene: {{cooldown_s: {cooldown}}}
"""
# What must be identical between an interrupted and an uninterrupted run (timings and energies differ).
KEY = ["trial_id", "algorithm", "sweep", "row_fraction", "feature_fraction", "repetition", "seed", "n_train",
       "n_test", "n_features", "accuracy", "precision", "recall", "f1"]


def make_run(tmp_path: Path, repetitions: int = 2, cooldown: float = 0.0) -> Path:
    rng = np.random.default_rng(0)
    a = rng.random(120)
    pd.DataFrame({"a": a, "b": rng.random(120), "c": rng.random(120),
                  "label": np.where(a > 0.6, "pos", "neg")}).to_csv(tmp_path / "data.csv", index=False)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(repetitions=repetitions, cooldown=cooldown))
    return spec


def run(tmp_path: Path, *extra, results="out", **env) -> subprocess.CompletedProcess:
    return harness("run", "spec.yaml", "--results-dir", results, "--quiet", *extra, cwd=tmp_path, **env)


def begin(tmp_path: Path, *extra, results="out") -> subprocess.Popen:
    return start("run", "spec.yaml", "--results-dir", results, "--quiet", *extra, cwd=tmp_path)


def rows(path: Path) -> int:
    return path.read_bytes().count(b"\n") - 1 if path.exists() else 0


def trials(path: Path) -> pd.DataFrame:
    return pd.read_csv(path).sort_values("trial_id").reset_index(drop=True)


def one_line(stderr: str) -> str:
    """The error line of a failed command; asserts it is one line without a traceback."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def handled_signals(pid: int) -> int:
    """The signal-caught mask of a process (SigCgt in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return int(line.split()[1], 16)
    return 0
