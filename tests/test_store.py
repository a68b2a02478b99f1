import pytest

from harness.errors import ResultsError
from harness.store import COLUMNS, TrialWriter, format_row, read_trials, recover_trials


def row(i):
    r = {c: 0 for c in COLUMNS}
    r.update(trial_id=i, algorithm="knn", f1=0.5 + i / 10, preprocess_domains_j={}, train_domains_j={"cpu": 1.5},
             predict_domains_j={}, energy_estimated=True, run="r")
    return r


def test_rows_are_appended_and_read_back(tmp_path):
    w = TrialWriter(tmp_path / "trials.csv")
    for i in range(3):
        w.append(row(i))
    w.close()
    df = read_trials(tmp_path)
    assert df["trial_id"].tolist() == [0, 1, 2] and list(df.columns) == list(COLUMNS)
    assert df["f1"].tolist() == [0.5, 0.6, 0.7]
    assert df["train_domains_j"][0] == '{"cpu":1.5}'


def test_torn_last_line_is_cut_and_redone(tmp_path):
    path = tmp_path / "trials.csv"
    w = TrialWriter(path)
    w.append(row(0))
    w.append(row(1))
    w.close()
    whole = path.read_bytes()
    path.write_bytes(whole + format_row(row(2)).encode()[:25])  # a crash mid-write
    assert recover_trials(path) == {0, 1}
    assert path.read_bytes() == whole
    assert len(read_trials(tmp_path)) == 2


def test_a_row_with_missing_fields_counts_as_torn(tmp_path):
    path = tmp_path / "trials.csv"
    w = TrialWriter(path)
    w.append(row(0))
    w.close()
    with open(path, "a") as f:
        f.write("r,1,0\n")
    assert recover_trials(path) == {0}


def test_foreign_header_is_refused(tmp_path):
    path = tmp_path / "trials.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ResultsError, match="header"):
        recover_trials(path)
