"""What every executor is (``Executor``) and the names the executors share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Iterator

JOBQUEUE_KINDS = ("slurm", "pbs", "sge", "lsf")
# Meters that read counters shared by everything on a host (package, GPU): one trial per host.
COUNTER_METERS = ("rapl", "pyrapl", "nvml")



class Executor(ABC):
    """Where trials run.

    ``start()`` opens the meter(s) where trials will run and raises a HarnessError (before anything
    is written) when they cannot be used; then ``meter_name``, ``meter_info`` (manifest "meter"),
    ``summary()`` and ``hosts`` are set. ``map(workload, units, known_baseline)`` yields one
    ``harness.run.study.Rows`` per unit (a trial or a tuning search) as each finishes, in any
    order; ``hosts`` (hostname -> facts, meter and idle baseline) is kept up to date for the manifest. ``close()`` is safe to call twice.
    """

    kind: str = "executor"
    # start() may take long or act elsewhere (connect to a scheduler, submit batch jobs): the
    # runner then makes every read-only check and takes the run's lock before calling it.
    costly_start: bool = False
    meter_name: str
    meter_info: dict
    hosts: dict

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def summary(self, short: bool = False) -> str:
        """What the run's first line(s) say: the meter(s) and where trials run (``short``: the
        meter's reasons without their fixes, for ``--quiet``)."""

    def describe(self) -> dict:
        """JSON-able facts for the manifest's ``executor``."""
        return {"kind": self.kind}

    @abstractmethod
    def map(self, workload, trials, known_baseline: dict | None = None, announce=None) -> Iterator[dict]:
        """``harness.run.study.Rows`` as units (trials, searches) finish; ``announce(line)`` is called with what the run should print
        before its first trial (the cool-down rule)."""

    def reference_meter(self):
        """A meter whose ``resolution()`` the manifest records (hygiene); None-resolution when
        trials are measured elsewhere."""
        return _Unresolved()

    def hygiene_seconds(self) -> dict | None:
        """Seconds this process spent on the idle baseline and the warm-up (``baseline_s``,
        ``warmup_s``), or None when they ran elsewhere (a cluster's workers)."""
        return None

    def activity(self) -> str:
        """A few words on what the executor is doing now, for the progress bar."""
        return ""

    def close(self) -> None:
        pass


class _Unresolved:
    """Stands in for meters that live on the workers: the resolution is per worker (per-phase flags
    in each row), not one number for the run."""

    def resolution(self):
        return None
