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


def test_defaults():
    meter = EstimateMeter()
    assert meter.cores == (os.cpu_count() or 1)
    assert meter.tdp_w == DEFAULT_W_PER_CORE * meter.cores == 10.0 * meter.cores
    assert meter.per_core_w == 10.0
    assert EstimateMeter(cores=3).tdp_w == 30.0
    d = meter.describe()
    assert d["estimated"] is True and d["tdp_w"] == meter.tdp_w and "formula" in d


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
