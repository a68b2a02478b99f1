"""The plan: every trial of a spec, in a canonical order, each with its seed.

Canonical order is algorithm, sweep, then every factor's level in step order (a full factorial of
the sweep's levels; for the ICT4S'22 pair: row fraction, then feature fraction), then repetition, as
written in the spec; ``trial_id`` and ``config_id`` are positions in it, so they are stable across reruns of the
same spec. The execution order is a seeded shuffle of it (``hygiene.shuffle``), the same on every
rerun, so a resumed run continues the same sequence.
"""

from __future__ import annotations

import itertools
import math
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
    levels: tuple = ()  # ((factor, level), ...) in step order; level None = step off
    treatment: str = "none"  # canonical label: active steps as factor=level joined by '+'


def repetition_seed(spec_seed: int, repetition: int) -> int:
    """Seed of one repetition, derived from the spec's seed; the same for every configuration,
    so configurations are compared on the same random draws (common random numbers)."""
    return int(np.random.SeedSequence([spec_seed, repetition]).generate_state(1, dtype=np.uint32)[0])


def configurations(spec, sweep_name: str) -> list[tuple]:
    """Every combination of the sweep's levels, as ((factor, level), ...) in step order; levels are
    normalised by their tactic (``none`` -> None)."""
    from harness.tactics.registry import check_level

    tactics = dict(spec.factor_specs())
    per_factor = [[(name, check_level(tactics[name].tactic, v)) for v in values]
                  for name, values in spec.sweep_levels(sweep_name).items()]
    return [tuple(combo) for combo in itertools.product(*per_factor)]


def treatment_label(spec, levels: tuple) -> str:
    """Active steps as ``factor=level`` joined by '+' in step order (``scale=...`` first), or ``none``."""
    from harness.tactics.registry import is_off, level_text

    tactics = dict(spec.factor_specs())
    parts = [f"scale={spec.scale}"] if spec.scale != "none" else []
    parts += [f"{n}={level_text(v)}" for n, v in levels if not is_off(tactics[n].tactic, v)]
    return "+".join(parts) or "none"


def _fraction(spec, levels: tuple, tactics_kept: tuple) -> float:
    """Product of the active levels of the given fraction tactics (1.0 when none is active)."""
    tactics = dict(spec.factor_specs())
    return math.prod(float(v) for n, v in levels if tactics[n].tactic in tactics_kept and v is not None) * 1.0


def make_plan(spec) -> list[Trial]:
    from harness.tactics.registry import FEATURE_FRACTION_TACTICS, ROW_FRACTION_TACTICS

    seeds = [repetition_seed(spec.seed, r) for r in range(spec.max_repetitions)]
    trials: list[Trial] = []
    config_id = 0
    for alg in spec.algorithms:
        for sweep_name in spec.sweeps:
            for levels in configurations(spec, sweep_name):
                rf = _fraction(spec, levels, ROW_FRACTION_TACTICS)
                ff = _fraction(spec, levels, FEATURE_FRACTION_TACTICS)
                label = treatment_label(spec, levels)
                for rep, seed in enumerate(seeds):
                    trials.append(Trial(len(trials), config_id, alg.name, sweep_name, rf, ff, rep, seed, levels, label))
                config_id += 1
    return trials


def execution_order(plan: list[Trial], shuffle: bool, seed: int) -> list[Trial]:
    order = list(plan)
    if shuffle:
        random.Random(seed).shuffle(order)
    return order
