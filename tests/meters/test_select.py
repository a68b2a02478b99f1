"""open_meter: names, options, auto's choice and its reasons, the summary line, the baseline."""

from __future__ import annotations

import time

import pytest

from harness.errors import MeterError
from harness.meters import (
    METER_NAMES, CombinedMeter, EstimateMeter, Measurement, Meter, measure_baseline, open_meter,
)
from harness.meters.rapl import RaplMeter


def test_meter_names():
    assert set(METER_NAMES) == {"auto", "rapl", "pyrapl", "nvml", "estimate"}


def test_auto_picks_rapl_on_a_readable_tree(powercap):
    with powercap(sockets=1).moving():
        sel = open_meter("auto")
    assert isinstance(sel.meter, RaplMeter)
    assert set(sel.reasons) == {"pyrapl", "estimate"}
    assert sel.summary().startswith("meter: rapl, total = package-0 + package-0/dram; not used: ")
    sel.meter.close()


def test_auto_falls_back_to_estimate_with_reasons(powercap, deny_read):
    fake = powercap(sockets=1)
    deny_read(fake.energy_path("package-0"))
    sel = open_meter("auto", {"estimate": {"tdp_w": 40.0, "cores": 4}})
    assert isinstance(sel.meter, EstimateMeter) and sel.meter.per_core_w == 10.0
    assert set(sel.reasons) == {"rapl", "pyrapl"}
    assert "permission denied" in sel.reasons["rapl"] and "permission denied" in sel.reasons["pyrapl"]
    line = sel.summary()
    assert "\n" not in line
    assert line.startswith("meter: estimate (ESTIMATED energy, not measured), total = cpu; not used: rapl: ")


def test_auto_without_powercap_is_estimate():
    sel = open_meter(["auto"])
    assert sel.meter.name == "estimate"
    assert "does not exist" in sel.reasons["rapl"]
    assert "no readable RAPL package zone" in sel.reasons["pyrapl"]
    # the reasons' own advice ("use --meter estimate") is what auto did: not repeated in the first line
    assert "use --meter estimate" in sel.reasons["rapl"] and "use --meter estimate" not in sel.summary()


def test_auto_with_bad_estimate_options_fails():
    with pytest.raises(MeterError, match="estimate.tdp_w"):
        open_meter("auto", {"estimate": {"tdp_w": -1}})


def test_named_meter_that_cannot_open_raises(powercap, deny_read):
    with pytest.raises(MeterError, match="does not exist"):
        open_meter("rapl")
    fake = powercap(sockets=1)
    deny_read(fake.energy_path("package-0"))
    with pytest.raises(MeterError, match="permission denied"):
        open_meter("rapl")


def test_options_none_means_default_and_unknown_is_refused(powercap):
    sel = open_meter("estimate", {"estimate": {"tdp_w": None, "cores": None}})
    assert sel.meter.tdp_w == sel.meter.per_core_w * sel.meter.cores and sel.reasons == {}
    assert sel.meter.per_core_source  # where the watts per core came from (harness.meters.estimate)
    with pytest.raises(MeterError, match="unknown option estimate.tdp"):
        open_meter("estimate", {"estimate": {"tdp": 5}})
    with pytest.raises(MeterError, match="options for unknown meter 'rappl'"):
        open_meter("estimate", {"rappl": {}})
    with powercap(sockets=1, max_energy_range_uj=1_000_000).moving():
        sel = open_meter("rapl", {"rapl": {"max_power_w": 100}})
    assert sel.meter.period_s == pytest.approx(0.0025)
    sel.meter.close()


@pytest.mark.parametrize("names, match", [
    ("rappl", "unknown meter 'rappl'"),
    ([], "meter is empty"),
    (["rapl", "rapl"], "names a meter twice"),
    (["rapl", "pyrapl"], "count the CPU twice"),
    (["auto", "estimate"], "count the CPU twice"),
])
def test_bad_names(names, match):
    with pytest.raises(MeterError, match=match):
        open_meter(names)


def test_failed_combination_closes_what_it_opened(powercap, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pynvml", None)
    fake = powercap(sockets=1, max_energy_range_uj=1_000_000)
    closed = []
    monkeypatch.setattr(RaplMeter, "close", lambda self: closed.append(self))
    with fake.moving(), pytest.raises(MeterError, match="nvidia-ml-py"):
        open_meter(["rapl", "nvml"])
    assert len(closed) == 1


class Constant(Meter):
    """A meter spending ``watts`` in each of its domains."""

    def __init__(self, name, doms, watts):
        self.name, self._doms, self.watts = name, doms, watts

    def begin(self):
        return time.perf_counter()

    def end(self, t0):
        d = time.perf_counter() - t0
        return Measurement(len(self._doms) * self.watts * d, d, {k: self.watts * d for k in self._doms})

    def domains(self):
        return list(self._doms)


def test_combined_prefixes_clashing_domains():
    meter = CombinedMeter([Constant("a", ["cpu", "x"], 1.0), Constant("b", ["cpu"], 2.0)])
    assert meter.name == "a+b"
    assert meter.domains() == ["a:cpu", "x", "b:cpu"]
    m = meter.end(meter.begin())
    assert set(m.domains_j) == {"a:cpu", "x", "b:cpu"}
    assert m.total_j == pytest.approx(sum(m.domains_j.values()))


def test_baseline_is_power_per_domain():
    meter = Constant("c", ["package-0", "package-0/dram"], 3.0)
    b = measure_baseline(meter, 0.05)
    assert set(b) == {"duration_s", "total_w", "domains_w"}
    assert b["duration_s"] >= 0.05
    assert b["total_w"] == pytest.approx(6.0)
    assert b["domains_w"] == {"package-0": pytest.approx(3.0), "package-0/dram": pytest.approx(3.0)}
    assert measure_baseline(meter, 0) is None


def test_baseline_on_a_fake_tree(powercap):
    fake = powercap(sockets=1)
    with RaplMeter() as meter:
        fake.start({"package-0": 20.0, "dram": 3.0})
        b = measure_baseline(meter, 0.3)
    # measure_baseline cannot wait for the fake's writer thread, which a busy machine delays
    assert b["total_w"] == pytest.approx(23.0, rel=0.2)
    assert b["domains_w"]["package-0/dram"] / b["total_w"] == pytest.approx(3 / 23, rel=0.2)


def test_baseline_rejects_negative_seconds():
    with pytest.raises(MeterError, match="baseline seconds"):
        measure_baseline(EstimateMeter(), -1)
