"""Fake sysfs and procfs trees for the machine-state tests (HARNESS_SYSFS_ROOT, HARNESS_PROCFS_ROOT).

``make_fake_machine(root, ...)`` writes only what it is asked for, so a test can also show that a
missing file reads as None (unknown), never as a guess.
"""

from __future__ import annotations

from pathlib import Path


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def make_fake_machine(root: Path, governors=("powersave", "powersave"), cur_khz=(1_200_000, 3_400_000),
                      no_turbo: int | None = 0, boost: int | None = None, smt_active: int | None = 1,
                      loadavg: str | None = "3.10 2.00 1.00 3/200 1234",
                      mem_total_kb: int = 16 * 2**20, mem_available_kb: int = 8 * 2**20,
                      thermal: dict[str, int] | None = None, hwmon: dict[str, int] | None = None,
                      processes: dict[int, tuple[str, int]] | None = None,
                      cpu_model: str | None = None, boot_id: str | None = None) -> tuple[Path, Path]:
    """Returns (sys root, proc root). ``thermal``: zone type -> millidegrees; ``hwmon``: label ->
    millidegrees (one chip "coretemp"); ``processes``: pid -> (command name, utime ticks);
    ``cpu_model``: the "model name" of /proc/cpuinfo (no cpuinfo without it); ``boot_id``: the kernel's
    /proc/sys/kernel/random/boot_id (none without it)."""
    sys_root, proc_root = Path(root) / "sys", Path(root) / "proc"
    cpu = sys_root / "devices/system/cpu"
    cpu.mkdir(parents=True)
    for i, (gov, cur) in enumerate(zip(governors, cur_khz)):
        f = cpu / f"cpu{i}/cpufreq"
        _write(f / "scaling_governor", gov)
        _write(f / "scaling_driver", "intel_pstate")
        _write(f / "scaling_cur_freq", str(cur))
        _write(f / "scaling_min_freq", "800000")
        _write(f / "scaling_max_freq", "4000000")
        _write(f / "cpuinfo_max_freq", "4000000")
    if no_turbo is not None:
        _write(cpu / "intel_pstate/no_turbo", str(no_turbo))
    if boost is not None:
        _write(cpu / "cpufreq/boost", str(boost))
    if smt_active is not None:
        _write(cpu / "smt/active", str(smt_active))
        _write(cpu / "smt/control", "on" if smt_active else "off")
    for i, (kind, milli) in enumerate((thermal or {}).items()):
        _write(sys_root / f"class/thermal/thermal_zone{i}/type", kind)
        _write(sys_root / f"class/thermal/thermal_zone{i}/temp", str(milli))
    for i, (label, milli) in enumerate((hwmon or {}).items(), start=1):
        chip = sys_root / "class/hwmon/hwmon0"
        _write(chip / "name", "coretemp")
        _write(chip / f"temp{i}_input", str(milli))
        _write(chip / f"temp{i}_label", label)
    proc_root.mkdir(parents=True)
    if loadavg is not None:
        _write(proc_root / "loadavg", loadavg)
    _write(proc_root / "meminfo", f"MemTotal:       {mem_total_kb} kB\nMemFree:        1 kB\n"
           f"MemAvailable:   {mem_available_kb} kB\nSwapTotal:      0 kB\nSwapFree:       0 kB")
    for pid, (name, ticks) in (processes or {}).items():
        set_ticks(proc_root, pid, name, ticks)
    if boot_id is not None:
        _write(proc_root / "sys/kernel/random/boot_id", boot_id)
    if cpu_model is not None:
        _write(proc_root / "cpuinfo", f"processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: {cpu_model}")
    return sys_root, proc_root


def set_ticks(proc_root: Path, pid: int, name: str, utime: int, stime: int = 0) -> None:
    """Write /proc/<pid>/stat with these user and system clock ticks (fields 14 and 15)."""
    fields = ["S", "1", "1", "1", "0", "-1", "4194304", "0", "0", "0", "0", str(utime), str(stime)] + ["0"] * 39
    _write(proc_root / str(pid) / "stat", f"{pid} ({name}) " + " ".join(fields))
