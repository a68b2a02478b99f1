"""dataset: {sklearn: NAME} and {openml: ID or name, cache: DIR} beside sms_spam and CSV mappings."""

import pytest

from harness.errors import SpecError
from harness.spec import OpenMLDatasetSpec, SklearnDatasetSpec, load_spec, parse_spec

BASE = {"name": "t", "algorithms": ["decision_tree"], "sweeps": {"rows": {"row_fractions": [0.5, 1.0]}}}


def test_bundled_and_openml_specs_parse_and_name_the_data_set():
    spec = parse_spec({**BASE, "dataset": {"sklearn": "wine"}})
    assert isinstance(spec.dataset, SklearnDatasetSpec) and spec.dataset_name == "wine"
    spec = parse_spec({**BASE, "dataset": {"openml": 61, "cache": "~/scikit_learn_data"}})
    assert isinstance(spec.dataset, OpenMLDatasetSpec) and spec.dataset_name == "openml-61"
    spec = parse_spec({**BASE, "dataset": {"openml": "iris", "version": 1, "name": "iris1"}})
    assert spec.dataset.openml == "iris" and spec.dataset_name == "iris1"
    assert parse_spec({**BASE, "dataset": {"sklearn": "iris"}}).design_hash() != \
        parse_spec({**BASE, "dataset": {"sklearn": "wine"}}).design_hash()


def test_wine_quick_example_is_three_classes(repo):
    spec = load_spec(repo / "experiments/wine-quick.yaml")
    assert spec.dataset.sklearn == "wine"


@pytest.mark.parametrize("dataset, message", [
    ({"sklearn": "wines"}, "dataset.sklearn: Input should be 'breast_cancer', 'wine', 'digits' or 'iris'"),
    ({"sklearn": "wine", "cache": "x"}, "dataset.cache: unknown key"),
    ({"openml": 61, "version": 2}, "dataset: version is for a data set named by name"),
    ({"openml": "iris", "positive_label": True}, "quote the label"),
])
def test_bad_dataset_keys_are_one_line_naming_the_field(dataset, message):
    with pytest.raises(SpecError) as e:
        parse_spec({**BASE, "dataset": dataset})
    assert message in str(e.value) and "\n" not in str(e.value)
