"""The probe every run, ``meters`` and ``auto`` do when they open a counter meter: zones that mirror
one counter are counted once, counters that do not advance are refused (issue 15, items 1 and 2).

The layouts are the real ones: AMD Threadripper 1950X exposes ``package-0-die-0`` and
``package-0-die-1`` reading one socket counter (range 65532610987 µJ); Intel parts with two dies per
package expose the same names for two distinct counters.
"""

from __future__ import annotations

import time

import pytest

from fake_powercap import make_die_powercap
from harness.errors import MeterError
from harness.meters import EstimateMeter, measure_baseline, open_meter
from harness.meters.rapl import PROBE_TIMEOUT_S, RaplMeter

THREADRIPPER_UJ = 38419855704  # both die zones read this: one counter
MIRROR = {"package-0-die-1": "package-0-die-0", "package-0-die-1/core": "package-0-die-0/core"}


def window(meter, seconds, fake):
    fake.sync()
    token = meter.begin()
    time.sleep(seconds)
    fake.sync()
    return meter.end(token)


def test_threadripper_mirrored_dies_are_counted_once(powercap):
    fake = powercap(builder=make_die_powercap, start_uj=[THREADRIPPER_UJ, THREADRIPPER_UJ])
    fake.start({"package-0-die-0": 68.0, "package-0-die-0/core": 0.6}, mirror=MIRROR)
    sel = open_meter("rapl")
    meter = sel.meter
    try:
        assert meter.total_domains() == ["package-0-die-0"]
        assert meter.mirrors == MIRROR
        m = window(meter, 0.3, fake)
    finally:
        meter.close()
    assert m.total_j / m.duration_s == pytest.approx(68.0, rel=0.03)  # not 136 W
    assert m.domains_j["package-0-die-1"] == m.domains_j["package-0-die-0"]  # still reported
    # said in the run's first line and in the manifest's meter facts
    line = sel.summary()
    assert line.startswith("meter: rapl, total = package-0-die-0 (package-0-die-1 mirrors package-0-die-0: "
                           "one counter, counted once)")
    facts = meter.describe()
    assert facts["total_domains"] == ["package-0-die-0"]
    assert facts["mirrored_zones"]["package-0-die-1"] == "package-0-die-0"
    assert "lockstep" in facts["mirror_evidence"] and 0 < facts["probe_s"] < PROBE_TIMEOUT_S


def test_idle_baseline_of_mirrored_dies_is_the_socket_power(powercap):
    fake = powercap(builder=make_die_powercap, start_uj=[THREADRIPPER_UJ, THREADRIPPER_UJ])
    fake.start({"package-0-die-0": 68.0, "package-0-die-0/core": 0.6}, mirror=MIRROR)
    meter = open_meter("rapl").meter
    try:
        b = measure_baseline(meter, 0.3)
    finally:
        meter.close()
    assert b["total_w"] == pytest.approx(68.0, rel=0.2)  # the doubled figure was 136 W


def test_two_distinct_dies_still_add_up(powercap):
    # Intel, two dies per package: same names, two counters.
    fake = powercap(builder=make_die_powercap, start_uj=[51_000_000_000, 48_000_000_000])
    fake.start({"package-0-die-0": 40.0, "package-0-die-1": 30.0})
    meter = open_meter("rapl").meter
    try:
        assert meter.total_domains() == ["package-0-die-0", "package-0-die-1"]
        assert meter.mirrors == {} and meter.mirror_note() == ""
        m = window(meter, 0.3, fake)
    finally:
        meter.close()
    assert m.total_j / m.duration_s == pytest.approx(70.0, rel=0.03)


def test_distinct_counters_that_start_equal_are_not_mirrors(powercap):
    # A fresh tree: every counter reads 0 at the start. Different powers part them in the probe.
    fake = powercap(builder=make_die_powercap)
    fake.start({"package-0-die-0": 40.0, "package-0-die-1": 30.0,
                "package-0-die-0/core": 10.0, "package-0-die-1/core": 5.0})
    meter = open_meter("rapl").meter
    try:
        assert meter.total_domains() == ["package-0-die-0", "package-0-die-1"]
        assert meter.mirrors == {}
    finally:
        meter.close()


