"""Three or more classes, scikit-learn's bundled data sets and OpenML data sets from a local cache."""

import gzip
from urllib.error import URLError

import numpy as np
import pandas as pd
import pytest

from openml_cache import real_iris_cache

from harness.data.datasets import data_sha256, load_csv, load_dataset, load_openml, load_sklearn
from harness.errors import DatasetError
from harness.spec import DatasetSpec, OpenMLDatasetSpec, SklearnDatasetSpec


def _csv(tmp_path, labels, name="d.csv"):
    n = len(labels)
    pd.DataFrame({"x": np.arange(n, dtype=float), "label": labels}).to_csv(tmp_path / name, index=False)
    return tmp_path / name


def test_three_classes_are_coded_in_label_order(tmp_path):
    path = _csv(tmp_path, ["10", "2", "b", "2", "10", "b", "2"])
    ds = load_csv(DatasetSpec(path=str(path), label_column="label", feature_columns=["x"]))
    assert ds.classes == ("2", "10", "b")  # numbers in numeric order, then text
    assert list(ds.y) == [1, 0, 2, 0, 1, 2, 0]
    assert ds.n_classes == 3 and ds.f1_average == "macro" and ds.positive_label is None
    assert ds.describe()["class_counts"] == {"2": 3, "10": 2, "b": 2}


def test_positive_label_with_three_classes_is_refused_in_one_line(tmp_path):
    path = _csv(tmp_path, ["a", "b", "c", "a", "b", "c"])
    with pytest.raises(DatasetError, match=r"3 classes .* macro-averaged .*remove dataset.positive_label") as e:
        load_csv(DatasetSpec(path=str(path), label_column="label", positive_label="a", feature_columns=["x"]))
    assert "\n" not in str(e.value)


def test_two_classes_need_a_positive_label(tmp_path):
    path = _csv(tmp_path, ["a", "b", "a", "b"])
    with pytest.raises(DatasetError, match=r"two classes .*dataset.positive_label"):
        load_csv(DatasetSpec(path=str(path), label_column="label", feature_columns=["x"]))
    ds = load_csv(DatasetSpec(path=str(path), label_column="label", positive_label="b", feature_columns=["x"]))
    assert list(ds.y) == [0, 1, 0, 1] and ds.f1_average == "binary" and ds.classes == ("a", "b")


def test_a_class_with_one_row_is_refused_naming_it(tmp_path):
    path = _csv(tmp_path, ["a", "b", "c", "a", "b", "a"])
    with pytest.raises(DatasetError, match=r"class 'c' of label has 1 row; every class needs at least 2"):
        load_csv(DatasetSpec(path=str(path), label_column="label", feature_columns=["x"]))


@pytest.mark.parametrize("name, rows, features, n_classes", [
    ("iris", 150, 4, 3), ("wine", 178, 13, 3), ("breast_cancer", 569, 30, 2), ("digits", 1797, 64, 10)])
def test_bundled_data_sets_load_dense_with_provenance(name, rows, features, n_classes):
    import sklearn

    ds = load_dataset(SklearnDatasetSpec(sklearn=name))
    assert ds.n_rows == rows and ds.columns.shape == (rows, features) and ds.columns.dtype == np.float64
    assert ds.texts is None and ds.n_classes == n_classes
    assert len(ds.column_names) == features
    facts = ds.describe()
    assert facts["source"] == "sklearn" and facts["loader"] == f"sklearn.datasets.load_{name}"
    assert facts["version"] == sklearn.__version__ and facts["n_rows"] == rows
    assert sum(facts["class_counts"].values()) == rows
    assert len(ds.sha256) == 64 and ds.sha256 == load_sklearn(SklearnDatasetSpec(sklearn=name)).sha256
    if n_classes == 2:
        assert ds.positive_label == "malignant" and int(ds.y.sum()) == 212 and facts["f1_average"] == "binary"
    else:
        assert ds.positive_label is None and facts["f1_average"] == "macro"


def test_bundled_features_are_dense_numeric_not_tf_idf():
    from harness.data.features import build_features
    from harness.spec import TextOptions

    ds = load_sklearn(SklearnDatasetSpec(sklearn="wine"))
    fm = build_features(ds, TextOptions(), use_cache=False)
    assert isinstance(fm.X, np.ndarray) and fm.X.shape == (178, 13)
    np.testing.assert_array_equal(fm.X, ds.columns)


