"""A filled OpenML cache for tests: scikit-learn's own recorded answers for iris, no network."""

from pathlib import Path

import pytest


def real_iris_cache(home):
    """scikit-learn's own recorded OpenML answers for iris (id 61, its test data) laid out as
    fetch_openml caches them: a filled cache, read by the real fetch_openml."""
    import sklearn

    recorded = Path(sklearn.__file__).parent / "datasets" / "tests" / "data" / "openml" / "id_61"
    if not (recorded / "data-v1-dl-61.arff.gz").is_file():
        pytest.skip("scikit-learn installed without its test data")
    root = home / "openml" / "openml.org"
    api = root / "api" / "v1" / "json" / "data"
    layout = {"api-v1-jd-61.json.gz": api / "61.gz", "api-v1-jdf-61.json.gz": api / "features" / "61.gz",
              "api-v1-jdq-61.json.gz": api / "qualities" / "61.gz",
              "api-v1-jdl-dn-iris-l-2-s-act-.json.gz": api / "list/data_name/iris/limit/2/status/active/.gz",
              "api-v1-jdl-dn-iris-l-2-dv-1.json.gz": api / "list/data_name/iris/limit/2/data_version/1.gz",
              "data-v1-dl-61.arff.gz": root / "data/v1/download/61/iris.arff.gz"}
    for name, target in layout.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((recorded / name).read_bytes())
    return home
