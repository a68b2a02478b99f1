from harness.plan import execution_order, make_plan, repetition_seed
from harness.spec import parse_spec

SPEC = parse_spec({"name": "t", "seed": 42, "repetitions": 3, "algorithms": ["knn", "svm"],
                   "sweeps": {"rows": {"row_fractions": [0.1, 1.0]}, "features": {"feature_fractions": [0.5, 1.0]}}})


def test_plan_ids_and_seeds():
    plan = make_plan(SPEC)
    assert [t.trial_id for t in plan] == list(range(len(plan))) == list(range(2 * 4 * 3))
    # a repetition has one seed across configurations; repetitions differ
    seeds = {(t.repetition, t.seed) for t in plan}
    assert len(seeds) == 3 and len({s for _, s in seeds}) == 3
    assert all(t.seed == repetition_seed(42, t.repetition) for t in plan)
    assert repetition_seed(42, 0) != repetition_seed(43, 0)


def test_shuffle_is_seeded_and_complete():
    plan = make_plan(SPEC)
    a, b = execution_order(plan, True, 42), execution_order(plan, True, 42)
    assert a == b and a != plan and sorted(a, key=lambda t: t.trial_id) == plan
    assert execution_order(plan, False, 42) == plan
