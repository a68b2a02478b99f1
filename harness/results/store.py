"""The results store: ``<results_dir>/<run>/trials.csv`` and ``manifest.json``.

trials.csv holds one row per finished trial, in the column order of ``COLUMNS``. Each row is
appended with one ``os.write`` and fsynced when its trial ends, so a crash or Ctrl-C never loses a
finished trial. Each row carries ``row_sha256``, a checksum of its other cells, so an edited value
is detected on resume and in the analysis.

What a resume does with the file (``recover_trials``), and nothing else: a torn last line (no
newline: a crash in the middle of a write) is moved to ``torn-<UTC time>.csv`` beside it and that
trial runs again. Any other damage (a blank or short line, extra fields, a non-numeric or
non-UTF-8 cell, a checksum that does not match, a trial twice) is refused with one line naming the
file and the line; the file is left as it is. Rows written before checksums existed (no
``row_sha256`` column) are read as "unverified".
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import ResultsError

if TYPE_CHECKING:
    import pandas as pd

from harness.results.schema import (BASE_COLUMNS, BEFORE_TACTICS, CHECKSUM, COLUMNS, FLOAT_COLUMNS,  # noqa: F401
                                    ICT4S22_FACTORS, INTEGER_COLUMNS, JSON_COLUMNS, LEVEL_PREFIX, MANIFEST,
                                    MANIFEST_KEYS, TRIALS, trial_columns)

RESUME_FIX = ("nothing was changed: restore the file from a copy, or delete that line (keep a copy) and its "
              "trial runs again, or start over with --fresh (old files are kept aside)")


def _base(columns: tuple[str, ...]) -> tuple[str, ...]:
    """The columns every file of this layout must have. For trials.csv: BASE_COLUMNS, plus the
    factors' level columns unless the factors are the ICT4S'22 pair (whose levels the first
    release already kept in row_fraction and feature_fraction). For another layout (a tuning
    run's files): every column but the checksum."""
    if columns[: len(BASE_COLUMNS)] != BASE_COLUMNS:  # columns added to it later may be missing
        return tuple(c for c in columns if c not in (CHECKSUM, "cooldown_waited_s", "cooldown_end", "start_power_w"))
    levels = tuple(c for c in columns if c.startswith(LEVEL_PREFIX))
    pair = tuple(LEVEL_PREFIX + f for f in ICT4S22_FACTORS)
    return BASE_COLUMNS + (() if levels == pair else levels)


def file_columns(header: list[str], path: Path | str = TRIALS, columns: tuple[str, ...] = COLUMNS) -> tuple[str, ...]:
    """The columns a trials.csv (or another layout's ``columns``) holds, from its header:
    ``columns``, or an older layout.

    An older layout is ``columns`` without some of the columns added after the first release
    (e.g. ``row_sha256``), in the same order. Rows are appended to a file in its own columns, so
    an old run resumes as it was written. Raises ResultsError for any other header.
    """
    names = tuple(header)
    if columns == COLUMNS:  # any trials.csv: its factors are the level_ columns it has
        columns = trial_columns(tuple(n[len(LEVEL_PREFIX):] for n in names if n.startswith(LEVEL_PREFIX)))
    known = iter(columns)
    in_order = all(any(name == c for c in known) for name in names)  # a subsequence of columns
    if not in_order or len(set(names)) != len(names) or not set(_base(columns)) <= set(names):
        raise ResultsError(f"{path}: header does not match this harness's columns; "
                           "use --fresh to start over or another --results-dir")
    return names


def row_sha256(cells: list[str]) -> str:
    """The checksum of one row: sha256 (hex) of the JSON array of its other cells, as the text
    written in the file, in the file's column order (``json.dumps(cells, ensure_ascii=False)``,
    UTF-8)."""
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass
class TrialsScan:
    """What ``scan_trials`` found in a trials.csv: its columns, the finished trial ids, the
    byte length of its whole lines, the torn last line (b"" if none) and how many rows carry no
    checksum (written before ``row_sha256`` existed)."""

    columns: tuple[str, ...] = COLUMNS
    trial_ids: set[int] = field(default_factory=set)
    whole_len: int = 0
    torn: bytes = b""
    unverified: int = 0


def scan_trials(data: bytes, path: Path | str, fix: str = RESUME_FIX, columns: tuple[str, ...] = COLUMNS,
                key: tuple[str, ...] = ("trial_id",)) -> TrialsScan:
    """Check every line of a trials.csv's content; raise ResultsError naming the first damaged line.

    Only a last line without its newline is set apart (``torn``): the row being written when the
    process died. Damage anywhere else is refused, never skipped: a blank line, a line with too
    few or too many fields, a cell that is not UTF-8, a non-numeric number, a malformed
    ``energy_estimated`` or domains cell, a ``row_sha256`` that does not match, a trial_id seen
    before (or, for a layout with several rows per trial, the same ``key`` cells seen before).
    ``fix`` ends the message (what the user can do)."""
    whole = whole_lines(data)
    scan = TrialsScan(whole_len=len(whole), torn=data[len(whole):])
    if not whole:
        return scan
    lines = whole.split(b"\n")[:-1]

    def refuse(number: int, problem: str):
        raise ResultsError(f"{path}: line {number}: {problem}; {fix}")

    texts = []
    for number, raw in enumerate(lines, start=1):
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            refuse(number, "not UTF-8 text")
    scan.columns = file_columns(next(csv.reader([texts[0]])), path, columns)
    n = len(scan.columns)
    index = {c: i for i, c in enumerate(scan.columns)}
    has_sum = CHECKSUM in index
    first_line: dict[int, int] = {}
    for number, text in enumerate(texts[1:], start=2):
        if not text.strip():
            refuse(number, "blank line")
        cells = next(csv.reader([text]))
        if len(cells) != n:
            refuse(number, f"{len(cells)} fields, expected {n}")
        for c in INTEGER_COLUMNS + FLOAT_COLUMNS:
            if c in index and not _is_number(cells[index[c]], c in INTEGER_COLUMNS):
                refuse(number, f"{c} is not a number")
        if "energy_estimated" in index and cells[index["energy_estimated"]] not in ("True", "False"):
            refuse(number, "energy_estimated is not True or False")
        for c in JSON_COLUMNS:
            if c in index and not _is_json_object(cells[index[c]]):
                refuse(number, f"{c} is not a JSON object")
        if has_sum:
            i = index[CHECKSUM]
            if cells[i] != row_sha256(cells[:i] + cells[i + 1:]):
                refuse(number, f"{CHECKSUM} does not match the row (a value was changed after it was written)")
        else:
            scan.unverified += 1
        row_key = tuple(int(float(cells[index[c]])) for c in key)
        if row_key in first_line:
            what = ", ".join(f"{c} {v}" for c, v in zip(key, row_key))
            refuse(number, f"{what} again (first on line {first_line[row_key]})")
        first_line[row_key] = number
    scan.trial_ids = {k[0] for k in first_line}
    return scan


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


def read_trials(run_dir: str | Path) -> pd.DataFrame:
    """Read a run's trials.csv (complete rows only, every line checked by ``scan_trials``) as a
    DataFrame with the file's columns."""
    import pandas as pd  # here, not at import: the run and its --help do not need pandas

    path = Path(run_dir) / TRIALS
    if not path.is_file():
        raise ResultsError(f"{path}: no trials.csv here; pass a run directory made by 'harness run'")
    data = path.read_bytes()
    scan_trials(data, path, fix="restore the file from a copy")
    return pd.read_csv(io.BytesIO(whole_lines(data)))


def whole_lines(data: bytes) -> bytes:
    """``data`` up to its last newline: a torn last line (a crash mid-write) is not a trial."""
    return data[: data.rfind(b"\n") + 1]


MANIFEST_FIX = "restore it from a copy, or start over with --fresh (old files are kept aside)"


def read_manifest(run_dir: str | Path) -> dict:
    """The run's manifest.json as a dict ({} when there is none). Raises ResultsError, naming the
    file, when it is unreadable, empty, truncated, not a JSON object or lacks ``MANIFEST_KEYS``."""
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        return {}
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as e:
        raise ResultsError(f"{path}: cannot read the manifest ({e.strerror}); fix its permissions") from None
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: the manifest is not UTF-8 text; {MANIFEST_FIX}") from None
    if not text.strip():
        raise ResultsError(f"{path}: the manifest is empty; {MANIFEST_FIX}")
    try:
        manifest = json.loads(text)
    except ValueError as e:
        raise ResultsError(f"{path}: the manifest is truncated or not JSON (line {e.lineno}: {e.msg}); "
                           f"{MANIFEST_FIX}") from None
    missing = [k for k in MANIFEST_KEYS if k not in manifest] if isinstance(manifest, dict) else list(MANIFEST_KEYS)
    if missing or not isinstance(manifest["sessions"], list) or not isinstance(manifest["meter"], dict):
        raise ResultsError(f"{path}: the manifest lacks or has malformed {', '.join(missing) or 'sessions/meter'}; "
                           f"{MANIFEST_FIX}")
    return manifest


def write_failed(path: Path, e: OSError, what: str) -> ResultsError:
    """One line for an OSError while writing ``path``, saying what to fix (space, permissions)."""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "free some disk space (or raise the quota)"
    elif e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "make it writable (permissions, read-only mount, chattr)"
    else:
        fix = "check the disk"
    return ResultsError(f"{path}: cannot {what} ({e.strerror or e}); finished trials are kept; {fix}, "
                        "then run the same command again to resume")


def write_json_atomic(path: Path, obj) -> None:
    """Write JSON to a temporary file, fsync it, rename it over ``path``, fsync the directory.
    Raises ResultsError (``write_failed``) on any OSError; ``path`` is then unchanged."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=2, sort_keys=False, default=str)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as e:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise write_failed(path, e, "write the manifest") from None


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def format_row(row: dict, columns: tuple[str, ...] = COLUMNS) -> str:
    """One CSV line for a trial in ``columns`` order; ``row_sha256`` (if among them) is computed
    here from the other cells, whatever ``row`` holds for it."""
    cells = [_text(row[c]) for c in columns if c != CHECKSUM]
    if CHECKSUM in columns:
        cells.insert(columns.index(CHECKSUM), row_sha256(cells))
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


def _text(value) -> str:
    if isinstance(value, float):
        return repr(value)  # shortest exact representation: reruns compare equal
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else str(value)


class TrialWriter:
    """Appends trial rows to trials.csv, one fsynced line per finished trial, in the file's own
    columns (``file_columns``; a new file gets ``COLUMNS``).

    Each line goes out in one ``os.write`` (no Python buffer that could flush half a line later);
    if the write or fsync fails, the file is cut back to its length before the append and
    ResultsError says what to fix."""

    def __init__(self, path: Path, columns: tuple[str, ...] = COLUMNS):
        self.path = path
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as e:
            raise write_failed(path, e, f"open {path.name} for appending") from None
        if os.fstat(self._fd).st_size == 0:
            self.columns = tuple(columns)
            self._append((",".join(self.columns) + "\n").encode())
        else:
            with open(path, newline="", encoding="utf-8", errors="replace") as f:
                self.columns = file_columns(next(csv.reader(f), []), path, tuple(columns))

    def append(self, row: dict) -> None:
        self._append(format_row(row, self.columns).encode("utf-8"))

    def _append(self, data: bytes) -> None:
        before = os.fstat(self._fd).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
            os.fsync(self._fd)
        except OSError as e:
            try:
                os.ftruncate(self._fd, before)  # no partial line left behind
            except OSError:
                pass  # then it is a torn last line, moved aside on resume
            raise write_failed(self.path, e, f"append a row to {self.path.name}") from None

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def recover_trials(path: Path, columns: tuple[str, ...] = COLUMNS) -> TrialsScan:
    """Check ``path`` (``scan_trials``) and return what it holds; the trial ids in ``.trial_ids``.

    The one change made to the file: a torn last line is moved to ``torn-<UTC time>.csv`` in the
    same folder (written and fsynced first), then cut off, so its trial runs again."""
    if not path.exists():
        return TrialsScan()
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ResultsError(f"{path}: cannot read ({e.strerror}); fix its permissions") from None
    scan = scan_trials(data, path, columns=tuple(columns))
    if scan.torn:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        aside = path.with_name(f"torn-{stamp}.csv")
        try:
            with open(aside, "xb") as f:
                f.write(scan.torn)
                f.flush()
                os.fsync(f.fileno())
            with open(path, "r+b") as f:
                f.truncate(scan.whole_len)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            raise write_failed(aside if not aside.exists() else path, e, "set the torn last line aside") from None
    return scan
