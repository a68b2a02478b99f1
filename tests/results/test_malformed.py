"""A malformed results file given to any command that reads results is one line on stderr naming
the file, and exit code 2: never a traceback. Each command is called in-process through
``harness.cli.main`` (the program's entry point), so a traceback would fail the test."""

from __future__ import annotations

import pytest

from harness.cli import main
from harness.results.load import ICT4S22_COLUMNS
from harness.results.schema import COLUMNS, EVALUATION_COLUMNS, SEARCH_COLUMNS
from harness.results.store import TrialWriter

HEADER = ",".join(COLUMNS) + "\n"
ICT4S22_HEADER = ",".join(ICT4S22_COLUMNS) + "\n"
ICT4S22_ROW = "SVM,2.1,0,{iteration},389,8169,1.0,0.1,1.0,0.1,1.0,0.1,float64,0.9,0.9,0.9,0.9\n"

# name -> (file name, content). A trials.csv is passed as its run directory, any other file itself.
MALFORMED = {
    "binary": ("trials.csv", bytes(range(256)) * 4),
    "binary-csv-name": ("data.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 8),
    "wrong-header": ("trials.csv", b"a,b,c\n1,2,3\n"),
    "wrong-header-csv": ("data.csv", b"a,b,c\n1,2,3\n"),
    "non-number": ("trials.csv", (HEADER + ",".join("x" for _ in COLUMNS) + "\n").encode()),
    "ict4s22-non-number": ("experiment_data.csv", (ICT4S22_HEADER + ICT4S22_ROW.format(iteration="one")).encode()),
    "unclosed-quote": ("trials.csv", (HEADER + '"r,0,0,knn\n').encode()),
    "unclosed-quote-header": ("data.csv", b'"algorithm,RQ\n1,2\n'),
    "empty": ("trials.csv", b""),
    "empty-csv": ("data.csv", b""),
    "header-only": ("trials.csv", HEADER.encode()),
    "ict4s22-header-only": ("experiment_data.csv", ICT4S22_HEADER.encode()),
}


def _place(tmp_path, name: str, content: bytes):
    """Write the file; return (the path to pass, the file the message must name)."""
    folder = tmp_path / "run"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return (folder if name == "trials.csv" else path), path


def _one_line_naming(capsys, code: int, path) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("harness: error: "), err
    assert str(path) in err and "Traceback" not in err
    return err


def _valid_run(tmp_path):
    """A run directory with two finished trials (every column filled)."""
    run = tmp_path / "good"
    run.mkdir()
    w = TrialWriter(run / "trials.csv")
    for i in range(2):
        row = {c: 0 for c in COLUMNS}
        row.update(run="good", trial_id=i, algorithm="svm", sweep="rows", row_fraction=0.1, feature_fraction=1.0,
                   repetition=i, meter="estimate", energy_estimated=True, f1=0.5, preprocess_domains_j={},
                   train_domains_j={}, predict_domains_j={}, treatment="rows=0.1", level_rows="0.1",
                   level_features="1.0")
        w.append(row)
    w.close()
    return run


COMMANDS = {
    "analyze": lambda p, tmp: ["analyze", str(p), "--out", str(tmp / "out")],
    "figures": lambda p, tmp: ["figures", str(p), "--out", str(tmp / "out")],
    "compare": lambda p, tmp: ["compare", str(p), "--candidate", "svm", "--out", str(tmp / "out")],
    "report": lambda p, tmp: ["report", str(p), "--out", str(tmp / "r.html")],
    "export": lambda p, tmp: ["export", "mlflow", str(p), "--tracking-uri", f"sqlite:///{tmp}/m.db"],
    "replication": lambda p, tmp: ["replication", str(p), str(tmp / "experiment_data.csv"), "--out", str(tmp / "o")],
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_malformed_results_file_is_one_line_and_exit_2(tmp_path, capsys, command, case):
    if command == "export":
        pytest.importorskip("mlflow")
    given, path = _place(tmp_path, *MALFORMED[case])
    _one_line_naming(capsys, main(COMMANDS[command](given, tmp_path)), path)


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_published_file_for_replication_is_one_line(tmp_path, capsys, case):
    _, content = MALFORMED[case]
    published = tmp_path / "experiment_data.csv"
    published.write_bytes(content)
    run = _valid_run(tmp_path)
    _one_line_naming(capsys, main(["replication", str(run), str(published), "--out", str(tmp_path / "o")]),
                     published)


def test_replication_without_the_published_file_says_where_to_get_it(tmp_path, capsys):
    missing = tmp_path / "experiment_data.csv"
    err = _one_line_naming(capsys, main(["replication", str(_valid_run(tmp_path)), str(missing)]), missing)
    assert "github.com/GreenAIproject/ICT4S22" in err


@pytest.mark.parametrize("damage", ["binary", "unclosed-quote", "non-number", "empty"])
@pytest.mark.parametrize("which", ["searches", "evaluations"])
def test_a_malformed_tuning_file_is_one_line_for_analyze_and_figures(tmp_path, capsys, damage, which):
    run = tmp_path / "tune"
    run.mkdir()
    good = {"searches": ",".join(SEARCH_COLUMNS) + "\n", "evaluations": ",".join(EVALUATION_COLUMNS) + "\n"}
    content = {"binary": bytes(range(256)) * 4,
               "unclosed-quote": (good[which] + '"r,0\n').encode(),
               "non-number": (good[which] + ",".join("x" for _ in good[which].split(",")) + "\n").encode(),
               "empty": b""}[damage]
    for name, header in good.items():
        (run / f"{name}.csv").write_bytes(content if name == which else header.encode())
    if which == "evaluations":  # one finished search, so that its evaluations are read
        w = TrialWriter(run / "searches.csv", SEARCH_COLUMNS)
        w.append({**{c: 0 for c in SEARCH_COLUMNS}, "run": "tune", "algorithm": "svm", "strategy": "grid",
                  "meter": "estimate", "energy_estimated": True, "train_domains_j": {}, "predict_domains_j": {},
                  "best_params": "{}"})
        w.close()
    path = run / f"{which}.csv"
    for command in ("analyze", "figures"):
        _one_line_naming(capsys, main([command, str(run), "--out", str(tmp_path / "out")]), path)
