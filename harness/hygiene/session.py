"""What the runner calls at a session's start: check the machine, say what is wrong, and build the
manifest's hygiene entries; the cool-down it uses between trials."""

from __future__ import annotations

from pathlib import Path

from harness.hygiene.checklist import checklist, warnings
from harness.hygiene.cooldown import FIRST, Cooldown, settle  # noqa: F401  (the runner's cool-down)
from harness.hygiene.machine import machine_state


def check_machine(out) -> dict:
    """The machine's state now; prints one ``warning:`` line per checklist warning to ``out``."""
    state = machine_state()
    for check in warnings(checklist(state)):
        print(f"warning: {check.topic}: {check.message}", file=out, flush=True)
    return state


def threads_warning(threads: int | None, processes: int, state: dict) -> str | None:
    """One ``warning:`` line when ``threads`` BLAS/OpenMP threads in each of ``processes`` trial
    processes (1, or the local Dask workers) ask for more CPUs than this process may use (``state``:
    ``machine_state()``, its affinity): oversubscribed cores time-share, which inflates time and
    energy. None when they fit, or when ``threads`` is None (no limit set)."""
    aff = state.get("affinity") or {}
    cpus = len(aff["cpus"]) if aff.get("cpus") else aff.get("cpu_count")
    quota = (state.get("cpu_quota") or {}).get("cpus")
    where = "here"
    if quota and cpus and quota < cpus:  # a container's cgroup quota: the affinity mask does not show it
        source = Path(str(state["cpu_quota"].get("source") or "cpu.max")).name  # cpu.max, or v1 cpu.cfs_quota_us
        cpus, where = quota, f"in this cgroup's CPU quota ({source}: {quota:g} CPU{'s' if quota != 1 else ''})"
    if threads is None or not cpus or threads * processes <= cpus:
        return None
    who = f"{threads} x {processes} workers" if processes > 1 else f"{threads}"
    shown = f"{cpus:g} CPU{'s' if cpus != 1 else ''}"
    return (f"warning: hygiene.threads: {who} threads on {shown} {where}: the cores are oversubscribed"
            + (" and throttled by the quota" if where != "here" else "") + ", which inflates time and energy; "
            + (f"set hygiene.threads to at most {int(cpus) // processes}" if int(cpus) // processes >= 1 else
               f"give it at least {processes} CPU{'s' if processes > 1 else ''} (one thread per trial process)"))


def manifest_entries(state: dict, meter, hygiene) -> dict:
    """Manifest keys of a new run: the first session's machine state and checklist, and the
    meter's resolution with the shortest phase it resolves to ``hygiene.rel_error``."""
    res = meter.resolution()
    return {
        "machine_state": state,
        "checklist": [c.__dict__ for c in checklist(state)],
        "resolution": None if res is None else {
            **res.as_dict(), "rel_error": hygiene.rel_error,
            "min_phase_s": res.min_duration_s(hygiene.rel_error), "min_phase_j": res.energy_j / hygiene.rel_error},
    }


def measure_idle_baseline(meter, hygiene) -> dict | None:
    """The idle baseline (``harness.meters.measure_baseline`` over ``hygiene.baseline_s``); with
    ``cooldown.until_idle`` and a counter meter, first wait for the power to stop falling
    (``cooldown.settle``, recorded under ``settle``), since every cool-down is judged against it."""
    from harness.meters import measure_baseline

    opts = hygiene.cooldown
    settled = settle(meter, opts) if opts is not None and opts.until_idle and not meter.estimated else None
    baseline = measure_baseline(meter, hygiene.baseline_s)
    if baseline is not None and settled is not None:
        baseline["settle"] = settled
    return baseline