def test_data_sha256_changes_with_a_value_or_a_label():
    X = np.arange(6, dtype=float).reshape(3, 2)
    base = data_sha256(X, ["a", "b", "a"], ["u", "v"])
    X2 = X.copy()
    X2[1, 1] += 1
    assert data_sha256(X2, ["a", "b", "a"], ["u", "v"]) != base
    assert data_sha256(X, ["a", "b", "b"], ["u", "v"]) != base
    assert data_sha256(X, ["a", "b", "a"], ["u", "v"]) == base


# ------------------------------------------------------------------ OpenML: never a network call here

def _no_network(*args, **kwargs):
    raise AssertionError("fetch_openml must not be called")


def test_openml_with_an_empty_cache_says_so_and_how_to_fill_it(tmp_path, monkeypatch):
    monkeypatch.setattr("sklearn.datasets.fetch_openml", _no_network)
    with pytest.raises(DatasetError) as e:
        load_openml(OpenMLDatasetSpec(openml=61, cache=str(tmp_path / "cache")))
    msg = str(e.value)
    assert "\n" not in msg
    assert f"the OpenML cache {tmp_path / 'cache'} is empty" in msg
    assert "never downloads" in msg and "fetch_openml(data_id=61, data_home=" in msg


def _gz(path, obj):
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(obj, f)


def _fake_cache(home, data_id=61, data_file=True, name="iris"):
    """The files fetch_openml reads for one data set, laid out as scikit-learn caches them."""
    root = home / "openml" / "openml.org"
    api = root / "api" / "v1" / "json" / "data"
    url = f"https://api.openml.org/data/v1/download/{data_id}/{name}.arff"
    _gz(api / f"{data_id}.gz", {"data_set_description": {"id": str(data_id), "url": url}})
    _gz(api / "features" / f"{data_id}.gz", {"data_features": {"feature": []}})
    _gz(api / "qualities" / f"{data_id}.gz", {"data_qualities": {"quality": []}})
    _gz(api / "list" / "data_name" / name / "limit" / "2" / "status" / "active" / ".gz",
        {"data": {"dataset": [{"did": data_id, "version": 1}]}})
    if data_file:
        _gz(root / "data" / "v1" / "download" / str(data_id) / f"{name}.arff.gz", {})
    return home


def test_openml_partial_cache_names_what_is_missing(tmp_path, monkeypatch):
    home = _fake_cache(tmp_path / "cache", data_file=False)
    monkeypatch.setattr("sklearn.datasets.fetch_openml", _no_network)
    with pytest.raises(DatasetError, match=r"holds only part of data set 61 \(not its data file\)"):
        load_openml(OpenMLDatasetSpec(openml=61, cache=str(home)))
    with pytest.raises(DatasetError, match=r"holds only part of data set 'iris'"):  # the name's listing is there
        load_openml(OpenMLDatasetSpec(openml="iris", cache=str(home)))
    with pytest.raises(DatasetError, match=r"holds no version 2 of data set 'iris'"):
        load_openml(OpenMLDatasetSpec(openml="iris", version=2, cache=str(home)))


def test_openml_not_in_the_cache_and_offline_is_one_line(tmp_path, monkeypatch):
    home = _fake_cache(tmp_path / "cache", data_id=61)
    monkeypatch.setattr("sklearn.datasets.fetch_openml", _no_network)
    with pytest.raises(DatasetError, match=r"holds no data set 40"):  # another id: refused from the files alone
        load_openml(OpenMLDatasetSpec(openml=40, cache=str(home)))
    with pytest.raises(DatasetError, match=r"holds no data set 'wine'.*fetch_openml\(name='wine'"):
        load_openml(OpenMLDatasetSpec(openml="wine", cache=str(home)))

    def offline(**kwargs):  # a file the check does not know of is missing, and there is no network
        assert kwargs["data_home"] == str(home) and kwargs["data_id"] == 61
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr("sklearn.datasets.fetch_openml", offline)
    with pytest.raises(DatasetError) as e:
        load_openml(OpenMLDatasetSpec(openml=61, cache=str(home)))
    assert "\n" not in str(e.value)
    assert "not all of it is in the OpenML cache" in str(e.value) and "cannot be reached (URLError)" in str(e.value)


