"""The rounds of an adaptive run (``repetitions: {min, max, ...}``): the driver's view of
``harness.plan.adaptive``. It knows each finished trial's watched energy and F1 (the rows already in
trials.csv on a resume, then each row as it is stored) and hands the executor one round at a time."""

from __future__ import annotations

import math
from typing import Iterator

from harness.plan import Trial
from harness.plan.adaptive import next_round, summary, watched_energy


def _f1(cell) -> float:
    try:
        return float(cell)
    except (TypeError, ValueError):
        return math.nan


class Rounds:
    """Rounds of ``plan`` under ``spec.adaptive``; ``scan``: trials.csv as read at the start
    (``harness.results.read.ResultsFile``, or None for a new run)."""

    def __init__(self, spec, plan: list[Trial], scan=None):
        self.rule, self.seed, self.shuffle, self.plan = spec.adaptive, spec.seed, spec.hygiene.shuffle, plan
        self.values: dict[int, tuple[float, float]] = {}
        for _, record in (scan.records() if scan is not None else ()):
            self.record(record)

    def record(self, row: dict) -> None:
        """Take one finished trial's row (trials.csv columns; cells as text or numbers)."""
        self.values[int(float(row["trial_id"]))] = (watched_energy(row, self.rule.energy), _f1(row.get("f1")))

    def __iter__(self) -> Iterator[list[Trial]]:
        while True:
            batch = next_round(self.plan, self.values, self.rule, self.seed, self.shuffle)
            if not batch:
                return
            yield batch

    def at_most(self) -> int:
        """Trials still to run at most: every open configuration's repetitions up to ``max``."""
        from harness.plan.adaptive import OPEN, configuration_precision

        states = configuration_precision(self.plan, self.values, self.rule)
        return sum(self.rule.max - p.n for p in states.values() if p.status == OPEN)

    def summary(self) -> dict:
        """The manifest's ``adaptive`` entry (``harness.plan.adaptive.summary``)."""
        return summary(self.plan, self.values, self.rule)

    def done_line(self, path) -> str:
        s = self.summary()
        c = s["configurations"]
        return (f"done: {s['trials']} of at most {s['max_trials']} trials in {path} (adaptive: {c['precise']} "
                f"configurations precise, {c['max']} at max {self.rule.max} repetitions)")
