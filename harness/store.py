"""The results store: ``<results_dir>/<run>/trials.csv`` and ``manifest.json``.

trials.csv holds one row per finished trial, in the column order of ``COLUMNS``. Each row is
appended, flushed and fsynced when its trial ends, so a crash or Ctrl-C never loses a finished
trial. A torn last line (a crash in the middle of a write) is detected on resume and cut off, and
that trial is run again.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import ResultsError

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = (
    "run",                 # run name
    "trial_id",            # position of the trial in the canonical (unshuffled) plan
    "config_id",           # position of its configuration (algorithm, sweep, fractions)
    "algorithm",           # algorithm name as given in the spec
    "dataset",
    "protocol",            # ict4s22 | holdout
    "sweep",               # sweep name from the spec (rows, features, grid, ...)
    "row_fraction",        # fraction of rows kept, (0, 1]
    "feature_fraction",    # fraction of features kept, (0, 1]
    "repetition",          # 0-based
    "seed",                # seed of this repetition, derived from the spec's seed
    "started_at",          # UTC ISO 8601, start of the preprocess phase
    "finished_at",         # UTC ISO 8601, end of the predict phase
    "n_train",             # training rows
    "n_test",              # test rows
    "n_features",          # features the estimator saw
    "preprocess_energy_j",
    "preprocess_s",
    "train_energy_j",
    "train_s",
    "predict_energy_j",
    "predict_s",
    "meter",               # meter name; "estimate" marks modelled, not measured, energy
    "energy_estimated",    # True when energy is an estimate (meter has no hardware counter)
    "accuracy",
    "precision",           # positive class: spam (or the dataset's positive_label)
    "recall",
    "f1",
    "preprocess_domains_j",  # JSON object: energy per meter domain, J
    "train_domains_j",
    "predict_domains_j",
)

TRIALS = "trials.csv"
MANIFEST = "manifest.json"


def read_trials(run_dir: str | Path) -> pd.DataFrame:
    """Read a run's trials.csv (complete rows only) as a DataFrame with the ``COLUMNS``."""
    import pandas as pd  # here, not at import: the run and its --help do not need pandas

    path = Path(run_dir) / TRIALS
    if not path.is_file():
        raise ResultsError(f"{path}: no trials.csv here; pass a run directory made by 'harness run'")
    return pd.read_csv(io.BytesIO(whole_lines(path.read_bytes())))


def whole_lines(data: bytes) -> bytes:
    """``data`` up to its last newline: a torn last line (a crash mid-write) is not a trial."""
    return data[: data.rfind(b"\n") + 1]


def read_manifest(run_dir: str | Path) -> dict:
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        return {}
    return json.loads(path.read_text())


def write_json_atomic(path: Path, obj) -> None:
    """Write JSON to a temporary file, fsync it, then rename it over ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=False, default=str)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def format_row(row: dict) -> str:
    """One CSV line for a trial, columns in ``COLUMNS`` order."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([_cell(row[c]) for c in COLUMNS])
    return buf.getvalue()


def _cell(value):
    if isinstance(value, float):
        return repr(value)  # shortest exact representation: reruns compare equal
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return value


class TrialWriter:
    """Appends trial rows to trials.csv, one fsynced line per finished trial."""

    def __init__(self, path: Path):
        self.path = path
        new = not path.exists() or path.stat().st_size == 0
        self._f = open(path, "a", encoding="utf-8", newline="")
        if new:
            self._f.write(",".join(COLUMNS) + "\n")
            self._sync()

    def append(self, row: dict) -> None:
        self._f.write(format_row(row))
        self._sync()

    def _sync(self) -> None:
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self) -> None:
        self._f.close()


def recover_trials(path: Path) -> set[int]:
    """Trial ids already finished in ``path``; cuts a torn last line off the file in place.

    A line is complete when it ends in a newline and has one field per column. Anything after the
    last complete line is removed, so the trial it belonged to runs again.
    """
    if not path.exists():
        return set()
    data = path.read_bytes()
    lines = whole_lines(data).decode("utf-8").splitlines(keepends=True)
    if not lines:
        path.write_bytes(b"")
        return set()
    if lines[0].rstrip("\n").split(",") != list(COLUMNS):
        raise ResultsError(f"{path}: header does not match this harness's columns; "
                           "use --fresh to start over or another --results-dir")
    done: set[int] = set()
    good = len(lines[0].encode())
    id_col = COLUMNS.index("trial_id")
    for line in lines[1:]:
        fields = next(csv.reader([line]))
        if len(fields) != len(COLUMNS):
            break
        done.add(int(fields[id_col]))
        good += len(line.encode())
    if good != len(data):
        with open(path, "r+b") as f:
            f.truncate(good)
            f.flush()
            os.fsync(f.fileno())
    return done
