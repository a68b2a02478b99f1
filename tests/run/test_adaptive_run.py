"""Adaptive repetitions end to end: an adaptive run's trials are a subset of the fixed design's with
identical scores; a run stopped mid-round resumes its rounds; --dry-run gives the range; the
manifest and analyze say what each configuration reached."""

import json

import pandas as pd
import pytest
from clitools import harness
from faultkit import KEY, make_run

ADAPTIVE = "{min: 6, max: 8, energy: trial, energy_half_width: 0.2, f1_half_width: 2}"


def _adaptive_spec(tmp_path):
    spec = make_run(tmp_path, repetitions=8)
    text = spec.read_text().replace("repetitions: 8", f"repetitions: {ADAPTIVE}")
    adaptive = tmp_path / "adaptive.yaml"
    adaptive.write_text(text)
    return spec, adaptive


def _trials(path):
    return pd.read_csv(path / "trials.csv").set_index("trial_id").sort_index()


def _check_prefixes(trials, manifest):
    """Each configuration holds repetitions 0..n-1 once, and the manifest says n and why it stopped."""
    per = manifest["adaptive"]["per_configuration"]
    for config, g in trials.groupby("config_id"):
        assert sorted(g["repetition"]) == list(range(len(g)))
        assert per[str(config)]["repetitions"] == len(g)
        assert per[str(config)]["stopped"] in ("precise", "max")
        assert len(g) >= 6 and (len(g) == 8 or per[str(config)]["stopped"] == "precise")


@pytest.mark.slow
def test_adaptive_trials_are_a_subset_of_the_fixed_design_with_identical_scores(tmp_path):
    fixed, adaptive = _adaptive_spec(tmp_path)
    assert harness("run", fixed, "--results-dir", tmp_path / "f", "--quiet").returncode == 0
    proc = harness("run", adaptive, "--results-dir", tmp_path / "a", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "of at most 48 trials" in proc.stdout and "adaptive:" in proc.stdout
    f, a = _trials(tmp_path / "f/tiny"), _trials(tmp_path / "a/tiny")
    assert set(a.index) <= set(f.index) and 36 <= len(a) <= 48
    key = [c for c in KEY if c != "trial_id"]
    pd.testing.assert_frame_equal(a[key], f.loc[a.index, key])
    manifest = json.loads((tmp_path / "a/tiny/manifest.json").read_text())
    _check_prefixes(a.reset_index(), manifest)
    assert manifest["adaptive"]["finished"] and manifest["finished_at"] is not None
    out = harness("analyze", tmp_path / "a/tiny", "--out", tmp_path / "an")
    assert out.returncode == 0, out.stderr
    assert "Adaptive repetitions: what each configuration reached" in out.stdout
    assert "Incomplete" not in out.stdout and "never on a comparison" in out.stdout
    # its energy is estimated (the estimate meter): said in the table's title and energy_basis, as elsewhere
    for name in ("adaptive_repetitions", "footprint"):
        assert "estimated" in pd.read_csv(tmp_path / f"an/{name}.csv")["energy_basis"].iloc[0].lower(), name
    assert "ESTIMATED" in (tmp_path / "an/adaptive_repetitions.md").read_text().splitlines()[0].upper()
    cmp = harness("compare", tmp_path / "a/tiny", "--candidate", "knn", "--out", tmp_path / "cmp")
    assert cmp.returncode == 0 and cmp.stdout.startswith("Repetitions: adaptive, 6-8 per configuration"), cmp.stderr
    # the rule and what was reached travel with every table file, not only with the printed header
    reached = f"reached {a.groupby('config_id').size().min()}-{a.groupby('config_id').size().max()} per configuration"
    for table in (tmp_path / "an/rq2_energy_spearman.md", tmp_path / "an/tradeoff.md", tmp_path / "cmp/compare_knn.md"):
        assert "Repetitions: adaptive, 6-8 per configuration" in table.read_text() and reached in table.read_text()
    page = harness("report", tmp_path / "a/tiny", "--out", tmp_path / "r.html")
    assert page.returncode == 0, page.stderr  # the report's settings say the rule and what was reached
    html = (tmp_path / "r.html").read_text()
    settings = next(p for p in html.split("<p class='note'>") if p.startswith("Cleaning: on"))
    assert "Repetitions: adaptive, 6-8 per configuration" in settings.split("</p>")[0]


@pytest.mark.slow
def test_a_run_stopped_mid_round_resumes_its_rounds(tmp_path):
    _, adaptive = _adaptive_spec(tmp_path)
    assert harness("run", adaptive, "--results-dir", tmp_path, "--quiet").returncode == 0
    path = tmp_path / "tiny/trials.csv"
    lines = path.read_text().splitlines(keepends=True)
    whole = _trials(tmp_path / "tiny")
    path.write_text("".join(lines[:1 + 38]))  # stopped after 38 trials: inside the 7th round (6 configurations)
    proc = harness("run", adaptive, "--results-dir", tmp_path, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "38 of at most 48 trials already done" in proc.stdout
    resumed = _trials(tmp_path / "tiny")
    assert not resumed.index.duplicated().any()
    manifest = json.loads((tmp_path / "tiny/manifest.json").read_text())
    _check_prefixes(resumed.reset_index(), manifest)
    common = resumed.index.intersection(whole.index)
    key = [c for c in KEY if c != "trial_id"]
    pd.testing.assert_frame_equal(resumed.loc[common, key], whole.loc[common, key])


def test_dry_run_gives_the_range_of_trials_and_durations(tmp_path):
    _, adaptive = _adaptive_spec(tmp_path)
    proc = harness("run", adaptive, "--results-dir", tmp_path, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "36-48 trials = 6 configurations x 6-8 repetitions (adaptive" in proc.stdout
    assert "duration (adaptive): between about" in proc.stdout and "(36 trials" in proc.stdout
    assert not (tmp_path / "tiny").exists()


def test_dry_run_range_starts_where_a_configuration_can_stop(tmp_path):
    # min 5 at 95%: no interval of a median exists below 6 values, so none stops before 6
    _, adaptive = _adaptive_spec(tmp_path)
    adaptive.write_text(adaptive.read_text().replace("min: 6", "min: 5"))
    proc = harness("run", adaptive, "--results-dir", tmp_path, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "36-48 trials = 6 configurations x 6-8 repetitions (adaptive" in proc.stdout
    assert "min 5, but a 95% interval of a median needs 6 values)" in proc.stdout and "(36 trials" in proc.stdout


@pytest.mark.parametrize("value, message", [
    ("{min: 9, max: 8}", "repetitions: min (9) must be at most max (8)"),
    ("{min: 6, max: 8, energy: predict}", "repetitions.energy: Input should be 'trial' or 'train'"),
    ("{min: 6, max: 8, half_width: 0.1}", "repetitions.half_width: unknown key"),
    ('"8"', "repetitions: must be an integer written without quotes"),
])
def test_bad_adaptive_settings_are_one_line(tmp_path, value, message):
    spec, _ = _adaptive_spec(tmp_path)
    spec.write_text(spec.read_text().replace("repetitions: 8", f"repetitions: {value}"))
    proc = harness("run", spec, "--results-dir", tmp_path, "--dry-run")
    assert proc.returncode == 2 and message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
