"""harness.results.read: one reader, typed rows; and the tuning resume's set-aside built on it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from harness.errors import ResultsError
from harness.results.read import check_rows_match_plan, read_results_file
from harness.results.schema import COLUMNS, EVALUATION_COLUMNS
from harness.results.store import TrialWriter, set_aside_unfinished


def _trials(path, n=2):
    w = TrialWriter(path)
    for i in range(n):
        w.append({**{c: 0 for c in COLUMNS}, "run": "r", "trial_id": i, "algorithm": "svm", "sweep": "rows",
                  "row_fraction": 0.5, "feature_fraction": 1.0, "repetition": i, "energy_estimated": True,
                  "preprocess_domains_j": {}, "train_domains_j": {"cpu": 1.5}, "predict_domains_j": {},
                  "host": ""})
    w.close()
    return path


def test_rows_are_typed_as_declared(tmp_path):
    frame = read_results_file(_trials(tmp_path / "trials.csv")).frame()
    assert str(frame["trial_id"].dtype) == "int64" and str(frame["f1"].dtype) == "float64"
    assert frame["energy_estimated"].tolist() == [True, True]
    assert frame["train_domains_j"][0] == '{"cpu":1.5}' and frame["host"].isna().all()


def test_a_row_not_of_the_plan_is_refused_naming_its_line(tmp_path):
    file = read_results_file(_trials(tmp_path / "trials.csv"))
    plan = [SimpleNamespace(algorithm="svm", sweep="rows", row_fraction=0.5, feature_fraction=1.0, repetition=i,
                            levels=()) for i in range(2)]
    check_rows_match_plan(file, plan, ("algorithm", "sweep", "row_fraction", "feature_fraction", "repetition"))
    plan[1].row_fraction = 0.25
    with pytest.raises(ResultsError, match=r"trials\.csv: line 3: trial 1 in the file is not trial 1"):
        check_rows_match_plan(file, plan, ("algorithm", "sweep", "row_fraction", "feature_fraction", "repetition"))


def test_unfinished_evaluations_and_a_torn_line_are_set_aside(tmp_path):
    path, aside = tmp_path / "evaluations.csv", tmp_path / "evaluations-abandoned.csv"
    w = TrialWriter(path, EVALUATION_COLUMNS)
    for t in range(3):
        for e in range(2):
            w.append({**{c: 0 for c in EVALUATION_COLUMNS}, "trial_id": t, "evaluation": e,
                      "energy_estimated": True, "params": "{}", "error": ""})
    w.close()
    path.write_bytes(path.read_bytes() + b"run,2,kn")
    said = set_aside_unfinished(path, {0, 2}, aside, EVALUATION_COLUMNS)
    assert "2 evaluation(s) of 1 unfinished search(es) and a torn last line" in said
    kept = read_results_file(path, EVALUATION_COLUMNS, key=("trial_id", "evaluation"))
    assert kept.trial_ids == {0, 2} and len(kept.rows) == 4 and not kept.torn
    assert aside.read_text().splitlines()[-1] == "run,2,kn" and len(aside.read_text().splitlines()) == 4
    assert set_aside_unfinished(path, {0, 2}, aside, EVALUATION_COLUMNS) is None


def test_damage_is_refused_by_the_set_aside_and_nothing_changes(tmp_path):
    path = tmp_path / "evaluations.csv"
    path.write_text(",".join(EVALUATION_COLUMNS) + "\n" + '"broken\n')
    before = path.read_bytes()
    with pytest.raises(ResultsError, match="line 2"):
        set_aside_unfinished(path, set(), tmp_path / "aside.csv", EVALUATION_COLUMNS)
    assert path.read_bytes() == before and not (tmp_path / "aside.csv").exists()
