"""Datasets: the shipped SMS Spam Collection, or a user's CSV described in the spec.

Loading verifies the file's sha256 when one is known, so an altered file fails loudly instead of
quietly producing different results. An error about a file names the file, the column and the row,
never the file's content (a dataset may be private).
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from harness.environment import datasets_dir
from harness.errors import DatasetError

# sha256 and layout of the shipped datasets (see harness/data/<name>/SOURCE.md for provenance).
BUILTIN = {
    "sms_spam": {
        "path": "sms_spam/SMSSpamCollection",
        "sha256": "7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d",
        "separator": "\t",
        "columns": ["label", "message"],
        "text_column": "message",
        "label_column": "label",
        "positive_label": "spam",
    }
}


@dataclass(frozen=True)
class Dataset:
    """Rows of one dataset. ``y`` is 1 for the positive class and 0 otherwise."""

    name: str
    path: Path
    sha256: str
    y: np.ndarray
    positive_label: str
    texts: list[str] | None = None
    columns: np.ndarray | None = None  # numeric feature columns, float64, shape (n_rows, k)
    column_names: tuple[str, ...] = ()
    source: tuple[str, ...] = ()  # how the rows were read (text column, separator): part of the feature cache key
    label_column: str = ""

    @property
    def n_rows(self) -> int:
        return len(self.y)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_file(path: Path, expected: str | None, field: str, builtin: bool = False) -> str:
    if not path.is_file():
        raise DatasetError(f"{path}: dataset file not found ({field}); check the path")
    try:
        digest = file_sha256(path)
    except PermissionError:
        raise DatasetError(f"{path}: permission denied reading the dataset; make it readable (chmod a+r)") from None
    if expected and digest != expected.lower():
        if builtin:
            raise DatasetError(f"{path}: sha256 is {digest[:16]}..., expected {expected[:16]}...; the file was "
                               "altered or truncated: restore the original (see SOURCE.md beside it)")
        raise DatasetError(f"{path}: sha256 is {digest}, not the dataset.sha256 the spec gives ({expected}); "
                           "the file changed since that was written: restore the file, or if the change is "
                           "intended put the new value in dataset.sha256")
    return digest


QUOTING = {"none": csv.QUOTE_NONE, "pandas-default": csv.QUOTE_MINIMAL}


def load_sms_spam(root: Path | None = None, quoting: str = "none") -> Dataset:
    """All 5,574 messages. Quoting is disabled: some messages hold unmatched double quotes that a
    default CSV read would merge into neighbouring lines. ``quoting="pandas-default"`` reads the
    file as the ICT4S'22 study did (``pd.read_csv`` defaults): 5,572 rows, two of them merged."""
    meta = BUILTIN["sms_spam"]
    path = (root or datasets_dir()) / meta["path"]
    digest = _check_file(path, meta["sha256"], "dataset: sms_spam", builtin=True)
    frame = pd.read_csv(path, sep="\t", header=None, names=meta["columns"], quoting=QUOTING[quoting],
                        dtype=str, keep_default_na=False, encoding="utf-8")
    ds = _from_frame("sms_spam", path, digest, frame, meta["label_column"], meta["positive_label"],
                     meta["text_column"], [], meta["separator"])
    if quoting == "none":
        return ds
    return replace(ds, source=(*ds.source, f"quoting={quoting}"))  # another reading: another feature cache key


def _resolve_path(raw: str, spec_dir: Path | None) -> Path:
    """A relative ``dataset.path`` is looked for beside the spec first, then in the current folder
    (so a spec means the same file wherever it is run from)."""
    p = Path(raw).expanduser()
    if p.is_absolute() or spec_dir is None:
        return p
    beside_spec = spec_dir / p
    return beside_spec if beside_spec.exists() else p


