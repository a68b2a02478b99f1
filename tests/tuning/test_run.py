"""Tuning runs through the CLI: files, reruns identical, resume without duplicates, analysis."""

import json

import pandas as pd
import pytest

from clitools import harness

pytestmark = pytest.mark.slow

SAME = ["trial_id", "algorithm", "strategy", "repetition", "seed", "best_params", "best_val_f1", "f1",
        "n_evaluations"]


def test_run_writes_searches_and_evaluations_and_reruns_identically(tuning_dir, write_spec):
    spec = write_spec(tuning_dir)
    for out in ("a", "b"):
        proc = harness("run", spec, "--results-dir", tuning_dir / out, "--quiet")
        assert proc.returncode == 0, proc.stderr
    a = pd.read_csv(tuning_dir / "a/tune/searches.csv").sort_values("trial_id").reset_index(drop=True)
    b = pd.read_csv(tuning_dir / "b/tune/searches.csv").sort_values("trial_id").reset_index(drop=True)
    assert len(a) == 2 * 3 * 2  # algorithms x strategies x repetitions
    pd.testing.assert_frame_equal(a[SAME], b[SAME])
    assert set(a.loc[a.strategy == "grid", "n_evaluations"]) == {8}
    assert set(a.loc[a.strategy != "grid", "n_evaluations"]) == {5}
    assert (a["energy_estimated"]).all() and (a["meter"] == "estimate").all()
    ev = pd.read_csv(tuning_dir / "a/tune/evaluations.csv")
    assert len(ev) == a["n_evaluations"].sum()
    for tid, g in ev.groupby("trial_id"):
        g = g.sort_values("evaluation")
        assert g["cumulative_energy_j"].is_monotonic_increasing
        assert g["best_val_f1_so_far"].is_monotonic_increasing
        row = a[a.trial_id == tid].iloc[0]
        assert abs(g["energy_j"].sum() - row["search_energy_j"]) < 1e-9
        assert g["val_f1"].max() == row["best_val_f1"]
    m = json.loads((tuning_dir / "a/tune/manifest.json").read_text())
    assert m["kind"] == "tuning" and m["n_trials"] == 12 and m["finished_at"]


