"""The nvml meter measures the GPUs the job was given (CUDA_VISIBLE_DEVICES, nvml.devices), names the
ones it does not measure and why (not given, no energy counter: a partial total), says that a GPU in
MIG mode is measured whole, and turns a counter that went backwards (GPU reset) into NaN with a reason."""

from __future__ import annotations

import math

import pytest
from fake_nvml import uuid_of

from harness.errors import MeterError
from harness.meters import measure_baseline, open_meter
from harness.meters.nvml import NvmlMeter, parse_visible


@pytest.mark.parametrize("value, entries, ignored", [
    ("3", ["3"], ""),
    ("0,2", ["0", "2"], ""),
    ("", [], ""),
    ("-1", [], "-1"),                      # the usual way to hide every GPU
    ("0,-1,2", ["0"], "-1,2"),             # CUDA stops at the first invalid entry
    ("1,foo,0", ["1"], "foo,0"),
    ("GPU-abc, MIG-def", ["GPU-abc", "MIG-def"], ""),
])
def test_visible_devices_are_read_as_cuda_reads_them(value, entries, ignored):
    assert parse_visible(value) == (entries, ignored)


def test_only_the_gpu_the_job_was_given(pynvml, monkeypatch):
    # codecarbon#567: 8 GPUs on the node, the job was given GPU 3; NVML lists all eight
    nv = pynvml([10_000 * (i + 1) for i in range(8)], models=["NVIDIA A100-SXM4-80GB"] * 8)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    meter = NvmlMeter()
    assert meter.domains() == ["gpu3"]
    token = meter.begin()
    for i in range(8):
        nv.energy_mj[i] += 350_000
    nv.energy_mj[3] += 62_000 - 350_000
    assert meter.end(token).total_j == pytest.approx(62.0)
    assert meter.not_measured == {f"gpu{i}": "not given to this job" for i in range(8) if i != 3}
    assert meter.chosen_by == "CUDA_VISIBLE_DEVICES=3" and not meter.partial
    notes = " ".join(meter.notes())
    assert "gpu3 (CUDA_VISIBLE_DEVICES=3)" in notes and "gpu0, gpu1, gpu2, gpu4, gpu5, gpu6, gpu7 (not given" in notes
    described = meter.describe()
    assert described["gpus"] == {"gpu3": "NVIDIA A100-SXM4-80GB"} and described["not_measured"]["gpu7"] == "not given to this job"
    meter.close()


def test_visible_uuids_and_prefixes(pynvml, monkeypatch):
    pynvml([0, 0, 0])
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", f"{uuid_of(2)},{uuid_of(0)[:12]}")
    meter = NvmlMeter()
    assert meter.domains() == ["gpu2", "gpu0"]
    meter.close()


def test_entries_after_an_invalid_one_are_ignored_and_said(pynvml, monkeypatch):
    pynvml([0, 0, 0], models=["T4"] * 3)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1,7,0")  # 7 names no GPU here: CUDA sees only GPU 1
    meter = NvmlMeter()
    assert meter.domains() == ["gpu1"]
    assert any("'7,0' ignored" in n for n in meter.notes())
    meter.close()


@pytest.mark.parametrize("value", ["", "-1", "NoDevFiles"])
def test_no_gpu_given_is_refused(pynvml, monkeypatch, value):
    nv = pynvml([0, 0], models=["T4"] * 2)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", value)
    with pytest.raises(MeterError, match="no GPU of this job"):
        NvmlMeter()
    assert nv.calls == ["init", "shutdown"]


def test_cuda_and_nvml_order_differ_on_mixed_models(pynvml, monkeypatch):
    pynvml([0, 0], models=["Quadro RTX 6000", "NVIDIA TITAN V"])
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    with pytest.raises(MeterError, match="CUDA_DEVICE_ORDER=PCI_BUS_ID"):
        NvmlMeter()
    monkeypatch.setenv("CUDA_DEVICE_ORDER", "PCI_BUS_ID")
    meter = NvmlMeter()
    assert meter.domains() == ["gpu1"]
    meter.close()
    monkeypatch.delenv("CUDA_DEVICE_ORDER")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", uuid_of(1))  # a UUID is unambiguous
    meter = NvmlMeter()
    assert meter.domains() == ["gpu1"]
    meter.close()


def test_explicit_devices_win_over_the_environment(pynvml, monkeypatch):
    pynvml([0, 0, 0])
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    meter = NvmlMeter(devices=[2, uuid_of(1)])  # NVML indices, as benchmarks/gpu_check.py gives them
    assert meter.domains() == ["gpu2", "gpu1"]
    assert meter.chosen_by == "nvml.devices" and meter.not_measured == {"gpu0": "not named in nvml.devices"}
    assert any("CUDA_VISIBLE_DEVICES=0 is not used" in n for n in meter.notes())
    meter.close()
    with pytest.raises(MeterError, match="names no GPU"):
        NvmlMeter(devices=["GPU-ffff"])


