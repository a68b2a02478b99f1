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
import io
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from harness.errors import ResultsError
from harness.results.read import ResultsFile, check_results, file_columns, read_bytes, row_sha256, whole_lines  # noqa: F401
from harness.results.schema import (BASE_COLUMNS, BEFORE_TACTICS, CHECKSUM, COLUMNS, FLOAT_COLUMNS,  # noqa: F401
                                    ICT4S22_FACTORS, INTEGER_COLUMNS, JSON_COLUMNS, LEVEL_PREFIX, MANIFEST,
                                    MANIFEST_KEYS, TRIALS, trial_columns)

RESUME_FIX = ("nothing was changed: restore the file from a copy, or delete that line (keep a copy) and its "
              "trial runs again, or start over with --fresh (old files are kept aside)")


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


def recover_trials(path: Path, columns: tuple[str, ...] = COLUMNS,
                   key: tuple[str, ...] = ("trial_id",)) -> ResultsFile:
    """Read and check ``path`` once (``harness.results.read.check_results``, damage refused with
    ``RESUME_FIX``) and return what it holds: the trial ids in ``.trial_ids``, the rows in ``.rows``.

    The one change made to the file: a torn last line is moved to ``torn-<UTC time>.csv`` in the
    same folder (written and fsynced first), then cut off, so its trial runs again. A missing file
    holds nothing (``.columns`` empty)."""
    if not path.exists():
        return ResultsFile(path=path)
    scan = check_results(read_bytes(path), path, RESUME_FIX, tuple(columns), key)
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


def set_aside_unfinished(path: Path, done: set[int], aside: Path, columns: tuple[str, ...],
                         key: tuple[str, ...] = ("trial_id", "evaluation")) -> str | None:
    """Keep in ``path`` only the rows whose ``trial_id`` is in ``done`` (for a tuning resume: the
    evaluations of finished searches); move the others, and a torn last line, to ``aside``
    (appended and fsynced first, header written if new), then rewrite ``path`` atomically.

    ``path`` is read once and checked (``harness.results.read.check_results``, ``key`` unique):
    any damage other than a torn last line raises ResultsError and nothing is changed. Returns the
    line that says what was moved and where, or None when nothing was (or ``path`` is missing)."""
    from harness.results.read import split_rows

    if not path.exists():
        return None
    file = check_results(read_bytes(path), path, RESUME_FIX, tuple(columns), key)
    if not file.columns:  # empty, or a torn header only
        keep, drop = [], []
    else:
        keep, drop = split_rows(file, done)
    if not drop and not file.torn:
        return None
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(drop)
    moved = buf.getvalue().encode("utf-8") + (file.torn + b"\n" if file.torn else b"")
    try:
        with open(aside, "ab") as f:
            if f.tell() == 0:
                f.write((",".join(file.columns or columns) + "\n").encode())
            f.write(moved)
            f.flush()
            os.fsync(f.fileno())
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            if file.columns:
                csv.writer(f, lineterminator="\n").writerows([list(file.columns), *keep])
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as e:
        raise write_failed(aside, e, f"set unfinished rows of {path.name} aside") from None
    searches = {cells[file.columns.index("trial_id")] for cells in drop}
    what = [f"{len(drop)} evaluation(s) of {len(searches)} unfinished search(es)"] if drop else []
    what += ["a torn last line (an evaluation cut short)"] if file.torn else []
    return (f"resume: {' and '.join(what)} moved from {path.name} to {aside}; "
            "an unfinished search runs again from its start, with the same seed")
