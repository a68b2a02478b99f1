"""The local executor (the default): every trial in this process, one after another."""

from __future__ import annotations

from typing import Iterator

from harness.run.executors.base import Executor
from harness.run.executors.bench import Bench, host_facts


class LocalExecutor(Executor):
    """Opens the spec's meter in this process; one bench runs the trials in the order given."""

    kind = "local"

    def __init__(self, spec):
        self.spec = spec
        self.selection = None
        self.bench: Bench | None = None
        self.hosts: dict = {}
        self._current = ""
        self._varying: set[str] | None = None  # the factors the progress label names

    def start(self) -> None:
        from harness.meters import open_meter

        spec = self.spec
        self.selection = open_meter(spec.meter_names, spec.meter_options())
        meter = self.selection.meter
        self.meter_name = meter.name
        self.meter_info = {**meter.describe(), "name": meter.name, "estimated": meter.estimated,
                           "selection": self.selection.summary(), "not_used": self.selection.reasons}
        facts = host_facts()
        self.hosts = {facts.pop("host"): {**facts, "meter": meter.name, "workers": 1, "baseline": None}}

    def summary(self, short: bool = False) -> str:
        return self.selection.summary(short=short)

    def map(self, workload, trials, known_baseline: dict | None = None, announce=None) -> Iterator[dict]:
        from harness.run.session import progress_label, varying_factors

        if not trials:
            return
        if self.bench is None:
            self.bench = Bench(workload, self.selection)
        self.bench.prepare(known_baseline)
        next(iter(self.hosts.values()))["baseline"] = self.bench.baseline
        if announce is not None:
            announce(self.bench.cooldown.note)
        if self._varying is None:  # over the whole plan: a batch (an adaptive round) may vary less
            from harness.plan import make_plan

            self._varying = varying_factors(make_plan(self.spec))
        for trial in trials:
            self._current = progress_label(trial, self._varying)
            yield self.bench.run(trial)

    def reference_meter(self):
        return self.selection.meter

    def hygiene_seconds(self) -> dict | None:
        return dict(self.bench.hygiene_s) if self.bench is not None else {"baseline_s": 0.0, "warmup_s": 0.0}

    def activity(self) -> str:
        return self._current

    def close(self) -> None:
        if self.bench is not None:
            self.bench.close()  # closes the meter too
            self.bench = None
        elif self.selection is not None:
            self.selection.meter.close()
        self.selection = None
