"""One search, measured: every evaluation costed, the best chosen, folds on training rows only."""

import math

import numpy as np

from harness.models.algorithms import resolve
from harness.meters import EstimateMeter
from harness.spec import AlgorithmSpec, Validation
from harness.tuning.search import best, run_search, validation_folds


def _data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 3))
    y = (X[:, 0] + 0.2 * rng.random(n) > 0.6).astype(int)
    return X, y


def test_each_strategy_evaluates_its_budget_and_costs_every_evaluation():
    X, y = _data()
    alg = resolve(AlgorithmSpec(name="decision_tree"), 0)
    space = {"max_depth": [1, 2, 3, None], "min_samples_leaf": [1, 5]}
    seen = []
    with EstimateMeter() as meter:
        for strategy, budget, expect in (("grid", 8, 8), ("random", 5, 5), ("bayesian", 5, 5)):
            evs = run_search(strategy, space, budget, alg, X, y, Validation(folds=3), 11, meter, seen.append)
            assert len(evs) == expect and [e.index for e in evs] == list(range(expect))
            assert all(e.fit.energy_j > 0 and e.fit.s > 0 and e.score.s > 0 for e in evs)
            assert all(0 <= e.val_f1 <= 1 for e in evs)
    assert len(seen) == 18  # the callback saw every evaluation, once


def test_reruns_choose_the_same_setting():
    X, y = _data()
    alg = resolve(AlgorithmSpec(name="decision_tree"), 0)
    space = {"max_depth": [1, 2, 3, None], "min_samples_leaf": [1, 5, 10]}
    with EstimateMeter() as meter:
        for strategy in ("grid", "random", "bayesian"):
            a = run_search(strategy, space, 6, alg, X, y, Validation(folds=3), 5, meter)
            b = run_search(strategy, space, 6, alg, X, y, Validation(folds=3), 5, meter)
            assert [e.params for e in a] == [e.params for e in b]
            assert [e.val_f1 for e in a] == [e.val_f1 for e in b]
            assert best(a).params == best(b).params


def test_best_takes_the_highest_f1_and_the_first_on_ties():
    class E:
        def __init__(self, i, f):
            self.index, self.val_f1 = i, f

    assert best([E(0, 0.5), E(1, 0.7), E(2, 0.7), E(3, math.nan)]).index == 1
    assert best([E(0, math.nan)]) is None


def test_a_failing_setting_scores_nan_and_is_not_chosen():
    X, y = _data()
    alg = resolve(AlgorithmSpec(name="knn"), 0)
    # n_neighbors larger than a fold's rows fails in predict: scored NaN, as GridSearchCV's error_score
    evs = None
    with EstimateMeter() as meter:
        evs = run_search("grid", {"n_neighbors": [3, 500]}, 2, alg, X, y, Validation(folds=2), 0, meter)
    assert not math.isnan(evs[0].val_f1) and math.isnan(evs[1].val_f1) and "ValueError" in evs[1].error
    assert best(evs).params == {"n_neighbors": 3}


def test_validation_uses_training_rows_only_and_is_stratified():
    y = np.array([0] * 80 + [1] * 20)
    folds = validation_folds(y, Validation(folds=4), 1)
    assert len(folds) == 4
    for fit, val in folds:
        assert set(fit).isdisjoint(val) and len(fit) + len(val) == 100 and y[val].sum() == 5
    (fit, val), = validation_folds(y, Validation(split=0.25), 1)
    assert len(val) == 25 and y[val].sum() == 5


def test_bayesian_search_of_a_small_space_tries_each_setting_once():
    """c24: TPE on {criterion: 2, max_depth: 2} with the grid's budget (4) re-evaluated settings it had
    tried (4 evaluations on 2-3 distinct settings); each strategy must get its budget of distinct tries."""
    X, y = _data()
    alg = resolve(AlgorithmSpec(name="decision_tree"), 0)
    space = {"criterion": ["gini", "entropy"], "max_depth": [2, None]}
    with EstimateMeter() as meter:
        for seed in (7, 8, 9):
            evs = run_search("bayesian", space, 4, alg, X, y, Validation(folds=3), seed, meter)
            settings = [tuple(sorted(e.params.items(), key=str)) for e in evs]
            assert len(settings) == 4 and len(set(settings)) == 4, settings


def test_bayesian_search_of_a_small_integer_range_tries_each_setting_once():
    """An integer range is a finite space: TPE with a budget of its size (3) tries each value once."""
    from harness.tuning.space import Range

    X, y = _data()
    alg = resolve(AlgorithmSpec(name="decision_tree"), 0)
    with EstimateMeter() as meter:
        evs = run_search("bayesian", {"max_depth": Range(1, 3, integer=True)}, 3, alg, X, y, Validation(folds=3), 7,
                         meter)
    assert sorted(e.params["max_depth"] for e in evs) == [1, 2, 3]


def test_budget_is_capped_at_the_number_of_distinct_settings():
    from types import SimpleNamespace

    from harness.run.tuning import budget_of
    from harness.tuning.space import Range

    spec = SimpleNamespace(tuning=SimpleNamespace(budget=20))
    assert budget_of(spec, {"k": Range(1, 3, integer=True), "w": ["a", "b"]}, "random") == 6
    assert budget_of(spec, {"k": Range(1, 3, integer=True), "w": ["a", "b"]}, "bayesian") == 6
    assert budget_of(spec, {"C": Range(0.1, 1.0)}, "random") == 20  # a float range: no cap
