"""The study's own footprint: what a session of ``harness run`` cost, measured as a whole.

A Green AI study spends energy to find where energy is wasted; this says how much. Over each session
the driver keeps one chain of meter windows on the run's own meter (a window ends and the next
begins at every stored unit, so no window is long enough for a RAPL counter to wrap twice) and adds
up their energy: everything the session did where the trials ran here (local executor). The time of
the session is split into its parts: the trials' measured phases (preprocess, train, predict), the
cool-downs waited, the idle baseline and the warm-up, and the rest, which is the harness's own work
between phases (loading, treatments' setup, writing rows) and any unit abandoned by a signal. The
energy is split into the measured phases (from the rows) and the rest.

With the ``estimate`` meter the chain is the CPU-time model of this process tree: it covers busy CPU
only, so the waits (cool-downs, idle baseline) cost no estimated energy; their time is given and
the energy said to be not estimated. On a cluster the trials ran on the workers: the driver gives
per host the trials' phases and cool-downs from the rows (the workers' energy between phases is
not measured: said). Carbon is added by ``analyze``/``report`` with their carbon inputs.
"""

from __future__ import annotations

import math
import time


def measured_share(phases_s: float, slot_s: float, setup_s: float) -> float:
    """The share of all the time a run took (its sessions' wall time x units at once, plus setup) that
    was the trials' measured phases, as ``analyze``'s footprint table shows it; NaN for no time."""
    whole = slot_s + setup_s
    return phases_s / whole if whole > 0 else math.nan


def _f(row: dict, key: str) -> float:
    try:
        v = float(row.get(key))
    except (TypeError, ValueError):
        return math.nan
    return v


class Footprint:
    """One session's footprint, from the end of the run's checks (``setup_s`` before it: reading the
    spec and data, building features, the checks; time only, the meter may not be open yet). ``meter``: the meter whose chain of windows covers the session
    (the local executor's), or None when the units ran elsewhere; ``estimated``: that meter models
    energy. Call ``tick()`` after each stored unit, ``unit(row)`` with its row, ``close()`` at the end."""

    PHASES = ("preprocess", "train", "predict")

    def __init__(self, meter=None, estimated: bool = False, setup_s: float = 0.0):
        self.meter, self.estimated, self.setup_s = meter, estimated, setup_s
        self.started = time.perf_counter()
        self.energy_j = 0.0 if meter is not None else math.nan
        self.invalid = ""
        self.units = 0
        self.phases_s = self.phases_j = self.cooldown_s = 0.0
        self.per_host: dict[str, dict] = {}
        self._token = meter.begin() if meter is not None else None

    def tick(self) -> None:
        """End the current window and begin the next: the chain covers the session without a gap."""
        if self.meter is None:
            return
        m = self.meter.end(self._token)
        self._token = self.meter.begin()
        if m.invalid:  # a counter that went backwards inside the session: the total is not a measurement
            self.invalid = self.invalid or m.invalid
        elif not math.isnan(self.energy_j):
            self.energy_j += m.total_j

    def unit(self, row: dict) -> None:
        """Count one stored unit's measured phases and the cool-down before it (its row)."""
        s = sum(_f(row, f"{p}_s") for p in self.PHASES)
        j = sum(_f(row, f"{p}_energy_j") for p in self.PHASES)
        wait = _f(row, "cooldown_waited_s")
        wait = 0.0 if math.isnan(wait) else wait
        host = self.per_host.setdefault(str(row.get("host") or "?"), {"units": 0, "phases_s": 0.0, "phases_j": 0.0,
                                                                      "cooldown_s": 0.0})
        self.units += 1
        if row.get("energy_estimated") is True or str(row.get("energy_estimated")).lower() == "true":
            self.estimated = True  # the phases' energy comes from the rows: a worker's estimate meter is an estimate
        if row.get("energy_invalid") and self.meter is not None:  # e.g. a GPU reset: the chain spans it too,
            # and a counter that restarted and climbed past its old value would not show it on its own
            self.invalid = self.invalid or f"unit {row.get('trial_id')}: {row['energy_invalid']}"
        self.phases_s += 0.0 if math.isnan(s) else s
        self.phases_j += 0.0 if math.isnan(j) else j
        self.cooldown_s += wait
        host["units"] += 1
        host["phases_s"] += 0.0 if math.isnan(s) else s
        host["phases_j"] += 0.0 if math.isnan(j) else j
        host["cooldown_s"] += wait

    def close(self, hygiene_s: dict | None, slots: int = 1) -> dict:
        """The session's footprint for the manifest: wall time and its parts (s), energy (J) total and
        measured phases, the share of the session that was measured work; ``hygiene_s``: the
        executor's ``hygiene_seconds()`` (None: they ran on workers); ``slots``: units run at once."""
        self.tick()
        wall = time.perf_counter() - self.started
        parts = {"phases_s": self.phases_s, "cooldown_s": self.cooldown_s}
        if hygiene_s is not None:
            parts.update(baseline_s=hygiene_s.get("baseline_s", 0.0), warmup_s=hygiene_s.get("warmup_s", 0.0))
        capacity = wall * max(slots, 1)
        parts["other_s"] = capacity - sum(parts.values())  # harness work between phases, abandoned units
        out = {"wall_s": wall, "slots": max(slots, 1), "units": self.units, **parts, "setup_s": self.setup_s,
               "measured_share": measured_share(self.phases_s, capacity, self.setup_s),
               "phases_energy_j": self.phases_j, "energy_estimated": self.estimated,
               "per_host": self.per_host}
        if self.meter is None:
            out.update(energy_j=None, energy_note="the units ran on a cluster's workers: the session's energy "
                       "between their phases is not measured; the phases' energy is the rows' sum")
        elif self.invalid:
            out.update(energy_j=None, energy_note=f"not a measurement: {self.invalid}")
        else:
            out.update(energy_j=self.energy_j, other_energy_j=self.energy_j - self.phases_j,
                       energy_note=("estimated: busy CPU of this process tree only (the CPU-time model); the waits "
                                    "(cool-downs, idle baseline) cost no estimated energy, their time is given"
                                    if self.estimated else "measured over the whole session (one chain of windows)"))
        return out


