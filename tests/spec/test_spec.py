import pytest

from harness.models.algorithms import resolve
from harness.errors import SpecError
from harness.plan import make_plan
from harness.spec import load_spec, parse_spec

BASE = {"name": "t", "algorithms": ["decision_tree"], "sweeps": {"rows": {"row_fractions": [0.5, 1.0]}}}


def test_paper_spec_is_3600_trials(repo):
    spec = load_spec(repo / "experiments/spam.yaml")
    plan = make_plan(spec)
    assert len(plan) == 3600
    assert len({t.config_id for t in plan}) == 120
    assert [a.name for a in spec.algorithms] == ["svm", "decision_tree", "knn", "random_forest", "adaboost", "bagging"]
    assert spec.protocol == "ict4s22" and spec.repetitions == 30
    h = spec.hygiene
    assert h.warmup_s > 0 and h.cooldown_s > 0 and h.shuffle


def test_quick_spec_runs_all_six_algorithms(repo):
    spec = load_spec(repo / "experiments/spam-quick.yaml")
    assert len(spec.algorithms) == 6 and len(make_plan(spec)) < 100


def test_factorial_grid_is_expressible():
    spec = parse_spec({**BASE, "repetitions": 2,
                       "sweeps": {"grid": {"row_fractions": [0.2, 0.6, 1.0], "feature_fractions": [0.1, 1.0]}}})
    plan = make_plan(spec)
    assert len({(t.row_fraction, t.feature_fraction) for t in plan}) == 6 and len(plan) == 12


@pytest.mark.parametrize("change, field", [
    ({"sweeps": {"rows": {"row_fractions": [1.5]}}}, "sweeps.rows.row_fractions.0"),
    ({"sweeps": {"rows": {"row_fractions": [0]}}}, "sweeps.rows.row_fractions.0"),
    ({"algorithms": ["svmm"]}, "unknown algorithm 'svmm'"),
    ({"hygeine": {}}, "hygeine: unknown key"),
    ({"repetitions": 0}, "repetitions"),
    ({"meter": "joulemeter"}, "unknown meter 'joulemeter'"),
    ({"protocol": "kfold"}, "protocol"),
    ({"algorithms": [{"name": "x", "class": "nodots"}]}, "package.module:ClassName"),
])
def test_bad_values_name_the_field(change, field):
    with pytest.raises(SpecError) as err:
        parse_spec({**BASE, **change}, "s.yaml")
    msg = str(err.value)
    assert msg.startswith("s.yaml: ") and field in msg and "\n" not in msg


def test_missing_required_field():
    with pytest.raises(SpecError, match="algorithms: required field is missing"):
        parse_spec({"name": "t", "sweeps": BASE["sweeps"]}, "s.yaml")


def test_malformed_yaml_gives_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: t\nalgorithms: [svm\nsweeps: {}\n")
    with pytest.raises(SpecError, match=r"bad.yaml: line \d+, column \d+"):
        load_spec(p)
    with pytest.raises(SpecError, match="spec file not found"):
        load_spec(tmp_path / "nope.yaml")


def test_custom_estimator_by_import_path_with_params():
    spec = parse_spec({**BASE, "algorithms": ["knn", {"name": "lr", "class": "sklearn.linear_model:LogisticRegression",
                                                      "params": {"C": 0.5, "max_iter": 200}}]})
    alg = resolve(spec.algorithms[1], 1)
    est = alg.make(seed=123)
    assert type(est).__name__ == "LogisticRegression" and est.C == 0.5 and est.random_state == 123
    assert resolve(spec.algorithms[0], 0).seeded is False  # KNN has no random_state


def test_baselines_use_the_papers_settings():
    spec = parse_spec({**BASE, "algorithms": ["svm", "random_forest", "bagging"]})
    svm, rf, bag = (resolve(a, i).make(seed=5) for i, a in enumerate(spec.algorithms))
    assert svm.class_weight == "balanced" and rf.class_weight == "balanced"
    assert rf.random_state == 5 and bag.random_state == 5 and rf.n_estimators == 100


def test_bad_estimator_params_fail_early():
    spec = parse_spec({**BASE, "algorithms": [{"name": "svm", "params": {"C": -1}}]})
    with pytest.raises(SpecError, match="algorithms.0.params"):
        resolve(spec.algorithms[0], 0)
    spec = parse_spec({**BASE, "algorithms": [{"name": "svm", "params": {"nope": 1}}]})
    with pytest.raises(SpecError, match="algorithms.0.params"):
        resolve(spec.algorithms[0], 0)
    spec = parse_spec({**BASE, "algorithms": [{"name": "x", "class": "no_such_pkg.mod:Thing"}]})
    with pytest.raises(SpecError, match="algorithms.0.class: cannot import"):
        resolve(spec.algorithms[0], 0, allowed=("no_such_pkg",))


def test_design_hash_ignores_description_only():
    a = parse_spec(BASE)
    assert parse_spec({**BASE, "description": "other words"}).design_hash() == a.design_hash()
    assert parse_spec({**BASE, "seed": 1}).design_hash() != a.design_hash()


def test_a_spec_path_that_never_ends_is_refused_not_read(tmp_path):
    """/dev/zero as the spec once read until the machine ran out of memory."""
    import pytest

    from harness.errors import SpecError
    from harness.spec import MAX_SPEC_BYTES, load_spec

    with pytest.raises(SpecError, match="not a regular file"):
        load_spec("/dev/zero")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_SPEC_BYTES + 1))
    with pytest.raises(SpecError, match="larger than"):
        load_spec(big)


def test_misspelled_top_key_is_named_with_its_close_match():
    # issue 22 item 7: `algoritms:` was reported as "algorithms: required field is missing"
    with pytest.raises(SpecError) as err:
        parse_spec({"name": "t", "algoritms": ["svm"], "sweeps": BASE["sweeps"]}, "s.yaml")
    assert str(err.value) == "s.yaml: algoritms: unknown key; did you mean 'algorithms'?"


@pytest.mark.parametrize("dataset, says", [
    ({"sklern": "wine"}, "dataset.sklern: unknown key; did you mean 'sklearn'?"),
    ({"path": "d.csv", "label_colum": "y"}, "dataset.label_colum: unknown key; did you mean 'label_column'?"),
    ({"sklearn": "wine", "positve_label": "x"}, "dataset.positve_label: unknown key; did you mean 'positive_label'?"),
])
def test_misspelled_dataset_key_is_named_with_its_close_match(dataset, says):
    # before: {sklern: wine} was "dataset.path: required field is missing (and 2 more problems)"
    with pytest.raises(SpecError) as err:
        parse_spec({"name": "t", "dataset": dataset, "algorithms": ["svm"], "sweeps": BASE["sweeps"]}, "s.yaml")
    assert str(err.value) == f"s.yaml: {says}"


def test_one_more_problem_is_singular():
    with pytest.raises(SpecError) as err:
        parse_spec({"name": "t", "repetitions": 0, "sweeps": {"rows": {"row_fractions": [1.5]}},
                    "algorithms": ["svm"]}, "s.yaml")
    assert "problem(s)" not in str(err.value) and "1 more problem)" in str(err.value)
