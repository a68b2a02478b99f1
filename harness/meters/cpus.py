"""The CPUs a process may use and the CPU time it spent: cgroup quotas, hybrid core types, the CPU
model, and the CPU time of a whole process tree.

Everything is read from files under ``$HARNESS_SYSFS_ROOT`` (default ``/sys``) and
``$HARNESS_PROCFS_ROOT`` (default ``/proc``), both read by ``harness.environment``, so that tests run
on fake trees laid out like the real ones. A value that cannot be read is None: absence is recorded,
never guessed. Used by the ``estimate`` meter (CPU time, CPU count, CPU model) and by
``harness.hygiene`` (machine state, checklist, per-trial throttling).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from harness.environment import procfs_root, sysfs_root


def read_text(path: Path) -> str | None:
    """A sysfs/procfs file's text, stripped (bytes that are not UTF-8 replaced); None if unreadable."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace").strip()
    except OSError:
        return None


# ---------------------------------------------------------------------------------------------
# cgroup CPU quota and throttling (docker run --cpus=N; python/cpython#80235, joblib/loky PR #355)


def _own_cgroup(proc_root: Path, controller: str | None) -> str:
    """This process's cgroup path from /proc/self/cgroup: the v2 line ``0::/path`` (controller None)
    or the v1 line naming ``controller``; "/" when unknown (a container sees its own cgroup as the root)."""
    try:
        lines = (proc_root / "self" / "cgroup").read_text().splitlines()
    except OSError:
        return "/"
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) == 3 and ((controller is None and parts[0] == "0" and parts[1] == "")
                                or (controller is not None and controller in parts[1].split(","))):
            return parts[2] or "/"
    return "/"


def _first_existing(root: Path, rel: str, name: str) -> Path | None:
    for base in (root / rel.lstrip("/"), root):  # the cgroup's own folder, else the namespace root
        if (base / name).is_file():
            return base / name
    return None


def _cpu_stat(stat: Path) -> dict:
    """``nr_periods``, ``nr_throttled`` and ``throttled_s`` from a cgroup's ``cpu.stat`` (v2
    ``throttled_usec``, v1 ``throttled_time`` in ns); {} when unreadable."""
    text = read_text(stat)
    if text is None:
        return {}
    try:
        fields = dict(line.split()[:2] for line in text.splitlines() if len(line.split()) >= 2)
        out = {"nr_periods": int(fields.get("nr_periods", 0)), "nr_throttled": int(fields.get("nr_throttled", 0))}
        if "throttled_usec" in fields:
            out["throttled_s"] = int(fields["throttled_usec"]) / 1e6
        elif "throttled_time" in fields:
            out["throttled_s"] = int(fields["throttled_time"]) / 1e9
        return out
    except ValueError:
        return {}


def _quota_files(sys_root: Path, proc_root: Path) -> tuple[float | None, Path | None, Path | None]:
    """(quota in CPUs or None without one, the quota file, the cgroup's cpu.stat)."""
    v2 = sys_root / "fs" / "cgroup"
    found = _first_existing(v2, _own_cgroup(proc_root, None), "cpu.max")
    if found is not None:
        try:
            quota, period = found.read_text().split()[:2]
            cpus = None if quota == "max" else int(quota) / int(period)
        except (OSError, ValueError, ZeroDivisionError):
            return None, None, None
        return cpus, found, found.parent / "cpu.stat"
    own = _own_cgroup(proc_root, "cpu")  # v1: the cpu hierarchy, mounted as cpu/ (often a link) or cpu,cpuacct/ alone
    found = next((f for v1 in (v2 / "cpu", v2 / "cpu,cpuacct", v2 / "cpuacct,cpu") if v1.is_dir()
                  for f in [_first_existing(v1, own, "cpu.cfs_quota_us")] if f is not None), None)
    if found is None:
        return None, None, None
    try:
        quota = int(found.read_text().strip())
        period = int((found.parent / "cpu.cfs_period_us").read_text().strip())
    except (OSError, ValueError):
        return None, None, None
    return (quota / period if quota > 0 and period > 0 else None), found, found.parent / "cpu.stat"


