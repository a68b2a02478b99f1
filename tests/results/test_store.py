import csv
import errno
import os

import pytest

from harness.errors import ResultsError
from harness.results.read import read_results_file
from harness.results.store import (COLUMNS, TrialWriter, file_columns, format_row, read_manifest, recover_trials,
                                   row_sha256, write_json_atomic)


def read_trials(run_dir):
    return read_results_file(run_dir / "trials.csv").frame()


def row(i):
    r = {c: 0 for c in COLUMNS}
    r.update(trial_id=i, algorithm="knn", f1=0.5 + i / 10, preprocess_domains_j={}, train_domains_j={"cpu": 1.5},
             predict_domains_j={}, energy_estimated=True, run="r")
    return r


def written(tmp_path, n=4):
    path = tmp_path / "trials.csv"
    w = TrialWriter(path)
    for i in range(n):
        w.append(row(i))
    w.close()
    return path


def test_rows_are_appended_and_read_back(tmp_path):
    written(tmp_path, 3)
    df = read_trials(tmp_path)
    assert df["trial_id"].tolist() == [0, 1, 2] and list(df.columns) == list(COLUMNS)
    assert df["f1"].tolist() == [0.5, 0.6, 0.7]
    assert df["train_domains_j"][0] == '{"cpu":1.5}'


def test_the_checksum_is_of_the_other_cells_as_written(tmp_path):
    path = written(tmp_path, 1)
    cells = next(csv.reader([path.read_text().splitlines()[1]]))
    i = COLUMNS.index("row_sha256")
    assert COLUMNS[-1] == "row_sha256" and cells[i] == row_sha256(cells[:i] + cells[i + 1:])
    assert len(cells[i]) == 64


def test_torn_last_line_is_moved_aside_and_redone(tmp_path):
    path = written(tmp_path, 2)
    whole = path.read_bytes()
    fragment = format_row(row(2)).encode()[:25]
    path.write_bytes(whole + fragment)  # a crash mid-write
    assert recover_trials(path).trial_ids == {0, 1}
    assert path.read_bytes() == whole
    aside = list(tmp_path.glob("torn-*.csv"))
    assert len(aside) == 1 and aside[0].read_bytes() == fragment  # kept, not dropped
    assert len(read_trials(tmp_path)) == 2


def test_a_torn_header_is_moved_aside_and_the_file_restarts(tmp_path):
    path = tmp_path / "trials.csv"
    path.write_bytes(b"run,trial_id,conf")
    assert recover_trials(path).trial_ids == set() and path.read_bytes() == b""
    assert list(tmp_path.glob("torn-*.csv"))


def damage(path, how):
    lines = path.read_bytes().split(b"\n")  # header, rows 0..3, ""
    if how == "blank":
        lines.insert(3, b"")
    elif how == "short":
        lines[3] = b"r,1,0"
    elif how == "extra":
        lines[3] += b",extra"
    elif how == "non-numeric":
        lines[3] = lines[3].replace(b",0.7,", b",zero,", 1)
    elif how == "non-utf8":
        lines[3] = lines[3].replace(b"knn", b"kn\xff", 1)
    elif how == "duplicate":
        lines.insert(5, lines[2])
    elif how == "edited":
        lines[3] = lines[3].replace(b",0.7,", b",0.9,", 1)  # an edited F1
    path.write_bytes(b"\n".join(lines))


N = len(COLUMNS)


@pytest.mark.parametrize("how,problem", [
    ("blank", "line 4: blank line"), ("short", f"line 4: 3 fields, expected {N}"), ("extra", f"line 4: {N + 1} fields"),
    ("non-numeric", "line 4: f1 is not a number"), ("non-utf8", "line 4: not UTF-8"),
    ("duplicate", "line 6: trial_id 1 again .first on line 3"), ("edited", "line 4: row_sha256 does not match")])
def test_damage_before_the_last_line_is_refused_and_nothing_is_cut(tmp_path, how, problem):
    path = written(tmp_path)
    damage(path, how)
    before = path.read_bytes()
    with pytest.raises(ResultsError, match=problem) as err:
        recover_trials(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value) and "--fresh" in str(err.value)
    assert path.read_bytes() == before  # every finished row is still there
    with pytest.raises(ResultsError, match=problem):
        read_trials(tmp_path)


def test_an_old_file_without_checksums_resumes_unverified_in_its_own_columns(tmp_path):
    old = COLUMNS[:-1]
    path = tmp_path / "trials.csv"
    path.write_text(",".join(old) + "\n" + format_row(row(0), old))
    scan = recover_trials(path)
    assert scan.trial_ids == {0} and scan.unverified == 1 and scan.columns == old
    w = TrialWriter(path)
    w.append(row(1))
    w.close()
    assert [len(cells) for cells in csv.reader(path.read_text().splitlines())] == [len(old)] * 3
    assert recover_trials(path).unverified == 2


def test_file_columns_accepts_older_layouts_only(tmp_path):
    assert file_columns(list(COLUMNS)) == COLUMNS
    assert file_columns(list(COLUMNS[:-1])) == COLUMNS[:-1]
    for bad in (["a", "b"], list(COLUMNS[1:]), list(reversed(COLUMNS)), [*COLUMNS, "row_sha256"]):
        with pytest.raises(ResultsError, match="header"):
            file_columns(bad)


def test_foreign_header_is_refused(tmp_path):
    path = tmp_path / "trials.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ResultsError, match="header"):
        recover_trials(path)


def test_disk_full_on_append_leaves_no_partial_line(tmp_path, monkeypatch):
    path = written(tmp_path, 2)
    before = path.read_bytes()
    w = TrialWriter(path)
    real_write = os.write

    def half_then_full(fd, data):
        if fd == w._fd:
            real_write(fd, bytes(data[:10]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(ResultsError, match="No space left on device.*free some disk space.*same command") as err:
        w.append(row(2))
    assert "\n" not in str(err.value)
    monkeypatch.undo()
    w.close()
    assert path.read_bytes() == before


def test_fsync_failure_is_one_line(tmp_path, monkeypatch):
    path = written(tmp_path, 1)
    w = TrialWriter(path)
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.EIO, "Input/output error")))
    with pytest.raises(ResultsError, match="Input/output error"):
        w.append(row(1))
    monkeypatch.undo()
    w.close()
    assert recover_trials(path).trial_ids == {0}


def test_manifest_write_failure_keeps_the_old_manifest(tmp_path, monkeypatch):
    path = tmp_path / "manifest.json"
    write_json_atomic(path, {"a": 1})
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(ResultsError, match="manifest.*No space left"):
        write_json_atomic(path, {"a": 2})
    assert path.read_text().strip() == '{\n  "a": 1\n}' and not (tmp_path / "manifest.json.tmp").exists()


@pytest.mark.parametrize("text,problem", [
    ("", "empty"), ('{"run": "x", "design_ha', "truncated or not JSON"), ("[1, 2]", "lacks"),
    ('{"run": "x"}', "lacks.*design_hash"), ('{"run": "x", "design_hash": "h", "meter": "m", "sessions": []}', "malformed"),
    (b"\xff\xfe", "not UTF-8")])
def test_a_damaged_manifest_is_one_line(tmp_path, text, problem):
    p = tmp_path / "manifest.json"
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ResultsError, match=problem) as err:
        read_manifest(tmp_path)
    assert "manifest.json" in str(err.value) and "--fresh" in str(err.value) and "\n" not in str(err.value)
