"""The machine's state as a checklist: what will distort a measurement, and what to do about it.

``checklist(state)`` is a pure function of ``harness.hygiene.machine.machine_state()``'s dict and
returns one :class:`Check` per topic. ``warn`` is something a careful experimenter fixes (or at
least reports) before measuring; ``info`` is worth knowing but often not in the user's power (a
VM's hidden cpufreq); ``ok`` is fine. The habits are pyperf's (``pyperf system show``): a fixed
frequency (governor ``performance``, turbo off), no other load, no swapping.
"""

from __future__ import annotations

from dataclasses import dataclass

# Thresholds: warn above these.
LOAD_PER_RUN = 1.0         # 1-minute load average: about one other job running
BUSY_PROCESS_PCT = 10.0    # another process using more than this share of one core
LOW_MEMORY_FRACTION = 0.10  # available memory below this share of the total
LOW_MEMORY_BYTES = 1 << 30
HOT_CELSIUS = 80.0


@dataclass(frozen=True)
class Check:
    level: str   # "ok" | "info" | "warn"
    topic: str
    message: str

    def line(self) -> str:
        return f"[{self.level.upper():<4}] {self.topic}: {self.message}"


def _cpu_list(names: list[str]) -> str:
    return ", ".join(names) if len(names) <= 4 else f"{names[0]}..{names[-1]} ({len(names)} CPUs)"


def _frequency(state: dict) -> list[Check]:
    cpus = state.get("cpu_frequencies") or {}
    if not cpus:
        return [Check("info", "frequency", "cpufreq is not exposed (VM or container?): the host sets the "
                      "clock; say so beside the results")]
    out = []
    slow = sorted((c for c, f in cpus.items() if f.get("governor") not in ("performance", None)),
                  key=lambda c: int(c[3:]))
    if slow:
        governors = sorted({cpus[c]["governor"] for c in slow})
        out.append(Check("warn", "governor", f"{'/'.join(governors)} on {_cpu_list(slow)}: set performance "
                         "(sudo cpupower frequency-set -g performance)"))
    else:
        out.append(Check("ok", "governor", "performance on every CPU"))
    curs = [f["cur_khz"] for f in cpus.values() if f.get("cur_khz")]
    if curs:
        out.append(Check("info", "frequency", f"current {min(curs) / 1e6:.2f}-{max(curs) / 1e6:.2f} GHz"))
    return out


def _turbo(state: dict) -> Check:
    enabled = (state.get("turbo") or {}).get("enabled")
    if enabled is None:
        return Check("info", "turbo", "no intel_pstate/no_turbo or cpufreq/boost file: state unknown")
    if enabled:
        return Check("warn", "turbo", "on: the clock follows temperature and load; turn it off for steady "
                     "timings (echo 1 > /sys/devices/system/cpu/intel_pstate/no_turbo, or 0 > "
                     "/sys/devices/system/cpu/cpufreq/boost)")
    return Check("ok", "turbo", "off")


def _smt(state: dict) -> Check:
    active = (state.get("smt") or {}).get("active")
    if active is None:
        return Check("info", "SMT", "state unknown (no devices/system/cpu/smt)")
    if active:
        return Check("info", "SMT", "on: a sibling thread's work slows ours; pin to one thread per core "
                     "(taskset) or turn SMT off for the steadiest timings")
    return Check("ok", "SMT", "off")


def _load(state: dict) -> list[Check]:
    out = []
    load = state.get("load_average")
    n = (state.get("affinity") or {}).get("cpu_count") or 1
    if load is None:
        out.append(Check("info", "load", "/proc/loadavg not readable"))
    elif load["1min"] >= LOAD_PER_RUN:
        out.append(Check("warn", "load", f"load average {load['1min']:.1f} on {n} core{'s' if n != 1 else ''}: "
                         "another job is running; wait for it or move to an idle machine"))
    else:
        out.append(Check("ok", "load", f"load average {load['1min']:.2f} on {n} cores"))
    busy = [p for p in state.get("busiest_processes") or [] if p["cpu_pct"] >= BUSY_PROCESS_PCT]
    if busy:
        names = ", ".join(f"{p['name']} (pid {p['pid']}, {p['cpu_pct']:.0f}%)" for p in busy)
        out.append(Check("warn", "processes", f"busy right now: {names}; stop them before measuring"))
    return out


