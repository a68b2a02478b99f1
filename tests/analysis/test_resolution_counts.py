"""The analysis counts training phases below the meter's resolution per configuration and says so
beside every median that rests on them; runs without the flags say "not recorded"."""

import json

import numpy as np
import pytest

from synthetic import fabricate, write_run
from harness.analysis import stats
from harness.results.load import load_results
from harness.analysis.tables import BELOW_COLUMN, Options, analysis_tables, compare_table, to_markdown
from harness.results.store import COLUMNS
from synthetic import write_ict4s22

FAST = Options(n_resamples=200)


def _flagged_run(tmp_path):
    t = fabricate(repetitions=4)
    # knn's trials: 3 of its 4 full-data repetitions flagged, and every trial at 10% rows
    knn = t["algorithm"] == "knn"
    full = (t["row_fraction"] == 1.0) & (t["feature_fraction"] == 1.0)
    t["preprocess_below_resolution"] = False
    t["predict_below_resolution"] = False
    t["train_below_resolution"] = (knn & full & (t["repetition"] < 3)) | (knn & (t["row_fraction"] == 0.1))
    return write_run(tmp_path / "run", t)


def test_rq1_and_tradeoff_count_flagged_training_phases(tmp_path):
    results = load_results(_flagged_run(tmp_path))
    rq1 = stats.rq1(results.trials).set_index("algorithm")
    # full data = both sweeps' 100% configuration: 8 trials, of which 6 are flagged
    assert rq1.loc["knn", "n_below_resolution"] == 6 and rq1.loc["knn", "n_trials"] == 8
    assert rq1.loc["svm", "n_below_resolution"] == 0
    trade = stats.tradeoff(results.trials, n_resamples=50)
    row = trade[(trade.algorithm == "knn") & (trade.factor == "rows") & np.isclose(trade.fraction, 0.1)]
    assert row["n_below_resolution"].item() == 4


@pytest.mark.slow
def test_tables_say_so_beside_the_medians(tmp_path):
    results = load_results(_flagged_run(tmp_path))
    tables = {t.name: t for t in analysis_tables(results, FAST)[0]}
    rq1 = tables["rq1_energy"].display.set_index("algorithm")
    cols = list(tables["rq1_energy"].display.columns)
    assert cols.index(BELOW_COLUMN) == cols.index("median train energy (J)") + 1
    assert rq1.loc["knn", BELOW_COLUMN] == "6 of 8" and rq1.loc["svm", BELOW_COLUMN] == "0 of 8"
    assert "rests on those readings" in to_markdown(tables["rq1_energy"])
    assert "4 of 4" in tables["tradeoff"].display[BELOW_COLUMN].tolist()
    cmp = compare_table(results, "knn", ["svm"], FAST).display
    combined = cmp[cmp["configuration"] == "all 19 configurations (stratified)"][BELOW_COLUMN].item()
    # 19 distinct configurations x 4 repetitions: full data (in both sweeps) counted once
    assert combined == "7 of 76/0 of 76"


@pytest.mark.slow
def test_runs_without_flags_show_no_count(tmp_path):
    t = fabricate(repetitions=3)
    t = t.drop(columns=[c for c in COLUMNS if c.endswith("_below_resolution") and c in t.columns])
    for c in ("preprocess_domains_j", "train_domains_j", "predict_domains_j"):  # as the store writes them
        t[c] = t[c].map(json.dumps)
    run = tmp_path / "old"
    run.mkdir()
    t.to_csv(run / "trials.csv", index=False)
    results = load_results(run)
    assert results.trials["train_below_resolution"].isna().all()
    tables = {t.name: t for t in analysis_tables(results, FAST)[0]}
    assert BELOW_COLUMN not in tables["rq1_energy"].display.columns


@pytest.mark.slow
def test_published_data_has_no_below_resolution_flags_nor_time_ratios(tmp_path):
    """CodeCarbon 1.2.0 sampled RAPL power every 15 s and at stop(), and its phase times include
    about 1.4 s of tracker start-up: a 5 ms training phase is not flagged against RAPL's counters,
    and RQ1 shows no time ratio for the published file (it does for a run)."""
    path = write_ict4s22(tmp_path / "experiment_data.csv", iterations=2)
    lines = path.read_text().splitlines()
    fields = lines[1].split(",")
    fields[9] = "0.005"  # one trial's training took 5 ms: flagged under RAPL's counters at 5%
    lines[1] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    results = load_results(path)
    for phase in ("preprocess", "train", "predict"):
        assert results.trials[f"{phase}_below_resolution"].isna().all()
    rq1 = {t.name: t for t in analysis_tables(results, FAST)[0]}["rq1_energy"]
    assert BELOW_COLUMN not in rq1.display.columns and "x smallest (time)" not in rq1.display.columns
    assert "x smallest (energy)" in rq1.display.columns
    assert any("1.4 s of CodeCarbon tracker start-up" in n for n in rq1.notes)
    run = write_run(tmp_path / "run", fabricate(repetitions=2))
    ours = {t.name: t for t in analysis_tables(load_results(run), FAST)[0]}["rq1_energy"]
    assert "x smallest (time)" in ours.display.columns
