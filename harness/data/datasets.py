"""Datasets: the shipped SMS Spam Collection, a user's CSV described in the spec, one of
scikit-learn's bundled data sets (``load_wine``, ...) or an OpenML data set from a local cache.

Labels: two classes are coded 1 (the ``positive_label``) and 0; three or more are coded 0..K-1 in
``Dataset.classes`` order and scored with macro averages (``harness.data.scoring``).

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
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from harness.data.scoring import f1_average
from harness.environment import datasets_dir, sklearn_data_home
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
    """Rows of one dataset. Two classes: ``y`` is 1 for the positive class and 0 otherwise; three
    or more: ``y`` is the code of ``classes`` (0..K-1) and ``positive_label`` is None."""

    name: str
    path: Path
    sha256: str
    y: np.ndarray
    positive_label: str | None
    texts: list[str] | None = None
    columns: np.ndarray | None = None  # numeric feature columns, float64, shape (n_rows, k)
    column_names: tuple[str, ...] = ()
    source: tuple[str, ...] = ()  # how the rows were read (text column, separator): part of the feature cache key
    label_column: str = ""
    classes: tuple[str, ...] = ()  # the labels in code order (two classes: (other, positive)); () = unknown
    provenance: dict = field(default_factory=dict, compare=False)  # where the rows came from (manifest)

    @property
    def n_rows(self) -> int:
        return len(self.y)

    @property
    def n_classes(self) -> int:
        return len(self.classes) if self.classes else 2

    @property
    def f1_average(self) -> str:
        """``"binary"`` (two classes) or ``"macro"`` (three or more): ``harness.data.scoring``."""
        return f1_average(self.n_classes)

    def class_counts(self) -> dict[str, int]:
        """Rows per class label, in code order."""
        counts = np.bincount(self.y, minlength=self.n_classes)
        names = self.classes or ("negative", str(self.positive_label))
        return {str(names[i]): int(c) for i, c in enumerate(counts)}

    def describe(self) -> dict:
        """The manifest's ``dataset`` facts beyond name, path and sha256: rows, classes, averaging,
        and where the rows came from (``provenance``)."""
        out = {"n_rows": self.n_rows, "n_classes": self.n_classes, "class_counts": self.class_counts(),
               "f1_average": self.f1_average, "positive_label": self.positive_label}
        if self.n_classes == 2:
            out["n_positive"] = int(self.y.sum())
        return {**out, **self.provenance}


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
    ds = replace(ds, provenance={"source": "builtin"})
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


def _label_sort_key(label: str):
    """Numeric labels in numeric order ("2" before "10"), then the others as text."""
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


def encode_labels(path, label_column: str, labels: pd.Series, positive: str | None) -> tuple[np.ndarray, tuple[str, ...]]:
    """(y, classes) of the text labels ``labels``: two classes -> 1 for ``positive``, 0 for the
    other, classes (other, positive); three or more -> codes 0..K-1 of the sorted labels (numbers
    in numeric order), and ``positive`` must be None. Raises DatasetError naming the field and fix."""
    field_ = "dataset.positive_label"
    if positive is not None and not (labels == positive).any():
        raise DatasetError(f"{path}: no row has {label_column} == {positive!r}; check {field_}")
    counts = labels.value_counts()
    if len(counts) < 2:
        raise DatasetError(f"{path}: every row is {counts.index[0]!r}; a classifier needs two classes")
    shown = ", ".join(f"{label!r} ({n})" for label, n in counts.head(6).items())
    shown += ", ..." if len(counts) > 6 else ""
    if len(counts) == 2:
        if positive is None:
            raise DatasetError(f"{path}: {label_column} has two classes ({shown}); name the one binary F1 scores "
                               f"in {field_}")
        other = str(counts.index[0] if counts.index[0] != positive else counts.index[1])
        return (labels == positive).to_numpy(dtype=np.int64), (other, positive)
    if positive is not None:
        raise DatasetError(
            f"{path}: {label_column} has {len(counts)} classes ({shown}), scored with macro-averaged precision, "
            f"recall and F1; remove {field_} (it is for two classes), or map the other labels to one value "
            "for a binary study")
    rare = counts[counts < 2]
    if len(rare):
        raise DatasetError(f"{path}: class {str(rare.index[0])!r} of {label_column} has {int(rare.iloc[0])} row; "
                           "every class needs at least 2 rows for a stratified split (one to train on, one to "
                           "test); drop or merge that class")
    classes = tuple(sorted(map(str, counts.index), key=_label_sort_key))
    codes = {c: i for i, c in enumerate(classes)}
    return labels.map(codes).to_numpy(dtype=np.int64), classes


def _from_frame(name, path, digest, frame, label_column, positive, text_column, feature_columns, separator) -> Dataset:
    labels = frame[label_column]
    empty = labels.str.strip() == ""
    if empty.any():
        raise DatasetError(f"{path}: {int(empty.sum())} row(s) have an empty label_column {label_column!r} cell "
                           f"(first: data row {int(empty.to_numpy().argmax()) + 1}); fill or remove them: an "
                           "empty label is not the negative class")
    y, classes = encode_labels(path, label_column, labels, positive)
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
                   label_column, classes, {"source": "csv"})


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


def data_sha256(X: np.ndarray, labels, feature_names) -> str:
    """sha256 of a data set as loaded: the feature names, the float64 matrix (C order, little
    endian) and the labels, so a changed value, row order or label changes it."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, feature_names)).encode())
    h.update(np.ascontiguousarray(X, dtype="<f8").tobytes())
    h.update("\x1e".join(map(str, labels)).encode())
    return h.hexdigest()


