"""benchmarks/overhead.py still runs: every part of its table on a tiny spec, a few windows each.
No timing is asserted: timings belong to the benchmark's output, not to a test."""

from __future__ import annotations

import pytest

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _load_overhead():
    spec = importlib.util.spec_from_file_location("bench_overhead", REPO / "benchmarks" / "overhead.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_overhead_benchmark_prints_every_part(tmp_path, monkeypatch):
    bench = _load_overhead()
    monkeypatch.setenv("HARNESS_POWERCAP_ROOT", str(tmp_path / "no-powercap"))  # never this machine's counters
    tiny = {"algorithms": ["decision_tree", "knn"], "repetitions": 1,
            "sweeps": {"rows": {"row_fractions": [0.1], "feature_fractions": [1.0]}}}
    sections, ratio = bench.benchmark(repeat=5, skip_codecarbon=True, spec_overrides=tiny, workdir=tmp_path)

    meters, run, bookkeeping, memory = sections
    labels = meters.labels()
    assert labels[0].startswith("estimate")
    assert labels[1].startswith("rapl on a fake powercap tree")
    assert labels[2].startswith("pyrapl on a fake powercap tree")
    assert labels[3].startswith("rapl on this machine") and meters.rows[3][1].startswith("unavailable: ")
    assert labels[-1] == "codecarbon" and meters.rows[-1][1].startswith("unavailable: ")
    assert [r[1] for r in meters.rows[:3]] == [5, 5, 5]

    assert run.labels()[:2] == ["run time: first trial start -> last trial end",
                                "measured phases: preprocess + train + predict"]
    assert sum(label.startswith("bare calls (floor)") for label in run.labels()) == 2
    assert len(bookkeeping.rows) == 4
    assert "not timed" not in [r[2] for r in bookkeeping.rows]  # the runner still has the functions timed in the run
    assert [label for label in memory.labels() if label.startswith("one trial:")] == [
        "one trial: decision_tree (largest rows x features)", "one trial: knn (largest rows x features)"]
    assert ratio > 0

    text = bench.format_sections(sections)
    assert "1. Per-window cost" in text and "4. Peak memory" in text


@pytest.mark.slow
def test_cooldown_benchmark_runs_both_arms(tmp_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("bench_cooldown", REPO / "benchmarks" / "cooldown.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setenv("HARNESS_POWERCAP_ROOT", str(tmp_path / "no-powercap"))
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text("name: tiny\nalgorithms: [decision_tree, knn]\nrepetitions: 1\n"
                    "sweeps: {rows: {row_fractions: [0.1], feature_fractions: [1.0]}}\n")
    assert bench.main(["--tau", "0.05", "--fixed-s", "0.2", "--spec", str(tiny)]) == 0
    out = capsys.readouterr().out
    assert "idle-tau0.05" in out and "fixed0.2-tau0.05" in out
    assert "less waiting than fixed 0.2 s" in out and "trials started within 5% of idle" in out
