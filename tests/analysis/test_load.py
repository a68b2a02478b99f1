"""Reading runs and the ICT4S'22 published layout; net energy; the estimated label."""

from __future__ import annotations

import json

import numpy as np
import pytest
from synthetic import fabricate, write_ict4s22, write_run

from harness.analysis import stats
from harness.results.load import (ESTIMATED_LABEL, ICT4S22_LABEL, ICT4S22_METER,
                                   load_results, net_of_baseline)
from harness.analysis.tables import analysis_tables, compare_table, to_latex, to_markdown
from harness.errors import HarnessError, ResultsError


def test_ict4s22_layout_is_read_and_mapped(tmp_path):
    results = load_results(write_ict4s22(tmp_path / "experiment_data.csv"))
    t = results.trials
    assert results.layout == "ict4s22" and not results.estimated
    assert set(t["algorithm"]) == {"random_forest", "bagging", "naive_bayes"}
    assert set(t["sweep"]) == {"rows", "features"}
    assert (t["meter"] == ICT4S22_METER).all()
    rows = t[t["sweep"] == "rows"]
    assert (rows["feature_fraction"] == 1.0).all()
    # the fraction follows the count of training rows, not the experiment id
    assert np.allclose(rows["row_fraction"], (rows["n_train"] / 3900).round(1))
    assert rows.loc[rows["n_train"] == 390, "config_id"].iloc[0] == 9
    feats = t[t["sweep"] == "features"]
    assert (feats["row_fraction"] == 1.0).all()
    assert sorted(feats["feature_fraction"].unique()) == pytest.approx(np.arange(1, 11) / 10)
    assert t["train_energy_j"].dtype == float and t["repetition"].max() == 2
    assert ESTIMATED_LABEL not in " ".join(results.energy_notes())
    rq2 = stats.rq2(t)
    assert (rq2["rho"] > 0.99).all() and len(rq2) == 6


@pytest.mark.slow
def test_ict4s22_tables_are_labelled_published_not_estimated(tmp_path):
    results = load_results(write_ict4s22(tmp_path / "data.csv"))
    tables, _ = analysis_tables(results)
    text = "\n".join(to_markdown(t) for t in tables)
    assert "published ICT4S'22" in text and "estimated energy" not in text


def test_unknown_csv_layout_is_rejected(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ResultsError, match="header"):
        load_results(path)
    with pytest.raises(ResultsError, match="no such"):
        load_results(tmp_path / "missing")


def test_run_directory_and_its_trials_csv_load_the_same(tmp_path):
    run = write_run(tmp_path / "run", fabricate(repetitions=2))
    a, b = load_results(run), load_results(run / "trials.csv")
    assert a.layout == b.layout == "run" and len(a.trials) == len(b.trials) == 120
    assert a.trials["energy_estimated"].dtype == bool and a.estimated


@pytest.mark.slow
def test_estimated_energy_is_labelled_in_every_energy_table(tmp_path):
    results = load_results(write_run(tmp_path / "run", fabricate(repetitions=3)))
    tables, _ = analysis_tables(results)
    tables.append(compare_table(results, "knn", ["svm"]))
    for t in tables:
        if t.energy:
            assert ESTIMATED_LABEL in to_markdown(t).splitlines()[0], t.name
            assert ESTIMATED_LABEL in to_latex(t), t.name
            assert (t.frame["energy_basis"] == ESTIMATED_LABEL).all(), t.name
    assert {t.name for t in tables if not t.energy} == {"rq3_f1_spearman"}


def test_measured_energy_is_not_labelled_estimated(tmp_path):
    results = load_results(write_run(tmp_path / "run", fabricate(repetitions=3, meter="rapl")))
    tables, _ = analysis_tables(results)
    assert not results.estimated
    assert all(ESTIMATED_LABEL not in to_markdown(t) for t in tables)
    assert (tables[-1].frame["energy_basis"] == "measured (rapl)").all()


def test_net_energy_subtracts_baseline_power_times_duration(tmp_path):
    trials = fabricate(repetitions=2, meter="rapl")
    manifest = {"baseline": {"duration_s": 10.0, "total_w": 0.1, "domains_w": {"package-0": 0.1}}}
    results = load_results(write_run(tmp_path / "run", trials, manifest))
    net = net_of_baseline(results)
    raw = results.trials
    for phase in ("preprocess", "train", "predict"):
        expected = raw[f"{phase}_energy_j"] - 0.1 * raw[f"{phase}_s"]
        assert np.allclose(net.trials[f"{phase}_energy_j"], expected)
    assert net.net and "net of the idle baseline" in "; ".join(net.energy_notes())
    tables, _ = analysis_tables(net)
    assert "net of the idle baseline" in to_markdown(tables[3])


def test_net_without_baseline_is_a_one_line_error(tmp_path):
    results = load_results(write_run(tmp_path / "run", fabricate(repetitions=2, meter="rapl"),
                                     {"run": "x", "baseline": None}))
    with pytest.raises(HarnessError, match="--net needs an idle baseline") as err:
        net_of_baseline(results)
    assert "\n" not in str(err.value)
    (tmp_path / "run" / "manifest.json").write_text(json.dumps({"run": "x"}))
    with pytest.raises(HarnessError):
        net_of_baseline(load_results(tmp_path / "run"))


