"""Adaptive repetitions (harness.plan.adaptive): the order-statistic interval, the stopping rule, the
rounds, and a simulation showing that stopping on a configuration's own precision keeps compare's
Mann-Whitney test at its nominal level (and that stopping on the p-value would not)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import mannwhitneyu, quantile_test

from harness.analysis.stats import cliffs_delta
from harness.plan import Trial
from harness.plan.adaptive import MAX, OPEN, PRECISE, median_interval, next_round, precision, summary, watched_energy
from harness.spec import AdaptiveRepetitions

RULE = AdaptiveRepetitions(min=6, max=30, energy_half_width=0.05, f1_half_width=1.0)


@pytest.mark.parametrize("n, low, high", [(6, 1, 6), (10, 2, 9), (20, 6, 15), (30, 10, 21)])
def test_median_interval_is_the_binomial_order_statistic_interval(n, low, high):
    # Conover (1999) Table A3 / the binomial: the smallest symmetric (x_(k), x_(n+1-k)) with
    # P(k <= B <= n-k) >= 0.95, B ~ Bin(n, 1/2); values 1..n make the order statistics their ranks.
    assert median_interval(np.arange(1.0, n + 1), 0.95) == (low, high)


def test_median_interval_matches_scipy_on_any_values():
    x = np.random.default_rng(1).lognormal(0, 0.3, 17)
    ci = quantile_test(x, q=float(np.median(x)), p=0.5).confidence_interval(0.95)
    assert median_interval(x, 0.95) == (ci.low, ci.high)


def test_no_interval_below_six_values_at_95_percent():
    lo, hi = median_interval([1.0, 2, 3, 4, 5], 0.95)  # min-max covers the median with 1 - 2/32 < 0.95
    assert math.isnan(lo) and math.isnan(hi)
    assert precision([1.0] * 5, [0.9] * 5, RULE).status == OPEN  # even identical values cannot stop at 5


def test_precise_needs_both_energy_and_f1_and_min():
    steady = [10.0, 10.1, 9.9, 10.05, 9.95, 10.02]
    assert precision(steady, [0.90] * 6, RULE).status == PRECISE
    assert precision(steady, [0.80, 0.95, 0.85, 0.90, 0.99, 0.70], RULE).status == OPEN  # F1 +-10 points
    assert precision([10.0, 15, 5, 12, 8, 10], [0.9] * 6, RULE).status == OPEN  # energy +-50%
    strict = RULE.model_copy(update={"min": 10})
    assert precision(steady, [0.90] * 6, strict).status == OPEN
    assert precision([10.0, 15, 5, 12, 8, 10] * 5, [0.9] * 30, RULE).status == MAX


def test_invalid_energy_readings_count_for_f1_only():
    row = {"preprocess_energy_j": "0.1", "train_energy_j": "", "predict_energy_j": "0.2", "f1": "0.9"}
    assert math.isnan(watched_energy(row, "trial"))
    assert watched_energy({"preprocess_energy_j": 1, "train_energy_j": 2, "predict_energy_j": 3}, "trial") == 6
    assert watched_energy({"preprocess_energy_j": 1, "train_energy_j": 2, "predict_energy_j": 3}, "train") == 2


def _plan(n_configs=3, reps=8):
    return [Trial(c * reps + r, c, "a", "rows", 1.0, 1.0, r, 100 + r) for c in range(n_configs) for r in range(reps)]


def test_rounds_give_each_open_configuration_its_next_repetition_in_a_seeded_order():
    plan = _plan()
    rule = RULE.model_copy(update={"max": 8})
    first = next_round(plan, {}, rule, seed=42)
    assert sorted(t.config_id for t in first) == [0, 1, 2] and {t.repetition for t in first} == {0}
    assert [t.trial_id for t in next_round(plan, {}, rule, seed=42)] == [t.trial_id for t in first]
    # config 1 done to its 6th repetition with steady values: precise, left out; the others continue
    values = {t.trial_id: (10.0, 0.9) for t in plan if t.config_id == 1 and t.repetition < 6}
    values.update({t.trial_id: (10.0 + t.repetition, 0.5 + 0.05 * t.repetition) for t in plan
                   if t.config_id != 1 and t.repetition < 6})
    later = next_round(plan, values, rule, seed=42)
    assert sorted((t.config_id, t.repetition) for t in later) == [(0, 6), (2, 6)]
    # killed mid-round: config 0 has repetition 6, config 2 not: a resume gives each its next one
    values[plan[6].trial_id] = (20.0, 0.2)
    assert sorted((t.config_id, t.repetition) for t in next_round(plan, values, rule, seed=42)) == [(0, 7), (2, 6)]
    done = {t.trial_id: (10.0 + t.repetition, 0.5 + 0.05 * t.repetition) for t in plan}
    assert next_round(plan, done, rule, seed=42) == []
    s = summary(plan, done, rule)
    assert s["finished"] and s["configurations"] == {"precise": 0, "max": 3, "open": 0}


def _stop_n(values_e, values_f, rule, on_p=None) -> int:
    for n in range(rule.min, rule.max + 1):
        if precision(values_e[:n], values_f[:n], rule).status != OPEN:
            return n
    return rule.max


@pytest.mark.slow
def test_stopping_on_own_precision_keeps_compare_at_its_nominal_level():
    """Two configurations with the same energy distribution (log-normal, CV 4-12%) run adaptively;
    compare's Mann-Whitney test (``cliffs_delta``) at 0.05 then rejects about 5% of the time. Stopping
    when the comparison's p falls below 0.05 instead rejects far more often: the simulation can tell."""
    rng = np.random.default_rng(2026)
    rule = AdaptiveRepetitions(min=6, max=30, energy_half_width=0.05, f1_half_width=100)
    sims, rejected, peeking = 600, 0, 0
    for _ in range(sims):
        cv = rng.uniform(0.04, 0.12)
        a, b = (rng.lognormal(0, cv, rule.max) for _ in range(2))
        f = np.full(rule.max, 0.9)
        na, nb = _stop_n(a, f, rule), _stop_n(b, f, rule)
        rejected += cliffs_delta(a[:na], b[:nb])[1] < 0.05
        # the wrong rule: look at the comparison after every round and stop once it is "significant"
        peeking += any(mannwhitneyu(a[:n], b[:n], method="asymptotic").pvalue < 0.05
                       for n in range(rule.min, rule.max + 1))
    rate = rejected / sims  # binomial SE at 0.05 and 600 sims: 0.009
    assert 0.025 <= rate <= 0.075, rate
    assert peeking / sims > 0.12, peeking / sims