def test_openml_from_a_filled_cache_loads_with_provenance(tmp_path, monkeypatch):
    from sklearn.datasets import load_iris
    from sklearn.utils import Bunch

    home = _fake_cache(tmp_path / "cache")
    iris = load_iris(as_frame=True)
    target = pd.Series(np.asarray(iris.target_names)[iris.target], name="class")

    def cached(**kwargs):
        assert kwargs["data_home"] == str(home) and kwargs["target_column"] == "default-target"
        return Bunch(data=iris.data, target=target, frame=None, url="https://www.openml.org/d/61",
                     details={"id": "61", "name": "iris", "version": "1"})

    monkeypatch.setattr("sklearn.datasets.fetch_openml", cached)
    ds = load_dataset(OpenMLDatasetSpec(openml=61, cache=str(home)))
    assert ds.n_rows == 150 and ds.n_classes == 3 and ds.columns.shape == (150, 4) and ds.label_column == "class"
    facts = ds.describe()
    assert facts["source"] == "openml" and facts["openml_id"] == "61" and facts["version"] == "1"
    assert facts["cache"] == str(home) and facts["f1_average"] == "macro"
    assert ds.sha256 == data_sha256(iris.data.to_numpy(dtype=float), target, list(iris.data.columns))


def test_openml_categorical_column_is_refused_naming_it(tmp_path, monkeypatch):
    from sklearn.utils import Bunch

    home = _fake_cache(tmp_path / "cache")
    data = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "colour": pd.Categorical(["r", "g", "r", "g"])})
    monkeypatch.setattr("sklearn.datasets.fetch_openml", lambda **kw: Bunch(
        data=data, target=pd.Series(["x", "y", "x", "y"], name="t"), details={"id": "61"}, url=""))
    with pytest.raises(DatasetError, match=r"column 'colour' is not numeric .*dataset.feature_columns"):
        load_openml(OpenMLDatasetSpec(openml=61, cache=str(home)))
    ds = load_openml(OpenMLDatasetSpec(openml=61, cache=str(home), feature_columns=["a"], positive_label="y"))
    assert ds.columns.shape == (4, 1) and ds.f1_average == "binary" and list(ds.y) == [0, 1, 0, 1]


@pytest.mark.filterwarnings("ignore:Multiple active versions")
@pytest.mark.parametrize("openml, version", [(61, None), ("iris", None), ("iris", 1)])
def test_the_real_fetch_openml_reads_a_filled_cache_without_network(tmp_path, monkeypatch, openml, version):
    import socket

    def no_connection(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", no_connection)
    monkeypatch.setattr(socket, "create_connection", no_connection)
    home = real_iris_cache(tmp_path / "cache")
    ds = load_openml(OpenMLDatasetSpec(openml=openml, version=version, cache=str(home)))
    assert ds.n_rows == 150 and ds.columns.shape == (150, 4) and ds.n_classes == 3
    assert ds.classes == ("Iris-setosa", "Iris-versicolor", "Iris-virginica") and ds.label_column == "class"
    facts = ds.describe()
    assert facts["openml_id"] == 61 or facts["openml_id"] == "61"
    assert facts["openml_name"] == "iris" and str(facts["version"]) == "1" and facts["f1_average"] == "macro"


@pytest.mark.filterwarnings("ignore:Multiple active versions")
@pytest.mark.parametrize("label, features", [(None, ["class"]), ("class", ["class", "petalwidth"]),
                                             ("petalwidth", ["petalwidth", "sepallength"])])
def test_openml_label_named_as_a_feature_is_the_leak_refusal(tmp_path, label, features):
    """Before: "no column(s) 'class'; check dataset.feature_columns" (the target is not among the
    data's columns), or, for a label taken from the features, a run with the label as a feature."""
    home = real_iris_cache(tmp_path / "cache")
    target = label or "class"
    with pytest.raises(DatasetError, match=f"feature_columns names the label column '{target}': the label would be "
                                           f"a feature .*remove '{target}' from feature_columns"):
        load_openml(OpenMLDatasetSpec(openml=61, cache=str(home), label_column=label, feature_columns=features))
