"""Energy meters: pick one by name, or ``auto`` for the best one this machine can read.

``open_meter(names, options)`` returns a :class:`Selection`: the meter and why each meter that
was not picked was not used. Backends, one file each: ``rapl`` (powercap sysfs), ``pyrapl`` (the
pyRAPL package), ``nvml`` (NVIDIA GPUs), ``estimate`` (a CPU-time model); ``combined`` joins a CPU
meter and GPU meters. ``auto`` = rapl if readable, else pyrapl, else estimate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harness.errors import MeterError
from harness.meters.combined import CombinedMeter
from harness.meters.common import Measurement, Meter, Resolution, measure_baseline
from harness.meters.estimate import EstimateMeter

__all__ = [
    "Measurement",
    "Meter",
    "Resolution",
    "Selection",
    "open_meter",
    "measure_baseline",
    "EstimateMeter",
    "CombinedMeter",
    "METER_NAMES",
    "CPU_METERS",
    "METER_OPTIONS",
]

METER_NAMES = ("auto", "rapl", "pyrapl", "nvml", "estimate")
# At most one of these per run: they all measure the CPU, so two would count it twice.
CPU_METERS = ("auto", "rapl", "pyrapl", "estimate")
# Options each meter accepts in ``options[name]``; a None value means "the default".
METER_OPTIONS = {
    "auto": (),
    "rapl": ("max_power_w",),
    "pyrapl": (),
    "nvml": ("devices",),
    "estimate": ("tdp_w", "cores"),
}
AUTO_ORDER = ("rapl", "pyrapl", "estimate")


@dataclass
class Selection:
    meter: Meter
    reasons: dict[str, str] = field(default_factory=dict)  # meter name -> why it was not picked

    def summary(self, short: bool = False) -> str:
        """One line for the run's first output: which meter, what its total adds up (and which
        mirrored zones it counts once), and why the others were not used.

        ``short`` (the run's ``--quiet``) keeps each reason's first clause, without the fix, and
        leaves out the meters auto did not need; the full line goes to the manifest.
        """
        line = f"meter: {self.meter.name}"
        if self.meter.estimated:
            line += " (ESTIMATED energy, not measured)"
        total = self.meter.total_domains()
        if total:
            line += f", total = {' + '.join(total)}"
        note = self.meter.mirror_note()
        if note:
            line += f" ({note})"
        # What the total leaves out or covers beyond the job (GPUs not measured, a partial total, a
        # whole GPU in MIG mode): said in full even with --quiet, it qualifies every number.
        for coverage in self.meter.notes():
            line += f"; {coverage}"
        reasons = self.reasons
        if short:
            reasons = {k: _first_clause(v) for k, v in reasons.items() if not v.startswith("not needed")}
        if reasons:
            if self.meter.name == "estimate":  # the advice the errors end with is what happened already
                reasons = {k: v.replace("; use --meter estimate", "") for k, v in reasons.items()}
            line += "; not used: " + "; ".join(f"{k}: {v}" for k, v in reasons.items())
        return line


def _first_clause(reason: str) -> str:
    """"cannot read X: permission denied (why); fix" -> "cannot read X: permission denied"."""
    first = reason.split("; ", 1)[0]
    return re.sub(r" \([^()]*\)$", "", first)


def _options_for(name: str, options: dict) -> dict:
    given = options.get(name) or {}
    if not isinstance(given, dict):
        raise MeterError(f"meter options for {name} must be a mapping, got {given!r}")
    allowed = METER_OPTIONS[name]
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise MeterError(
            f"unknown option {name}.{unknown[0]}; {name} accepts: {', '.join(allowed) or 'no options'}"
        )
    return {k: v for k, v in given.items() if v is not None}


def _open_one(name: str, options: dict, probe: bool = True) -> Meter:
    """Open one concrete meter (not auto) and, with ``probe``, check that its counters advance
    (:meth:`Meter.probe`); a meter that fails the probe is closed. Backends are imported here so
    that a missing optional library only matters to the meter that needs it."""
    meter = _construct(name, options)
    if probe:
        try:
            meter.probe()
        except BaseException:
            meter.close()
            raise
    return meter


def _construct(name: str, options: dict) -> Meter:
    kw = _options_for(name, options)
    if name == "rapl":
        from harness.meters.rapl import RaplMeter

        return RaplMeter(**kw)
    if name == "pyrapl":
        from harness.meters.pyrapl import PyRaplMeter

        return PyRaplMeter(**kw)
    if name == "nvml":
        from harness.meters.nvml import NvmlMeter

        return NvmlMeter(**kw)
    if name == "estimate":
        return EstimateMeter(**kw)
    raise MeterError(f"unknown meter {name!r}; choose from {', '.join(METER_NAMES)}")


def _open_auto(options: dict, probe: bool = True) -> tuple[Meter, dict[str, str]]:
    reasons: dict[str, str] = {}
    for i, name in enumerate(AUTO_ORDER):
        try:
            meter = _open_one(name, options, probe)
        except MeterError as e:
            if name == "estimate":  # the last resort failing is a bad option: say so
                raise
            reasons[name] = str(e)
            continue
        for later in AUTO_ORDER[i + 1:]:
            reasons[later] = f"not needed, {name} is readable"
        return meter, reasons
    raise AssertionError("unreachable: estimate always opens or raises")


def normalise_names(names) -> list[str]:
    """The meter names of a spec or --meter as a list; MeterError if unknown, repeated, or two CPU
    meters (which would count the CPU twice)."""
    if isinstance(names, str):
        names = [names]
    try:
        names = list(names)
    except TypeError:
        names = [names]
    if not names:
        raise MeterError(f"meter is empty; choose from {', '.join(METER_NAMES)}")
    for n in names:
        if n not in METER_NAMES:
            raise MeterError(f"unknown meter {n!r}; choose from {', '.join(METER_NAMES)}")
    if len(set(names)) != len(names):
        raise MeterError(f"meter {names} names a meter twice")
    cpu = [n for n in names if n in CPU_METERS]
    if len(cpu) > 1:
        raise MeterError(
            f"meter {names} names {len(cpu)} CPU meters ({', '.join(cpu)}), which would count the "
            f"CPU twice; keep one (add nvml for GPUs)"
        )
    return names


def open_meter(names: str | list[str], options: dict | None = None, probe: bool = True) -> Selection:
    """Open the meter(s) named: one name, or a list of one CPU meter plus ``nvml``.

    ``options`` maps a meter name to its keyword options, e.g. ``{"estimate": {"tdp_w": 65}}``.
    With ``probe`` (the default; only a benchmark of static fake counters turns it off) each
    meter is probed: a counter that does not advance is refused, and RAPL zones that mirror one
    another are counted once (see ``rapl.PROBE_TIMEOUT_S``: a few ms on a healthy machine).
    Raises MeterError with a one-line fix when a named meter cannot be used; nothing is left
    open then. ``auto`` never fails for want of counters: it skips a meter that cannot be used,
    with the reason, and falls back to ``estimate``.
    """
    names = normalise_names(names)
    options = options or {}
    if not isinstance(options, dict):
        raise MeterError(f"meter options must be a mapping of meter name to options, got {options!r}")
    for key in options:
        if key not in METER_NAMES:
            raise MeterError(f"options for unknown meter {key!r}; choose from {', '.join(METER_NAMES)}")
    meters: list[Meter] = []
    reasons: dict[str, str] = {}
    try:
        for n in names:
            if n == "auto":
                meter, why = _open_auto(options, probe)
                reasons.update(why)
            else:
                meter = _open_one(n, options, probe)
            meters.append(meter)
    except BaseException:
        for m in meters:
            m.close()
        raise
    meter = meters[0] if len(meters) == 1 else CombinedMeter(meters)
    return Selection(meter, reasons)
