"""The estimate meter: its numbers follow energy_j = cpu_s * tdp_w / cores."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

import pytest

from harness.errors import MeterError
from harness.meters import EstimateMeter
from harness.meters.estimate import DEFAULT_W_PER_CORE


def cpu_s() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def burn(seconds: float) -> None:
    end = time.process_time() + seconds
    x = 0
    while time.process_time() < end:
        x += 1


def test_energy_is_cpu_time_times_per_core_power():
    meter = EstimateMeter(tdp_w=65.0, cores=4)
    c0 = cpu_s()
    token = meter.begin()
    burn(0.2)
    m = meter.end(token)
    c1 = cpu_s()
    per_core_w = 65.0 / 4
    # The meter's window lies inside ours, read from the same clocks.
    assert 0.2 * per_core_w <= m.total_j <= (c1 - c0) * per_core_w
    assert m.total_j == pytest.approx((c1 - c0) * per_core_w, abs=0.002 * per_core_w)
    assert m.domains_j == {"cpu": m.total_j}
    assert meter.estimated and meter.name == "estimate"


def test_sleeping_costs_nothing():
    meter = EstimateMeter(tdp_w=100.0, cores=1)
    token = meter.begin()
    time.sleep(0.1)
    m = meter.end(token)
    assert m.total_j <= 0.005 * 100.0  # a few ms of bookkeeping at most
    assert m.duration_s >= 0.1


def _cpuinfo(monkeypatch, tmp_path, model):
    (tmp_path / "cpuinfo").write_text(f"processor\t: 0\nvendor_id\t: x\nmodel name\t: {model}\n\n"
                                      f"processor\t: 1\nmodel name\t: {model}\n")
    monkeypatch.setenv("HARNESS_PROCFS_ROOT", str(tmp_path))


def test_defaults_a_cpu_not_in_the_table_gets_green_algorithms_12_w_per_core(monkeypatch, tmp_path):
    _cpuinfo(monkeypatch, tmp_path, "AMD EPYC")
    meter = EstimateMeter()
    assert meter.cores == len(os.sched_getaffinity(0))  # the CPUs this process may keep busy
    assert meter.tdp_w == DEFAULT_W_PER_CORE * meter.cores == 12.0 * meter.cores
    assert meter.per_core_w == 12.0
    assert "default for a CPU not in its TDP table (AMD EPYC)" in meter.per_core_source
    assert EstimateMeter(cores=3).tdp_w == 36.0
    d = meter.describe()
    assert d["estimated"] is True and d["tdp_w"] == meter.tdp_w and "formula" in d
    assert d["per_core_w"] == 12.0 and d["cpu_model"] == "AMD EPYC" and "Green Algorithms" in d["tdp_table"]


def test_a_cpu_not_in_the_table_counts_the_cpus_of_its_cgroup_quota(monkeypatch, tmp_path):
    """Issue 20 item 7: in a container limited to half a CPU (cpu.max) the meter's CPU count is 1, not the
    host's CPUs that the affinity mask shows; the watts per core do not change."""
    _cpuinfo(monkeypatch, tmp_path, "AMD EPYC")
    (tmp_path / "self").mkdir()
    (tmp_path / "self/cgroup").write_text("0::/\n")
    cg = tmp_path / "sys/fs/cgroup"
    cg.mkdir(parents=True)
    (cg / "cpu.max").write_text("50000 100000\n")
    monkeypatch.setenv("HARNESS_SYSFS_ROOT", str(tmp_path / "sys"))
    meter = EstimateMeter()
    assert meter.cpus["quota"] == 0.5 and meter.cpus["cpus"] == 0.5
    assert meter.cores == 1 and meter.per_core_w == 12.0 and meter.tdp_w == 12.0


@pytest.mark.parametrize("model, row, w", [
    ("Intel(R) Core(TM) i9-10900K CPU @ 3.70GHz", "Core i9-10900K", 125 / 10),
    ("Intel(R) Xeon(R) CPU E5-2670 v2 @ 2.50GHz", "Xeon E5-2670 v2", 115 / 10),
    ("Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz", "Xeon E5-2670", 115 / 8),
    ("AMD EPYC 7552 48-Core Processor", "AMD 7552", 200 / 48),
    ("AMD Ryzen 9 3950X 16-Core Processor", "Ryzen 9 3950X", 105 / 16),
    ("12th Gen Intel(R) Core(TM) i9-12900K", "Core i9-12900K", 125 / 16),
])
def test_a_listed_model_gets_its_tdp_over_its_cores(monkeypatch, tmp_path, model, row, w):
    _cpuinfo(monkeypatch, tmp_path, model)
    meter = EstimateMeter()
    assert meter.per_core_w == pytest.approx(w)
    assert meter.per_core_source.startswith(f"Green Algorithms TDP table: {row} ")
    assert EstimateMeter(tdp_w=65.0, cores=4).per_core_w == 65.0 / 4


def test_the_shipped_table_names_its_source_and_its_fallback_row():
    from importlib.resources import files

    from harness.meters.cpus import FALLBACK_W_PER_CORE, lookup_tdp, tdp_table

    text = (files("harness") / "data" / "cpu_tdp.csv").read_text()
    assert text.startswith("#") and "GreenAlgorithms/green-algorithms-tool" in text and "doi:10.1002/advs.202100707" in text
    assert "\nAny,,,12.0,\n" in text and FALLBACK_W_PER_CORE == 12.0
    rows = tdp_table()
    assert len(rows) > 50 and all(r["w_per_core"] == r["tdp_w"] / r["cores"] for r in rows)
    assert lookup_tdp("Intel(R) Core(TM) i5-10400F CPU @ 2.90GHz")["model"] == "Core i5-10400F"
    assert lookup_tdp("Intel(R) Core(TM) i5-10400 CPU @ 2.90GHz")["model"] == "Core i5-10400"
    assert lookup_tdp("Unknown CPU") is None and lookup_tdp(None) is None


@pytest.mark.parametrize("kw, field", [
    ({"tdp_w": 0}, "estimate.tdp_w"),
    ({"tdp_w": -5}, "estimate.tdp_w"),
    ({"tdp_w": "lots"}, "estimate.tdp_w"),
    ({"tdp_w": float("inf")}, "estimate.tdp_w"),
    ({"cores": 0}, "estimate.cores"),
    ({"cores": 2.5}, "estimate.cores"),
    ({"cores": "four"}, "estimate.cores"),
])
def test_bad_values_raise_meter_error(kw, field):
    with pytest.raises(MeterError, match=field):
        EstimateMeter(**kw)


def test_resolution_is_finer_than_clock_ticks():
    meter = EstimateMeter(tdp_w=10.0, cores=1)
    token = meter.begin()
    burn(0.002)
    m = meter.end(token)
    assert 0.002 * 10.0 <= m.total_j < 0.009 * 10.0  # os.times() would give 0 or 0.1 J


def test_reaped_children_are_counted():
    meter = EstimateMeter(tdp_w=10.0, cores=1)
    token = meter.begin()
    subprocess.run([sys.executable, "-c", "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"],
                   check=True)
    m = meter.end(token)
    assert m.total_j >= 0.3 * 10.0