def _memory(state: dict) -> Check:
    mem = state.get("memory")
    if mem is None or not mem.get("available_bytes"):
        return Check("info", "memory", "/proc/meminfo not readable")
    avail, total = mem["available_bytes"], mem["total_bytes"]
    text = f"{avail / 2**30:.1f} of {total / 2**30:.1f} GiB available"
    if avail < LOW_MEMORY_FRACTION * total or avail < LOW_MEMORY_BYTES:
        return Check("warn", "memory", f"{text}: swapping would distort timings; free memory first")
    return Check("ok", "memory", text)


def _affinity(state: dict) -> Check:
    aff = state.get("affinity") or {}
    if aff.get("pinned") is None:
        return Check("info", "pinning", "sched_getaffinity not available")
    if aff["pinned"]:
        return Check("ok", "pinning", f"pinned to CPU(s) {', '.join(map(str, aff['cpus']))}")
    return Check("info", "pinning", "not pinned: 'taskset -c N python -m harness run ...' keeps the "
                 "scheduler from moving the harness between cores")


def _core_types(state: dict) -> list[Check]:
    """A hybrid CPU (performance and efficiency cores): trials land on either kind and their times
    become bimodal unless the run is pinned to one kind."""
    from harness.meters.cpus import format_cpu_list

    hybrid = state.get("core_types")
    if not hybrid:
        return []
    kinds = hybrid["kinds"]
    lists = "; ".join(f"{kind} cores {format_cpu_list(cpus)}" for kind, cpus in kinds.items())
    pinned = hybrid.get("pinned_to")
    if pinned in kinds:
        return [Check("ok", "core types", f"hybrid CPU ({lists}): pinned to the {pinned} cores")]
    pin = format_cpu_list(kinds.get("performance") or next(iter(kinds.values())))
    return [Check("warn", "core types", f"hybrid CPU ({lists}; from {hybrid['source']}): trials land on either "
                  f"kind and their times become bimodal; pin the run to one kind: taskset -c {pin} "
                  "python -m harness run ...")]


def _cpu_quota(state: dict) -> list[Check]:
    """A cgroup CPU quota (a container's ``--cpus``): the affinity mask does not show it."""
    quota = state.get("cpu_quota")
    if not quota:
        return []
    text = f"{quota['cpus']:g} CPU{'s' if quota['cpus'] != 1 else ''} ({quota['source']})"
    if quota.get("nr_throttled"):
        text += (f"; throttled in {quota['nr_throttled']} of {quota.get('nr_periods', '?')} periods "
                 f"({quota.get('throttled_s', float('nan')):.1f} s) so far; trials record theirs in cpu_throttled_s")
    return [Check("info", "CPU quota", text + "; keep hygiene.threads x workers within it")]


def _temperature(state: dict) -> Check:
    temps = state.get("temperatures") or []
    if not temps:
        return Check("info", "temperature", "no thermal zone or hwmon sensor readable")
    hottest = max(temps, key=lambda t: t["celsius"])
    text = f"hottest {hottest['sensor']} {hottest['celsius']:.0f} °C"
    if hottest["celsius"] >= HOT_CELSIUS:
        return Check("warn", "temperature", f"{text}: the CPU may throttle; let it cool down")
    return Check("ok", "temperature", text)


def _thread_pools(state: dict) -> Check:
    pools = state.get("thread_pools") or []
    if not pools:
        return Check("info", "BLAS/OpenMP", "no BLAS or OpenMP library loaded")
    text = "; ".join(f"{p.get('internal_api')} {p.get('version') or ''} ({p.get('user_api')}): "
                     f"{p.get('num_threads')} threads".replace("  ", " ") for p in pools)
    return Check("info", "BLAS/OpenMP", text + " (a run sets hygiene.threads)")


def _git(state: dict) -> Check:
    git = state.get("git")
    if git is None:
        return Check("info", "code", "not a git checkout: the harness version identifies the code")
    if git.get("dirty"):
        return Check("warn", "code", f"uncommitted changes in {git['path']}: commit {git['commit'][:12]} does "
                     "not identify the code that ran; commit first")
    return Check("ok", "code", f"commit {git['commit'][:12]}")


def checklist(state: dict) -> list[Check]:
    """One or more checks per topic, in a fixed order; see the module docstring."""
    return [*_frequency(state), _turbo(state), _smt(state), *_load(state), _memory(state),
            _affinity(state), *_core_types(state), *_cpu_quota(state), _temperature(state), _thread_pools(state), _git(state)]


def warnings(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.level == "warn"]
