"""What the study itself cost: the manifest's ``footprint`` (``harness.run.footprint``) as a table,
with its carbon when ``analyze``/``report`` are given carbon inputs."""

from __future__ import annotations

import math

import pandas as pd

from harness.analysis.tables import Table, num
from harness.results.load import Results


def _share(x: float, whole: float) -> str:
    return f"{100 * x / whole:.1f}%" if whole > 0 and not math.isnan(x) else "-"


def footprint_gco2e(f: dict | None, carbon) -> float | None:
    """The footprint's total carbon (gCO2e) with ``carbon`` (``harness.data.carbon.CarbonInputs``),
    computed as the carbon tables compute a trial's: operational from its energy, embodied (when
    given) over its wall time and setup; None without carbon inputs or a recorded energy."""
    if not f or carbon is None or f.get("energy_j") is None:
        return None
    from harness.data.carbon import embodied_g, operational_g

    g = operational_g(f["energy_j"], carbon.intensity_g_per_kwh, carbon.pue)
    if carbon.has_embodied:
        g += embodied_g(float(f.get("wall_s") or 0.0) + f.get("setup_s", 0.0), carbon.embodied_kg,
                        carbon.lifetime_years)
    return g


def footprint_table(results: Results, carbon=None) -> Table | None:
    """Parts of the run's time (s) and energy (J): setup, measured phases, cool-downs, idle baseline,
    warm-up, the rest (harness work between phases, abandoned units), the total; and per host on a
    cluster. ``carbon``: ``harness.data.carbon.CarbonInputs`` or None. None when the manifest has
    no footprint (a run made before it was recorded, or the published file)."""
    f = results.footprint
    if not f:
        return None
    energy = f.get("energy_j")
    estimated = bool(f.get("energy_estimated"))
    other_j = (energy - f.get("phases_energy_j", 0.0)) if energy is not None else None
    waits = ("not measured" if energy is None else
             "not estimated (the CPU-time model covers busy CPU only)" if estimated else "in 'rest'")
    rows = [
        ("setup: spec, data, features, checks (before the session)", f.get("setup_s", 0.0), None, "not measured"),
        ("trials' measured phases (preprocess, train, predict)", f.get("phases_s", 0.0), f.get("phases_energy_j"), ""),
        ("cool-downs between trials", f.get("cooldown_s", 0.0), None, waits),
        ("idle baseline", f.get("baseline_s", 0.0), None, waits),
        ("warm-up", f.get("warmup_s", 0.0), None, "in 'rest'" if energy is not None else "not measured"),
        ("rest: harness work between phases, abandoned units", f.get("other_s", 0.0), other_j,
         ("its energy is everything but the phases': the waits' and the warm-up's too (their time is in "
          "their own rows), so it is no power over its time") if other_j is not None else "not measured"),
    ]
    slots = f.get("slots", 1) or 1
    total_s = sum(r[1] or 0.0 for r in rows)
    frame = pd.DataFrame([{"part": r[0], "time_s": r[1], "energy_j": r[2], "energy_note": r[3]} for r in rows]
                         + [{"part": "total", "time_s": total_s, "energy_j": energy,
                             "energy_note": f.get("energy_note", "")}])
    g = footprint_gco2e(f, carbon)
    if g is not None:
        frame["gco2e"] = [math.nan] * (len(frame) - 1) + [g]
    display = pd.DataFrame({
        "part": frame["part"], "time (s)": [num(x) for x in frame["time_s"]],
        "share of time": [_share(x, total_s) for x in frame["time_s"]],
        "energy (J)": [num(x) if x is not None and not (isinstance(x, float) and math.isnan(x)) else "-"
                       for x in frame["energy_j"]],
        "note": frame["energy_note"]})
    if "gco2e" in frame:
        display["gCO2e"] = ["" if math.isnan(x) else num(x) for x in frame["gco2e"]]
    notes = [f"The run's own footprint over {f.get('sessions', 1)} session(s): {int(f.get('units', 0))} stored units; "
             f"the trials' measured phases were {_share(f.get('phases_s', 0.0), total_s)} of its time"
             + (f" (time of {slots} slots: units ran {slots} at once)" if slots > 1 else "") + ".",
             f"Energy: {f.get('energy_note') or 'not recorded'}."]
    unrecorded = int(f.get("sessions_unrecorded") or 0)
    if unrecorded:
        stored = f" (this run stored {len(results.trials)} trials)" if results.host is None else ""
        notes.append(f"Incomplete: {unrecorded} session(s) of this run recorded no footprint (ended without closing: "
                     f"killed, e.g. SIGKILL, a crash or power loss, or run before footprints were recorded); their "
                     f"cost is not in these totals, which cover {int(f.get('units', 0))} stored units{stored}.")
    if carbon is not None:
        notes.append(f"Carbon of the total: {carbon.describe()}.")
    hosts = f.get("per_host") or {}
    if len(hosts) > 1:
        notes.append("Per host: " + "; ".join(
            f"{h}: {int(v.get('units', 0))} units, phases {num(v.get('phases_s', 0.0))} s / "
            f"{num(v.get('phases_j', 0.0))} J, cool-downs {num(v.get('cooldown_s', 0.0))} s" for h, v in hosts.items()))
    return Table("footprint", "Footprint: what this study itself cost", frame, display, notes=tuple(notes))
