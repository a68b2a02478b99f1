"""Adaptive repetitions: repeat each configuration until its own estimates are precise.

A spec's ``repetitions: {min, max, energy, energy_half_width, f1_half_width, confidence}``
(``harness.spec.AdaptiveRepetitions``) plans the fixed design of ``max`` repetitions (same trial ids
and seeds: an adaptive run's trials are a subset of it) and runs it in rounds: each round gives every
configuration still open its next repetition, in a seeded shuffle of the configurations. After each
trial the configuration's precision is judged on its own trials so far:

- the distribution-free ``confidence`` interval of its median energy, from order statistics
  (``scipy.stats.quantile_test(...).confidence_interval``: the binomial interval of the median,
  valid for any continuous distribution), has a half-width of at most ``energy_half_width`` x the
  median; the energy is the whole trial (preprocess + train + predict) or training only, as named;
- the same interval of its median F1 has a half-width of at most ``f1_half_width`` points (0-100).

A configuration stops when both hold and it has at least ``min`` repetitions (``precise``), or at
``max``. At 95% an interval of a median needs at least 6 values (at 5 the interval from the smallest
to the largest value covers the median with probability 1 - 2/32 < 0.95), so no configuration stops
before 6. The rule looks at one configuration's spread, never at a difference between
configurations or a p-value: which configurations are compared, and how often, does not depend on
the outcome of a comparison, so the tests of ``compare`` keep their level (tests/plan/test_adaptive.py
simulates it). Sources: Laaber et al., "Dynamically reconfiguring software microbenchmarks", FSE'20
(stopping on a CI's relative width); Conover, Practical Nonparametric Statistics, 3rd ed., sec. 3.2
(the order-statistic interval of a quantile).
"""

from __future__ import annotations

import functools
import math
import random
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

PRECISE, MAX, OPEN = "precise", "max", "open"
ENERGY_COLUMNS = {"trial": ("preprocess_energy_j", "train_energy_j", "predict_energy_j"),
                  "train": ("train_energy_j",)}


def watched_energy(row, energy: str) -> float:
    """The energy the rule watches in one trial's row (a mapping of trials.csv columns), in J: the
    whole trial's (preprocess + train + predict) or training's. NaN when a reading is missing or
    invalid (``energy_invalid``): the rule then counts the trial for F1 only."""
    values = [row.get(c) for c in ENERGY_COLUMNS[energy]]
    try:
        total = sum(float(v) for v in values)
    except (TypeError, ValueError):
        return math.nan
    return total


@functools.lru_cache(maxsize=4096)
def _ranks(n: int, confidence: float) -> tuple[int, int] | None:
    """0-based ranks of the order statistics that bound the median's interval for ``n`` values: the
    interval ``scipy.stats.quantile_test`` gives for the values 0..n-1 (which are their own ranks);
    None when it does not exist."""
    from scipy.stats import quantile_test

    ci = quantile_test(np.arange(n, dtype=float), q=(n - 1) / 2, p=0.5).confidence_interval(confidence)
    if math.isnan(ci.low) or math.isnan(ci.high) or math.isinf(ci.low) or math.isinf(ci.high):
        return None
    return int(ci.low), int(ci.high)


def values_needed(confidence: float) -> int:
    """The fewest values for which a ``confidence`` interval of a median exists (6 at 95%)."""
    return next(n for n in range(2, 10_000) if _ranks(n, float(confidence)))


def fewest_repetitions(rule) -> int:
    """The fewest repetitions at which a configuration can stop under ``rule``: ``min``, or more when
    the ``confidence`` interval of a median needs more values; ``max`` when it never can."""
    return min(max(rule.min, values_needed(rule.confidence)), rule.max)


