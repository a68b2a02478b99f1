"""The checklist warns about what distorts a measurement, with what to do, and stays quiet on a
well-prepared machine; the run and ``doctor`` repeat the warnings."""

import pytest

from clitools import harness
from fake_machine import make_fake_machine
from harness.hygiene import machine
from harness.hygiene.checklist import checklist, warnings


def _state(tmp_path, **kw):
    sys_root, proc_root = make_fake_machine(tmp_path, **kw)
    s = machine.machine_state(sys_root, proc_root, process_sample_s=0)
    s["affinity"] = {"cpus": [0, 1], "pinned": False, "cpu_count": 2}
    s["git"] = {"path": "/x", "commit": "a" * 40, "dirty": False}
    return s


def test_a_badly_prepared_machine_gets_actionable_warnings(tmp_path):
    s = _state(tmp_path, thermal={"x86_pkg_temp": 85000})
    s["busiest_processes"] = [{"pid": 42, "name": "make", "cpu_pct": 97.0}, {"pid": 7, "name": "tiny", "cpu_pct": 1.0}]
    s["git"]["dirty"] = True
    lines = {c.topic: c.message for c in warnings(checklist(s))}
    assert lines["governor"].startswith("powersave on cpu0, cpu1: set performance")
    assert "turn it off" in lines["turbo"]
    assert lines["load"].startswith("load average 3.1 on 2 cores: another job is running")
    assert "make (pid 42, 97%)" in lines["processes"] and "tiny" not in lines["processes"]
    assert "85 °C" in lines["temperature"]
    assert "commit first" in lines["code"]
    assert set(lines) == {"governor", "turbo", "load", "processes", "temperature", "code"}


def test_a_well_prepared_machine_has_no_warning(tmp_path):
    s = _state(tmp_path, governors=("performance", "performance"), no_turbo=1, smt_active=0,
               loadavg="0.05 0.10 0.10 1/100 9", thermal={"x86_pkg_temp": 40000})
    assert warnings(checklist(s)) == []
    assert {c.topic for c in checklist(s) if c.level == "ok"} >= {"governor", "turbo", "SMT", "load", "memory",
                                                                  "temperature", "code"}


@pytest.mark.parametrize("available_kb, warned", [(512 * 1024, True), (1 * 2**20, True), (4 * 2**20, False)])
def test_low_memory(tmp_path, available_kb, warned):
    s = _state(tmp_path, mem_total_kb=16 * 2**20, mem_available_kb=available_kb)
    assert any(c.topic == "memory" for c in warnings(checklist(s))) is warned


def test_a_vm_without_cpufreq_is_info_not_warning(tmp_path):
    s = _state(tmp_path, governors=(), cur_khz=(), no_turbo=None, loadavg="0.0 0.0 0.0 1/1 1")
    checks = {c.topic: c for c in checklist(s)}
    assert checks["frequency"].level == "info" and "not exposed" in checks["frequency"].message
    assert checks["turbo"].level == "info"


def test_doctor_prints_the_checklist(tmp_path):
    sys_root, proc_root = make_fake_machine(tmp_path)
    env = {"HARNESS_SYSFS_ROOT": str(sys_root), "HARNESS_PROCFS_ROOT": str(proc_root),
           "HARNESS_POWERCAP_ROOT": str(tmp_path / "none")}
    proc = harness("doctor", **env)
    assert proc.returncode == 0, proc.stderr
    assert "[WARN] governor: powersave on cpu0, cpu1: set performance" in proc.stdout
    assert "[WARN] load: load average 3.1" in proc.stdout
    assert "auto picks estimate" in proc.stdout
    assert harness("doctor", "--strict", **env).returncode == 1