def test_ict4s22_excerpt_missing_levels_keeps_true_fractions(tmp_path):
    full = tmp_path / "full.csv"
    write_ict4s22(full, algorithms=("SVM",), iterations=1)
    lines = full.read_text().splitlines()
    # keep the header, the 90% rows level (id 1, 3510 rows) and the 30% features level only
    keep = [lines[0]] + [l for l in lines[1:] if l.split(",")[2] in ("1", "33")]
    excerpt = tmp_path / "excerpt.csv"
    excerpt.write_text("\n".join(keep) + "\n")
    t = load_results(excerpt).trials.set_index("sweep")
    assert t.loc["rows", "row_fraction"] == 0.9 and t.loc["rows", "feature_fraction"] == 1.0
    assert t.loc["features", "feature_fraction"] == 0.3 and t.loc["features", "row_fraction"] == 1.0


def _lines(path):
    return path.read_text().splitlines(keepends=True)


def test_a_named_csv_is_read_itself_not_the_trials_csv_beside_it(tmp_path):
    manifest = {"baseline": {"duration_s": 1.0, "total_w": 2.0}}
    run = write_run(tmp_path / "run", fabricate(repetitions=2, meter="rapl"), manifest)
    lines = _lines(run / "trials.csv")
    knn = [l for l in lines[1:] if ",knn," in l]
    subset = run / "knn_only.csv"
    subset.write_text(lines[0] + "".join(knn))
    results = load_results(subset)
    assert set(results.trials["algorithm"]) == {"knn"} and len(results.trials) == len(knn)
    assert results.baseline is None  # not trials.csv: the manifest beside it is not its own
    # a CSV with no run directory around it at all
    elsewhere = tmp_path / "export.csv"
    elsewhere.write_text(lines[0] + "".join(knn))
    assert len(load_results(elsewhere).trials) == len(knn)
    with pytest.raises(HarnessError, match="read only for a run directory or its trials.csv"):
        net_of_baseline(load_results(subset))
    # trials.csv itself does take the manifest beside it
    assert load_results(run / "trials.csv").baseline == manifest["baseline"]
    assert net_of_baseline(load_results(run / "trials.csv")).net


def test_corrupt_manifest_is_a_one_line_error(tmp_path):
    run = write_run(tmp_path / "run", fabricate(repetitions=2))
    (run / "manifest.json").write_text('{"baseline": ')  # cut short
    with pytest.raises(ResultsError, match="manifest.json: not a JSON object") as err:
        load_results(run)
    assert "\n" not in str(err.value)


def test_a_named_csv_drops_a_torn_last_line(tmp_path):
    run = write_run(tmp_path / "run", fabricate(repetitions=2))
    lines = _lines(run / "trials.csv")
    path = tmp_path / "copy.csv"
    path.write_text("".join(lines[:5]) + lines[5][:40])  # last line cut mid-write, no newline
    assert len(load_results(path).trials) == 4


def test_duplicate_trial_ids_are_refused(tmp_path):
    run = write_run(tmp_path / "run", fabricate(repetitions=2))
    lines = _lines(run / "trials.csv")
    (run / "trials.csv").write_text("".join(lines) + "".join(lines[1:4]))  # a second writer
    with pytest.raises(ResultsError, match=rf"trials\.csv: line {len(lines) + 1}: trial_id 0 again "
                                           r"\(first on line 2\)") as err:
        load_results(run)
    assert "\n" not in str(err.value)


def test_baseline_without_total_w_is_only_an_error_under_net(tmp_path):
    run = write_run(tmp_path / "run", fabricate(repetitions=2, meter="rapl"),
                    {"baseline": {"duration_s": 1.0}})
    results = load_results(run)  # no --net: nothing to complain about
    assert results.baseline == {"duration_s": 1.0}
    with pytest.raises(HarnessError, match="'baseline' has no 'total_w'") as err:
        net_of_baseline(results)
    assert "manifest.json" in str(err.value) and "\n" not in str(err.value)


def test_net_of_estimated_energy_is_refused(tmp_path):
    manifest = {"baseline": {"duration_s": 10.0, "total_w": 0.001, "domains_w": {"cpu": 0.001}}}
    results = load_results(write_run(tmp_path / "run", fabricate(repetitions=2), manifest))
    assert results.estimated
    with pytest.raises(HarnessError, match="--net subtracts idle power measured by a hardware "
                                           "meter; the estimate meter models only") as err:
        net_of_baseline(results)
    assert "\n" not in str(err.value)


def test_ict4s22_energy_is_labelled_scaled_emissions_not_joules(tmp_path):
    results = load_results(write_ict4s22(tmp_path / "data.csv"))
    assert results.energy_notes() == [ICT4S22_LABEL]
    assert "CodeCarbon emissions x3.6e6 (kgCO2e" in ICT4S22_LABEL and "not joules" in ICT4S22_LABEL
    tables, _ = analysis_tables(results)
    assert all(ICT4S22_LABEL in to_markdown(t).splitlines()[0] for t in tables if t.energy)
    energy_headers = [c for t in tables for c in t.display.columns if "energy (" in c]
    assert energy_headers and all(c.endswith("(kgCO2e x3.6e6, not J)") for c in energy_headers)


@pytest.mark.parametrize("command", ["analyze", "figures", "report"])
def test_carbon_of_the_published_file_is_refused_not_computed_from_its_emissions(tmp_path, capsys, command):
    """`report experiment_data.csv --intensity DEU` wrote "Carbon: 0.203 gCO2e": the published
    'energy' (kgCO2e x3.6e6) read as joules and multiplied by a grid intensity again."""
    from harness.cli import main

    csv = write_ict4s22(tmp_path / "experiment_data.csv")
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main([command, str(csv), "--intensity", "DEU"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert "--intensity" in err[0] and "kgCO2e x3.6e6" in err[0] and "not joules" in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
