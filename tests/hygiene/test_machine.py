"""Machine state from fake sysfs/procfs trees: each fact read where the kernel puts it, and what
is missing reads as None, not as a guess."""

import os
import shutil
import subprocess

import pytest

from fake_machine import make_fake_machine, set_ticks
from harness.hygiene import machine


def test_state_from_a_fake_tree(tmp_path):
    sys_root, proc_root = make_fake_machine(tmp_path, thermal={"x86_pkg_temp": 85000},
                                            hwmon={"Package id 0": 45500})
    s = machine.machine_state(sys_root, proc_root, process_sample_s=0)
    assert s["cpu_frequencies"]["cpu0"] == {"governor": "powersave", "driver": "intel_pstate", "cur_khz": 1_200_000,
                                            "min_khz": 800_000, "max_khz": 4_000_000, "hw_max_khz": 4_000_000}
    assert s["cpu_frequencies"]["cpu1"]["cur_khz"] == 3_400_000
    assert s["turbo"] == {"intel_pstate_no_turbo": 0, "cpufreq_boost": None, "enabled": True}
    assert s["smt"] == {"active": True, "control": "on"}
    assert s["load_average"] == {"1min": 3.1, "5min": 2.0, "15min": 1.0, "running": 3, "tasks": 200}
    assert s["memory"] == {"total_bytes": 16 * 2**30, "available_bytes": 8 * 2**30, "swap_used_bytes": 0}
    assert {"sensor": "thermal_zone0 (x86_pkg_temp)", "celsius": 85.0} in s["temperatures"]
    assert {"sensor": "hwmon0 coretemp Package id 0", "celsius": 45.5} in s["temperatures"]
    assert s["affinity"]["cpus"] == sorted(os.sched_getaffinity(0))
    assert any(p["user_api"] == "blas" for p in s["thread_pools"])


def test_roots_come_from_the_environment(tmp_path, monkeypatch):
    sys_root, proc_root = make_fake_machine(tmp_path, governors=("schedutil",), cur_khz=(2_000_000,))
    monkeypatch.setenv("HARNESS_SYSFS_ROOT", str(sys_root))
    monkeypatch.setenv("HARNESS_PROCFS_ROOT", str(proc_root))
    s = machine.machine_state(process_sample_s=0)
    assert list(s["cpu_frequencies"]) == ["cpu0"] and s["cpu_frequencies"]["cpu0"]["governor"] == "schedutil"
    assert s["sysfs_root"] == str(sys_root) and s["procfs_root"] == str(proc_root)


def test_boost_file_when_there_is_no_intel_pstate(tmp_path):
    sys_root, _ = make_fake_machine(tmp_path, no_turbo=None, boost=0)
    assert machine.turbo(sys_root) == {"intel_pstate_no_turbo": None, "cpufreq_boost": 0, "enabled": False}


def test_missing_files_are_unknown(tmp_path):
    (tmp_path / "sys").mkdir()
    (tmp_path / "proc").mkdir()
    s = machine.machine_state(tmp_path / "sys", tmp_path / "proc", process_sample_s=0)
    assert s["cpu_frequencies"] == {} and s["turbo"]["enabled"] is None and s["smt"]["active"] is None
    assert s["load_average"] is None and s["memory"] is None and s["temperatures"] == []
    assert s["busiest_processes"] == []


def test_busiest_processes_over_the_interval(tmp_path):
    _, proc = make_fake_machine(tmp_path, processes={101: ("idle one", 500), 202: ("my (odd) job", 1000),
                                                     303: ("half", 0), os.getpid(): ("ourselves", 0)})
    hz = os.sysconf("SC_CLK_TCK")

    def sleep(_):  # during the interval: 202 uses one core, 303 half a core, we use two cores
        set_ticks(proc, 202, "my (odd) job", 1000 + hz // 2)
        set_ticks(proc, 303, "half", hz // 4)
        set_ticks(proc, os.getpid(), "ourselves", hz)

    top = machine.busiest_processes(proc, interval_s=0.5, sleep=sleep)
    assert [(p["pid"], p["name"]) for p in top] == [(202, "my (odd) job"), (303, "half")]
    assert top[0]["cpu_pct"] == pytest.approx(100, abs=1) and top[1]["cpu_pct"] == pytest.approx(50, abs=1)


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_commit_and_dirty_checkout(tmp_path):
    run = lambda *a: subprocess.run(["git", "-C", str(tmp_path), *a], check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    (tmp_path / "f.txt").write_text("a")
    run("add", "f.txt")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert machine.git_commit(tmp_path) == {"path": str(tmp_path), "commit": head, "dirty": False}
    (tmp_path / "f.txt").write_text("b")
    assert machine.git_commit(tmp_path)["dirty"] is True
    assert machine.git_commit(tmp_path / "f.txt") is None  # not a checkout's root
