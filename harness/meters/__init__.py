"""Energy meters: pick one by name, or ``auto`` for the best one this machine can read.

``open_meter(names, options)`` returns a :class:`Selection`: the meter and, for ``auto``, why
each meter that was not picked could not be used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.errors import MeterError
from harness.meters.common import Measurement, Meter
from harness.meters.estimate import EstimateMeter

__all__ = ["Measurement", "Meter", "Selection", "open_meter", "METER_NAMES"]

METER_NAMES = ("auto", "estimate")


@dataclass
class Selection:
    meter: Meter
    reasons: dict[str, str] = field(default_factory=dict)  # meter name -> why it was not picked

    def summary(self) -> str:
        """One line for the run's first output: which meter and why the others were not."""
        line = f"meter: {self.meter.name}"
        if self.meter.estimated:
            line += " (ESTIMATED energy, not measured)"
        if self.reasons:
            line += "; not used: " + "; ".join(f"{k}: {v}" for k, v in self.reasons.items())
        return line


def open_meter(names: str | list[str], options: dict | None = None) -> Selection:
    """Open the meter(s) named. Raises MeterError with a one-line fix when one cannot be used."""
    options = options or {}
    if isinstance(names, str):
        names = [names]
    if names != ["estimate"] and names != ["auto"]:
        raise MeterError(f"meter {names!r} is not available in this build; use 'estimate' or 'auto'")
    reasons = {}
    if names == ["auto"]:
        reasons["rapl"] = "not implemented yet"
    return Selection(EstimateMeter(**options.get("estimate", {})), reasons)