def combine(sessions: list[dict]) -> dict | None:
    """The run's footprint: the sessions' footprints added up (None when no session has one)."""
    feet = [s["footprint"] for s in sessions if isinstance(s, dict) and isinstance(s.get("footprint"), dict)]
    if not feet:
        return None
    keys = ("wall_s", "setup_s", "units", "phases_s", "cooldown_s", "baseline_s", "warmup_s", "other_s",
            "phases_energy_j")
    total = {k: sum(f.get(k) or 0.0 for f in feet) for k in keys}
    energies = [f.get("energy_j") for f in feet]
    total["energy_j"] = sum(energies) if all(e is not None for e in energies) else None
    total["energy_estimated"] = any(f.get("energy_estimated") for f in feet)
    total["sessions"] = len(feet)
    # A session killed outright (SIGKILL, a crash of the machine, power loss) never closed, so it left
    # no footprint: its cost is missing from the sum, and the sum must say so rather than look complete.
    total["sessions_unrecorded"] = sum(1 for s in sessions if isinstance(s, dict)) - len(feet)
    capacity = sum(f["wall_s"] * f.get("slots", 1) for f in feet)
    total["measured_share"] = measured_share(total["phases_s"], capacity, total["setup_s"])
    hosts: dict[str, dict] = {}
    for f in feet:
        for h, v in (f.get("per_host") or {}).items():
            acc = hosts.setdefault(h, {k: 0.0 for k in v})
            for k, x in v.items():
                acc[k] = acc.get(k, 0.0) + x
    total["per_host"] = hosts
    total["energy_note"] = "; ".join(sorted({f.get("energy_note", "") for f in feet} - {""}))
    return total
