"""``report`` and ``export mlflow`` on a tuning run: the tuning tables and figure on the page, one
MLflow run per search (a local SQLite store, no server)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
import yaml

from harness.run.runner import run_spec

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tuning_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("tuning")
    spec = yaml.safe_load((ROOT / "experiments/tuning-quick.yaml").read_text())
    spec.update(name="tune-tiny", repetitions=2, algorithms=["decision_tree"], meter="estimate",
                hygiene={"warmup_s": 0, "cooldown_s": 0, "baseline_s": 0, "threads": 1})
    spec["tuning"].update(strategies=["grid", "random"], budget=2, validation={"folds": 2},
                          spaces={"decision_tree": {"max_depth": [4, None], "min_samples_leaf": [1, 4]}})
    path = tmp / "tune-tiny.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert run_spec(path, results_dir=tmp / "out", quiet=True, out=io.StringIO()) == 0
    return tmp / "out/tune-tiny"


def _args(parser_args: list[str]):
    from harness.cli import build_parser

    return build_parser().parse_args(parser_args)


def test_report_shows_the_tuning_tables_and_figure(tuning_run, capsys):
    args = _args(["report", str(tuning_run)])
    assert args.func(args) == 0
    page = (tuning_run / "report.html").read_text()
    assert "table-tuning_strategies" in page and "table-tuning_comparison" in page
    assert "fig-tuning_curves" in page and "data:image/png;base64," in page
    assert "4 searches: grid, random on decision_tree" in page
    assert (tuning_run / "figures/tuning_curves.png").is_file()


def test_report_refuses_carbon_options_on_a_tuning_run(tuning_run):
    from harness.errors import HarnessError

    args = _args(["report", str(tuning_run), "--intensity", "300"])
    with pytest.raises(HarnessError, match="--intensity: a tuning run's report gives energy only"):
        args.func(args)


@pytest.mark.slow
def test_export_mlflow_logs_one_run_per_search(tuning_run, tmp_path, capsys):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"  # a local store in a file: no server
    args = _args(["export", "mlflow", str(tuning_run), "--tracking-uri", uri])
    assert args.func(args) == 0
    client = MlflowClient(uri)
    (exp,) = [e for e in client.search_experiments() if e.name == "tune-tiny"]
    runs = client.search_runs([exp.experiment_id])
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    searches = pd.read_csv(tuning_run / "searches.csv")
    assert len(children) == len(searches) == 4
    by_key = {(r.data.params["strategy"], r.data.params["repetition"]): r for r in children}
    for _, s in searches.iterrows():
        r = by_key[(s["strategy"], str(s["repetition"]))]
        assert r.data.params["algorithm"] == "decision_tree" and r.data.params["best_params"] == s["best_params"]
        assert r.data.params["row_fraction"] == str(s["row_fraction"])
        assert r.data.metrics["f1"] == pytest.approx(s["f1"])
        assert r.data.metrics["best_val_f1"] == pytest.approx(s["best_val_f1"])
        assert r.data.metrics["total_energy_j"] == pytest.approx(s["total_energy_j"])
    assert args.func(args) == 0  # again: the same runs updated, none added
    assert len(client.search_runs([exp.experiment_id])) == len(runs)


def test_export_mlflow_on_a_tuning_run_writes_nothing_before_a_refusal(tuning_run, tmp_path):
    # issue 22 item 7: the MLflow database (or the report) was written before the refusal
    import shutil

    from harness.errors import HarnessError

    run = tmp_path / "tune-tiny"
    shutil.copytree(tuning_run, run, ignore=shutil.ignore_patterns("report.html", "figures", "analysis"))
    db = tmp_path / "mlruns.db"
    args = _args(["export", "mlflow", str(run), "--tracking-uri", f"sqlite:///{db}", "--intensity", "300"])
    with pytest.raises(HarnessError, match="--intensity"):
        args.func(args)
    assert not db.exists()
    args = _args(["export", "mlflow", str(run), "--tracking-uri", "http://127.0.0.1:9"])  # no server there
    with pytest.raises(HarnessError, match="no server answers"):
        args.func(args)
    assert not (run / "report.html").exists() and not (run / "figures").exists()
