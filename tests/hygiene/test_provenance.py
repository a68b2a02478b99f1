"""Provenance reads the CPU model from the procfs tree the rest of the machine's state comes from
(``$HARNESS_PROCFS_ROOT``), not from the real /proc."""

import platform

from fake_machine import make_fake_machine
from harness.hygiene.provenance import machine_facts


def test_cpu_model_comes_from_the_procfs_root_in_the_environment(tmp_path, monkeypatch):
    _, proc_root = make_fake_machine(tmp_path, cpu_model="Fake CPU 9000 @ 1.00GHz")
    monkeypatch.setenv("HARNESS_PROCFS_ROOT", str(proc_root))
    assert machine_facts()["cpu_model"] == "Fake CPU 9000 @ 1.00GHz"


def test_cpu_model_comes_from_the_procfs_root_given(tmp_path, monkeypatch):
    monkeypatch.delenv("HARNESS_PROCFS_ROOT", raising=False)
    _, proc_root = make_fake_machine(tmp_path, cpu_model="Given CPU")
    assert machine_facts(proc_root)["cpu_model"] == "Given CPU"


def test_without_cpuinfo_the_model_is_what_platform_says(tmp_path, monkeypatch):
    _, proc_root = make_fake_machine(tmp_path)  # a procfs without cpuinfo
    monkeypatch.setenv("HARNESS_PROCFS_ROOT", str(proc_root))
    assert machine_facts()["cpu_model"] == (platform.processor() or platform.machine())
