"""A tuning study runs as units of work on the same executors as trials: locally and with
``--workers 2`` it chooses the same settings and scores the same; a stop mid-run resumes to every
search once, with its evaluations written once."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from harness.results.schema import ABANDONED, EVALUATION_COLUMNS, EVALUATIONS, SEARCHES
from harness.results.store import format_row
from harness.run.runner import run_spec

ROOT = Path(__file__).resolve().parents[2]
SAME = ["trial_id", "algorithm", "strategy", "repetition", "seed", "best_params", "best_val_f1", "f1",
        "n_evaluations"]


def tiny_spec(tmp_path: Path) -> Path:
    """experiments/tuning-quick.yaml in small: one algorithm, two strategies, 4 settings, 1 repetition."""
    spec = yaml.safe_load((ROOT / "experiments/tuning-quick.yaml").read_text())
    spec.update(name="tune-tiny", repetitions=1, algorithms=["decision_tree"], meter="estimate",
                hygiene={"warmup_s": 0, "cooldown_s": 0, "baseline_s": 0, "shuffle": True, "threads": 1})
    spec["tuning"].update(strategies=["grid", "random"], budget=3, validation={"folds": 2},
                          spaces={"decision_tree": {"max_depth": [4, None], "min_samples_leaf": [1, 4]}})
    path = tmp_path / "tune-tiny.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def searches(run_dir: Path) -> pd.DataFrame:
    return pd.read_csv(run_dir / SEARCHES).sort_values("trial_id").reset_index(drop=True)


def check_files(run_dir: Path, n: int) -> None:
    s, ev = searches(run_dir), pd.read_csv(run_dir / EVALUATIONS)
    assert sorted(s.trial_id) == list(range(n))  # every search once
    assert not ev.duplicated(["trial_id", "evaluation"]).any()  # every evaluation once
    assert ev.groupby("trial_id").size().to_dict() == s.set_index("trial_id")["n_evaluations"].to_dict()
    assert json.loads((run_dir / "manifest.json").read_text())["finished_at"]


@pytest.mark.slow
def test_local_and_two_workers_choose_the_same_settings(tmp_path):
    pytest.importorskip("distributed")
    spec = tiny_spec(tmp_path)
    assert run_spec(spec, results_dir=tmp_path / "local", quiet=True, out=io.StringIO()) == 0
    assert run_spec(spec, results_dir=tmp_path / "dask", quiet=True, workers=2, out=io.StringIO()) == 0
    local, dask = searches(tmp_path / "local/tune-tiny"), searches(tmp_path / "dask/tune-tiny")
    pd.testing.assert_frame_equal(local[SAME], dask[SAME])
    check_files(tmp_path / "dask/tune-tiny", 2)
    m = json.loads((tmp_path / "dask/tune-tiny/manifest.json").read_text())
    assert m["kind"] == "tuning" and m["sessions"][-1]["executor"]["kind"] == "dask"


@pytest.mark.slow
def test_stop_mid_run_resumes_every_search_once(tmp_path, monkeypatch):
    """Ctrl-C while the second search runs, with evaluations of it left behind without its row (as
    an older harness, which appended evaluations as they were made, would leave them) and a torn
    last line: the resume moves them aside and runs the second search once."""
    from harness.run.executors.bench import Bench

    spec = tiny_spec(tmp_path)
    run_dir = tmp_path / "out/tune-tiny"
    real_run = Bench.run
    calls = []

    def stop_in_second(self, unit):
        calls.append(unit.trial_id)
        if len(calls) == 1:
            return real_run(self, unit)
        cells = ["tune-tiny", unit.trial_id, "decision_tree", unit.strategy, 0, 0, "{}", 0.5, *[0] * 10, 0.5,
                 "estimate", True, "", ""]
        line = format_row(dict(zip(EVALUATION_COLUMNS, cells)), EVALUATION_COLUMNS)
        with open(run_dir / EVALUATIONS, "a") as f:  # an evaluation stored, then one cut short by the stop
            f.write(line + f"tune-tiny,{unit.trial_id},decision_tree,{unit.strategy},0,1,{{")
        raise KeyboardInterrupt

    monkeypatch.setattr(Bench, "run", stop_in_second)
    assert run_spec(spec, results_dir=tmp_path / "out", quiet=True, out=io.StringIO()) == 130
    assert len(searches(run_dir)) == 1 and len(calls) == 2
    monkeypatch.setattr(Bench, "run", real_run)
    out = io.StringIO()
    assert run_spec(spec, results_dir=tmp_path / "out", quiet=True, out=out) == 0
    assert "1 of 2 searches already done, 1 to go" in out.getvalue()
    assert "1 evaluation(s) of 1 unfinished search(es) and a torn last line" in out.getvalue()
    assert (run_dir / ABANDONED).exists()
    check_files(run_dir, 2)
