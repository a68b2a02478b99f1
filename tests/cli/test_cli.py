"""Bad input: one line on stderr naming the field or file, exit code 2, no traceback, no trials.csv."""

import pytest

from clitools import harness

GOOD = """name: t
algorithms: [decision_tree]
repetitions: 1
sweeps: {rows: {row_fractions: [1.0]}}
meter: estimate
"""


def assert_clean_failure(proc, *needles):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("text, needles", [
    ("name: t\nalgorithms: [svm\n", ["line", "column"]),
    (GOOD.replace("decision_tree", "svmm"), ["algorithms.0", "unknown algorithm 'svmm'"]),
    (GOOD + "colour: blue\n", ["colour: unknown key"]),
    (GOOD.replace("[1.0]", "[1.2]"), ["sweeps.rows.row_fractions.0", "(0, 1]", "1.2"]),
    (GOOD.replace("meter: estimate", "meter: geiger"), ["meter", "unknown meter 'geiger'"]),
    (GOOD + "dataset: {path: nowhere.csv, label_column: y, positive_label: '1', text_column: t}\n",
     ["nowhere.csv", "not found"]),
    (GOOD.replace("algorithms: [decision_tree]", "algorithms: [{name: svm, params: {C: -3}}]"),
     ["algorithms.0.params"]),
    (GOOD.replace("algorithms: [decision_tree]", "algorithms: [{name: x, class: ':SVC'}]"), ["algorithms.0.class"]),
    (GOOD.replace("algorithms: [decision_tree]", "algorithms: [{name: x, class: '.svm:SVC'}]"), ["algorithms.0.class"]),
    (GOOD.replace("meter: estimate", "meter: [rapl, pyrapl]"), ["meter", "count the CPU twice"]),
])
def test_bad_spec(tmp_path, text, needles):
    spec = tmp_path / "s.yaml"
    spec.write_text(text)
    proc = harness("run", spec, "--results-dir", tmp_path / "out")
    assert_clean_failure(proc, *needles)
    assert not list(tmp_path.glob("out/**/trials.csv"))


def test_missing_spec_file(tmp_path):
    assert_clean_failure(harness("run", tmp_path / "nope.yaml"), "nope.yaml", "not found")


def test_unwritable_results_dir(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(GOOD)
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    proc = harness("run", spec, "--results-dir", blocker / "runs")
    assert_clean_failure(proc, "runs", "--results-dir")
    assert not list(tmp_path.glob("**/trials.csv"))


def test_bad_meter_override(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(GOOD)
    proc = harness("run", spec, "--meter", "nope", "--results-dir", tmp_path / "o")
    assert_clean_failure(proc, "--meter: unknown meter 'nope'")
    assert "meter: meter" not in proc.stderr  # the option named once, not "--meter: meter:"


@pytest.mark.slow
def test_meter_override_on_a_tactics_spec(tmp_path):
    """--meter re-read the spec with every default filled in: the tactics spec's empty baseline
    sweep gained row_fractions and was refused ("needs a factor named 'rows'")."""
    proc = harness("run", "experiments/tactics-quick.yaml", "--meter", "estimate", "--dry-run",
                   "--results-dir", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "meter: estimate" in proc.stdout


@pytest.mark.parametrize("argv, needles", [
    (["run"], ["harness run: error: the following arguments are required: spec", "python -m harness run --help"]),
    (["analyze", "x", "--bootstrap", "many"], ["harness analyze: error: argument --bootstrap", "'many'"]),
    (["meters", "--colour"], ["harness meters: error: unrecognized arguments: --colour"]),
    (["figures", "x", "--log", "--linear"], ["harness figures: error: argument --linear: not allowed"]),
    (["export", "mlflow"], ["harness export mlflow: error:", "--tracking-uri"]),
    (["frobnicate"], ["harness: error: argument COMMAND: invalid choice: 'frobnicate'", "python -m harness --help"]),
    ([], ["harness: error: the following arguments are required: COMMAND"]),
])
def test_usage_errors_are_one_line_naming_the_command(argv, needles):
    proc = harness(*argv)
    assert_clean_failure(proc, *needles)
    assert "usage:" not in proc.stderr


def test_threads_beyond_any_machine_are_refused(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(GOOD + "hygiene: {threads: 100000}\n")
    assert_clean_failure(harness("run", spec, "--dry-run", "--results-dir", tmp_path / "o"),
                         "hygiene.threads: at most 8192", "100000")


def test_threads_beyond_this_machine_are_one_warning():
    from harness.hygiene.session import threads_warning

    state = {"affinity": {"cpus": [0, 1], "cpu_count": 2}}
    assert threads_warning(2, 1, state) is None and threads_warning(None, 1, state) is None
    assert threads_warning(8, 1, state).startswith("warning: hygiene.threads: 8 threads on 2 CPUs here")
    assert "2 x 2 workers" in threads_warning(2, 2, state) and "at most 1" in threads_warning(2, 2, state)


@pytest.mark.slow
def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path, repo):
    proc = harness("run", repo / "experiments/spam.yaml", "--dry-run", "--results-dir", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    assert "3,600 trials = 120 configurations x 30 repetitions" in proc.stdout
    assert "sweep rows" in proc.stdout and "sweep features" in proc.stdout
    assert "duration: about" in proc.stdout and "5.0 hours of warm-up, baseline and cool-down" in proc.stdout
    assert f"would create {tmp_path / 'o' / 'spam'}/" in proc.stdout
    assert not (tmp_path / "o").exists()


def test_dry_run_counts_one_of_each_in_the_singular(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(GOOD)
    proc = harness("run", spec, "--dry-run", "--results-dir", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    assert "1 trial = 1 configuration x 1 repetition" in proc.stdout
    assert "= 1 level x 1 algorithm x 1 repetition = 1 trials" not in proc.stdout
    assert "repetitions" not in proc.stdout.split("hygiene")[0], proc.stdout
