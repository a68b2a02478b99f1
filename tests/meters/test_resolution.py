"""Each meter states its resolution: RAPL's 2^-14 J steps and ~1 ms updates, NVML's assumed 0.1 s
update, CPU time's clock resolution for the estimate, the coarsest part for a combination."""

import time

import pytest

from harness.meters import EstimateMeter, Resolution, open_meter


def test_rapl_and_pyrapl_share_rapl_resolution(powercap):
    with powercap(sockets=1).moving(), open_meter("rapl").meter as m:
        r = m.resolution()
    assert r.update_s == 1e-3 and r.energy_j == pytest.approx(61.035e-6, rel=1e-4)
    assert r.min_duration_s(0.05) == pytest.approx(0.02)
    from harness.meters.pyrapl import PyRaplMeter
    from harness.meters.rapl import RESOLUTION

    assert PyRaplMeter.resolution(None) is RESOLUTION


def test_estimate_resolution_is_cpu_time_resolution():
    m = EstimateMeter(tdp_w=40, cores=4)
    r = m.resolution()
    step = max(time.clock_getres(time.CLOCK_PROCESS_CPUTIME_ID), 1e-6)
    assert r.update_s == step and r.energy_j == pytest.approx(step * 10.0)


def test_nvml_and_combined(pynvml, powercap):
    pynvml([0])
    fake = powercap(sockets=1)
    with open_meter("nvml").meter as m:
        assert m.resolution().update_s == 0.1 and m.resolution().energy_j == 1e-3
    with fake.moving(), open_meter(["rapl", "nvml"]).meter as m:
        r = m.resolution()
    assert r.update_s == 0.1 and r.energy_j == pytest.approx(2.0 ** -14 + 1e-3)
    assert "RAPL" in r.source and "NVML" in r.source


def test_resolution_of_a_meter_that_does_not_know_is_none():
    from harness.meters import CombinedMeter, Meter

    class Unknown(Meter):
        def begin(self):
            return None

        def end(self, token):
            raise AssertionError

    assert Unknown().resolution() is None
    assert CombinedMeter([Unknown(), EstimateMeter()]).resolution() is None
    assert Resolution(1e-6, 0.001, "x").as_dict() == {"energy_j": 1e-6, "update_s": 0.001, "source": "x"}