def median_interval(values, confidence: float) -> tuple[float, float]:
    """Distribution-free ``confidence`` interval of the median of ``values`` (1-D, NaN left out):
    two order statistics, those ``scipy.stats.quantile_test`` picks (the binomial interval).
    (nan, nan) when ``values`` are too few for that confidence (fewer than 6 at 95%)."""
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    ranks = _ranks(len(x), float(confidence)) if len(x) >= 2 else None
    if ranks is None:
        return math.nan, math.nan
    return float(x[ranks[0]]), float(x[ranks[1]])


@dataclass(frozen=True)
class Precision:
    """One configuration's precision after ``n`` trials: medians, the relative half-width of its
    energy interval (fraction of the median) and the absolute half-width of its F1 interval (points),
    each NaN while the interval does not exist; ``status``: precise, max or open."""

    n: int
    energy_median_j: float
    energy_half_width: float
    f1_median: float
    f1_half_width_points: float
    status: str


def precision(energies, f1s, rule, n: int | None = None) -> Precision:
    """Judge one configuration's trials (``energies`` in J and ``f1s`` in 0-1, one per trial) against
    ``rule`` (``AdaptiveRepetitions``). ``n`` defaults to the number of trials."""
    n = len(f1s) if n is None else n
    e = np.asarray(energies, dtype=float)
    f = np.asarray(f1s, dtype=float)
    e_lo, e_hi = median_interval(e, rule.confidence)
    f_lo, f_hi = median_interval(f, rule.confidence)
    e_med = float(np.nanmedian(e)) if np.any(~np.isnan(e)) else math.nan
    f_med = float(np.nanmedian(f)) if np.any(~np.isnan(f)) else math.nan
    e_half = (e_hi - e_lo) / 2 / e_med if e_med > 0 else math.nan
    f_half = 100 * (f_hi - f_lo) / 2
    precise = n >= rule.min and e_half <= rule.energy_half_width and f_half <= rule.f1_half_width
    status = PRECISE if precise else MAX if n >= rule.max else OPEN
    return Precision(n, e_med, e_half, f_med, f_half, status)


def configuration_precision(plan, values: dict, rule) -> dict[int, Precision]:
    """Per ``config_id`` of ``plan`` (``harness.plan.Trial``), its precision on the trials done:
    ``values`` maps trial_id -> (watched energy J, F1 0-1)."""
    by_config = defaultdict(list)
    for t in plan:
        if t.trial_id in values:
            by_config[t.config_id].append(values[t.trial_id])
    out = {}
    for config in sorted({t.config_id for t in plan}):
        done = by_config.get(config, [])
        out[config] = precision([v[0] for v in done], [v[1] for v in done], rule)
    return out


def next_round(plan, values: dict, rule, seed: int, shuffle: bool = True) -> list:
    """The next round: for every configuration still open, its lowest repetition not done yet, in a
    seeded shuffle of the configurations (the seed and the round's lowest repetition fix it, so a
    resumed run continues the same sequence); [] when every configuration is precise or at ``max``."""
    states = configuration_precision(plan, values, rule)
    todo = {}
    for t in sorted(plan, key=lambda t: (t.config_id, t.repetition)):
        if states[t.config_id].status == OPEN and t.trial_id not in values and t.config_id not in todo:
            todo[t.config_id] = t
    batch = list(todo.values())
    if shuffle and batch:
        random.Random(seed * 1_000_003 + min(t.repetition for t in batch)).shuffle(batch)
    return batch


def summary(plan, values: dict, rule) -> dict:
    """What the manifest records of an adaptive run: the rule, and per configuration the
    repetitions reached and why it stopped (precise, max, or open while the run goes on)."""
    states = configuration_precision(plan, values, rule)
    counts = {s: sum(p.status == s for p in states.values()) for s in (PRECISE, MAX, OPEN)}
    return {"rule": rule.model_dump(mode="json"), "trials": len(values), "max_trials": len(plan),
            "finished": counts[OPEN] == 0, "configurations": counts,
            "per_configuration": {str(c): {"repetitions": p.n, "stopped": p.status} for c, p in states.items()}}
