"""The ``estimate`` meter: energy modelled from CPU time, for machines with no counter.

energy_j = cpu_s x per_core_w, where cpu_s is the user + system CPU time, over the window, of this
process and of every process under it (joblib/loky workers of ``n_jobs: 2`` are long-lived child
processes, not waited children: ``harness.meters.cpus.ProcessTree`` reads them from
``/proc/<pid>/stat``), and per_core_w = tdp_w / cores.

Where per_core_w comes from (``per_core_source`` in ``describe`` and ``meters``):

- ``tdp_w`` and ``cores`` both set (spec ``estimate:``): your values;
- otherwise the CPU model (``/proc/cpuinfo``) looked up in Green Algorithms' TDP table
  (``harness/data/cpu_tdp.csv``; Lannelongue et al. 2021): the model's TDP / its cores;
- a CPU not in the table: Green Algorithms' default of 12 W per core (``FALLBACK_W_PER_CORE``);
  its ``cores`` (and so ``tdp_w`` = 12 W x cores) are the CPUs this process may keep busy: the
  affinity mask and the cgroup CPU quota (``docker run --cpus``), rounded up (``cpus_available``).

``tdp_w`` alone is divided by ``cores`` (default: the model's cores from the table, else
``os.cpu_count()``); ``cores`` alone scales the looked-up watts per core. A saving (a ratio of two
energies of one run) does not depend on per_core_w; absolute joules scale with it. The number is
never a measurement: results carry ``meter=estimate`` and every table and figure built from them
says "estimated".
"""

from __future__ import annotations

import math
import numbers
import os
import time

from harness.errors import MeterError
from harness.meters.common import Measurement, Meter, Resolution
from harness.meters.cpus import (FALLBACK_W_PER_CORE, TDP_SOURCE, ProcessTree, available_cpus, cpu_model,
                                 lookup_tdp)

# The constant of harness releases before the TDP table (no source): what a manifest without
# ``per_core_w`` used.
LEGACY_W_PER_CORE = 10.0
DEFAULT_W_PER_CORE = FALLBACK_W_PER_CORE  # a CPU not in the TDP table


def per_core_watts(tdp_w: float | None, cores: int | None, model: str | None,
                   cpus: int | None = None) -> tuple[float, int, str]:
    """(tdp_w, cores, source) of the model: see the module docstring. ``model``: the CPU's name;
    ``cpus``: the CPUs this process may keep busy (affinity mask and cgroup quota, rounded up), the
    core count of a CPU not in the table (default ``os.cpu_count()``)."""
    row = lookup_tdp(model)
    if tdp_w is not None:
        n = cores or (row["cores"] if row else (os.cpu_count() or 1))
        return tdp_w, n, f"spec estimate.tdp_w {tdp_w:g} W / {n} cores"
    if row is not None:
        n = cores or row["cores"]
        return (row["w_per_core"] * n, n,
                f"Green Algorithms TDP table: {row['model']} {row['tdp_w']:g} W / {row['cores']} cores")
    n = cores or cpus or (os.cpu_count() or 1)
    return (FALLBACK_W_PER_CORE * n, n,
            f"Green Algorithms' default for a CPU not in its TDP table ({model or 'model unknown'})")


class EstimateMeter(Meter):
    name = "estimate"
    estimated = True

    def __init__(self, tdp_w: float | None = None, cores: int | None = None, pid: int | None = None):
        if cores is not None and (isinstance(cores, bool) or not isinstance(cores, numbers.Integral) or cores < 1):
            raise MeterError(f"estimate.cores must be a whole number >= 1, got {cores!r}")
        if tdp_w is not None:
            try:
                value = float(tdp_w)
            except (TypeError, ValueError):
                value = float("nan")
            if isinstance(tdp_w, bool) or not 0 < value < float("inf"):
                raise MeterError(f"estimate.tdp_w must be a power in watts > 0, got {tdp_w!r}")
            tdp_w = value
        self.model = cpu_model()
        self.cpus = available_cpus()  # a container's quota counts: docker run --cpus=1 keeps one core busy
        self.tdp_w, self.cores, self.per_core_source = per_core_watts(tdp_w, None if cores is None else int(cores),
                                                                      self.model, math.ceil(self.cpus["cpus"]))
        self.per_core_w = self.tdp_w / self.cores
        self.tree = ProcessTree(pid)

    def begin(self):
        return (time.perf_counter(), self.tree.read(root_last=True))

    def end(self, token) -> Measurement:
        after = self.tree.read()
        wall1 = time.perf_counter()
        wall0, before = token
        energy = ProcessTree.cpu_s(before, after) * self.per_core_w
        return Measurement(total_j=energy, duration_s=wall1 - wall0, domains_j={"cpu": energy})

    def domains(self) -> list[str]:
        return ["cpu"]

    def resolution(self) -> Resolution:
        """CPU time's: the coarser of CLOCK_PROCESS_CPUTIME_ID's resolution (``clock_getres``)
        and getrusage's 1 µs (reaped children), times ``per_core_w``. Child processes still running
        (joblib/loky workers) are read in clock ticks (``/proc/<pid>/stat``, 10 ms at 100 Hz)."""
        step_s = max(time.clock_getres(time.CLOCK_PROCESS_CPUTIME_ID), 1e-6)
        return Resolution(energy_j=step_s * self.per_core_w, update_s=step_s,
                          source=f"CPU time: {step_s:g} s steps (clock_getres, getrusage); child processes "
                                 f"in {1 / self.tree.hz:g} s clock ticks")

    def model_line(self) -> str:
        """The model in one line, for ``python -m harness meters``."""
        return (f"model: {self.per_core_w:.2f} W per busy core = tdp_w {self.tdp_w:g} W / {self.cores} cores, "
                f"from {self.per_core_source}")

    def describe(self) -> dict:
        return {
            **super().describe(),
            "tdp_w": self.tdp_w,
            "cores": self.cores,
            "per_core_w": self.per_core_w,
            "per_core_source": self.per_core_source,
            "cpu_model": self.model,
            "tdp_table": TDP_SOURCE,
            "cpus_available": self.cpus,
            "formula": "energy_j = (user+system CPU s of this process and every process under it) * tdp_w / cores",
        }
