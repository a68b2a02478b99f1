"""The machine's state, as recorded in the manifest before the first trial of every session.

Everything is read from files under two roots, ``$HARNESS_SYSFS_ROOT`` (default ``/sys``) and
``$HARNESS_PROCFS_ROOT`` (default ``/proc``; both read by ``harness.environment``), so that tests run
on fake trees. A value that cannot be read is None (a VM often exposes no cpufreq, thermal zones or
hwmon): absence is recorded, never guessed. Frequencies are in kHz as the kernel gives them,
temperatures in degrees Celsius, memory in bytes.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from harness.environment import procfs_root, sysfs_root
from harness.meters.cpus import core_types, cpu_quota  # noqa: F401  (read in the meters layer)
from harness.meters.cpus import read_text as _read  # one reader of sysfs/procfs files

# How long the busiest processes are watched (s): CPU use is a difference of two readings.
PROCESS_SAMPLE_S = 0.2
TOP_PROCESSES = 5


def _int(path: Path) -> int | None:
    text = _read(path)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


_CPU_DIR = re.compile(r"^cpu(\d+)$")


def cpu_frequencies(sys_root: Path) -> dict:
    """Per logical CPU: ``governor``, ``driver``, ``cur_khz``, ``min_khz``, ``max_khz`` (scaling
    limits) and ``hw_max_khz`` (cpuinfo_max_freq), from ``devices/system/cpu/cpuN/cpufreq``.
    Empty when cpufreq is not exposed (VMs, containers)."""
    base = sys_root / "devices/system/cpu"
    out = {}
    try:
        entries = sorted((int(m[1]), e) for e in os.listdir(base) if (m := _CPU_DIR.match(e)))
    except OSError:
        return out
    for _, name in entries:
        freq = base / name / "cpufreq"
        if not freq.is_dir():
            continue
        out[name] = {
            "governor": _read(freq / "scaling_governor"),
            "driver": _read(freq / "scaling_driver"),
            "cur_khz": _int(freq / "scaling_cur_freq"),
            "min_khz": _int(freq / "scaling_min_freq"),
            "max_khz": _int(freq / "scaling_max_freq"),
            "hw_max_khz": _int(freq / "cpuinfo_max_freq"),
        }
    return out


def turbo(sys_root: Path) -> dict:
    """Turbo/boost: ``intel_pstate/no_turbo`` (1 = off) and ``cpufreq/boost`` (1 = on, acpi-cpufreq
    and amd-pstate); ``enabled`` is True/False from whichever exists, None if neither does."""
    base = sys_root / "devices/system/cpu"
    no_turbo = _int(base / "intel_pstate/no_turbo")
    boost = _int(base / "cpufreq/boost")
    enabled = None
    if no_turbo is not None:
        enabled = no_turbo == 0
    elif boost is not None:
        enabled = boost == 1
    return {"intel_pstate_no_turbo": no_turbo, "cpufreq_boost": boost, "enabled": enabled}


def smt(sys_root: Path) -> dict:
    """Simultaneous multithreading: ``devices/system/cpu/smt/active`` (1/0) and ``control``."""
    base = sys_root / "devices/system/cpu/smt"
    active = _int(base / "active")
    return {"active": None if active is None else active == 1, "control": _read(base / "control")}


def load_average(proc_root: Path) -> dict | None:
    """``/proc/loadavg``: load over 1, 5 and 15 minutes, and running/total tasks."""
    text = _read(proc_root / "loadavg")
    try:
        one, five, fifteen, tasks = text.split()[:4]
        running, total = tasks.split("/")
        return {"1min": float(one), "5min": float(five), "15min": float(fifteen),
                "running": int(running), "tasks": int(total)}
    except (AttributeError, ValueError):
        return None


def memory(proc_root: Path) -> dict | None:
    """``/proc/meminfo``: ``total_bytes``, ``available_bytes`` (MemAvailable) and swap in use."""
    text = _read(proc_root / "meminfo")
    if text is None:
        return None
    kb = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            kb[key.strip()] = int(parts[0]) * 1024
    if "MemTotal" not in kb:
        return None
    swap = kb.get("SwapTotal", 0) - kb.get("SwapFree", 0)
    return {"total_bytes": kb["MemTotal"], "available_bytes": kb.get("MemAvailable", kb.get("MemFree")),
            "swap_used_bytes": swap}


def _cpu_ticks(proc_root: Path, own: set[int]) -> dict[int, tuple[str, int]]:
    """pid -> (command name, user + system clock ticks) of every process but ours."""
    out = {}
    try:
        pids = [int(e) for e in os.listdir(proc_root) if e.isdigit()]
    except OSError:
        return out
    for pid in pids:
        if pid in own:
            continue
        text = _read(proc_root / str(pid) / "stat")
        if not text or ")" not in text:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split at the last ')'.
        comm = text[text.index("(") + 1: text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        try:
            out[pid] = (comm, int(fields[11]) + int(fields[12]))  # utime, stime: fields 14 and 15
        except (IndexError, ValueError):
            continue
    return out


def busiest_processes(proc_root: Path, interval_s: float = PROCESS_SAMPLE_S, top: int = TOP_PROCESSES,
                      sleep=time.sleep) -> list[dict]:
    """The ``top`` other processes using the most CPU over ``interval_s``: ``pid``, ``name`` and
    ``cpu_pct`` (100 = one core busy). From two readings of ``/proc/<pid>/stat``; processes that
    used no CPU are left out. Our own process is excluded."""
    own = {os.getpid()}
    hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    before = _cpu_ticks(proc_root, own)
    t0 = time.perf_counter()
    sleep(interval_s)
    elapsed = max(time.perf_counter() - t0, interval_s, 1e-9)
    after = _cpu_ticks(proc_root, own)
    used = []
    for pid, (name, ticks) in after.items():
        if pid in before and ticks > before[pid][1]:
            used.append({"pid": pid, "name": name, "cpu_pct": round(100 * (ticks - before[pid][1]) / hz / elapsed, 1)})
    used.sort(key=lambda p: -p["cpu_pct"])
    return used[:top]


def affinity() -> dict:
    """The CPUs this process may run on (``sched_getaffinity``); ``pinned`` when fewer than all."""
    n = os.cpu_count() or 1
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return {"cpus": None, "pinned": None, "cpu_count": n}
    return {"cpus": cpus, "pinned": len(cpus) < n, "cpu_count": n}


# Files whose presence says this process runs in a container (Docker, Podman): there /etc is the
# image's, so its machine-id names the image (or nothing), not the server.
CONTAINER_MARKERS = ("/.dockerenv", "/run/.containerenv")


def boot_id(proc_root: Path | None = None) -> str | None:
    """The kernel's boot id (``<proc_root>/sys/kernel/random/boot_id``, a random UUID drawn at each
    boot): one per running kernel, so every container on one server reads the same one, and two
    servers (or two VMs, each with its own kernel) never do. None when it cannot be read."""
    proc_root = Path(proc_root) if proc_root is not None else procfs_root()
    text = _read(proc_root / "sys/kernel/random/boot_id")
    return text.lower() if text and re.fullmatch(r"[0-9a-fA-F-]{32,36}", text) else None


def machine_id(root: Path = Path("/")) -> str | None:
    """``<root>/etc/machine-id`` (systemd's id of the installation, 32 hex digits), or None."""
    text = _read(Path(root) / "etc/machine-id")
    return text.lower() if text and re.fullmatch(r"[0-9a-fA-F]{32}", text) else None


def container_marker(root: Path = Path("/")) -> str | None:
    """The first of ``CONTAINER_MARKERS`` present under ``root``, or None (no marker: a host, or a
    container runtime that leaves none, e.g. some Kubernetes runtimes)."""
    return next((m for m in CONTAINER_MARKERS if (Path(root) / m.lstrip("/")).exists()), None)


def machine_identity(proc_root: Path | None = None, root: Path = Path("/")) -> dict:
    """What identifies the machine under this process, for the manifest's ``hosts`` and for keeping
    trials measured by shared counters apart (``harness.run.executors.dask``):

    - ``boot_id``: the kernel's (``boot_id()``), shared by every container of one server: the key;
    - ``machine_id``: ``/etc/machine-id`` where it is the host's, None inside a container (there it
      is the image's, the same in every container of one image on any server);
    - ``container``: the marker file found (``container_marker()``), else None.
    """
    marker = container_marker(root)
    return {"boot_id": boot_id(proc_root), "machine_id": None if marker else machine_id(root), "container": marker}


def temperatures(sys_root: Path) -> list[dict]:
    """Every readable temperature: thermal zones (``class/thermal/thermal_zoneN``: type, temp) and
    hwmon sensors (``class/hwmon/hwmonN``: name, tempK_label, tempK_input), in degrees Celsius
    (the files hold millidegrees)."""
    out = []
    thermal = sys_root / "class/thermal"
    for zone in sorted(thermal.glob("thermal_zone*")) if thermal.is_dir() else []:
        milli = _int(zone / "temp")
        if milli is not None:
            out.append({"sensor": f"{zone.name} ({_read(zone / 'type') or '?'})", "celsius": milli / 1000})
    hwmon = sys_root / "class/hwmon"
    for chip in sorted(hwmon.glob("hwmon*")) if hwmon.is_dir() else []:
        chip_name = _read(chip / "name") or chip.name
        for inp in sorted(chip.glob("temp*_input")):
            milli = _int(inp)
            if milli is None:
                continue
            label = _read(chip / inp.name.replace("_input", "_label")) or inp.name.removesuffix("_input")
            out.append({"sensor": f"{chip.name} {chip_name} {label}", "celsius": milli / 1000})
    return out


def thread_pools() -> list[dict]:
    """BLAS and OpenMP libraries loaded in this process and their thread counts (threadpoolctl).
    numpy and scikit-learn are imported first, so their libraries are the ones a trial uses."""
    import numpy  # noqa: F401  (loads the BLAS)
    import sklearn.ensemble  # noqa: F401  (loads OpenMP)
    from threadpoolctl import threadpool_info

    keep = ("user_api", "internal_api", "prefix", "version", "num_threads", "threading_layer", "architecture")
    return [{k: info.get(k) for k in keep if k in info} for info in threadpool_info()]


def git_commit(directory: Path | None = None) -> dict | None:
    """The git commit of the checkout holding ``directory`` (default: this harness's source) and
    whether it has uncommitted changes to tracked files; None when it is not a checkout or git
    is missing."""
    directory = Path(directory) if directory is not None else Path(__file__).resolve().parents[2]
    if not (directory / ".git").exists():
        return None
    try:
        commit = subprocess.run(["git", "-C", str(directory), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10)
        status = subprocess.run(["git", "-C", str(directory), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if commit.returncode != 0:
        return None
    return {"path": str(directory), "commit": commit.stdout.strip(),
            "dirty": bool(status.stdout.strip()) if status.returncode == 0 else None}


def machine_state(sys_root: Path | None = None, proc_root: Path | None = None,
                  process_sample_s: float = PROCESS_SAMPLE_S) -> dict:
    """Everything above as one JSON-able dict (the manifest's ``machine_state``). Takes about
    ``process_sample_s`` seconds (watching the other processes)."""
    sys_root = Path(sys_root) if sys_root is not None else sysfs_root()
    proc_root = Path(proc_root) if proc_root is not None else procfs_root()
    from datetime import datetime, timezone

    return {
        "collected_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "sysfs_root": str(sys_root), "procfs_root": str(proc_root),
        "cpu_frequencies": cpu_frequencies(sys_root),
        "turbo": turbo(sys_root),
        "smt": smt(sys_root),
        "load_average": load_average(proc_root),
        "busiest_processes": busiest_processes(proc_root, process_sample_s),
        "memory": memory(proc_root),
        "affinity": affinity(),
        "cpu_quota": cpu_quota(sys_root, proc_root),
        "core_types": core_types(sys_root),
        "temperatures": temperatures(sys_root),
        "thread_pools": thread_pools(),
        "git": git_commit(),
    }