def test_resume_reruns_an_unfinished_search_without_duplicating_evaluations(tuning_dir, write_spec):
    spec = write_spec(tuning_dir)
    assert harness("run", spec, "--results-dir", tuning_dir, "--quiet").returncode == 0
    run = tuning_dir / "tune"
    full_s = pd.read_csv(run / "searches.csv")
    full_e = pd.read_csv(run / "evaluations.csv")
    # As after a kill in the middle of the last search: its row missing, some of its evaluations
    # written, a torn line at the end of evaluations.csv.
    last = int(full_s.iloc[-1]["trial_id"])
    lines = (run / "searches.csv").read_text().splitlines(keepends=True)
    (run / "searches.csv").write_text("".join(lines[:-1]))
    ev_lines = (run / "evaluations.csv").read_text().splitlines(keepends=True)
    (run / "evaluations.csv").write_text("".join(ev_lines) + "tune,99,knn,gr")
    proc = harness("run", spec, "--results-dir", tuning_dir, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "11 of 12 searches already done" in proc.stdout
    n_moved = int((full_e["trial_id"] == last).sum())
    said = [line for line in proc.stdout.splitlines() if line.startswith("resume:")]
    assert said == [f"resume: {n_moved} evaluation(s) of 1 unfinished search(es) and a torn last line (an evaluation "
                    f"cut short) moved from evaluations.csv to {run / 'evaluations-abandoned.csv'}; an unfinished "
                    "search runs again from its start, with the same seed"], proc.stdout
    s = pd.read_csv(run / "searches.csv")
    e = pd.read_csv(run / "evaluations.csv")
    assert sorted(s["trial_id"]) == sorted(full_s["trial_id"])
    assert len(e) == len(full_e) and not e.duplicated(["trial_id", "evaluation"]).any()
    again = s[s.trial_id == last].iloc[0]
    before = full_s[full_s.trial_id == last].iloc[0]
    assert again["best_params"] == before["best_params"] and again["f1"] == before["f1"]
    aside = pd.read_csv(run / "evaluations-abandoned.csv")
    assert (aside["trial_id"].astype(str) == str(last)).sum() == (full_e["trial_id"] == last).sum()


def test_analyze_and_figures_on_a_tuning_run(tuning_dir, write_spec):
    spec = write_spec(tuning_dir)
    assert harness("run", spec, "--results-dir", tuning_dir, "--quiet").returncode == 0
    proc = harness("analyze", tuning_dir / "tune", "--bootstrap", "200")
    assert proc.returncode == 0, proc.stderr
    assert "energy to reach the target F1" in proc.stdout and "estimated energy" in proc.stdout
    t = pd.read_csv(tuning_dir / "tune/analysis/tuning_strategies.csv")
    assert set(t["strategy"]) == {"grid", "random", "bayesian"} and len(t) == 6
    assert ((t["reached_share"] >= 0) & (t["reached_share"] <= 1)).all()
    # the grid contains the best setting of the whole space, so every grid search reaches 0.95 x best
    assert (t.loc[t.strategy == "grid", "reached_share"] == 1).all()
    assert "Too few repetitions for a firm test" in proc.stdout and "log-rank" in proc.stdout
    assert "KM median energy to target J" in proc.stdout
    proc = harness("analyze", tuning_dir / "tune", "--target-f1", "0.2", "--bootstrap", "200")
    assert proc.returncode == 0 and "target validation F1 0.2" in proc.stdout
    proc = harness("figures", tuning_dir / "tune")
    assert proc.returncode == 0, proc.stderr
    assert (tuning_dir / "tune/figures/tuning_curves.png").stat().st_size > 10_000


@pytest.mark.parametrize("replace, says", [
    ({"strategies: [grid, random, bayesian]": "strategies: [grid, anneal]"}, "tuning.strategies"),
    ({"budget: 5": "budget: 0"}, "tuning.budget"),
    ({"knn: {n_neighbors": "knn: {neighbours"}, "has no parameter 'neighbours'"),
    ({"max_depth: [1, 2, 4, null]": "max_depth: []"}, "empty"),
    ({"min_samples_leaf: [1, 8]": "min_samples_leaf: [1, -8]"}, "rejects -8"),
])
def test_bad_tuning_input_is_one_line_and_writes_nothing(tuning_dir, write_spec, replace, says, capsys, monkeypatch):
    from harness.cli import main

    monkeypatch.chdir(tuning_dir)
    spec = write_spec(tuning_dir, **replace)
    assert main(["run", str(spec), "--results-dir", str(tuning_dir / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tuning_dir / "out" / "tune").exists()


def test_dry_run_counts_searches_and_evaluations(tuning_dir, write_spec):
    proc = harness("run", write_spec(tuning_dir), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "12 searches" in proc.stdout and "grid 8, random 5, bayesian 5" in proc.stdout
    assert "72 evaluations" in proc.stdout  # 2 algorithms x (8 + 5 + 5) x 2 repetitions


def test_dry_run_names_the_tuning_files_and_counts_finished_searches(tuning_dir, write_spec):
    """It said it would write trials.csv, and on a finished run "all 6 trials are already done"."""
    spec = write_spec(tuning_dir)
    proc = harness("run", spec, "--dry-run", "--results-dir", tuning_dir)
    assert "searches.csv" in proc.stdout and "evaluations.csv" in proc.stdout and "trials.csv" not in proc.stdout
    assert harness("run", spec, "--results-dir", tuning_dir, "--quiet").returncode == 0
    proc = harness("run", spec, "--dry-run", "--results-dir", tuning_dir)
    assert "would write nothing: all 12 searches are already done" in proc.stdout, proc.stdout


def test_report_on_a_tuning_run_shows_its_tables_and_figure(tuning_dir, write_spec, capsys, monkeypatch):
    from harness.cli import main

    monkeypatch.chdir(tuning_dir)
    assert main(["run", str(write_spec(tuning_dir)), "--results-dir", str(tuning_dir), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["report", str(tuning_dir / "tune")]) == 0
    page = (tuning_dir / "tune/report.html").read_text()
    assert "table-tuning_strategies" in page and "fig-tuning_curves" in page
