"""The meter interface shared by every backend.

A meter measures *windows*: ``token = meter.begin()`` then ``meter.end(token)`` returns a
:class:`Measurement` of the energy spent between the two calls. Windows are independent, so
they may nest or overlap. Both calls must cost microseconds: they sit on the runner's hot path.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Measurement:
    """Energy of one window.

    ``total_j`` is the energy in joules counted once: a backend whose domains overlap (a RAPL
    package contains its core and uncore zones) computes it from non-overlapping domains only.
    ``domains_j`` maps every domain the meter reads to its energy in joules, overlapping or not.
    ``duration_s`` is wall-clock seconds (``time.perf_counter``). ``invalid`` is "" for a
    measurement, else why the window is not one (e.g. a counter that went backwards: a GPU reset);
    the energies it concerns (and ``total_j``) are NaN then, never a negative number.
    """

    total_j: float
    duration_s: float
    domains_j: Mapping[str, float] = field(default_factory=dict)
    invalid: str = ""

    @property
    def power_w(self) -> float:
        """Mean power over the window in watts (0 for an empty window)."""
        return self.total_j / self.duration_s if self.duration_s > 0 else 0.0


@dataclass(frozen=True)
class Resolution:
    """What one meter window can resolve.

    ``energy_j``: the smallest energy step a reading moves by (J). ``update_s``: how often the
    source refreshes its reading (s); a window's ends each fall up to one update late, so its
    energy is uncertain by about that much time at the window's power. ``source`` says where the
    numbers come from. Used by ``harness.hygiene.resolution`` to flag phases too short to measure.
    """

    energy_j: float
    update_s: float
    source: str

    def min_duration_s(self, rel_error: float) -> float:
        """Shortest window (s) whose energy is within ``rel_error`` (e.g. 0.05) of the truth as
        far as the update interval goes: ``update_s / rel_error``."""
        return self.update_s / rel_error

    def as_dict(self) -> dict:
        return {"energy_j": self.energy_j, "update_s": self.update_s, "source": self.source}


class Meter(ABC):
    """Base class of every energy meter.

    ``name`` is what the results' ``meter`` column records. ``estimated`` is True when energy is
    not read from a hardware counter but computed from a model (the ``estimate`` meter): every
    row, table and figure built from such numbers must say so.
    """

    name: str = "meter"
    estimated: bool = False

    @abstractmethod
    def begin(self) -> Any:
        """Start a window; returns an opaque token for :meth:`end`."""

    @abstractmethod
    def end(self, token: Any) -> Measurement:
        """Close the window opened by ``begin`` and return its energy."""

    def domains(self) -> list[str]:
        """Names of the domains this meter reports in ``Measurement.domains_j``."""
        return []

    def total_domains(self) -> list[str]:
        """The domains whose sum is ``Measurement.total_j`` (no two of them overlap)."""
        return self.domains()

    def resolution(self) -> Resolution | None:
        """What one window can resolve (None: unknown, no phase is flagged)."""
        return None

    def probe(self, timeout_s: float | None = None) -> None:
        """Check, before any measurement, that the counters advance (and, for RAPL, which zones
        mirror one another). Raises MeterError for a counter that does not move within
        ``timeout_s`` seconds (None: the backend's default). Called by ``open_meter``; the
        default does nothing (a model, or a counter with nothing to check)."""

    def mirror_note(self) -> str:
        """A short note on zones counted once because they mirror another zone, or ""."""
        return ""

    def notes(self) -> list[str]:
        """Short notes on what the total covers and what it leaves out (devices not measured and
        why, a partial total, a counter shared with others), for the run's first line and
        ``python -m harness meters``; [] when there is nothing to say."""
        return []

    def describe(self) -> dict:
        """JSON-able facts for the run manifest (name, domains, parameters)."""
        return {
            "name": self.name,
            "estimated": self.estimated,
            "domains": self.domains(),
            "total_domains": self.total_domains(),
        }

    def close(self) -> None:
        """Release files, threads or library handles. Safe to call twice."""

    def __enter__(self) -> "Meter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# Shortest baseline whose 0 J is taken as a frozen counter: RAPL updates every ~1 ms, but NVML's
# energy counter moves in steps a few tens of ms apart, so a shorter idle window may read 0 honestly.
MIN_FROZEN_CHECK_S = 0.2


def measure_baseline(meter: Meter, seconds: float) -> dict | None:
    """Idle power: one window over ``time.sleep(seconds)``.

    Returns ``{"duration_s": s, "total_w": W, "domains_w": {domain: W}}`` (energy / duration of
    the window), or None when ``seconds`` is 0 (no baseline asked for). The harness's own process
    sleeps, so this is the machine's power with nothing of ours running, not a true idle state.
    Raises MeterError when a hardware meter's total domain reads 0 J over a window of at least
    ``MIN_FROZEN_CHECK_S``: a frozen counter is broken, not zero (the probe of ``open_meter``
    checks the same before the baseline; this also covers meters it does not probe).
    """
    from harness.errors import MeterError

    try:
        seconds = float(seconds)
    except (TypeError, ValueError):
        seconds = math.nan
    if not seconds >= 0 or math.isinf(seconds):
        raise MeterError(f"baseline seconds must be a number >= 0, got {seconds!r}")
    if seconds == 0:
        return None
    token = meter.begin()
    time.sleep(seconds)
    m = meter.end(token)
    d = m.duration_s
    if m.invalid:
        raise MeterError(f"meter {meter.name}: the idle baseline is not a measurement: {m.invalid}; run again")
    if not meter.estimated and d >= MIN_FROZEN_CHECK_S:
        # A hardware counter that spent nothing while the machine idled is broken, not zero: a
        # running machine always draws power in every domain that the total adds up.
        still = [k for k in meter.total_domains() if m.domains_j.get(k, 0.0) <= 0.0]
        if still:
            raise MeterError(
                f"meter {meter.name}: {', '.join(still)} read 0 J over the {d:.2f} s idle baseline: the "
                f"counter does not advance (broken, not zero); use --meter estimate"
            )
    return {
        "duration_s": d,
        "total_w": m.total_j / d if d > 0 else 0.0,
        "domains_w": {k: (j / d if d > 0 else 0.0) for k, j in m.domains_j.items()},
    }
