import csv


import pandas as pd
import pytest

from harness.datasets import BUILTIN, load_csv, load_dataset, load_sms_spam
from harness.errors import DatasetError
from harness.spec import DatasetSpec


def test_sms_spam_loads_every_message(repo):
    ds = load_sms_spam()
    assert ds.n_rows == 5574
    assert int(ds.y.sum()) == 747 and int((ds.y == 0).sum()) == 4827
    assert ds.sha256 == BUILTIN["sms_spam"]["sha256"]
    assert len(ds.texts) == 5574 and all(isinstance(t, str) for t in ds.texts)


def test_default_csv_read_would_lose_rows(repo):
    # Guards the reason quoting is disabled: a quote-aware read merges lines.
    path = repo / "datasets/sms_spam/SMSSpamCollection"
    default = pd.read_csv(path, sep="\t", header=None, names=["label", "message"])
    assert len(default) == 5572
    unquoted = pd.read_csv(path, sep="\t", header=None, names=["label", "message"], quoting=csv.QUOTE_NONE)
    assert len(unquoted) == 5574


def test_altered_file_is_refused(tmp_path, repo, monkeypatch):
    (tmp_path / "sms_spam").mkdir()
    data = (repo / "datasets/sms_spam/SMSSpamCollection").read_bytes()
    (tmp_path / "sms_spam/SMSSpamCollection").write_bytes(data.replace(b"ham\t", b"spam\t", 1))
    monkeypatch.setenv("HARNESS_DATASETS_DIR", str(tmp_path))
    with pytest.raises(DatasetError, match="sha256"):
        load_dataset("sms_spam")


def test_missing_file_names_the_path(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_DATASETS_DIR", str(tmp_path))
    with pytest.raises(DatasetError, match="SMSSpamCollection: dataset file not found"):
        load_dataset("sms_spam")


def test_user_csv_with_text_and_numeric_columns(tmp_path):
    path = tmp_path / "mail.csv"
    path.write_text('body,links,kind\n"win cash now",3,bad\nhello friend,0,good\nlunch?,0,good\nfree prize,5,bad\n')
    ds = load_csv(DatasetSpec(path=str(path), label_column="kind", positive_label="bad",
                              text_column="body", feature_columns=["links"]))
    assert ds.n_rows == 4 and ds.y.tolist() == [1, 0, 0, 1]
    assert ds.columns[:, 0].tolist() == [3, 0, 0, 5]
    assert ds.texts[0] == "win cash now"


def test_user_csv_errors_name_the_problem(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x,label\n1,a\n2,b\n")
    with pytest.raises(DatasetError, match="no column"):
        load_csv(DatasetSpec(path=str(path), label_column="label", positive_label="a", feature_columns=["y"]))
    with pytest.raises(DatasetError, match="positive_label"):
        load_csv(DatasetSpec(path=str(path), label_column="label", positive_label="zzz", feature_columns=["x"]))
    bad_sum = "0" * 64
    with pytest.raises(DatasetError, match="sha256"):
        load_csv(DatasetSpec(path=str(path), label_column="label", positive_label="a", feature_columns=["x"], sha256=bad_sum))


def test_user_csv_path_beside_the_spec(tmp_path, monkeypatch):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs/d.csv").write_text("x,label\n1,a\n2,b\n")
    monkeypatch.chdir(tmp_path)
    ds = load_csv(DatasetSpec(path="d.csv", label_column="label", positive_label="a", feature_columns=["x"]),
                  spec_dir=tmp_path / "specs")
    assert ds.n_rows == 2