def cpu_quota(sys_root: Path | None = None, proc_root: Path | None = None) -> dict | None:
    """The CPU quota of this process's cgroup (what ``docker run --cpus=N`` sets), or None without one.

    cgroup v2: ``<sysfs>/fs/cgroup/<own cgroup>/cpu.max`` ("max 100000" means no quota; "100000
    100000" one CPU); v1: ``cpu/<own cgroup>/cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (-1: none).
    The own cgroup is read from ``<procfs>/self/cgroup``. Returns ``cpus`` (quota / period, a float),
    ``source`` (the file), and from ``cpu.stat`` ``nr_periods``, ``nr_throttled`` and ``throttled_s``
    (s) where readable. The affinity mask does not show a quota (python/cpython#80235)."""
    sys_root = Path(sys_root) if sys_root is not None else sysfs_root()
    proc_root = Path(proc_root) if proc_root is not None else procfs_root()
    cpus, found, stat = _quota_files(sys_root, proc_root)
    if cpus is None:
        return None
    return {"cpus": cpus, "source": str(found), **_cpu_stat(stat)}


def throttled_s(sys_root: Path | None = None, proc_root: Path | None = None) -> float | None:
    """Seconds this process's cgroup has been throttled by its CPU quota so far (``cpu.stat``), or
    None without a quota or a readable ``cpu.stat``. A trial's throttling is the difference of two
    readings (``cpu_throttled_s``)."""
    sys_root = Path(sys_root) if sys_root is not None else sysfs_root()
    proc_root = Path(proc_root) if proc_root is not None else procfs_root()
    cpus, _, stat = _quota_files(sys_root, proc_root)
    if cpus is None:
        return None
    return _cpu_stat(stat).get("throttled_s")


def available_cpus(sys_root: Path | None = None, proc_root: Path | None = None) -> dict:
    """How many CPUs this process may keep busy: ``affinity`` (``sched_getaffinity``, else
    ``os.cpu_count()``), ``quota`` (the cgroup's, None without one) and ``cpus``: the smaller of the
    two (a float when the quota is fractional)."""
    try:
        aff = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        aff = os.cpu_count() or 1
    q = cpu_quota(sys_root, proc_root)
    quota = q["cpus"] if q else None
    return {"affinity": aff, "quota": quota, "cpus": min(aff, quota) if quota else aff}


# ---------------------------------------------------------------------------------------------
# Hybrid CPUs: performance and efficiency cores (Alder Lake and later)


def parse_cpu_list(text: str | None) -> list[int]:
    """A kernel CPU list ("0-3,8,10-11") as sorted CPU numbers; [] for None, "" or a malformed list."""
    out: set[int] = set()
    for part in (text or "").strip().split(","):
        part = part.strip()
        if not part:
            continue
        try:
            lo, _, hi = part.partition("-")
            out.update(range(int(lo), int(hi or lo) + 1))
        except ValueError:
            return []
    return sorted(out)


