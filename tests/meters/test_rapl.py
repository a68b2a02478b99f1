"""The rapl meter on fake powercap trees: discovery, total rule, power, wraparound, permissions."""

from __future__ import annotations

import math
import os
import re
import threading
import time

import pytest

from harness.errors import MeterError
from harness.meters.rapl import RaplMeter, discover_zones, total_domains


def window(meter, seconds, fake=None):
    """One window of ``seconds``; with ``fake``, both ends follow a fresh write of its counters."""
    if fake is not None:
        fake.sync()
    token = meter.begin()
    time.sleep(seconds)
    if fake is not None:
        fake.sync()
    return meter.end(token)


def test_single_socket_domains_and_total(powercap):
    fake = powercap(sockets=1, with_uncore=True)
    with RaplMeter() as meter:
        assert meter.domains() == ["package-0", "package-0/core", "package-0/uncore", "package-0/dram"]
        assert meter.total_domains() == ["package-0", "package-0/dram"]
        assert meter.describe()["total_domains"] == ["package-0", "package-0/dram"]
        assert str(meter.root) == str(fake.root)


def test_reads_23_w_within_2_percent(powercap):
    fake = powercap(sockets=1)
    with RaplMeter() as meter:
        fake.start({"package-0": 20.0, "dram": 3.0, "package-0/core": 12.0})
        m = window(meter, 0.5, fake)
    assert m.total_j / m.duration_s == pytest.approx(23.0, rel=0.02)
    assert m.domains_j["package-0"] / m.duration_s == pytest.approx(20.0, rel=0.02)
    assert m.domains_j["package-0/dram"] / m.duration_s == pytest.approx(3.0, rel=0.02)
    # core is inside the package: reported, not added
    assert m.domains_j["package-0/core"] / m.duration_s == pytest.approx(12.0, rel=0.02)
    assert 0.5 <= m.duration_s < 0.6


def test_multi_socket_with_psys_counts_packages_and_dram_only(powercap):
    fake = powercap(sockets=2, with_psys=True, with_core=True, with_dram=True)
    with RaplMeter() as meter:
        assert meter.domains() == [
            "package-0", "package-0/core", "package-0/dram",
            "package-1", "package-1/core", "package-1/dram",
            "psys",
        ]
        assert meter.total_domains() == ["package-0", "package-0/dram", "package-1", "package-1/dram"]
        spent_uj = {"package-0": 1_000_000, "package-0/core": 700_000, "package-0/dram": 200_000,
                    "package-1": 3_000_000, "package-1/core": 2_000_000, "package-1/dram": 400_000,
                    "psys": 9_000_000}
        token = meter.begin()
        for d, uj in spent_uj.items():
            fake.set_uj(d, uj)
        m = meter.end(token)
    assert m.total_j == pytest.approx(1.0 + 0.2 + 3.0 + 0.4)
    assert m.domains_j["psys"] == pytest.approx(9.0)
    assert m.domains_j["package-1/core"] == pytest.approx(2.0)


def test_psys_alone_is_the_total(powercap):
    # A tree with psys but no package zone: psys is the total.
    fake = powercap(sockets=0, with_psys=True)
    with RaplMeter() as meter:
        assert meter.domains() == ["psys"]
        assert meter.total_domains() == ["psys"]
        token = meter.begin()
        fake.set_uj("psys", 2_500_000)
        assert meter.end(token).total_j == pytest.approx(2.5)


def test_total_rule_function():
    assert total_domains(["package-0", "package-0/core", "psys"], [True, False, True]) == ["package-0"]
    assert total_domains(["psys"], [True]) == ["psys"]
    assert total_domains(["package-0", "package-0/uncore", "package-0/dram", "dram"],
                         [True, False, False, True]) == ["package-0", "package-0/dram", "dram"]


def test_symlinked_and_mmio_zones_are_not_counted_twice(powercap):
    fake = powercap(sockets=1)
    # Root has intel-rapl/ (control type) and intel-rapl:0 -> intel-rapl/intel-rapl:0: read once.
    assert (fake.root / "intel-rapl" / "intel-rapl:0").is_dir()
    assert (fake.root / "intel-rapl:0").is_symlink()
    # intel-rapl-mmio:0 is package-0 again through MMIO on some client CPUs.
    mmio = fake.root / "intel-rapl-mmio:0"
    mmio.mkdir()
    (mmio / "name").write_text("package-0\n")
    (mmio / "energy_uj").write_text("5\n")
    (mmio / "max_energy_range_uj").write_text("1000\n")
    zones = discover_zones(fake.root)
    assert [z.domain for z in zones] == ["package-0", "package-0/core", "package-0/dram"]
    assert [z.path.name for z in zones] == ["intel-rapl:0", "intel-rapl:0:0", "intel-rapl:0:1"]


