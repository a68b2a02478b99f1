"""benchmarks/api_overhead.py still runs: every row, a few windows each. No timing is asserted."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_api_overhead_benchmark_prints_every_row(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_api_overhead", REPO / "benchmarks" / "api_overhead.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    monkeypatch.setenv("HARNESS_POWERCAP_ROOT", str(tmp_path / "no-powercap"))  # the fake tree replaces it for rapl
    rows = bench.benchmark(repeat=5, workdir=tmp_path)
    labels = [r[0] for r in rows]
    for meter in ("estimate", "rapl on a fake powercap tree"):
        assert [label.split(": ", 1)[1] for label in labels if label.startswith(meter + ":")] == [
            "open (probe, no baseline), once", "backend end(begin())", "EnergyMeter end(begin())",
            "with meter.window()", "@measured call - bare call"]
    assert all(median >= 0 or "bare call" in label for label, median, _ in rows)
    assert "median" in bench.format_rows(rows)
