"""A study as the driver sees it: the plan's units (trials, or a tuning study's searches), the run's
files they are appended to, and which units are done already.

A unit runs wherever the executor puts it and returns ``Rows``: the
row of the study's main file (trials.csv, searches.csv), which marks the unit done, and detail
rows for other files (a search's evaluations). The driver alone appends them (``append``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.results.schema import TRIALS


@dataclass
class Rows:
    """What one unit returns for the store: ``row``, its row in the study's main file (trials.csv,
    searches.csv), which marks the unit done; ``details``: file name -> rows appended just before
    it (a search's evaluations.csv rows)."""

    row: dict
    details: dict = field(default_factory=dict)


@dataclass
class Study:
    """``plan``: every unit (canonical order, ``trial_id`` = position); ``unit``: its word in the
    messages (trial, search); ``main``: the file name whose row marks a unit done, at ``path``;
    ``writers``: file name -> ``harness.results.store.TrialWriter``; ``done``: trial ids already
    there; ``unverified``: rows without a checksum; ``notes``: lines printed once the run starts;
    ``done_line``: what a finished run prints; ``manifest``: entries the session adds to the manifest."""

    plan: list
    unit: str
    main: str
    path: Path
    writers: dict
    done: set[int]
    unverified: int = 0
    notes: list[str] = field(default_factory=list)
    done_line: str = ""
    manifest: dict = field(default_factory=dict)

    @property
    def units(self) -> str:
        return "searches" if self.unit == "search" else f"{self.unit}s"

    def append(self, rows) -> None:
        """Append a unit's detail rows, then its main row (each line fsynced): a stop between
        them leaves details without their unit, which a resume sets aside. Raises ResultsError
        when a write fails."""
        for name, detail in rows.details.items():
            for row in detail:
                self.writers[name].append(row)
        self.writers[self.main].append(rows.row)

    def close(self) -> None:
        for w in self.writers.values():
            w.close()


def open_trials(run, plan: list) -> Study:
    """The trials of a data-reduction study: trials.csv checked and opened (``Run.open``)."""
    writer = run.open(plan)
    return Study(plan, "trial", TRIALS, run.trials_path, {TRIALS: writer}, run.done, run.unverified,
                 done_line=f"done: {len(plan)} trial{'' if len(plan) == 1 else 's'} in {run.trials_path}")