def test_amd_style_tree_without_dram(powercap):
    powercap(sockets=1, with_dram=False, with_core=True)
    with RaplMeter() as meter:
        assert meter.domains() == ["package-0", "package-0/core"]
        assert meter.total_domains() == ["package-0"]


def test_one_wrap_inside_a_window_is_corrected(powercap):
    fake = powercap(sockets=1, max_energy_range_uj=10_000_000)
    with RaplMeter() as meter:
        fake.set_uj("package-0", 9_999_000)
        token = meter.begin()
        fake.set_uj("package-0", 5_000)  # wrapped: 1_000 up to the range, 5_000 after
        m = meter.end(token)
    assert m.domains_j["package-0"] == pytest.approx(0.006)


def test_a_wrap_faster_than_the_clock_is_still_a_wrap(powercap):
    # c08: AMD's 65.5 kJ range, 100 J below its top, then 560 J in a window the fake makes instant: the
    # energy outruns max_power_w over the clock's gap, but a step this far below half the range is a
    # wrap (was taken for a reset: NaN where 560 J is exact)
    fake = powercap(sockets=1, max_energy_range_uj=65_532_610_987)
    with RaplMeter() as meter:
        fake.set_uj("package-0", 65_532_610_987 - 100_000_000)
        token = meter.begin()
        fake.set_uj("package-0", 460_000_000)
        m = meter.end(token)
    assert m.domains_j["package-0"] == pytest.approx(560.0) and not m.invalid


def test_counter_going_backwards_by_less_than_a_wrap_is_not_a_measurement(powercap):
    # 10 J back on a 262 kJ counter: read as a wrap it would be ~262 kJ in a few ms (the bug); it is
    # a reset, so the window is NaN with the reason, never a near-full wrap of joules.
    fake = powercap(sockets=1, max_energy_range_uj=262_143_328_850)
    with RaplMeter() as meter:
        fake.set_uj("package-0", 50_000_000)
        outer = meter.begin()
        token = meter.begin()
        fake.set_uj("package-0", 49_990_000)
        m = meter.end(token)
        after = meter.begin()  # a window opened after the jump is a measurement again
        fake.set_uj("package-0", 51_990_000)
        m_after = meter.end(after)
        m_outer = meter.end(outer)
    assert math.isnan(m.total_j) and math.isnan(m.domains_j["package-0"])
    assert "package-0 counter went backwards" in m.invalid
    assert math.isnan(m_outer.total_j) and m_outer.invalid
    assert m_after.domains_j["package-0"] == pytest.approx(2.0) and not m_after.invalid


def test_many_wraps_inside_one_long_window_are_corrected(powercap):
    # 1 J range at 20 W wraps every 50 ms: a 0.5 s window holds ~10 wraps, which only the
    # background sampler (every ~2.5 ms with max_power_w=100) can see.
    fake = powercap(sockets=1, max_energy_range_uj=1_000_000)
    with RaplMeter(max_power_w=100.0) as meter:
        assert meter.period_s == pytest.approx(1.0 / 100.0 / 4)
        fake.start({"package-0": 20.0, "dram": 3.0})
        m = window(meter, 0.5, fake)
    assert m.total_j / m.duration_s == pytest.approx(23.0, rel=0.02)
    assert m.domains_j["package-0"] / m.duration_s == pytest.approx(20.0, rel=0.02)


def test_two_wraps_need_the_sampler(powercap):
    # Same tree and power, but a sampling period too long for it: the wraps are missed.
    # This shows the previous test passes because of the sampler, not by luck.
    fake = powercap(sockets=1, max_energy_range_uj=1_000_000)
    with RaplMeter(max_power_w=0.5) as meter:  # period 0.5 s: never samples within the window
        fake.start({"package-0": 20.0})
        m = window(meter, 0.3)
    assert m.domains_j["package-0"] < 1.0  # far below the 6 J really spent


def test_sampler_only_runs_while_a_window_is_open(powercap):
    powercap(sockets=1, max_energy_range_uj=1_000_000)
    with RaplMeter(max_power_w=100.0) as meter:
        assert meter._thread is None  # no thread before the first window
        token = meter.begin()
        assert meter._wake.is_set()
        meter.end(token)
        deadline = time.monotonic() + 1
        while meter._wake.is_set() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert not meter._wake.is_set()  # idle again: the thread waits, reads nothing
        thread = meter._thread
    assert not thread.is_alive()  # close() stops it


def test_realistic_range_has_a_long_sampling_period(powercap):
    powercap(sockets=1)  # 262 kJ range
    with RaplMeter() as meter:
        assert meter.period_s > 60