def test_a_gpu_without_the_counter_makes_the_total_partial(pynvml):
    # codecarbon#608/#1316: a TITAN X (Pascal) beside a Turing GPU; it used to be named only in the manifest
    pynvml([81_234_567, 0], supported=[True, False], models=["Quadro RTX 6000", "NVIDIA TITAN X (Pascal)"])
    sel = open_meter(["estimate", "nvml"])
    nvml = sel.meter.meters[1]
    assert nvml.domains() == ["gpu0"] and nvml.partial
    assert nvml.not_measured["gpu1"].startswith("no energy counter")
    for line in (sel.summary(), sel.summary(short=True)):  # the run's first line, --quiet or not
        assert "PARTIAL GPU total" in line and "gpu1 (NVIDIA TITAN X (Pascal)): Not Supported" in line
    parts = sel.meter.describe()["parts"][1]
    assert parts["partial"] is True and parts["unsupported"] == ["gpu1 (NVIDIA TITAN X (Pascal)): Not Supported"]
    sel.meter.close()


def test_only_gpus_without_the_counter_are_refused_in_one_line(pynvml):
    pynvml([0], supported=[False], models=["Tesla P100-PCIE-16GB"])
    with pytest.raises(MeterError, match=r"gpu0 \(Tesla P100-PCIE-16GB\): Not Supported") as e:
        NvmlMeter()
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("by_uuid", [True, False])
def test_a_mig_instance_is_measured_as_its_whole_gpu_and_said(pynvml, monkeypatch, by_uuid):
    mig_uuid = "MIG-8c4c5a27-e508-5556-b2ea-7e549465741e"
    pynvml([0, 5_000], mig=[False, True], models=["A", "NVIDIA A100-SXM4-40GB"],
           mig_devices={mig_uuid: 1}, by_uuid=by_uuid)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", mig_uuid)
    meter = NvmlMeter()
    assert meter.domains() == ["gpu1"] and meter.whole_gpu_mig == ["gpu1"]
    notes = " ".join(meter.notes())
    assert "whole NVIDIA A100-SXM4-40GB in MIG mode" in notes and "other tenants" in notes
    assert ("NVML could not say" in notes) is (not by_uuid)  # found by elimination: said so
    assert meter.describe()["whole_gpu_mig"] == ["gpu1"]
    meter.close()


def test_a_mig_instance_nvml_cannot_place_is_not_guessed(pynvml, monkeypatch):
    pynvml([0, 0], mig=[True, True], by_uuid=False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "MIG-0000")
    with pytest.raises(MeterError, match="ignored"):
        NvmlMeter()


def test_counter_in_millijoules(pynvml):
    # pyJoules#23: 280 W for 60 s is 16,800 J = 16,800,000 mJ (read as uJ it would be 16.8 J)
    nv = pynvml([3_141_592])
    meter = NvmlMeter()
    token = meter.begin()
    nv.energy_mj[0] += 16_800_000
    assert meter.end(token).total_j == pytest.approx(16_800.0)
    meter.close()


def test_a_counter_that_goes_backwards_is_nan_with_a_reason(pynvml):
    # a GPU reset / driver reload restarts the counter: it used to give -987,614 J
    nv = pynvml([987_654_321, 1_000])
    meter = NvmlMeter()
    token = meter.begin()
    nv.energy_mj[0] = 40_000
    nv.energy_mj[1] += 2_000
    m = meter.end(token)
    assert math.isnan(m.total_j) and math.isnan(m.domains_j["gpu0"])
    assert m.domains_j["gpu1"] == pytest.approx(2.0)  # the other GPU's window is still a reading
    assert "gpu0 counter went backwards (987654321 -> 40000 mJ" in m.invalid and "reset" in m.invalid
    token = meter.begin()
    assert meter.end(token).invalid == ""  # the next window, from the new count, is a measurement
    meter.close()


def test_backwards_counter_in_a_combined_meter_and_the_baseline(pynvml):
    nv = pynvml([5_000_000])
    sel = open_meter(["estimate", "nvml"])
    token = sel.meter.begin()
    nv.energy_mj[0] = 0
    m = sel.meter.end(token)
    assert math.isnan(m.total_j) and "gpu0 counter went backwards" in m.invalid

    class Resetting:  # the baseline window sees the reset: refused, not a NaN idle power
        name, estimated = "nvml", False

        def begin(self):
            nv.energy_mj[0] = 9_000_000
            return sel.meter.begin()

        def end(self, token):
            nv.energy_mj[0] = 1_000
            return sel.meter.end(token)

        def total_domains(self):
            return sel.meter.total_domains()

    with pytest.raises(MeterError, match="baseline is not a measurement.*went backwards"):
        measure_baseline(Resetting(), 0.01)
    sel.meter.close()
