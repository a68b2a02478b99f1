"""The pyrapl meter, pointed at a fake powercap tree (pyRAPL hard-codes /sys/class/powercap)."""

from __future__ import annotations

import math
import time

import pytest

from harness.errors import MeterError
from harness.meters.pyrapl import PyRaplMeter


def test_reads_package_and_dram_at_known_power(powercap):
    fake = powercap(sockets=1)
    with PyRaplMeter() as meter:
        assert meter.domains() == ["package-0", "package-0/dram"]
        assert meter.total_domains() == ["package-0", "package-0/dram"]
        fake.start({"package-0": 20.0, "dram": 3.0})
        fake.sync()  # see test_rapl.window
        token = meter.begin()
        time.sleep(0.5)
        fake.sync()
        m = meter.end(token)
    assert m.total_j / m.duration_s == pytest.approx(23.0, rel=0.02)
    assert m.domains_j["package-0/dram"] / m.duration_s == pytest.approx(3.0, rel=0.02)


def test_two_sockets(powercap):
    fake = powercap(sockets=2, with_psys=True)
    with PyRaplMeter() as meter:
        assert meter.domains() == ["package-0", "package-0/dram", "package-1", "package-1/dram"]
        token = meter.begin()
        fake.set_uj("package-1", 2_000_000)
        fake.set_uj("psys", 9_000_000)  # pyRAPL ignores psys
        m = meter.end(token)
    assert m.total_j == pytest.approx(2.0)


def test_wrap_gives_nan_not_a_wrong_number(powercap):
    fake = powercap(sockets=1, max_energy_range_uj=10_000_000)
    with PyRaplMeter() as meter:
        fake.set_uj("package-0", 9_999_000)
        token = meter.begin()
        fake.set_uj("package-0", 5_000)
        m = meter.end(token)
    assert math.isnan(m.domains_j["package-0"]) and math.isnan(m.total_j)
    assert m.domains_j["package-0/dram"] == 0.0
    assert m.invalid == "package-0 counter went backwards (a wrap, which pyRAPL does not correct, or a reset)"  # the row says why
    assert meter.describe()["wraparound_corrected"] is False


def test_permission_denied_is_one_clear_line(powercap, deny_read):
    fake = powercap(sockets=1)
    deny_read(fake.energy_path("package-0"))
    with pytest.raises(MeterError) as e:
        PyRaplMeter()
    msg = str(e.value)
    assert "\n" not in msg and "permission denied" in msg and "intel-rapl:0/energy_uj" in msg
    for fix in ("udev", "chmod", "root", "--meter estimate"):
        assert fix in msg


def test_no_tree_is_a_meter_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_POWERCAP_ROOT", str(tmp_path / "missing"))
    with pytest.raises(MeterError, match="pyRAPL found no readable RAPL package zone"):
        PyRaplMeter()


def test_pyrapl_module_is_restored(powercap):
    import pyRAPL.device_api as api

    before = (api.os, api.get_socket_ids, "open" in api.__dict__)
    powercap(sockets=1)
    PyRaplMeter().close()
    assert (api.os, api.get_socket_ids, "open" in api.__dict__) == before
