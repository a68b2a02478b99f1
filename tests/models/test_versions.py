"""Version-dependent results: which known library changes apply, and when pooling is refused."""

import pytest

from harness.errors import HarnessError
from harness.spec import parse_spec
from harness.models.versions import VERSION_EFFECTS, check_poolable, effects_for, version_notes

# knn as scikit-learn's own class: the default knn breaks ties by index (harness.estimators.stable_knn)
PLAIN_KNN = {"name": "knn", "class": "sklearn.neighbors:KNeighborsClassifier"}
SPEC = {"name": "x", "algorithms": ["random_forest", "adaboost", PLAIN_KNN, "svm"], "sweeps": {"rows": {}}}


def _keys(versions, spec=SPEC):
    s = parse_spec(spec)
    from harness.models.versions import algorithm_classes

    return {e.key: names for e, names in effects_for(versions, algorithm_classes(s.algorithms), s.replication)}


def test_each_effect_applies_from_its_version_on():
    assert _keys({"scikit-learn": "1.8.0", "numpy": "2.4.6"}) == {"adaboost-samme-r-removed": ["adaboost"],
                                                                 "knn-argpartition-ties": ["knn"]}
    assert _keys({"scikit-learn": "1.9.1"})["forest-balanced-bootstrap"] == ["random_forest"]
    assert _keys({"scikit-learn": "1.5.2", "numpy": "2.0.2"}) == {"knn-argpartition-ties": ["knn"]}
    assert _keys({"scikit-learn": "1.5.2", "numpy": "1.26.4"}) == {}  # numpy 1.x: the published k-NN
    assert _keys({"scikit-learn": "0.24.1", "numpy": "1.20.2"}) == {}
    assert _keys({}) == {}  # scikit-learn not recorded: nothing claimed


def test_the_default_knn_does_not_depend_on_numpys_tie_order():
    default = {**SPEC, "algorithms": ["knn"]}
    assert _keys({"scikit-learn": "1.9.1", "numpy": "2.4.6"}, default) == {}


def test_forest_effect_needs_class_weight_and_the_mode_undoes_them():
    plain = {**SPEC, "algorithms": [{"name": "rf", "class": "sklearn.ensemble:RandomForestClassifier"}]}
    assert _keys({"scikit-learn": "1.9.1"}, plain) == {}
    faithful = {**SPEC, "replication": "ict4s22"}
    assert _keys({"scikit-learn": "1.9.1", "numpy": "2.4.6"}, faithful) == {}  # the mode undoes all three


def test_notes_name_the_libraries_and_the_fix():
    lines = version_notes({"scikit-learn": "1.9.1", "numpy": "2.4.6"}, parse_spec(SPEC).algorithms)
    assert lines[0].startswith("version-dependent results (numpy 2.4.6, scikit-learn 1.9.1")
    assert any("random_forest" in line and "replication: ict4s22" in line for line in lines[1:])
    assert any(line.startswith("  - knn: since numpy 2.0") and "replication: ict4s22" in line for line in lines[1:])
    assert "none known" in version_notes({"scikit-learn": "1.9.1"}, parse_spec({**SPEC, "algorithms": ["svm"]}).algorithms)[0]


def test_pooling_different_versions_is_refused_unless_allowed():
    same = [("a", {"scikit-learn": "1.9.1", "numpy": "2.4.6"}), ("b", {"scikit-learn": "1.9.1", "numpy": "2.4.6",
                                                                       "scipy": "1.0"})]
    assert check_poolable(same) == []
    mixed = [("a", {"scikit-learn": "1.8.0"}), ("b", {"scikit-learn": "1.9.1"})]
    with pytest.raises(HarnessError, match="forest-balanced-bootstrap.*--mixed-versions"):
        check_poolable(mixed)
    assert "pooling" in check_poolable(mixed, allow=True)[0]
    with pytest.raises(HarnessError, match="numpy versions.*knn-argpartition-ties"):
        check_poolable([("a", {"scikit-learn": "1.9.1", "numpy": "1.26.4"}),
                        ("b", {"scikit-learn": "1.9.1", "numpy": "2.4.6"})])


def test_every_effect_says_what_it_moves():
    for e in VERSION_EFFECTS:
        assert e.library and e.since and e.estimator and e.change and e.moves
