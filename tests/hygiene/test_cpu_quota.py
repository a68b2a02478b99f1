"""A container's CPU quota (cgroup v2 cpu.max, v1 cfs_quota_us): read from a fake tree laid out as a
container sees /sys/fs/cgroup, recorded in the machine state and used by the threads warning (c20)."""

from __future__ import annotations

from harness.hygiene.machine import cpu_quota
from harness.hygiene.session import threads_warning


def _v2(tmp_path, cpu_max="100000 100000"):
    cg = tmp_path / "sys/fs/cgroup"
    cg.mkdir(parents=True)
    (cg / "cpu.max").write_text(cpu_max + "\n")
    (cg / "cpu.stat").write_text("usage_usec 5\nnr_periods 5000\nnr_throttled 1200\nthrottled_usec 90000000\n")
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/cgroup").write_text("0::/\n")
    return tmp_path / "sys", tmp_path / "proc"


def test_cgroup_v2_quota_and_throttling(tmp_path):
    q = cpu_quota(*_v2(tmp_path, "150000 100000"))
    assert q["cpus"] == 1.5 and q["nr_throttled"] == 1200 and q["nr_periods"] == 5000 and q["throttled_s"] == 90.0


def test_no_quota_is_none(tmp_path):
    assert cpu_quota(*_v2(tmp_path, "max 100000")) is None
    assert cpu_quota(tmp_path / "nothing", tmp_path / "nothing") is None


def test_cgroup_v1_quota_in_the_process_own_cgroup(tmp_path):
    own = tmp_path / "sys/fs/cgroup/cpu/docker/abc"
    own.mkdir(parents=True)
    (own / "cpu.cfs_quota_us").write_text("50000\n")
    (own / "cpu.cfs_period_us").write_text("100000\n")
    (own / "cpu.stat").write_text("nr_periods 10\nnr_throttled 4\nthrottled_time 2000000000\n")
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/cgroup").write_text("12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n")
    q = cpu_quota(tmp_path / "sys", tmp_path / "proc")
    assert q["cpus"] == 0.5 and q["throttled_s"] == 2.0 and q["nr_throttled"] == 4


def test_threads_warning_uses_the_quota_not_the_affinity_mask():
    state = {"affinity": {"cpus": [0, 1, 2, 3], "cpu_count": 4}, "cpu_quota": {"cpus": 1.0}}
    line = threads_warning(2, 1, state)
    assert line.startswith("warning: hygiene.threads: 2 threads on 1 CPU in this cgroup's CPU quota")
    assert "at most 1" in line
    assert threads_warning(2, 1, {**state, "cpu_quota": None}) is None  # 2 threads fit 4 CPUs


def test_checklist_shows_the_quota_and_its_throttling(tmp_path):
    from harness.hygiene.checklist import checklist

    q = cpu_quota(*_v2(tmp_path, "150000 100000"))
    (check,) = [c for c in checklist({"cpu_quota": q}) if c.topic == "CPU quota"]
    assert check.level == "info" and "1.5 CPUs" in check.message
    assert "throttled in 1200 of 5000 periods (90.0 s)" in check.message
    assert not [c for c in checklist({"cpu_quota": None}) if c.topic == "CPU quota"]


def test_throttling_of_a_trial_is_the_difference_of_two_readings(tmp_path, monkeypatch):
    from harness.meters.cpus import Throttling, available_cpus

    sys_root, proc_root = _v2(tmp_path, "50000 100000")
    monkeypatch.setenv("HARNESS_SYSFS_ROOT", str(sys_root))
    monkeypatch.setenv("HARNESS_PROCFS_ROOT", str(proc_root))
    watch = Throttling()
    (sys_root / "fs/cgroup/cpu.stat").write_text("nr_periods 5010\nnr_throttled 1205\nthrottled_usec 92500000\n")
    assert watch.seconds() == 2.5
    assert available_cpus()["quota"] == 0.5 and available_cpus()["cpus"] == 0.5
    monkeypatch.setenv("HARNESS_SYSFS_ROOT", str(tmp_path / "no-cgroup"))
    assert Throttling().seconds() == ""  # no quota: nothing throttles, the cell is empty


def test_the_estimate_meter_records_the_cpus_it_may_use(tmp_path, monkeypatch):
    from harness.meters import EstimateMeter

    sys_root, proc_root = _v2(tmp_path, "100000 100000")
    monkeypatch.setenv("HARNESS_SYSFS_ROOT", str(sys_root))
    monkeypatch.setenv("HARNESS_PROCFS_ROOT", str(proc_root))
    d = EstimateMeter(tdp_w=10.0, cores=1).describe()
    assert d["cpus_available"]["quota"] == 1.0 and d["cpus_available"]["cpus"] == 1.0


def test_cgroup_v1_mounted_as_cpu_cpuacct_without_a_cpu_link(tmp_path):
    own = tmp_path / "sys/fs/cgroup/cpu,cpuacct/docker/abc"
    own.mkdir(parents=True)
    (own / "cpu.cfs_quota_us").write_text("100000\n")
    (own / "cpu.cfs_period_us").write_text("100000\n")
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/cgroup").write_text("4:cpu,cpuacct:/docker/abc\n")
    q = cpu_quota(tmp_path / "sys", tmp_path / "proc")
    assert q["cpus"] == 1.0 and q["source"].endswith("cpu,cpuacct/docker/abc/cpu.cfs_quota_us")


def test_threads_warning_names_the_quota_file_and_a_quota_under_one_cpu():
    state = {"affinity": {"cpus": [0, 1], "cpu_count": 2},
             "cpu_quota": {"cpus": 0.5, "source": "/sys/fs/cgroup/cpu/docker/abc/cpu.cfs_quota_us"}}
    line = threads_warning(1, 1, state)
    assert "(cpu.cfs_quota_us: 0.5 CPUs)" in line and "cpu.max" not in line
    assert "at most 0" not in line and "set hygiene.threads to at most 1" not in line  # 1 thread is already the least
    assert "give it at least 1 CPU" in line