def test_nested_and_overlapping_windows(powercap):
    fake = powercap(sockets=1, max_energy_range_uj=10_000_000)
    with RaplMeter() as meter:
        fake.set_uj("package-0", 0)
        outer = meter.begin()
        fake.set_uj("package-0", 1_000_000)
        inner = meter.begin()
        fake.set_uj("package-0", 9_000_000)
        assert meter.end(meter.begin()).domains_j["package-0"] == 0  # a third window reads here
        fake.set_uj("package-0", 2_000_000)  # wrapped: 1 J up to the range, 2 J after
        assert meter.end(inner).domains_j["package-0"] == pytest.approx(11.0)
        fake.set_uj("package-0", 2_500_000)
        assert meter.end(outer).domains_j["package-0"] == pytest.approx(12.5)


def test_permission_denied_is_one_clear_line(powercap, deny_read):
    fake = powercap(sockets=1)
    path = fake.energy_path("package-0/dram")
    deny_read(path)
    with pytest.raises(MeterError) as e:
        RaplMeter()
    msg = str(e.value)
    assert "\n" not in msg
    named = re.match(r"cannot read (\S+): ", msg).group(1)
    assert os.path.samefile(named, path)  # the path as the user sees it (through the symlink)
    assert "permission denied" in msg
    for fix in ("udev", "chmod", "root", "--meter estimate"):
        assert fix in msg


def test_open_failure_leaves_no_file_open(powercap, deny_read):
    fake = powercap(sockets=2)
    deny_read(fake.energy_path("package-1"))
    before = len(os.listdir("/proc/self/fd"))
    with pytest.raises(MeterError):
        RaplMeter()
    assert len(os.listdir("/proc/self/fd")) == before


def test_unreadable_counter_that_is_not_a_permission_error(powercap):
    fake = powercap(sockets=1)
    path = fake.energy_path("package-0")
    path.unlink()
    path.mkdir()  # reading a directory fails with EISDIR
    with pytest.raises(MeterError, match="cannot read .*energy_uj"):
        RaplMeter()


def test_missing_root_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_POWERCAP_ROOT", str(tmp_path / "nothing"))
    with pytest.raises(MeterError, match="does not exist.*--meter estimate"):
        RaplMeter()


def test_empty_root_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_POWERCAP_ROOT", str(tmp_path))
    with pytest.raises(MeterError, match="no RAPL zone"):
        RaplMeter()


def test_bad_max_power(powercap):
    powercap(sockets=1)
    with pytest.raises(MeterError, match="rapl.max_power_w"):
        RaplMeter(max_power_w=0)


def test_windows_from_two_threads(powercap):
    fake = powercap(sockets=1, max_energy_range_uj=2_000_000)
    results = []
    with RaplMeter(max_power_w=200.0) as meter:
        fake.start({"package-0": 20.0})

        def work():
            results.append(window(meter, 0.3, fake))

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for m in results:
        assert m.domains_j["package-0"] / m.duration_s == pytest.approx(20.0, rel=0.03)


def test_close_twice(powercap):
    powercap(sockets=1)
    meter = RaplMeter()
    meter.end(meter.begin())
    meter.close()
    meter.close()


@pytest.mark.parametrize("file", ["max_energy_range_uj", "name"])
def test_every_zone_file_denied_is_named_with_the_fix(powercap, deny_read, file):
    # A distro that leaves energy_uj readable (the documented fix) but max_energy_range_uj
    # root-only, as in powerapi-ng/pyJoules#13.
    fake = powercap(sockets=1)
    path = fake.zones["package-0/dram"] / file
    deny_read(path)
    with pytest.raises(MeterError) as e:
        RaplMeter()
    msg = str(e.value)
    assert "\n" not in msg
    named = re.match(r"cannot read (\S+): permission denied ", msg).group(1)
    assert os.path.samefile(named, path)
    assert msg.count(named) == 1  # the path once (str(OSError) would repeat it)
    for fix in ("name, energy_uj and max_energy_range_uj", "udev", "chmod", "root", "--meter estimate"):
        assert fix in msg


def test_unreadable_range_names_the_file_once(powercap, monkeypatch):
    import errno

    from harness.meters import rapl

    fake = powercap(sockets=1)
    real = rapl._read_text

    def read(path):
        if path.name == "max_energy_range_uj":
            raise OSError(errno.ENODATA, "No data available", str(path))
        return real(path)

    monkeypatch.setattr(rapl, "_read_text", read)
    with pytest.raises(MeterError) as e:
        RaplMeter()
    msg = str(e.value)
    assert msg == f"cannot read {fake.root}/intel-rapl:0/max_energy_range_uj: No data available; use --meter estimate"


def test_docs_access_recipes_cover_every_file_read():
    from pathlib import Path

    from harness.meters.rapl import ZONE_FILES

    docs = (Path(__file__).resolve().parents[2] / "docs" / "meters.md").read_text()
    recipes = [line for line in docs.splitlines()
               if ("chmod" in line or "chgrp" in line) and "harness: error" not in line and "/sys" in line]
    assert len(recipes) >= 2  # the udev rule and the until-reboot chmod
    for line in recipes:
        for f in ZONE_FILES:
            assert f in line, f"{f} missing from the recipe: {line}"
