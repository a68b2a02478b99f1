"""Search spaces: parsing, grid/random/Bayesian points, and bad input caught at load."""

import math

import optuna
import pytest

from harness.errors import SpecError
from harness.tuning.space import Range, check_space, grid_points, grid_size, parse_space, random_points, suggest


def test_lists_and_ranges_parse():
    s = parse_space({"C": {"low": 0.01, "high": 100, "log": True}, "kernel": ["rbf", "linear"],
                     "depth": {"low": 1, "high": 9, "type": "int"}}, "x")
    assert s["C"] == Range(0.01, 100.0, True, False)
    assert s["depth"].integer and s["kernel"] == ["rbf", "linear"]
    assert grid_size(s) is None
    assert grid_size({"a": [1, 2, 3], "b": [None, 1]}) == 6


@pytest.mark.parametrize("raw, says", [
    ({}, "non-empty mapping"),
    ([1, 2], "non-empty mapping"),
    ({"C": []}, "empty"),
    ({"C": [1, 1]}, "repeat"),
    ({"C": {"low": 5, "high": 1}}, "low < high"),
    ({"C": {"low": 0, "high": 1, "log": True}}, "low > 0"),
    ({"C": {"low": 0, "high": 1, "step": 2}}, "unknown key"),
    ({"C": "big"}, "list of values or a range"),
])
def test_malformed_spaces_are_refused(raw, says):
    with pytest.raises(SpecError, match=says):
        parse_space(raw, "tuning.spaces.svm")


def test_parameters_the_estimator_lacks_or_rejects():
    from sklearn.tree import DecisionTreeClassifier

    with pytest.raises(SpecError, match="no parameter 'depth'"):
        check_space({"depth": [1, 2]}, DecisionTreeClassifier, {}, "tuning.spaces.dt")
    with pytest.raises(SpecError, match="rejects -3"):
        check_space({"max_depth": [2, -3]}, DecisionTreeClassifier, {}, "tuning.spaces.dt")
    check_space({"max_depth": [2, None]}, DecisionTreeClassifier, {}, "tuning.spaces.dt")


def test_grid_is_complete_and_random_is_seeded_and_without_replacement():
    space = {"a": [1, 2, 3], "b": ["x", "y"]}
    assert len(grid_points(space)) == 6 and len({tuple(sorted(p.items())) for p in grid_points(space)}) == 6
    r1, r2 = random_points(space, 4, seed=9), random_points(space, 4, seed=9)
    assert r1 == r2 and len({tuple(sorted(p.items())) for p in r1}) == 4
    assert len(random_points(space, 50, seed=1)) == 6  # capped at the grid's size
    cont = random_points({"C": Range(1e-3, 1e3, log=True)}, 200, seed=0)
    vals = [p["C"] for p in cont]
    assert 1e-3 <= min(vals) and max(vals) <= 1e3
    assert sum(v < 1 for v in vals) > 60  # log-uniform: about half below 1, uniform would give ~0


def test_optuna_suggestions_stay_in_the_space():
    space = {"a": [1, None, "s"], "C": Range(0.1, 10, log=True), "k": Range(1, 5, integer=True)}
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for _ in range(5):
        t = study.ask()
        p = suggest(t, space)
        assert p["a"] in (1, None, "s") and 0.1 <= p["C"] <= 10 and p["k"] in range(1, 6)
        study.tell(t, 0.5)


def test_grid_refuses_ranges_at_load(tmp_path):
    from harness.spec import parse_spec

    base = {"name": "t", "algorithms": ["svm"], "sweeps": {"full": {}}}
    with pytest.raises(SpecError, match="cannot be enumerated by grid"):
        parse_spec({**base, "tuning": {"strategies": ["grid"], "spaces": {"svm": {"C": {"low": 1, "high": 2}}}}})
    with pytest.raises(SpecError, match="no search space"):
        parse_spec({**base, "algorithms": ["svm", "knn"],
                    "tuning": {"strategies": ["random"], "spaces": {"svm": {"C": [1, 2]}}}})
    with pytest.raises(SpecError, match="no algorithm of that name"):
        parse_spec({**base, "tuning": {"strategies": ["random"], "spaces": {"svm": {"C": [1]}, "rf": {"x": [1]}}}})
    with pytest.raises(SpecError, match="strategies"):
        parse_spec({**base, "tuning": {"strategies": ["hyperband"], "spaces": {"svm": {"C": [1]}}}})
    with pytest.raises(SpecError, match="budget"):
        parse_spec({**base, "tuning": {"strategies": ["random"], "budget": 0, "spaces": {"svm": {"C": [1]}}}})
    with pytest.raises(SpecError, match="exactly one of folds"):
        parse_spec({**base, "tuning": {"strategies": ["random"], "validation": {"folds": 3, "split": 0.2},
                                       "spaces": {"svm": {"C": [1]}}}})
    ok = parse_spec({**base, "tuning": {"strategies": ["random", "bayesian"], "budget": 7,
                                        "spaces": {"svm": {"C": {"low": 0.1, "high": 10, "log": True}}}}})
    assert ok.tuning.budget == 7 and math.isclose(ok.tuning.spaces["svm"]["C"]["high"], 10)


@pytest.mark.slow
def test_random_search_draws_a_log_integer_range_on_a_log_scale():
    """c24: {low: 2, high: 1024, log: true, type: int} was drawn uniformly (4% at or below 45); on a log
    scale, as Optuna's suggest_int(log=True) draws it, P(<= 45) = log(45.5/1.5) / log(1024.5/1.5) = 0.523."""
    import math

    from harness.tuning.space import Range, random_points

    draws = [p["n"] for p in random_points({"n": Range(2, 1024, log=True, integer=True)}, 4000, 0)]
    assert all(isinstance(v, int) and 2 <= v <= 1024 for v in draws)
    p_log = math.log(45.5 / 1.5) / math.log(1024.5 / 1.5)
    assert abs(sum(v <= 45 for v in draws) / len(draws) - p_log) < 0.03


def test_integer_ranges_are_drawn_without_replacement_and_capped_at_their_size():
    """Issue 21, item 7: a search on a space with fewer settings than its budget must not repeat settings;
    an integer range is finite too ({1..3} x [a, b] holds 6 settings)."""
    from harness.tuning.space import finite_points, n_settings

    space = {"k": Range(1, 3, integer=True), "w": ["a", "b"]}
    assert n_settings(space) == 6 and len(finite_points(space)) == 6
    assert n_settings({"C": Range(0.1, 1.0)}) is None and finite_points({"C": Range(0.1, 1.0)}) is None
    pts = random_points(space, 20, seed=3, distinct=True)  # as a random search draws them
    keys = {(p["k"], p["w"]) for p in pts}
    assert len(pts) == 6 and len(keys) == 6  # every setting once, none repeated
    assert random_points(space, 20, seed=3, distinct=True) == pts  # seeded
    assert len({(p["k"], p["w"]) for p in random_points(space, 20, seed=3)}) < 20  # the distribution's draws repeat
    logs = random_points({"n": Range(2, 1024, log=True, integer=True)}, 40, seed=0, distinct=True)
    assert len({p["n"] for p in logs}) == 40  # a log scale puts many draws on 2..10: repeats were likely
