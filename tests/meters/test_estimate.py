"""The estimate meter: its numbers follow energy_j = cpu_s * tdp_w / cores."""

from __future__ import annotations

import os
import time

import pytest

from harness.errors import MeterError
from harness.meters import EstimateMeter
from harness.meters.estimate import DEFAULT_W_PER_CORE


def cpu_s() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


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
    # The meter's CPU time lies inside ours (os.times has 10 ms ticks).
    assert 0.15 * per_core_w <= m.total_j <= (c1 - c0) * per_core_w + 1e-9
    assert m.total_j == pytest.approx((c1 - c0) * per_core_w, abs=0.02 * per_core_w)
    assert m.domains_j == {"cpu": m.total_j}
    assert meter.estimated and meter.name == "estimate"


def test_sleeping_costs_nothing():
    meter = EstimateMeter(tdp_w=100.0, cores=1)
    token = meter.begin()
    time.sleep(0.1)
    m = meter.end(token)
    assert m.total_j <= 0.01 * 100.0  # at most one 10 ms tick of CPU time
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