# The positive class of the bundled two-class data set (what a study of it detects).
SKLEARN_POSITIVE = {"breast_cancer": "malignant"}


def load_sklearn(ds) -> Dataset:
    """One of scikit-learn's bundled data sets (``sklearn.datasets.load_<ds.sklearn>``; shipped
    with scikit-learn, nothing is downloaded): dense float64 features, the target names as labels.
    ``breast_cancer`` has two classes (positive: ``ds.positive_label``, default ``malignant``), the
    others three (``wine``, ``iris``) or ten (``digits``, 8x8 images as 64 pixel columns)."""
    import sklearn
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, f"load_{ds.sklearn}")()
    X = np.asarray(bunch.data, dtype=np.float64)
    labels = pd.Series([str(bunch.target_names[t]) for t in bunch.target])
    given = getattr(bunch, "feature_names", None)
    names = tuple(map(str, given)) if given is not None and len(given) else tuple(f"pixel_{j}" for j in range(X.shape[1]))
    path = Path(f"sklearn:{ds.sklearn}")
    positive = ds.positive_label or SKLEARN_POSITIVE.get(ds.sklearn)
    y, classes = encode_labels(path, "target", labels, positive)
    digest = data_sha256(X, labels, names)
    provenance = {"source": "sklearn", "loader": f"sklearn.datasets.load_{ds.sklearn}",
                  "version": sklearn.__version__}
    return Dataset(ds.name or ds.sklearn, path, digest, y, positive if len(classes) == 2 else None, None, X,
                   names, (f"sklearn={ds.sklearn}", f"positive={positive}"), "target", classes, provenance)


def _openml_fill_hint(ds, home: Path) -> str:
    what = f"data_id={ds.openml}" if isinstance(ds.openml, int) or str(ds.openml).isdigit() else \
        f"name={str(ds.openml)!r}" + (f", version={ds.version}" if ds.version else "")
    return (f"fill it on a machine with network: python -c \"from sklearn.datasets import fetch_openml; "
            f"fetch_openml({what}, data_home='{home}')\" and copy that folder here")


def openml_cache_problem(ds, home: Path) -> str | None:
    """Why the OpenML cache ``home`` (a scikit-learn data_home) cannot serve ``ds`` without a
    download, from the files alone; None when every file ``fetch_openml`` reads is there (the
    name listing, the description, the feature list, the qualities and the data file)."""
    root = home / "openml" / "openml.org"
    if not root.is_dir() or not any(p.is_file() for p in root.rglob("*.gz")):
        return f"the OpenML cache {home} is empty"
    api = root / "api" / "v1" / "json" / "data"
    if isinstance(ds.openml, int) or str(ds.openml).isdigit():
        data_id = int(ds.openml)
    else:
        # the listing fetch_openml asks for (sklearn.datasets._openml._get_data_info_by_name)
        query = api / "list" / "data_name" / str(ds.openml) / "limit" / "2"
        listing = query / ("status/active/.gz" if ds.version is None else f"data_version/{ds.version}.gz")
        found = _json_gz(listing).get("data", {}).get("dataset", []) if listing.is_file() else []
        if not found or "did" not in found[0]:
            version = "" if ds.version is None else f"version {ds.version} of "
            return f"the OpenML cache {home} holds no {version}data set {ds.openml!r}"
        data_id = int(found[0]["did"])
    description = api / f"{data_id}.gz"
    if not description.is_file():
        return f"the OpenML cache {home} holds no data set {ds.openml!r}"
    url = _json_gz(description).get("data_set_description", {}).get("url", "")
    from urllib.parse import urlparse

    needed = {"its feature list": api / "features" / f"{data_id}.gz",
              "its qualities": api / "qualities" / f"{data_id}.gz",
              "its data file": root / (urlparse(url).path.lstrip("/") + ".gz") if url else None}
    missing = [what for what, path in needed.items() if path is None or not path.is_file()]
    if missing:
        return f"the OpenML cache {home} holds only part of data set {ds.openml!r} (not {', '.join(missing)})"
    return None


def _json_gz(path: Path) -> dict:
    """A cached OpenML answer (gzipped JSON), {} when unreadable: then the cache is treated as lacking it."""
    import gzip
    import json

    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            out = json.load(f)
        return out if isinstance(out, dict) else {}
    except (OSError, ValueError, EOFError):
        return {}


