"""Measuring one phase: is it long enough for the meter to resolve, and repeating a short predict.

A meter's :class:`~harness.meters.common.Resolution` says how often its reading updates and how
fine its energy steps are. A window shorter than ``update_s / rel_error`` (20 ms for RAPL's ~1 ms
updates at 5%), or holding less energy than ``energy_j / rel_error``, may be off by more than
``rel_error``: the row flags that phase (``<phase>_below_resolution``). The number is kept (it is
what the meter read); the analysis counts flagged phases beside every median built on them.

``measure_repeated`` runs a function again and again in one window until the window lasts
``min_s``, and divides energy and time by the repetitions: for the predict phase only, which is
deterministic and leaves nothing behind; never for the fit, whose second run would differ.
"""

from __future__ import annotations

import time

from harness.meters.common import Measurement, Resolution


def below_resolution(m: Measurement, resolution: Resolution | None, rel_error: float) -> bool:
    """True when the window ``m`` is too short or too small for ``resolution`` at ``rel_error``
    (a fraction, e.g. 0.05); False when the resolution is unknown (None)."""
    if resolution is None:
        return False
    return bool(m.duration_s < resolution.min_duration_s(rel_error)
                or abs(m.total_j) < resolution.energy_j / rel_error)


def measure_repeated(meter, fn, min_s: float) -> tuple[object, Measurement, Measurement, int]:
    """Call ``fn()`` in one meter window, again until the window has lasted ``min_s`` seconds
    (once if ``min_s`` is 0). Returns (the last call's result, the whole window's Measurement,
    the per-call Measurement = whole / repetitions, repetitions)."""
    token = meter.begin()
    t0 = time.perf_counter()
    reps = 0
    while True:
        result = fn()
        reps += 1
        if time.perf_counter() - t0 >= min_s:
            break
    whole = meter.end(token)
    if reps == 1:
        return result, whole, whole, 1
    per_call = Measurement(total_j=whole.total_j / reps, duration_s=whole.duration_s / reps,
                           domains_j={k: v / reps for k, v in whole.domains_j.items()})
    return result, whole, per_call, reps