def load_csv(ds, spec_dir: Path | None = None) -> Dataset:
    """A user's CSV as described by a DatasetSpec (path relative to the current directory, else
    to the spec's folder)."""
    path = _resolve_path(ds.path, spec_dir)
    digest = _check_file(path, ds.sha256, "dataset.path")
    try:
        frame = pd.read_csv(path, sep=ds.separator, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError:
        raise DatasetError(f"{path}: not UTF-8 text ({_first_bad_byte(path)}); save the file as UTF-8") from None
    except pd.errors.EmptyDataError:
        raise DatasetError(f"{path}: the file is empty (no header, no rows); "
                           "it needs a header line and data rows") from None
    except (pd.errors.ParserError, ValueError) as e:
        line = re.search(r"line \d+", str(e))  # pandas' own message may quote the file: only its line number
        raise DatasetError(f"{path}: cannot parse as CSV{f' ({line.group(0)})' if line else ''}; "
                           "check dataset.separator and the quoting") from None
    if len(frame) == 0:
        raise DatasetError(f"{path}: a header line and no data rows; the file needs rows to learn from")
    missing = [c for c in [ds.label_column, ds.text_column, *ds.feature_columns] if c and c not in frame.columns]
    if missing:
        # Only header names close to the missing one are shown: the header may be a data line.
        near = [n for c in missing for n in difflib.get_close_matches(c, map(str, frame.columns), n=1, cutoff=0.8)]
        hint = f"; did you mean {', '.join(map(repr, near))}?" if near else \
            f"; the header has {len(frame.columns)} column(s): check the names and dataset.separator"
        raise DatasetError(f"{path}: no column(s) {', '.join(map(repr, missing))}{hint}")
    return _from_frame(ds.name or path.stem, path, digest, frame, ds.label_column, ds.positive_label,
                       ds.text_column, ds.feature_columns, ds.separator)


def _from_frame(name, path, digest, frame, label_column, positive, text_column, feature_columns, separator) -> Dataset:
    labels = frame[label_column]
    empty = labels.str.strip() == ""
    if empty.any():
        raise DatasetError(f"{path}: {int(empty.sum())} row(s) have an empty label_column {label_column!r} cell "
                           f"(first: data row {int(empty.to_numpy().argmax()) + 1}); fill or remove them: an "
                           "empty label is not the negative class")
    if not (labels == positive).any():
        raise DatasetError(f"{path}: no row has {label_column} == {positive!r}; check dataset.positive_label")
    if (labels == positive).all():
        raise DatasetError(f"{path}: every row is {positive!r}; a classifier needs two classes")
    counts = labels.value_counts()
    if len(counts) > 2:
        shown = ", ".join(f"{label!r} ({n})" for label, n in counts.head(6).items())
        raise DatasetError(
            f"{path}: {label_column} has {len(counts)} classes ({shown}{', ...' if len(counts) > 6 else ''}); the "
            f"harness scores binary classification ({positive!r} against one other label): map the other labels "
            "to one value first, or drop their rows")
    y = (labels == positive).to_numpy(dtype=np.int64)
    columns = None
    if feature_columns:
        numeric = frame[feature_columns].apply(pd.to_numeric, errors="coerce")
        bad = numeric.isna() & (frame[feature_columns].apply(lambda c: c.str.strip()) != "")
        if bad.any().any():
            col = bad.any().idxmax()
            raise DatasetError(f"{path}: feature_columns: {col!r} holds {int(bad[col].sum())} non-numeric cell(s) "
                               f"(first: data row {int(bad[col].to_numpy().argmax()) + 1}); make them numbers")
        columns = numeric.to_numpy(dtype=np.float64)
        if not np.isfinite(columns).all():
            raise DatasetError(f"{path}: feature_columns hold empty, NaN or infinite values; clean them first")
    texts = frame[text_column].tolist() if text_column else None
    return Dataset(name, path, digest, y, positive, texts, columns, tuple(feature_columns),
                   (f"label={label_column}", f"positive={positive}", f"text={text_column}", f"separator={separator}"),
                   label_column)


# The smallest level a trial may train on and score, so that a score means something: with fewer
# than 5 test rows one prediction moves F1 by 0.2 or more, and scikit-learn's k-NN default uses 5
# neighbours, which 10 training rows leave room for.
MIN_TRAIN_ROWS = 10
MIN_TEST_ROWS = 5


def check_split_sizes(dataset: Dataset, spec) -> None:
    """Refuse, before anything runs, a row fraction that leaves fewer than ``MIN_TRAIN_ROWS``
    training or ``MIN_TEST_ROWS`` test rows under the spec's protocol.

    Sizes follow scikit-learn's ``train_test_split`` for float sizes: the test part is
    ceil(test_fraction x n), a kept subsample floor(fraction x n). ``ict4s22`` subsamples, then
    splits the subsample; ``holdout`` splits off a fixed test set first, then subsamples the rest.
    Raises DatasetError naming the sweep and the fraction."""
    n, tf = dataset.n_rows, spec.test_fraction
    for name, sweep in spec.sweeps.items():
        for rf in sweep.row_fractions:
            if spec.protocol == "holdout":
                n_test = math.ceil(tf * n)
                n_train = n - n_test if rf >= 1 else math.floor(rf * (n - n_test))
            else:
                kept = n if rf >= 1 else math.floor(rf * n)
                n_test = math.ceil(tf * kept)
                n_train = kept - n_test
            if n_train < MIN_TRAIN_ROWS or n_test < MIN_TEST_ROWS:
                raise DatasetError(
                    f"sweeps.{name}.row_fractions: {rf} of {dataset.path.name}'s {n} rows leaves {n_train} training "
                    f"and {n_test} test rows ({spec.protocol}, test_fraction {tf}); a level needs at least "
                    f"{MIN_TRAIN_ROWS} and {MIN_TEST_ROWS}: use a larger fraction or more rows")


def load_dataset(spec_dataset, spec_dir: Path | None = None, quoting: str = "none") -> Dataset:
    """``quoting`` applies to the built-in sms_spam (see ``load_sms_spam``); a CSV is always read
    with pandas' default quoting."""
    if isinstance(spec_dataset, str):
        if spec_dataset == "sms_spam":
            return load_sms_spam(quoting=quoting)
        raise DatasetError(f"dataset: unknown built-in dataset {spec_dataset!r}; use sms_spam or a CSV mapping")
    return load_csv(spec_dataset, spec_dir)


def _first_bad_byte(path: Path) -> str:
    """Where the first byte that is not UTF-8 lies in the whole file ("byte 1,234, line 5"):
    pandas' decoder counts from the start of its read buffer, not of the file."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines = 0, 1
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as e:
                # e.start counts in the decoder's pending bytes plus this chunk
                pending = len(e.object) - len(chunk)
                at = offset - pending + e.start
                with open(path, "rb") as g:
                    lines = g.read(at).count(b"\n") + 1
                return f"byte {at:,}, line {lines}"
            offset += len(chunk)
    return "an invalid byte sequence at the end of the file"
