"""Hybrid CPUs (issue 20 item 8): performance and efficiency cores found in a fake sysfs tree, warned in
the checklist (doctor and a run's first lines) with each kind's CPUs and the taskset line, and the kind
the run was pinned to recorded in the machine state."""

from __future__ import annotations

from harness.hygiene.checklist import checklist, warnings
from harness.hygiene.machine import machine_state
from harness.meters.cpus import core_types, format_cpu_list, parse_cpu_list


def _alder_lake(tmp_path, pmu=True):
    """An i9-12900K: CPUs 0-15 are 8 performance cores with SMT, 16-23 eight efficiency cores."""
    sys_root = tmp_path / "sys"
    if pmu:
        (sys_root / "devices/cpu_core").mkdir(parents=True)
        (sys_root / "devices/cpu_core/cpus").write_text("0-15\n")
        (sys_root / "devices/cpu_atom").mkdir(parents=True)
        (sys_root / "devices/cpu_atom/cpus").write_text("16-23\n")
    for cpu in range(24):
        freq = sys_root / f"devices/system/cpu/cpu{cpu}/cpufreq"
        freq.mkdir(parents=True)
        (freq / "cpuinfo_max_freq").write_text("5200000\n" if cpu < 16 else "3900000\n")
    return sys_root


def test_cpu_lists_parse_and_format():
    assert parse_cpu_list("0-3,8,10-11\n") == [0, 1, 2, 3, 8, 10, 11]
    assert parse_cpu_list("") == [] and parse_cpu_list(None) == [] and parse_cpu_list("a-b") == []
    assert format_cpu_list([11, 0, 1, 2, 3, 8, 10]) == "0-3,8,10-11"


def test_core_kinds_from_the_pmu_folders_and_the_kind_pinned_to(tmp_path):
    sys_root = _alder_lake(tmp_path)
    found = core_types(sys_root, pinned_to={0, 1, 2})
    assert found["kinds"] == {"performance": list(range(16)), "efficiency": list(range(16, 24))}
    assert found["pinned_to"] == "performance" and "cpu_core" in found["source"]
    assert core_types(sys_root, pinned_to={16, 17})["pinned_to"] == "efficiency"
    assert core_types(sys_root, pinned_to=set(range(24)))["pinned_to"] == "mixed"


def test_core_kinds_from_two_maximum_frequencies_without_the_pmu_folders(tmp_path):
    found = core_types(_alder_lake(tmp_path, pmu=False), pinned_to={20})
    assert found["kinds"]["performance"] == list(range(16)) and found["kinds"]["efficiency"] == list(range(16, 24))
    assert found["pinned_to"] == "efficiency" and "5.20 and 3.90 GHz" in found["source"]


def test_one_kind_of_core_is_not_hybrid(tmp_path):
    sys_root = tmp_path / "sys"
    for cpu in range(4):
        freq = sys_root / f"devices/system/cpu/cpu{cpu}/cpufreq"
        freq.mkdir(parents=True)
        (freq / "cpuinfo_max_freq").write_text("3000000\n")
    assert core_types(sys_root) is None
    assert core_types(tmp_path / "none") is None
    # Turbo Boost Max 3.0: two favoured cores 200 MHz above the others are one kind of core, not two
    for cpu in (1, 2):
        (sys_root / f"devices/system/cpu/cpu{cpu}/cpufreq/cpuinfo_max_freq").write_text("3200000\n")
    assert core_types(sys_root) is None
    assert not [c for c in checklist({"core_types": None}) if c.topic == "core types"]


def test_checklist_warns_with_each_kind_and_the_taskset_line(tmp_path):
    sys_root = _alder_lake(tmp_path)
    state = {"core_types": core_types(sys_root, pinned_to=set(range(24)))}
    (warn,) = [c for c in warnings(checklist(state)) if c.topic == "core types"]
    assert "performance cores 0-15; efficiency cores 16-23" in warn.message
    assert "taskset -c 0-15 python -m harness run" in warn.message
    state = {"core_types": core_types(sys_root, pinned_to={0, 1})}
    (ok,) = [c for c in checklist(state) if c.topic == "core types"]
    assert ok.level == "ok" and "pinned to the performance cores" in ok.message


def test_machine_state_records_the_kind_pinned_to(tmp_path):
    import os

    state = machine_state(_alder_lake(tmp_path), tmp_path / "proc", process_sample_s=0)
    mine = set(os.sched_getaffinity(0))
    expected = ("performance" if mine <= set(range(16)) else "efficiency" if mine <= set(range(16, 24)) else "mixed")
    assert state["core_types"]["pinned_to"] == expected


def _freqs(tmp_path, mhz):
    sys_root = tmp_path / "sys"
    for cpu, f in enumerate(mhz):
        freq = sys_root / f"devices/system/cpu/cpu{cpu}/cpufreq"
        freq.mkdir(parents=True)
        (freq / "cpuinfo_max_freq").write_text(f"{f * 1000}\n")
    return sys_root


def test_favoured_performance_cores_beside_efficiency_cores_are_still_two_kinds(tmp_path):
    # i9-12900K without the PMU folders: two favoured P-cores at 5.2 GHz, six at 5.0, eight E-cores at 3.9
    found = core_types(_freqs(tmp_path, [5200] * 2 + [5000] * 6 + [3900] * 8), pinned_to=set(range(16)))
    assert found["kinds"] == {"performance": list(range(8)), "efficiency": list(range(8, 16))}
    assert found["pinned_to"] == "mixed" and "5.20/5.00 and 3.90 GHz" in found["source"]


def test_arm_prime_big_and_little_clusters(tmp_path):
    # 4 little at 2.0 GHz, 3 big at 2.8, one prime at 3.2: the prime is one kind with the big cores
    found = core_types(_freqs(tmp_path, [2000] * 4 + [2800] * 3 + [3200]), pinned_to={0})
    assert found["kinds"] == {"performance": [4, 5, 6, 7], "efficiency": [0, 1, 2, 3]}
    assert found["pinned_to"] == "efficiency"
    # three kinds far apart: the fastest is performance, the others efficiency
    found = core_types(_freqs(tmp_path / "b", [1000] * 2 + [2000] * 2 + [3000] * 2))
    assert found["kinds"] == {"performance": [4, 5], "efficiency": [0, 1, 2, 3]}
