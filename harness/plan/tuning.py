"""The plan of a tuning study: one trial per (algorithm, data level, strategy, repetition).

Canonical order: algorithm, sweep, row fraction, feature fraction, strategy, repetition, as written
in the spec; ``trial_id`` and ``config_id`` are positions in it. Each repetition's seed is the same
as in a data-reduction study (``harness.plan.repetition_seed``) and drives the inner validation
split, the random and Bayesian samplers and the estimator's ``random_state``.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.plan import repetition_seed


@dataclass(frozen=True)
class TuningTrial:
    trial_id: int
    config_id: int
    algorithm: str
    strategy: str
    sweep: str
    row_fraction: float
    feature_fraction: float
    repetition: int
    seed: int


def make_tuning_plan(spec) -> list[TuningTrial]:
    seeds = [repetition_seed(spec.seed, r) for r in range(spec.max_repetitions)]
    trials: list[TuningTrial] = []
    config_id = 0
    for alg in spec.algorithms:
        for sweep_name, sweep in spec.sweeps.items():
            for rf in sweep.row_fractions:
                for ff in sweep.feature_fractions:
                    for strategy in spec.tuning.strategies:
                        for rep, seed in enumerate(seeds):
                            trials.append(TuningTrial(len(trials), config_id, alg.name, strategy, sweep_name,
                                                      rf, ff, rep, seed))
                        config_id += 1
    return trials