def format_cpu_list(cpus) -> str:
    """Sorted CPU numbers as a kernel/taskset list: [0, 1, 2, 3, 8] -> "0-3,8"."""
    cpus = sorted(set(cpus))
    out, i = [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(out)


_CPU_DIR = re.compile(r"^cpu(\d+)$")
# Two maximum frequencies tell two kinds of core only when far apart: Alder/Raptor Lake's performance and
# efficiency cores differ by about a third (i9-12900K 5.2 / 3.9 GHz, i7-1265U 4.8 / 3.6 GHz), while the
# two or so "favoured" cores of Intel Turbo Boost Max 3.0 run 100-200 MHz (2-5 %) above their siblings.
HYBRID_MIN_FREQ_RATIO = 1.15


def core_types(sys_root: Path | None = None, pinned_to=None) -> dict | None:
    """The kinds of core of a hybrid CPU, or None when all cores are of one kind (or nothing tells).

    Read from ``devices/cpu_core/cpus`` (performance cores) and ``devices/cpu_atom/cpus`` (efficiency
    cores), the PMU folders Linux creates on Intel hybrid CPUs; without them, from the CPUs'
    ``cpuinfo_max_freq`` grouped by gaps of at least ``HYBRID_MIN_FREQ_RATIO`` (closer values are one
    kind: favoured cores); two groups or more are hybrid, the fastest ``performance``, the rest
    ``efficiency``.
    Returns ``{"source": ..., "kinds": {"performance": [cpus], "efficiency": [cpus]}, "pinned_to":
    kind or "mixed" or None}``: ``pinned_to`` is the kind the CPUs in ``pinned_to`` (default: this
    process's affinity mask) all belong to, "mixed" when they span both."""
    sys_root = Path(sys_root) if sys_root is not None else sysfs_root()
    kinds: dict[str, list[int]] = {}
    p = parse_cpu_list(read_text(sys_root / "devices/cpu_core/cpus"))
    e = parse_cpu_list(read_text(sys_root / "devices/cpu_atom/cpus"))
    source = "devices/cpu_core/cpus, devices/cpu_atom/cpus"
    if p and e:
        kinds = {"performance": p, "efficiency": e}
    else:
        base = sys_root / "devices/system/cpu"
        freqs: dict[int, list[int]] = {}
        try:
            entries = [(int(m[1]), n) for n in os.listdir(base) if (m := _CPU_DIR.match(n))]
        except OSError:
            entries = []
        for cpu, name in entries:
            text = read_text(base / name / "cpufreq/cpuinfo_max_freq")
            if text and text.isdigit():
                freqs.setdefault(int(text), []).append(cpu)
        # Kinds: maximum frequencies grouped where neighbours are less than the ratio apart (favoured
        # cores of Turbo Boost Max 3.0, an ARM prime core beside its big cores, are one kind); the
        # fastest group is ``performance``, every slower one ``efficiency``.
        groups: list[list[int]] = []
        for f in sorted(freqs):
            if groups and f < HYBRID_MIN_FREQ_RATIO * groups[-1][-1]:
                groups[-1].append(f)
            else:
                groups.append([f])
        if len(groups) < 2:
            return None
        fast = [c for f in groups[-1] for c in freqs[f]]
        slow = [c for g in groups[:-1] for f in g for c in freqs[f]]
        kinds = {"performance": sorted(fast), "efficiency": sorted(slow)}
        shown = lambda g: "/".join(f"{f / 1e6:.2f}" for f in sorted(g, reverse=True))  # noqa: E731
        source = f"cpufreq/cpuinfo_max_freq ({' and '.join(shown(g) for g in reversed(groups))} GHz)"
    if pinned_to is None:
        try:
            pinned_to = os.sched_getaffinity(0)
        except (AttributeError, OSError):
            pinned_to = None
    pinned = None
    if pinned_to:
        mine = set(pinned_to)
        inside = [k for k, cpus in kinds.items() if mine & set(cpus)]
        pinned = inside[0] if len(inside) == 1 else ("mixed" if inside else None)
    return {"source": source, "kinds": kinds, "pinned_to": pinned}


# ---------------------------------------------------------------------------------------------
# The CPU model and its thermal design power (Green Algorithms' table)


def cpu_model(proc_root: Path | None = None) -> str | None:
    """The first ``model name`` of ``<procfs>/cpuinfo`` (x86), or None."""
    proc_root = Path(proc_root) if proc_root is not None else procfs_root()
    text = read_text(proc_root / "cpuinfo")
    for line in (text or "").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and value.strip():
            return value.strip()
    return None


TDP_TABLE = "cpu_tdp.csv"  # package data: harness/data/cpu_tdp.csv
# Green Algorithms' value for a CPU that is not in its table (the row "Any" of TDP_cpu.csv).
FALLBACK_W_PER_CORE = 12.0
TDP_SOURCE = ("Green Algorithms TDP_cpu.csv (Lannelongue, Grealey & Inouye 2021, "
              "github.com/GreenAlgorithms/green-algorithms-tool, data/latest/TDP_cpu.csv)")


def _tokens(name: str) -> list[str]:
    name = re.sub(r"\((?:R|TM|tm|r)\)|®|™", " ", name.lower())
    name = re.sub(r"@.*$", " ", name)  # "@ 3.40GHz"
    words = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", name)
    drop = {"intel", "amd", "cpu", "processor", "with", "radeon", "graphics"}
    return [w for w in words if w not in drop and not re.fullmatch(r"\d+-core", w)]


def tdp_table(path: Path | None = None) -> list[dict]:
    """The rows of the shipped TDP table: ``model``, ``tdp_w``, ``cores``, ``w_per_core``, ``source``
    (lines starting with ``#`` are comments)."""
    import csv

    if path is None:
        from importlib.resources import files

        path = Path(str(files("harness") / "data" / TDP_TABLE))
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        out = []
        for r in rows:
            if not r.get("TDP") or not r.get("n_cores"):
                continue
            out.append({"model": r["model"].strip(), "tdp_w": float(r["TDP"]), "cores": int(r["n_cores"]),
                        "w_per_core": float(r["TDP"]) / int(r["n_cores"]), "source": r.get("source", "")})
        return out


def lookup_tdp(model: str | None, table: list[dict] | None = None) -> dict | None:
    """The table row whose model name is in ``model`` (the cpuinfo name: "Intel(R) Core(TM)
    i9-10900K CPU @ 3.70GHz" -> "Core i9-10900K"), as whole words after dropping vendor words; the
    longest such name wins. None when no row matches."""
    if not model:
        return None
    have = _tokens(model)
    best = None
    for row in table if table is not None else tdp_table():
        want = _tokens(row["model"])
        n = len(want)
        if n and any(have[i:i + n] == want for i in range(len(have) - n + 1)):
            if best is None or n > len(_tokens(best["model"])):
                best = row
    return best


# ---------------------------------------------------------------------------------------------
# CPU time of a process tree (the estimate meter: joblib/loky workers are long-lived children)


def _clock_tick() -> int:
    try:
        return os.sysconf("SC_CLK_TCK")
    except (AttributeError, ValueError, OSError):
        return 100


def _stat(proc_root: Path, pid: int, hz: int) -> tuple[int, float, float] | None:
    """(ppid, own user+system s, waited-for children's user+system s) of ``pid``, or None if gone."""
    text = read_text(proc_root / str(pid) / "stat")
    if not text or ")" not in text:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split at the last ')'.
    fields = text[text.rindex(")") + 2:].split()
    try:  # fields 4 (ppid), 14-17 (utime, stime, cutime, cstime) of proc(5)
        return int(fields[1]), (int(fields[11]) + int(fields[12])) / hz, (int(fields[13]) + int(fields[14])) / hz
    except (IndexError, ValueError):
        return None


def process_age_s(proc_root: Path = Path("/proc")) -> float:
    """Seconds since this process started (``self/stat`` field 22, starttime in clock ticks since boot,
    against ``uptime``: the interpreter's start and its imports count), 0.0 where that cannot be read.
    The real ``/proc`` by default, also under a fake ``$HARNESS_PROCFS_ROOT``: this is the harness's own
    process, not a measured machine's."""
    text, uptime = read_text(proc_root / "self" / "stat"), read_text(proc_root / "uptime")
    try:
        ticks = int(text.rsplit(")", 1)[1].split()[19])
        return max(float(uptime.split()[0]) - ticks / _clock_tick(), 0.0)
    except (AttributeError, ValueError, IndexError):
        return 0.0


def _children(proc_root: Path, pid: int) -> list[int] | None:
    """``pid``'s children from ``/proc/<pid>/task/*/children`` (a child is listed under the thread
    that created it), or None where the kernel has no such file (CONFIG_PROC_CHILDREN off)."""
    try:
        tasks = os.listdir(proc_root / str(pid) / "task")
    except OSError:
        return None
    out, seen_file = [], False
    for tid in tasks:
        text = read_text(proc_root / str(pid) / "task" / tid / "children")
        if text is None:
            continue
        seen_file = True
        out += [int(c) for c in text.split() if c.isdigit()]
    return out if seen_file else None


class ProcessTree:
    """CPU time of a process and every descendant of it, read from ``<procfs>/<pid>/stat``.

    ``read()`` returns a snapshot ``{pid: (ppid, own_s, children_s)}`` of the root and its
    descendants (found through ``task/*/children`` where the kernel has it, else by scanning every
    ``<procfs>/*/stat`` for its ppid); ``cpu_s(before, after)`` is the CPU time the tree spent
    between two snapshots. When the root is this process, its own
    time is read from ``CLOCK_PROCESS_CPUTIME_ID`` and its children's from ``getrusage`` (finer than
    the 10 ms clock ticks of ``stat``).
    """

    def __init__(self, pid: int | None = None, proc_root: Path | None = None):
        self.proc_root = Path(proc_root) if proc_root is not None else procfs_root()
        self.pid = os.getpid() if pid is None else int(pid)
        self.hz = _clock_tick()
        # Our own process's time from its own clocks, also when ``proc_root`` is a fake tree.
        self._precise = self.pid == os.getpid()

    def _descendants(self) -> list[int]:
        kids = _children(self.proc_root, self.pid)
        if kids is not None:
            out, todo = [], list(kids)
            while todo:
                pid = todo.pop()
                out.append(pid)
                todo += _children(self.proc_root, pid) or []
            return out
        parent: dict[int, list[int]] = {}
        try:
            pids = [int(e) for e in os.listdir(self.proc_root) if e.isdigit()]
        except OSError:
            return []
        for pid in pids:
            text = read_text(self.proc_root / str(pid) / "stat")
            if text and ")" in text:
                try:
                    parent.setdefault(int(text[text.rindex(")") + 2:].split()[1]), []).append(pid)
                except (IndexError, ValueError):
                    continue
        out, todo = [], list(parent.get(self.pid, []))
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo += parent.get(pid, [])
        return out

    def _root(self) -> tuple[int, float, float] | None:
        if self._precise:
            import resource

            ch = resource.getrusage(resource.RUSAGE_CHILDREN)
            return os.getppid(), time.process_time(), ch.ru_utime + ch.ru_stime
        return _stat(self.proc_root, self.pid, self.hz)

    def read(self, root_last: bool = False) -> dict[int, tuple[int, float, float]]:
        """A snapshot of the tree. ``root_last``: read the root's own time after its descendants
        (a window's start), so that the scan's own CPU time is not counted in the window; a window's
        end reads the root first."""
        snap: dict[int, tuple[int, float, float]] = {}
        root = None if root_last else self._root()
        for pid in self._descendants():
            s = _stat(self.proc_root, pid, self.hz)
            if s is not None:
                snap[pid] = s
        if root_last:
            root = self._root()
        if root is not None:
            snap[self.pid] = root
        return snap

    @staticmethod
    def cpu_s(before: dict, after: dict) -> float:
        """CPU seconds the tree spent between two snapshots:

        - a process in both: its own time's and its reaped children's time's increase;
        - a process that started inside the window: counted from 0;
        - a process that ended inside the window: its last reading counts (the time it spent after
          ``before`` is not seen, unless its parent in the tree reaped it: then the parent's
          children's time grew by the child's whole life, and what ``before`` already held of it is
          taken off, so nothing is counted twice).
        """
        total = 0.0
        for pid, (_, own, kids) in after.items():
            _, own0, kids0 = before.get(pid, (0, 0.0, 0.0))
            total += max(own - own0, 0.0) + max(kids - kids0, 0.0)
        for pid, (ppid, own0, kids0) in before.items():
            if pid not in after and ppid in after and ppid in before and after[ppid][2] > before[ppid][2]:
                total -= min(own0 + kids0, after[ppid][2] - before[ppid][2])
        return max(total, 0.0)


class Throttling:
    """The seconds this process's cgroup is throttled by its CPU quota from creation to
    ``seconds()``: the ``cpu_throttled_s`` of a trial's row ("" without a quota or a readable
    ``cpu.stat``: nothing to throttle, or not known)."""

    def __init__(self):
        self.start = throttled_s()

    def seconds(self) -> float | str:
        end = throttled_s()
        if self.start is None or end is None:
            return ""
        return max(end - self.start, 0.0)
