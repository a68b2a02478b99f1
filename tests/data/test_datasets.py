import csv
from pathlib import Path


import pandas as pd
import pytest

from harness.data.datasets import BUILTIN, load_csv, load_dataset, load_sms_spam
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
    path = repo / "harness/data/sms_spam/SMSSpamCollection"
    default = pd.read_csv(path, sep="\t", header=None, names=["label", "message"])
    assert len(default) == 5572
    unquoted = pd.read_csv(path, sep="\t", header=None, names=["label", "message"], quoting=csv.QUOTE_NONE)
    assert len(unquoted) == 5574


def test_altered_file_is_refused(tmp_path, repo, monkeypatch):
    (tmp_path / "sms_spam").mkdir()
    data = (repo / "harness/data/sms_spam/SMSSpamCollection").read_bytes()
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


def test_empty_label_cells_are_refused_with_their_count(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x,kind\n1,spam\n2,\n3,ham\n4,  \n5,spam\n")
    with pytest.raises(DatasetError, match="2 row\\(s\\) have an empty label_column 'kind' cell \\(first: data row 2\\)"):
        load_csv(DatasetSpec(path=str(path), label_column="kind", positive_label="spam", feature_columns=["x"]))


def test_errors_about_a_file_never_echo_its_content(tmp_path):
    secret = "hunter2-private-message"
    path = tmp_path / "d.csv"
    path.write_text(f"x,label\n1,a\n{secret},b\n3,a\n")
    with pytest.raises(DatasetError, match="'x' holds 1 non-numeric cell\\(s\\) \\(first: data row 2\\)") as err:
        load_csv(DatasetSpec(path=str(path), label_column="label", positive_label="a", feature_columns=["x"]))
    assert secret not in str(err.value)
    path.write_text(f"{secret},other\n1,a\n")  # not the expected header: the header line is data too
    with pytest.raises(DatasetError, match="no column") as err:
        load_csv(DatasetSpec(path=str(path), label_column="label", positive_label="a", feature_columns=["x"]))
    assert secret not in str(err.value)
    path.write_text("x,labl\n1,a\n")
    with pytest.raises(DatasetError, match="did you mean 'labl'"):
        load_csv(DatasetSpec(path=str(path), label_column="label", positive_label="a", feature_columns=["x"]))
    path.write_bytes(b"x,label\n1,a\n2,\xff" + secret.encode() + b"\n")
    with pytest.raises(DatasetError, match="not UTF-8") as err:
        load_csv(DatasetSpec(path=str(path), label_column="label", positive_label="a", feature_columns=["x"]))
    assert secret not in str(err.value)


@pytest.mark.parametrize("protocol,rows,fraction,ok", [
    ("ict4s22", 40, 0.5, True),     # 20 kept: 14 train, 6 test
    ("ict4s22", 10, 1.0, False),    # 7 train, 3 test: too few to score
    ("ict4s22", 40, 0.1, False),    # 4 kept: 2 train, 2 test (the case)
    ("holdout", 40, 0.5, True),     # 12 test, 14 of 28 train
    ("holdout", 40, 0.3, False),    # 8 of 28 train
])
def test_levels_too_small_to_train_or_score_are_refused(protocol, rows, fraction, ok):
    import numpy as np

    from harness.data.datasets import Dataset, check_split_sizes
    from harness.spec import parse_spec

    spec = parse_spec({"name": "x", "algorithms": ["knn"], "protocol": protocol,
                       "sweeps": {"rows": {"row_fractions": [fraction]}}})
    ds = Dataset("d", Path("d.csv"), "0" * 64, np.zeros(rows, dtype=np.int64), "spam")
    if ok:
        check_split_sizes(ds, spec)
    else:
        with pytest.raises(DatasetError, match=f"sweeps.rows.row_fractions: {fraction} of d.csv's {rows} rows leaves"):
            check_split_sizes(ds, spec)


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty (no header, no rows)"),
    (b"x,label\n", "a header line and no data rows"),
    # a Latin-1 'e acute' deep in the file: its place counted from the file's start, not pandas' buffer
    (b"x,label\n" + b"1,a\n" * 40_000 + b"2,caf\xe9\n", f"not UTF-8 text (byte {8 + 4 * 40_000 + 5:,}, line 40002)"),
])
def test_empty_header_only_and_latin1_files_are_named_for_what_they_are(tmp_path, content, message):
    # issue 22 item 7: a 0-byte CSV was called a separator problem, a header-only CSV a wrong
    # positive_label, and a Latin-1 byte's position was counted from pandas' read buffer
    path = tmp_path / "d.csv"
    path.write_bytes(content)
    with pytest.raises(DatasetError) as err:
        load_csv(DatasetSpec(path=str(path), label_column="label", positive_label="a", feature_columns=["x"]))
    assert message in str(err.value)
    assert "separator" not in str(err.value) and "positive_label" not in str(err.value)


def test_the_spec_folder_comes_before_the_current_folder(tmp_path, monkeypatch):
    # issue 22 item 7: a d.csv in the current folder was taken over the one beside the spec
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs/d.csv").write_text("x,label\n1,a\n2,b\n3,a\n")
    (tmp_path / "d.csv").write_text("x,label\n1,a\n2,b\n")
    monkeypatch.chdir(tmp_path)
    ds = load_csv(DatasetSpec(path="d.csv", label_column="label", positive_label="a", feature_columns=["x"]),
                  spec_dir=tmp_path / "specs")
    assert ds.n_rows == 3
    (tmp_path / "specs/d.csv").unlink()  # not beside the spec: the current folder's file
    ds = load_csv(DatasetSpec(path="d.csv", label_column="label", positive_label="a", feature_columns=["x"]),
                  spec_dir=tmp_path / "specs")
    assert ds.n_rows == 2
