"""The plan: every trial of a spec, in a canonical order, each with its seed.

Canonical order is algorithm, sweep, row fraction, feature fraction, repetition, as written in the
spec; ``trial_id`` and ``config_id`` are positions in it, so they are stable across reruns of the
same spec. The execution order is a seeded shuffle of it (``hygiene.shuffle``), the same on every
rerun, so a resumed run continues the same sequence.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Trial:
    trial_id: int
    config_id: int
    algorithm: str
    sweep: str
    row_fraction: float
    feature_fraction: float
    repetition: int
    seed: int


def repetition_seed(spec_seed: int, repetition: int) -> int:
    """Seed of one repetition, derived from the spec's seed; the same for every configuration,
    so configurations are compared on the same random draws (common random numbers)."""
    return int(np.random.SeedSequence([spec_seed, repetition]).generate_state(1, dtype=np.uint32)[0])


def make_plan(spec) -> list[Trial]:
    seeds = [repetition_seed(spec.seed, r) for r in range(spec.repetitions)]
    trials: list[Trial] = []
    config_id = 0
    for alg in spec.algorithms:
        for sweep_name, sweep in spec.sweeps.items():
            for rf in sweep.row_fractions:
                for ff in sweep.feature_fractions:
                    for rep, seed in enumerate(seeds):
                        trials.append(Trial(len(trials), config_id, alg.name, sweep_name, rf, ff, rep, seed))
                    config_id += 1
    return trials


def execution_order(plan: list[Trial], shuffle: bool, seed: int) -> list[Trial]:
    order = list(plan)
    if shuffle:
        random.Random(seed).shuffle(order)
    return order
