"""The one reader of results files: trials.csv, searches.csv, evaluations.csv, an export of them,
and the published ICT4S'22 ``experiment_data.csv``.

Every consumer (resume in ``store``/``rundir``, the analysis in ``load``, tuning's analysis and
resume, replication) reads a file through ``read_results_file`` (or ``check_results`` on bytes it
already holds) and so parses it once, with the same checks:

- the file can be read (else ResultsError naming it and the OS's reason);
- a last line without its newline is *torn* (the row being written when the process died): kept
  apart in ``ResultsFile.torn``, never a row;
- every whole line is UTF-8, is not blank, is one CSV record with no unclosed quote, and has as
  many fields as the header;
- the header is the layout's (``file_columns``: the current columns or an older release's), or,
  with ``strict=False``, any header with unique names (an export; its rows are all unverified);
- integer, float, True/False and JSON-object cells of the columns ``schema`` declares are what
  they claim; the ``key`` cells are integers and no key appears twice;
- ``row_sha256`` matches the row's other cells (rows without the column count as unverified).

Any damage raises ResultsError: one line naming the file and the line, ending with ``fix``.
``ResultsFile.frame`` gives the rows as a typed DataFrame (declared columns typed as declared,
the others inferred as pandas would: numbers, True/False, text; an empty cell is NaN).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import ResultsError
from harness.results.schema import (
    BASE_COLUMNS,
    CHECKSUM,
    COLUMNS,
    FLOAT_COLUMNS,
    ICT4S22_FACTORS,
    INTEGER_COLUMNS,
    JSON_COLUMNS,
    LATER_COLUMNS,
    LEVEL_PREFIX,
    TRIALS,
)

if TYPE_CHECKING:
    import pandas as pd

READ_FIX = "restore the file from a copy"
BOOL_COLUMNS = ("energy_estimated",)
# Cells pandas reads as missing (its default na_values): the inferred columns keep that reading.
_NA = frozenset(("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                 "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"))


def whole_lines(data: bytes) -> bytes:
    """``data`` up to its last newline: a torn last line (a crash mid-write) is not a row."""
    return data[: data.rfind(b"\n") + 1]


def row_sha256(cells: list[str]) -> str:
    """The checksum of one row: sha256 (hex) of the JSON array of its other cells, as the text
    written in the file, in the file's column order (``json.dumps(cells, ensure_ascii=False)``,
    UTF-8)."""
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode("utf-8")).hexdigest()


def _base(columns: tuple[str, ...]) -> tuple[str, ...]:
    """The columns every file of this layout must have. For trials.csv: BASE_COLUMNS, plus the
    factors' level columns unless the factors are the ICT4S'22 pair (whose levels the first
    release already kept in row_fraction and feature_fraction). For another layout (a tuning
    run's files): every column but the checksum and the cool-down columns added later."""
    if columns[: len(BASE_COLUMNS)] != BASE_COLUMNS:
        return tuple(c for c in columns if c not in (CHECKSUM, *LATER_COLUMNS))
    levels = tuple(c for c in columns if c.startswith(LEVEL_PREFIX))
    pair = tuple(LEVEL_PREFIX + f for f in ICT4S22_FACTORS)
    return BASE_COLUMNS + (() if levels == pair else levels)


def file_columns(header: Sequence[str], path: Path | str = TRIALS,
                 columns: tuple[str, ...] = COLUMNS) -> tuple[str, ...]:
    """The columns a trials.csv (or another layout's ``columns``) holds, from its header:
    ``columns``, or an older layout.

    An older layout is ``columns`` without some of the columns added after the first release
    (e.g. ``row_sha256``), in the same order. Rows are appended to a file in its own columns, so
    an old run resumes as it was written. Raises ResultsError for any other header.
    """
    names = tuple(header)
    if columns == COLUMNS:  # any trials.csv: its factors are the level_ columns it has
        columns = COLUMNS[:-1] + tuple(n for n in names if n.startswith(LEVEL_PREFIX)) + (CHECKSUM,)
    known = iter(columns)
    in_order = all(any(name == c for c in known) for name in names)  # a subsequence of columns
    if not in_order or len(set(names)) != len(names) or not set(_base(columns)) <= set(names):
        raise ResultsError(f"{path}: header does not match this harness's columns; "
                           "use --fresh to start over or another --results-dir")
    return names


@dataclass
class ResultsFile:
    """A results file as read and checked by ``check_results``: its ``columns`` (the header), the
    ``rows`` of its whole lines (cells as written), ``line_numbers`` (1-based line of each row),
    ``whole_len`` (bytes up to the last newline), the ``torn`` last line (b"" if none) and how
    many rows no checksum vouches for (``unverified``)."""

    path: Path
    columns: tuple[str, ...] = ()
    rows: list[list[str]] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    whole_len: int = 0
    torn: bytes = b""
    unverified: int = 0

    @property
    def trial_ids(self) -> set[int]:
        """The distinct ``trial_id`` values of the rows (set() without that column)."""
        return set(self.ints("trial_id")) if "trial_id" in self.columns else set()

    def column(self, name: str) -> list[str]:
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def ints(self, name: str) -> list[int]:
        return [int(float(c)) for c in self.column(name)]

    def records(self) -> Iterable[tuple[int, dict[str, str]]]:
        """(line number, {column: cell}) per row."""
        for number, cells in zip(self.line_numbers, self.rows):
            yield number, dict(zip(self.columns, cells))

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame with the file's columns: integer, float and True/False columns
        of ``schema`` typed as declared, JSON and other columns as pandas' ``read_csv`` infers
        them (numbers, True/False, text; an empty cell is NaN)."""
        import pandas as pd

        return pd.DataFrame({name: _typed([r[i] for r in self.rows], name)
                             for i, name in enumerate(self.columns)}, columns=list(self.columns))


def _typed(cells: list[str], name: str):
    import numpy as np
    import pandas as pd

    if name in INTEGER_COLUMNS and all(cells):
        return pd.Series([int(float(c)) for c in cells], dtype="int64")
    if name in FLOAT_COLUMNS:
        return pd.Series([float(c) if c else math.nan for c in cells], dtype="float64")
    values = pd.Series([None if c in _NA else c for c in cells], dtype=object)
    present = values.dropna()
    if len(present) == len(values) and len(values) and present.isin(("True", "False")).all():
        return values == "True"
    try:
        numbers = pd.to_numeric(values)
    except (ValueError, TypeError):
        return values.where(values.notna(), np.nan)
    return numbers if len(values) else pd.Series([], dtype="float64")


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path``; ResultsError naming it when it cannot be read."""
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise ResultsError(f"{path}: is a folder, not a results file; pass the CSV file or its run directory") from None
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such file") from None
    except OSError as e:
        raise ResultsError(f"{path}: cannot read ({e.strerror or e}); fix its permissions") from None


def check_results(data: bytes, path: Path | str, fix: str = READ_FIX, columns: tuple[str, ...] = COLUMNS,
                  key: tuple[str, ...] = ("trial_id",), strict: bool = True,
                  integers: tuple[str, ...] = (), floats: tuple[str, ...] = ()) -> ResultsFile:
    """Check every line of a results file's content ``data`` (see the module docstring) and return
    what it holds; raise ResultsError naming the first damaged line, ending with ``fix``.

    ``columns``: the layout (``schema.COLUMNS`` for trials.csv, ``SEARCH_COLUMNS``,
    ``EVALUATION_COLUMNS``...). ``key``: the integer columns no two rows may share (``()``: none;
    not checked in a file of another layout that lacks them).
    ``strict=False``: a header that is not the layout's is accepted if its names are unique (an
    export, the published file): its rows are checked but count as unverified. ``integers`` and
    ``floats``: more columns whose cells must be integers or numbers (another layout's names, e.g.
    the published file's ``iteration``); each must be in the header. An empty file (or
    one holding only a torn line) has no columns and no rows."""
    path = Path(path)
    whole = whole_lines(data)
    out = ResultsFile(path=path, whole_len=len(whole), torn=data[len(whole):])
    if not whole:
        return out
    lines = whole.split(b"\n")[:-1]

    def refuse(number: int, problem: str):
        if number == 1:  # the header: deleting that line cannot help, only a copy of the file can
            head = "restore the file from a copy"
            raise ResultsError(f"{path}: line 1 (the header): {problem}; {head}"
                               + ("" if "--fresh" not in fix else ", or start over with --fresh (old files are kept aside)"))
        raise ResultsError(f"{path}: line {number}: {problem}; {fix}")

    def record(number: int, raw: bytes) -> list[str]:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            refuse(number, "not UTF-8 text (a binary file?)")
        if not text.strip():
            refuse(number, "blank line")
        if "\x00" in text:
            refuse(number, "holds NUL bytes (a binary file?)")
        try:
            return next(csv.reader([text], strict=True))
        except csv.Error as e:
            refuse(number, f"not one CSV record ({e}: an unclosed quote?)")

    header = record(1, lines[0])
    try:
        out.columns = file_columns(header, path, columns)
        checked = True
    except ResultsError:
        if strict:
            raise
        if len(set(header)) != len(header) or not all(h.strip() for h in header):
            refuse(1, "the header has empty or repeated column names (is this a CSV file?)")
        out.columns, checked = tuple(header), False
    n = len(out.columns)
    index = {c: i for i, c in enumerate(out.columns)}
    has_sum = checked and CHECKSUM in index
    if not checked and not set(key) <= set(index):  # an export without the key: nothing to check
        key = ()
    for c in integers + floats + key:
        if c not in index:
            refuse(1, f"no {c} column")
    integers = [c for c in dict.fromkeys(INTEGER_COLUMNS + key + integers) if c in index]
    floats = [c for c in dict.fromkeys(FLOAT_COLUMNS + floats) if c in index and c not in integers]
    first_line: dict[tuple, int] = {}
    for number, raw in enumerate(lines[1:], start=2):
        cells = record(number, raw)
        if len(cells) != n:
            refuse(number, f"{len(cells)} fields, expected {n}")
        for c in integers:
            if not _is_number(cells[index[c]], True):
                refuse(number, f"{c} is not an integer ({cells[index[c]][:20]!r})")
        for c in floats:
            if not _is_number(cells[index[c]], False):
                refuse(number, f"{c} is not a number ({cells[index[c]][:20]!r})")
        for c in BOOL_COLUMNS:
            if c in index and cells[index[c]] not in ("True", "False"):
                refuse(number, f"{c} is not True or False")
        for c in JSON_COLUMNS:
            if c in index and not _is_json_object(cells[index[c]]):
                refuse(number, f"{c} is not a JSON object")
        if has_sum:
            i = index[CHECKSUM]
            if cells[i] != row_sha256(cells[:i] + cells[i + 1:]):
                refuse(number, f"{CHECKSUM} does not match the row (a value was changed after it was written)")
        else:
            out.unverified += 1
        if key:
            row_key = tuple(int(float(cells[index[c]])) for c in key)
            if row_key in first_line:
                what = ", ".join(f"{c} {v}" for c, v in zip(key, row_key))
                refuse(number, f"{what} again (first on line {first_line[row_key]})")
            first_line[row_key] = number
        out.rows.append(cells)
        out.line_numbers.append(number)
    return out


def read_results_file(path: Path | str, columns: tuple[str, ...] = COLUMNS, key: tuple[str, ...] = ("trial_id",),
                      fix: str = READ_FIX, strict: bool = True, integers: tuple[str, ...] = (),
                      floats: tuple[str, ...] = ()) -> ResultsFile:
    """Read ``path`` once and check it (``check_results``). Raises ResultsError when it cannot be
    read or is damaged; a missing file is an error too (test ``path.exists()`` first where a
    missing file means "nothing yet")."""
    path = Path(path)
    return check_results(read_bytes(path), path, fix, columns, key, strict, integers, floats)


def _is_number(cell: str, integer: bool) -> bool:
    try:
        value = float(cell)
    except ValueError:
        return False
    return not integer or value.is_integer()


def _is_json_object(cell: str) -> bool:
    try:
        return isinstance(json.loads(cell), dict)
    except ValueError:
        return False


PLAN_FIX = "start over with --fresh or use --name"


def check_rows_match_plan(file: ResultsFile, plan: Sequence, fields: Sequence[str], unit: str = "trial",
                          levels: bool = True) -> None:
    """Every row of ``file`` must be the unit its ``trial_id`` names in ``plan`` (a list indexed
    by trial_id): the row's cells ``fields`` (e.g. algorithm, sweep, row_fraction,
    feature_fraction, repetition) equal the plan entry's attributes of the same names, compared as
    the attribute's type (float, int, str). With ``levels``, a ``level_<factor>`` cell the file
    has must be the plan entry's level (``harness.tactics.level_text``). Raises ResultsError
    naming the file, the line and the ``unit`` ("trial", "search")."""
    for number, row in file.records():
        i = int(float(row["trial_id"]))
        t = plan[i] if 0 <= i < len(plan) else None
        if t is None or any(_as(getattr(t, f), row[f]) != getattr(t, f) for f in fields):
            raise ResultsError(f"{file.path}: line {number}: {unit} {i} in the file is not {unit} {i} of this "
                               f"spec's plan; {PLAN_FIX}")
        if levels and getattr(t, "levels", None):
            from harness.tactics import level_text

            for name, level in t.levels:
                written = row.get(LEVEL_PREFIX + name)
                if written is not None and written != level_text(level):
                    raise ResultsError(f"{file.path}: line {number}: {unit} {i} has {name}={written}, not "
                                       f"{level_text(level)} as in this spec's plan; {PLAN_FIX}")


def _as(model, cell: str):
    """``cell`` read as the type of ``model`` (the plan's value); None when it cannot be."""
    try:
        if isinstance(model, bool):
            return cell == "True"
        if isinstance(model, int):
            return int(float(cell))
        if isinstance(model, float):
            return float(cell)
    except ValueError:
        return None
    return cell


def split_rows(file: ResultsFile, done: set[int]) -> tuple[list[list[str]], list[list[str]]]:
    """The rows of ``file`` whose ``trial_id`` is in ``done`` and the others: for a tuning resume,
    the evaluations of finished searches (kept) and of unfinished ones (set aside)."""
    i = file.columns.index("trial_id")
    keep, drop = [], []
    for cells in file.rows:
        (keep if int(float(cells[i])) in done else drop).append(cells)
    return keep, drop


def read_header(data: bytes, path: Path | str) -> list[str]:
    """The first line of ``data`` as CSV cells (a layout's fingerprint); ResultsError naming
    ``path`` when it is not UTF-8 text or not one CSV record. [] for an empty file."""
    first = data.split(b"\n", 1)[0]
    if not first.strip():
        return []
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: line 1: not UTF-8 text (a binary file?); pass a run directory or a CSV file") from None
    if "\x00" in text:
        raise ResultsError(f"{path}: line 1: holds NUL bytes (a binary file?); pass a run directory or a CSV file")
    try:
        return next(csv.reader([text.rstrip("\r")], strict=True))
    except csv.Error as e:
        raise ResultsError(f"{path}: line 1: not one CSV record ({e}: an unclosed quote?); "
                           "pass a run directory or a CSV file") from None
