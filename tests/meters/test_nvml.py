"""The nvml meter with a fake pynvml module, alone and combined with a CPU meter."""

from __future__ import annotations

import sys

import pytest
from fake_nvml import FakeNVMLError

from harness.errors import MeterError
from harness.meters import open_meter
from harness.meters.nvml import NvmlMeter


def test_per_device_domains_in_joules(pynvml):
    nv = pynvml([1_000, 50_000])
    meter = NvmlMeter()
    assert meter.domains() == ["gpu0", "gpu1"]
    token = meter.begin()
    nv.energy_mj[0] += 2_500
    nv.energy_mj[1] += 100_000
    m = meter.end(token)
    assert m.domains_j == {"gpu0": pytest.approx(2.5), "gpu1": pytest.approx(100.0)}
    assert m.total_j == pytest.approx(102.5)
    assert meter.describe()["gpus"] == {"gpu0": "Fake GPU 0", "gpu1": "Fake GPU 1"}
    meter.close()
    meter.close()
    assert nv.calls == ["init", "shutdown"]


def test_unsupported_gpus_are_skipped_or_refused(pynvml):
    pynvml([0, 0], supported=[False, True])
    meter = NvmlMeter()
    assert meter.domains() == ["gpu1"]
    meter.close()
    with pytest.raises(MeterError, match="gpu0.*Volta"):
        NvmlMeter(devices=[0])
    with pytest.raises(MeterError, match="GPU 5 does not exist"):
        NvmlMeter(devices=[5])


def test_no_gpu_or_no_driver(pynvml):
    nv = pynvml([])
    with pytest.raises(MeterError, match="no GPU"):
        NvmlMeter()
    assert nv.calls == ["init", "shutdown"]
    pynvml([0], init_error=FakeNVMLError("Driver Not Loaded"))
    with pytest.raises(MeterError, match="NVML cannot start.*Driver Not Loaded"):
        NvmlMeter()


def test_missing_library(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml -> ImportError
    with pytest.raises(MeterError, match=r"pip install '\.\[nvidia\]'"):
        NvmlMeter()
    with pytest.raises(MeterError, match="nvidia-ml-py"):
        open_meter(["estimate", "nvml"])


def test_combined_with_rapl(pynvml, powercap):
    nv = pynvml([0])
    fake = powercap(sockets=1)
    with fake.moving():
        sel = open_meter(["rapl", "nvml"])
    meter = sel.meter
    assert meter.name == "rapl+nvml" and not meter.estimated
    assert meter.domains() == ["package-0", "package-0/core", "package-0/dram", "gpu0"]
    assert meter.total_domains() == ["package-0", "package-0/dram", "gpu0"]
    token = meter.begin()
    fake.set_uj("package-0", 4_000_000)
    fake.set_uj("package-0/core", 3_000_000)
    fake.set_uj("package-0/dram", 1_000_000)
    nv.energy_mj[0] = 7_000
    m = meter.end(token)
    assert m.total_j == pytest.approx(4 + 1 + 7)
    assert m.domains_j["gpu0"] == pytest.approx(7.0)
    assert "total = package-0 + package-0/dram + gpu0" in sel.summary()
    assert [p["name"] for p in meter.describe()["parts"]] == ["rapl", "nvml"]
    meter.close()
    assert nv.calls[-1] == "shutdown"


def test_combined_with_estimate_is_estimated(pynvml):
    pynvml([0])
    sel = open_meter(["estimate", "nvml"])
    assert sel.meter.name == "estimate+nvml" and sel.meter.estimated
    assert sel.meter.domains() == ["cpu", "gpu0"]
    assert "ESTIMATED" in sel.summary()
    sel.meter.close()