def load_openml(ds, spec_dir: Path | None = None) -> Dataset:
    """An OpenML data set through ``sklearn.datasets.fetch_openml`` from the local cache
    ``ds.cache`` (relative: beside the spec first; default ``$SCIKIT_LEARN_DATA`` or
    ``~/scikit_learn_data``). The harness does not download: a data set missing from the cache
    raises DatasetError saying how to fill it. Features: ``ds.feature_columns`` or every column
    but the target, each numeric without missing values; labels: ``ds.label_column`` or the data
    set's default target."""
    from urllib.error import URLError

    import sklearn
    from sklearn.datasets import fetch_openml

    home = _resolve_path(ds.cache, spec_dir) if ds.cache else sklearn_data_home()
    where = f"dataset.openml {ds.openml!r}"
    problem = openml_cache_problem(ds, home)
    if problem:
        raise DatasetError(f"{where}: {problem} (the harness never downloads); {_openml_fill_hint(ds, home)}")
    by_id = isinstance(ds.openml, int) or str(ds.openml).isdigit()
    kwargs = {"data_id": int(ds.openml)} if by_id else {"name": str(ds.openml), "version": ds.version or "active"}
    try:
        bunch = fetch_openml(**kwargs, data_home=str(home), as_frame=True, parser="auto", n_retries=1, delay=0.1,
                             target_column=ds.label_column or "default-target")
    except (URLError, OSError, TimeoutError) as e:
        raise DatasetError(f"{where}: not all of it is in the OpenML cache {home} and OpenML cannot be reached "
                           f"({type(e).__name__}); {_openml_fill_hint(ds, home)}") from None
    except (ValueError, KeyError) as e:
        raise DatasetError(f"{where}: {str(e).splitlines()[0][:200]}; check dataset.openml, version and "
                           "label_column") from None
    target = bunch.target
    if target is None or isinstance(target, pd.DataFrame):
        raise DatasetError(f"{where}: the data set has {'no' if target is None else 'several'} default target "
                           "column(s); name one in dataset.label_column")
    data = bunch.data
    label_column = str(target.name)
    if label_column in ds.feature_columns:  # before: "no column(s) 'class'" (the target is not among bunch.data)
        raise DatasetError(f"{where}: feature_columns names the label column {label_column!r}: the label would be a "
                           f"feature (every score would be near 1.0, a leak); remove {label_column!r} from feature_columns")
    columns = list(ds.feature_columns) or [str(c) for c in data.columns]
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DatasetError(f"{where}: no column(s) {', '.join(map(repr, missing))}; check dataset.feature_columns")
    for c in columns:
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise DatasetError(f"{where}: column {c!r} is not numeric ({data[c].dtype}); list the numeric columns "
                               "to use in dataset.feature_columns")
    X = data[columns].to_numpy(dtype=np.float64)
    if not np.isfinite(X).all():
        raise DatasetError(f"{where}: feature columns hold missing or infinite values; choose columns without "
                           "them in dataset.feature_columns")
    if target.isna().any():
        raise DatasetError(f"{where}: {int(target.isna().sum())} row(s) have no {label_column!r} label; "
                           "choose another label_column")
    labels = target.astype(str).reset_index(drop=True)
    details = getattr(bunch, "details", None) or {}
    path = Path(f"openml:{details.get('id', ds.openml)}")
    y, classes = encode_labels(path, label_column, labels, ds.positive_label)
    digest = data_sha256(X, labels, columns)
    provenance = {"source": "openml", "openml_id": details.get("id"), "openml_name": details.get("name"),
                  "version": details.get("version"), "url": getattr(bunch, "url", None), "cache": str(home),
                  "sklearn": sklearn.__version__}
    return Dataset(ds.name or f"openml-{ds.openml}", path, digest, y, ds.positive_label, None, X, tuple(columns),
                   (f"openml={details.get('id', ds.openml)}", f"label={label_column}",
                    f"positive={ds.positive_label}"), label_column, classes, provenance)


def load_dataset(spec_dataset, spec_dir: Path | None = None, quoting: str = "none") -> Dataset:
    """``quoting`` applies to the built-in sms_spam (see ``load_sms_spam``); a CSV is always read
    with pandas' default quoting. ``spec_dataset``: "sms_spam", a DatasetSpec (CSV), a
    SklearnDatasetSpec or an OpenMLDatasetSpec (``harness.spec``)."""
    if isinstance(spec_dataset, str):
        if spec_dataset == "sms_spam":
            return load_sms_spam(quoting=quoting)
        raise DatasetError(f"dataset: unknown built-in dataset {spec_dataset!r}; use sms_spam or a CSV mapping")
    if hasattr(spec_dataset, "sklearn"):
        return load_sklearn(spec_dataset)
    if hasattr(spec_dataset, "openml"):
        return load_openml(spec_dataset, spec_dir)
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
