"""Phases whose energy is not a measurement (``energy_invalid`` of trials.csv): counted for the tables.

A window whose counter went backwards (a GPU reset or driver reload under NVML, an uncorrected wrap
under pyRAPL) is stored as NaN with its reason; the analysis never uses it as a number, and says how
many there were and why, so that a missing value is not mistaken for a cleaning decision.
"""

from __future__ import annotations

import re

import pandas as pd

from harness.errors import counted

COLUMN = "energy_invalid"
_READINGS = re.compile(r"\(-?\d+ -> -?\d+ [mu]J: ")  # the readings of one window: dropped to group the reasons


def invalid_energy_note(trials: pd.DataFrame) -> str:
    """One line: how many phases of how many trials are not measurements, per phase, and why
    (reasons without their readings, each once); "" when there are none or the column is absent
    (a trials.csv written before it existed)."""
    if COLUMN not in trials.columns:
        return ""
    # an all-empty column is read as float NaN: only text cells name invalid phases
    cells = [c for c in trials[COLUMN] if isinstance(c, str) and c.strip()]
    if not cells:
        return ""
    per_phase: dict[str, int] = {}
    reasons: list[str] = []
    for cell in cells:
        for part in cell.split(" | "):
            phase, _, why = part.partition(": ")
            per_phase[phase] = per_phase.get(phase, 0) + 1
            why = _READINGS.sub("(", why)
            if why not in reasons:
                reasons.append(why)
    n = sum(per_phase.values())
    phases = ", ".join(f"{p} {k}" for p, k in per_phase.items())
    return (f"Invalid energy: {counted(n, 'phase')} of {counted(len(cells), 'trial')} are not measurements ({phases}) and are "
            f"NaN, never a number: {'; '.join(reasons)} (column {COLUMN} of trials.csv).")


THROTTLED = "cpu_throttled_s"


def throttled_note(trials: pd.DataFrame) -> str:
    """One line: how many trials the cgroup's CPU quota throttled (``cpu_throttled_s`` > 0) and for how
    long in all: their times (and estimated energies) are inflated by waiting for quota, not by the
    work; "" when none was, or the column is absent or empty (no quota)."""
    if THROTTLED not in trials.columns:
        return ""
    seconds = pd.to_numeric(trials[THROTTLED], errors="coerce")
    hit = seconds[seconds > 0]
    if hit.empty:
        return ""
    return (f"Throttled: {counted(len(hit), 'trial')} of {len(trials)} were throttled by the cgroup's CPU quota "
            f"({hit.sum():.3g} s in all, at most {hit.max():.3g} s in one): their times ran longer than their "
            f"CPU time says (column {THROTTLED} of trials.csv; docs/hygiene.md, Containers and CPU quotas).")
