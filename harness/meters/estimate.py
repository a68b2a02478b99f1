"""The ``estimate`` meter: energy modelled from process CPU time, for machines with no counter.

energy_j = cpu_s x per_core_w, where cpu_s is user + system CPU time of this process and of its
reaped children over the window (time.process_time and getrusage(RUSAGE_CHILDREN), sub-microsecond
resolution), and per_core_w = tdp_w / cores.

Defaults: ``cores`` is ``os.cpu_count()``; ``tdp_w`` is 10 W per core (``DEFAULT_W_PER_CORE``), the
order of magnitude of TDP / core count of current desktop and server CPUs. Set both to your CPU's
datasheet values for a better estimate. The number is never a measurement: results carry
``meter=estimate`` and every table and figure built from them says "estimated".
"""

from __future__ import annotations

import numbers
import os
import resource
import time

from harness.errors import MeterError
from harness.meters.common import Measurement, Meter, Resolution

DEFAULT_W_PER_CORE = 10.0


def _cpu_s() -> float:
    """CPU seconds of this process (all threads) and its reaped children.

    ``time.process_time`` reads CLOCK_PROCESS_CPUTIME_ID (nanosecond resolution); ``os.times``
    would count in 10 ms clock ticks, too coarse for phases of a few milliseconds.
    """
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class EstimateMeter(Meter):
    name = "estimate"
    estimated = True

    def __init__(self, tdp_w: float | None = None, cores: int | None = None):
        if cores is None:
            self.cores = os.cpu_count() or 1
        elif isinstance(cores, bool) or not isinstance(cores, numbers.Integral) or cores < 1:
            raise MeterError(f"estimate.cores must be a whole number >= 1, got {cores!r}")
        else:
            self.cores = int(cores)
        if tdp_w is None:
            self.tdp_w = DEFAULT_W_PER_CORE * self.cores
        else:
            try:
                self.tdp_w = float(tdp_w)
            except (TypeError, ValueError):
                self.tdp_w = float("nan")
            if isinstance(tdp_w, bool) or not 0 < self.tdp_w < float("inf"):
                raise MeterError(f"estimate.tdp_w must be a power in watts > 0, got {tdp_w!r}")
        self.per_core_w = self.tdp_w / self.cores

    def begin(self) -> tuple[float, float]:
        return (time.perf_counter(), _cpu_s())

    def end(self, token: tuple[float, float]) -> Measurement:
        wall1, cpu1 = time.perf_counter(), _cpu_s()
        wall0, cpu0 = token
        energy = (cpu1 - cpu0) * self.per_core_w
        return Measurement(total_j=energy, duration_s=wall1 - wall0, domains_j={"cpu": energy})

    def domains(self) -> list[str]:
        return ["cpu"]

    def resolution(self) -> Resolution:
        """CPU time's: the coarser of CLOCK_PROCESS_CPUTIME_ID's resolution (``clock_getres``)
        and getrusage's 1 µs (reaped children), times ``per_core_w``."""
        step_s = max(time.clock_getres(time.CLOCK_PROCESS_CPUTIME_ID), 1e-6)
        return Resolution(energy_j=step_s * self.per_core_w, update_s=step_s,
                          source=f"CPU time: {step_s:g} s steps (clock_getres, getrusage)")

    def describe(self) -> dict:
        return {
            **super().describe(),
            "tdp_w": self.tdp_w,
            "cores": self.cores,
            "per_core_w": self.per_core_w,
            "formula": "energy_j = (user+system CPU s, children included) * tdp_w / cores",
        }
