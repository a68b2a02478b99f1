import numpy as np
import pytest

from harness.data.datasets import load_sms_spam
from harness.data.features import build_features, make_analyzer
from harness.spec import TextOptions


def test_analyzer_matches_the_paper_steps():
    analyze = make_analyzer()
    # punctuation stripped, Snowball-stemmed (lower-cased), stop words dropped
    assert analyze("Hello, World! The runners are RUNNING.") == ["hello", "world", "runner", "run"]
    assert make_analyzer(stem=False, stop_words=False)("The Cats") == ["the", "cats"]


def test_sms_spam_features_have_length_column_and_are_cached():
    ds = load_sms_spam()
    first = build_features(ds, TextOptions())
    assert first.X.shape[0] == 5574 and first.n_features > 5000
    lengths = np.asarray(first.X[:, -1].todense()).ravel()
    assert lengths.tolist() == [len(t) for t in ds.texts]
    # tf-idf rows are L2-normalised before the length column is appended
    norms = np.sqrt(np.asarray(first.X[:, :-1].multiply(first.X[:, :-1]).sum(axis=1)).ravel())
    assert np.allclose(norms[norms > 0], 1.0)
    second = build_features(ds, TextOptions())
    assert second.from_cache and second.cache_key == first.cache_key
    assert (second.X != first.X).nnz == 0
    other = build_features(ds, TextOptions(length_feature=False))
    assert other.cache_key != first.cache_key and other.n_features == first.n_features - 1


@pytest.mark.slow
def test_corrupt_cache_is_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path))
    ds = load_sms_spam()
    fm = build_features(ds, TextOptions())
    for junk in (b"not a numpy file", b"", b"PK\x03\x04truncated"):
        (tmp_path / f"features-{fm.cache_key}.npz").write_bytes(junk)
        again = build_features(ds, TextOptions())
        assert not again.from_cache and (again.X != fm.X).nnz == 0


def test_cache_key_names_the_text_column(tmp_path):
    from harness.data.datasets import load_csv
    from harness.spec import DatasetSpec

    path = tmp_path / "m.csv"
    path.write_text("subject,body,kind\nhi,win cash now,bad\nlunch,see you at noon,good\nprize,free prize inside,bad\n")
    by_subject = load_csv(DatasetSpec(path=str(path), label_column="kind", positive_label="bad", text_column="subject"))
    by_body = load_csv(DatasetSpec(path=str(path), label_column="kind", positive_label="bad", text_column="body"))
    assert by_subject.sha256 == by_body.sha256
    a, b = build_features(by_subject, TextOptions()), build_features(by_body, TextOptions())
    assert a.cache_key != b.cache_key and not b.from_cache and a.n_features != b.n_features
