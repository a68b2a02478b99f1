"""harness.analysis.runs: the one loading path of the analysis commands and the Python API."""

from __future__ import annotations

import pandas as pd
import pytest

from harness.analysis.runs import load_runs
from harness.errors import UsageError
from synthetic import fabricate, write_run


def test_notes_are_returned_not_printed(tmp_path, capsys):
    run = write_run(tmp_path / "run", fabricate(repetitions=2))
    lines = (run / "trials.csv").read_text().splitlines(keepends=True)
    path = tmp_path / "copy.csv"
    path.write_text("".join(lines[:5]) + lines[5][:40])  # a torn last line
    results, notes = load_runs([path])
    assert len(results.trials) == 4
    assert len(notes.torn) == 1 and "copy.csv" in notes.torn[0]
    assert capsys.readouterr() == ("", "")


def test_unverified_rows_are_counted_in_one_line(tmp_path):
    run = write_run(tmp_path / "run", fabricate(repetitions=2))
    frame = pd.read_csv(run / "trials.csv")
    frame.drop(columns=["row_sha256"]).to_csv(run / "trials.csv", index=False)  # written before checksums
    results, notes = load_runs([run])
    assert notes.unverified == len(results.trials) > 0
    assert notes.unverified_note().startswith(f"{notes.unverified} of {len(results.trials)} rows have no row_sha256")


def test_net_of_several_runs_is_refused(tmp_path):
    a = write_run(tmp_path / "a", fabricate(repetitions=2))
    b = write_run(tmp_path / "b", fabricate(repetitions=2))
    with pytest.raises(UsageError, match="one run's idle baseline"):
        load_runs([a, b], net=True)


def test_a_binary_header_is_not_advised_to_be_deleted(tmp_path):
    from harness.errors import ResultsError

    run = write_run(tmp_path / "run", fabricate(repetitions=2))
    data = (run / "trials.csv").read_bytes()
    (run / "trials.csv").write_bytes(b"\xff\xfe" + data[2:])  # the header line is not text any more
    with pytest.raises(ResultsError) as err:
        load_runs([run])
    assert "line 1 (the header)" in str(err.value) and "restore the file from a copy" in str(err.value)
    assert "delete that line" not in str(err.value)