def test_two_sockets_with_dram_add_up_after_the_probe(powercap):
    fake = powercap(sockets=2, with_dram=True)  # all counters at 0 when the probe starts
    fake.start({"package-0": 20.0, "package-0/dram": 3.0, "package-1": 25.0, "package-1/dram": 4.0,
                "package-0/core": 9.0, "package-1/core": 11.0})
    meter = open_meter("rapl").meter
    try:
        assert meter.total_domains() == ["package-0", "package-0/dram", "package-1", "package-1/dram"]
        m = window(meter, 0.3, fake)
    finally:
        meter.close()
    assert m.total_j / m.duration_s == pytest.approx(52.0, rel=0.03)


def test_without_a_probe_identical_non_zero_values_are_taken_as_mirrors(powercap):
    fake = powercap(builder=make_die_powercap, start_uj=[THREADRIPPER_UJ, THREADRIPPER_UJ])
    with RaplMeter() as meter:  # opened directly: no probe
        assert meter.total_domains() == ["package-0-die-0"]
        assert "not probed" in meter.describe()["mirror_evidence"]
        token = meter.begin()
        for d in ("package-0-die-0", "package-0-die-1"):
            fake.set_uj(d, THREADRIPPER_UJ + 680_000_000)  # 68 W x 10 s of the one counter
        assert meter.end(token).total_j == pytest.approx(680.0)


def test_without_a_probe_counters_at_zero_are_not_mirrors(powercap):
    powercap(sockets=2)  # every counter at 0: no evidence of anything
    with RaplMeter() as meter:
        assert meter.total_domains() == ["package-0", "package-0/dram", "package-1", "package-1/dram"]


def test_frozen_counters_are_refused_and_auto_skips_them(powercap):
    fake = powercap(sockets=1)  # no writer: the counters never move, as on some VMs
    t0 = time.perf_counter()
    with pytest.raises(MeterError) as e:
        open_meter("rapl")
    took = time.perf_counter() - t0
    msg = str(e.value)
    assert "did not advance" in msg and "--meter estimate" in msg and "\n" not in msg
    assert str(fake.energy_path("package-0")).replace("/intel-rapl/intel-rapl:0", "/intel-rapl:0") in msg
    assert took < 1.0  # the probe gives up after PROBE_TIMEOUT_S
    sel = open_meter("auto")
    assert isinstance(sel.meter, EstimateMeter)
    assert "did not advance" in sel.reasons["rapl"] and "did not advance" in sel.reasons["pyrapl"]


def test_one_frozen_total_zone_is_refused(powercap):
    fake = powercap(sockets=1, with_dram=True)
    fake.start({"package-0": 20.0, "package-0/core": 5.0})  # dram never moves
    with pytest.raises(MeterError, match=r"did not advance in [\d.]+ s: \S+intel-rapl:0:1/energy_uj \("):
        open_meter("rapl")


def test_a_frozen_zone_outside_the_total_is_accepted(powercap):
    fake = powercap(sockets=1, with_dram=True, with_psys=True)
    fake.start({"package-0": 20.0, "package-0/dram": 3.0})  # core and psys stay at 0
    meter = open_meter("rapl").meter
    try:
        assert meter.total_domains() == ["package-0", "package-0/dram"]
    finally:
        meter.close()


def test_probe_of_a_moving_tree_is_short(powercap):
    fake = powercap(sockets=1)
    fake.start({"package-0": 20.0, "package-0/core": 5.0, "package-0/dram": 3.0})
    with RaplMeter() as meter:
        meter.probe()
        # a few writer periods; loose bound for a loaded 2-core machine
        assert meter.probe_s < PROBE_TIMEOUT_S


def test_baseline_that_reads_zero_is_refused(powercap):
    powercap(sockets=1)
    with RaplMeter() as meter:  # opened without the probe, counters frozen
        with pytest.raises(MeterError, match=r"package-0, package-0/dram read 0 J over the .* idle baseline"):
            measure_baseline(meter, 0.25)
        assert measure_baseline(meter, 0.05)["total_w"] == 0  # too short to tell (NVML moves in steps)


def test_estimate_baseline_of_an_idle_process_is_not_refused():
    assert measure_baseline(EstimateMeter(), 0.02)["total_w"] >= 0


def test_quiet_summary_is_one_short_line(powercap, deny_read):
    fake = powercap(sockets=1)
    deny_read(fake.energy_path("package-0"))
    sel = open_meter("auto")
    full, short = sel.summary(), sel.summary(short=True)
    assert short.startswith("meter: estimate (ESTIMATED energy, not measured), total = cpu; not used: rapl: cannot read ")
    assert "permission denied" in short and "grant read access" not in short and "Linux 5.10" not in short
    assert "grant read access" in full
    assert "\n" not in short and len(short) < len(full) / 2
