"""Export to a real local MLflow store (sqlite), read back with MLflow's own client."""

from __future__ import annotations

import json
import sys

import pytest

pytest.importorskip("mlflow", reason="pip install -e '.[mlflow]' (.ci/run installs it)")

from mlflow.tracking import MlflowClient  # noqa: E402

from harness.cli import main  # noqa: E402

import synthetic as _fixtures  # noqa: E402


@pytest.mark.slow
def test_export_one_run_per_configuration_then_update_not_duplicate(tmp_path, capsys, monkeypatch):
    trials = _fixtures.fabricate(algorithms={"svm": 0.5, "knn": 0.02}, levels=(0.5, 1.0), repetitions=3)
    run = _fixtures.write_run(tmp_path / "run", trials, {"run": "synthetic", "n_trials": len(trials)})
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)  # artifacts must land beside the database, not in the working directory
    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    argv = ["export", "mlflow", str(run), "--tracking-uri", uri, "--bootstrap", "200",
            "--intensity", "400", "--embodied-kg", "1200"]
    assert main(argv) == 0

    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("synthetic")
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    n_configs = trials.groupby(["algorithm", "sweep", "row_fraction", "feature_fraction"]).ngroups
    assert n_configs == 8 and len(runs) == n_configs + 1
    parent = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent[0].info.run_id]
    assert len(parent) == 1 and len(children) == n_configs

    svm_full = next(r for r in children if r.data.params["algorithm"] == "svm"
                    and r.data.params["sweep"] == "rows" and float(r.data.params["row_fraction"]) == 1.0)
    for name in ("algorithm", "sweep", "row_fraction", "feature_fraction", "protocol", "dataset", "meter",
                 "energy_estimated"):
        assert name in svm_full.data.params, name
    assert svm_full.data.params["energy_estimated"] == "True"
    g = trials[(trials.algorithm == "svm") & (trials.sweep == "rows") & (trials.row_fraction == 1.0)]
    m = svm_full.data.metrics
    assert m["median_train_energy_j"] == pytest.approx(g["train_energy_j"].median())
    assert m["q25_train_s"] == pytest.approx(g["train_s"].quantile(0.25))
    assert m["median_f1"] == pytest.approx(g["f1"].median())
    assert m["n_trials"] == 3
    op = (g["preprocess_energy_j"] + g["train_energy_j"] + g["predict_energy_j"]) / 3.6e6 * 400
    assert m["median_operational_g"] == pytest.approx(op.median())
    assert "median_embodied_g" in m and "estimated" in svm_full.data.tags["harness.energy"]

    artifacts = {a.path for a in client.list_artifacts(parent[0].info.run_id)}
    assert {"report.html", "figures", "analysis"} <= artifacts
    figures = {a.path for a in client.list_artifacts(parent[0].info.run_id, "figures")}
    assert "figures/rq1_energy.png" in figures and "figures/carbon.png" in figures

    assert list(work.iterdir()) == []
    assert (tmp_path / "mlruns-artifacts").is_dir()

    # exporting again updates the same runs
    assert main(argv) == 0
    again = client.search_runs([exp.experiment_id], max_results=1000)
    assert sorted(r.info.run_id for r in again) == sorted(r.info.run_id for r in runs)
    assert "0 created, 9 updated" in capsys.readouterr().out


def test_missing_mlflow_is_one_line_naming_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)  # import fails as if not installed
    run = _fixtures.write_run(tmp_path / "run", _fixtures.fabricate(repetitions=2))
    assert main(["export", "mlflow", str(run), "--tracking-uri", "sqlite:///x.db"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install -e '.[mlflow]'" in err
    assert not (run / "report.html").exists()


def test_a_tracking_uri_mlflow_cannot_use_is_one_line(tmp_path, capsys):
    run = _fixtures.write_run(tmp_path / "run", _fixtures.fabricate(repetitions=2))
    assert main(["export", "mlflow", str(run), "--tracking-uri", "bogus://x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--tracking-uri bogus://x" in err and "sqlite:///" in err


def test_a_server_that_does_not_answer_is_one_line_before_the_report_is_rewritten(tmp_path, capsys):
    """MLflow retried http://127.0.0.1:1 for about 4 minutes, after rewriting report.html."""
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = _fixtures.write_run(tmp_path / "run", _fixtures.fabricate(repetitions=2))
    uri = f"http://127.0.0.1:{port}"
    assert main(["export", "mlflow", str(run), "--tracking-uri", uri]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"no server answers at 127.0.0.1:{port}" in err
    assert not (run / "report.html").exists()


@pytest.mark.slow
def test_export_rebuilds_the_report_with_the_options_of_the_last_report(tmp_path, capsys):
    """Export rewrites RUN/report.html: it used to do so without the carbon options a previous
    'report' was given, so the report silently lost its carbon section."""
    trials = _fixtures.fabricate(algorithms={"svm": 0.5, "knn": 0.02}, levels=(0.5, 1.0), repetitions=3)
    run = _fixtures.write_run(tmp_path / "run", trials, {"run": "synthetic", "n_trials": len(trials)})
    assert main(["report", str(run), "--bootstrap", "200", "--intensity", "400", "--pue", "1.3"]) == 0
    assert "grid 400 gCO2e/kWh" in (run / "report.html").read_text(encoding="utf-8")
    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    capsys.readouterr()
    assert main(["export", "mlflow", str(run), "--tracking-uri", uri]) == 0
    out = capsys.readouterr().out
    assert "--intensity 400" in out and "--pue 1.3" in out and "--bootstrap 200" in out
    page = (run / "report.html").read_text(encoding="utf-8")
    assert "grid 400 gCO2e/kWh" in page and "PUE 1.3" in page and "Carbon: not computed" not in page
    assert (run / "figures" / "carbon.png").is_file() and (run / "analysis" / "carbon.csv").is_file()
    assert "bootstrap 200 resamples" in page

    # an option given to export wins, and is what the next rebuild remembers
    assert main(["export", "mlflow", str(run), "--tracking-uri", uri, "--intensity", "50"]) == 0
    page = (run / "report.html").read_text(encoding="utf-8")
    assert "grid 50 gCO2e/kWh" in page and "PUE 1.3" in page
    assert json.loads((run / "report.json").read_text())["options"]["intensity"] == "50"


def test_an_unreadable_report_options_file_is_one_line_and_exports_nothing(tmp_path, capsys):
    run = _fixtures.write_run(tmp_path / "run", _fixtures.fabricate(repetitions=2))
    (run / "report.json").write_text("{not json")
    assert main(["export", "mlflow", str(run), "--tracking-uri", f"sqlite:///{tmp_path / 'm.db'}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "report.json" in err and "rerun 'harness report'" in err
    assert not (run / "report.html").exists() and not (tmp_path / "m.db").exists()


def test_how_a_trial_ran_is_not_a_parameter_of_its_configuration():
    """host, cool-down end and below-resolution flags were logged as parameters when constant."""
    from harness.output.export.mlflow import configuration_params

    group = _fixtures.fabricate(repetitions=2).head(2).assign(
        host="vm", cooldown_end="fixed", start_power_w=3.0, train_below_resolution=False, concurrent_trials=2)
    params = configuration_params(group)
    assert params["algorithm"] and "host" not in params and "cooldown_end" not in params
    assert not {"start_power_w", "train_below_resolution", "concurrent_trials"} & set(params)
