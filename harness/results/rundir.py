"""The run directory: ``<results_dir>/<run>/`` with trials.csv, manifest.json and a lock file.

``Run`` opens (or resumes) one run directory and refuses what would mix results: another design
(spec), another meter, another dataset file or feature matrix, rows that are not this plan's, or a
second process on the same run.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from harness.errors import ResultsError
from harness.results.schema import LOCK
from harness.plan import Trial
from harness.spec import Spec
from harness.results.read import check_rows_match_plan, read_results_file
from harness.results.store import (COLUMNS, MANIFEST, RESUME_FIX, TRIALS, TrialWriter, read_manifest, recover_trials,
                                   trial_columns, write_failed, write_json_atomic)

# The cells of a trials.csv row that must equal its trial's in the plan (harness.plan.Trial).
TRIAL_FIELDS = ("algorithm", "sweep", "row_fraction", "feature_fraction", "repetition")
# The same for a searches.csv row (harness.plan.tuning.TuningTrial).
SEARCH_FIELDS = ("algorithm", "strategy", "sweep", "row_fraction", "feature_fraction", "repetition")


def check_writable(directory: Path, create: bool = True) -> None:
    """Fail early, before anything is written, if runs cannot be created under ``directory``.
    With ``create=False`` (a dry run) nothing is created: the nearest existing folder is checked."""
    if not create:
        existing = directory
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
            what = "is not a folder" if not existing.is_dir() else "is not writable"
            raise ResultsError(f"{directory}: cannot create the results directory ({existing} {what}); "
                               "choose another with --results-dir")
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ResultsError(f"{directory}: cannot create the results directory ({e.strerror}); "
                           "choose another with --results-dir") from None
    if not directory.is_dir() or not os.access(directory, os.W_OK | os.X_OK):
        raise ResultsError(f"{directory}: results directory is not writable; fix its permissions or use --results-dir")


class Run:
    """One run directory, held with a lock while this process writes to it.

    On resume it refuses what would mix results: another design (spec), another meter, another
    dataset file or feature matrix, or rows that do not belong to this plan.
    """

    def __init__(self, spec: Spec, run_dir: Path, meter_name: str | None, fresh: bool):
        """``meter_name`` None: not known yet (a cluster's workers pick the meter once it has
        started): the directory is locked and the design checked now, and ``use_meter`` checks
        the meter (or, with ``fresh``, moves the old files aside) later."""
        self.spec, self.dir, self.fresh = spec, run_dir, fresh
        self.trials_path, self.manifest_path = run_dir / TRIALS, run_dir / MANIFEST
        self._created = []  # folders made here, deepest first: abandon() removes them
        missing = run_dir
        while not missing.exists() and missing != missing.parent:
            self._created.append(missing)
            missing = missing.parent
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ResultsError(f"{run_dir}: cannot create the run directory ({e.strerror}); use --results-dir") from None
        if not os.access(run_dir, os.W_OK | os.X_OK):
            raise ResultsError(f"{run_dir}: the run directory is not writable; make it writable (permissions, "
                               "read-only mount, chattr) and run the same command again, or use --results-dir")
        self._lock = _lock(run_dir)
        old = {} if fresh else read_manifest(run_dir)
        self.manifest: dict = {}
        self.done: set[int] = set()
        self.unverified = 0  # rows without a checksum (written before row_sha256 existed)
        if not fresh:
            check_resumable(run_dir, old, spec, meter_name)
            self.manifest = old
        self._meter_checked = False
        if meter_name is not None:
            self.use_meter(meter_name)

    def use_meter(self, meter_name: str) -> None:
        """The meter the run measures with, once known: a resumed run must have been measured with
        it (ResultsError); ``fresh``: the old files move aside now, the first write."""
        if self._meter_checked:
            return
        if self.fresh:
            self._set_aside()
        else:
            check_resumable(self.dir, self.manifest, self.spec, meter_name)
        self._meter_checked = True

    def abandon(self) -> None:
        """Undo opening, when the run ends before ``use_meter`` (a cluster that did not start, a
        refusal from its workers): the lock is released and the folders made for it are removed,
        so a refused run leaves nothing behind. A run directory that existed keeps its lock file."""
        self._lock.close()
        if self._created:
            try:
                (self.dir / LOCK).unlink()
                for folder in self._created:
                    folder.rmdir()
            except OSError:  # not empty (another process wrote there): leave it
                pass

    def close(self) -> None:
        """Release the run's lock (the end of this process's writes); safe to call twice."""
        self._lock.close()

    def check_inputs(self, dataset, features, algorithms=None, meter_info: dict | None = None) -> None:
        """A resumed run must see the same dataset file, feature matrix and estimator classes, and
        an estimate run the same watts per core (``meter_info``: the executor's manifest "meter")."""
        check_same_inputs(self.dir, self.manifest, dataset, features, algorithms)
        check_same_estimate(self.dir, self.manifest, meter_info)

    def _set_aside(self) -> None:
        """--fresh never deletes results: the old files move into a dated folder beside them."""
        old = [p for p in self.dir.iterdir() if p.name != LOCK and not p.name.startswith("replaced-")]
        if not old:
            return
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        aside, n = self.dir / f"replaced-{stamp}", 1
        while aside.exists():
            n += 1
            aside = self.dir / f"replaced-{stamp}-{n}"
        try:
            aside.mkdir()
            for p in old:
                shutil.move(str(p), aside / p.name)
        except OSError as e:
            raise write_failed(aside, e, "move the old files aside for --fresh") from None

    def open(self, plan: list[Trial]) -> TrialWriter:
        """Check trials.csv (``store.recover_trials``: a torn last line is moved aside, any other
        damage refused), check its rows are this plan's, and open it for appending."""
        columns = trial_columns([name for name, _ in plan[0].levels]) if plan and plan[0].levels else trial_columns()
        scan = recover_trials(self.trials_path, columns)
        self.done, self.unverified = scan.trial_ids, scan.unverified
        check_rows_match_plan(scan, plan, TRIAL_FIELDS)
        self.scan = scan  # the rows already there: an adaptive run judges its configurations on them
        return TrialWriter(self.trials_path, columns)

    def save_manifest(self) -> None:
        write_json_atomic(self.manifest_path, self.manifest)


def check_resumable(run_dir: Path, old: dict, spec: Spec, meter_name: str | None) -> None:
    """Raise ResultsError if the run in ``run_dir`` (its manifest ``old``, {} if none) cannot be
    resumed with ``spec`` and ``meter_name`` (None: not known yet, not checked) without mixing results."""
    if not old:
        trials = run_dir / TRIALS
        if trials.exists() and trials.read_bytes().count(b"\n") > 1:
            raise ResultsError(f"{run_dir}: trials.csv has rows but no manifest.json, so its design cannot "
                               "be checked; rerun with --fresh (old files are kept aside) or use --name")
        return
    if old.get("design_hash") != spec.design_hash():
        changed = changed_fields(old.get("spec"), spec)
        what = f"changed: {changed}" if changed else "design changed"
        raise ResultsError(
            f"{run_dir}: this run was made from a different spec ({what}); "
            "rerun with --fresh to start over (old files are kept aside) or use --name for a new run")
    if meter_name is not None and old.get("meter", {}).get("name") != meter_name:
        raise ResultsError(
            f"{run_dir}: this run was measured with meter {old.get('meter', {}).get('name')!r}, "
            f"not {meter_name!r}; resume with that meter (--meter), or start over with --fresh")


def check_same_inputs(run_dir: Path, manifest: dict, dataset, features, algorithms=None) -> None:
    """A resumed run (``manifest`` not empty) must see the same dataset file and feature matrix, and
    each algorithm must resolve to the class it ran with (``algorithms``: name -> Algorithm; a
    harness version can change what a name resolves to, e.g. ``replication: ict4s22``'s ``knn``)."""
    if not manifest:
        return
    if manifest.get("dataset", {}).get("sha256") != dataset.sha256:
        raise ResultsError(f"{run_dir}: the dataset file changed since this run started ({dataset.path}, "
                           "sha256 differs); restore it, or start over with --fresh")
    if manifest.get("features", {}).get("cache_key") != features.cache_key:
        raise ResultsError(f"{run_dir}: the features differ from this run's (text settings, scikit-learn "
                           "or NLTK version changed); resume with the same versions, or start over with --fresh")
    ran = manifest.get("algorithms") or {}
    for name, alg in (algorithms or {}).items():
        before, now = (ran.get(name) or {}).get("class"), alg.describe()["class"]
        if before and before != now:
            raise ResultsError(f"{run_dir}: algorithm {name!r} ran as {before} and would now run as {now} (this "
                               "harness version resolves it differently); resume with the harness version that "
                               "started the run, or start over with --fresh (old files are kept aside)")


# The estimate meter's watts per core before they came from a TDP table: a manifest whose meter has
# no ``per_core_source`` was measured with this constant (harness.meters.estimate.LEGACY_W_PER_CORE).
LEGACY_W_PER_CORE = 10.0


def _estimate_part(info) -> dict | None:
    """The estimate meter's facts in a manifest's "meter" (alone, or a part of nvml+estimate)."""
    if not isinstance(info, dict):
        return None
    for part in [info, *(info.get("parts") or [])]:
        if isinstance(part, dict) and part.get("name") == "estimate":
            return part
    return None


def check_same_estimate(run_dir: Path, manifest: dict, meter_info: dict | None) -> None:
    """A resumed run measured with the ``estimate`` meter must model the same watts per core: its
    joules are CPU seconds times that constant, so two constants in one run would move every
    comparison of trials from its two sessions. ResultsError in one line otherwise. A manifest
    without ``per_core_w`` is read as ``LEGACY_W_PER_CORE`` (10 W, the constant of those versions)."""
    old, new = _estimate_part((manifest or {}).get("meter")), _estimate_part(meter_info)
    if old is None or new is None or new.get("per_core_w") is None:
        return
    source = old.get("per_core_source")
    before = old.get("per_core_w", LEGACY_W_PER_CORE)
    if before is not None and abs(float(before) - float(new["per_core_w"])) > 1e-9 * max(abs(float(before)), 1.0):
        said = source or ("recorded by a harness version before the TDP table" if "per_core_w" in old else
                          "not recorded: the 10 W constant of harness versions before the TDP table")
        raise ResultsError(
            f"{run_dir}: this run's estimate meter modelled {float(before):.2f} W per busy core ({said}); "
            f"here it models {float(new['per_core_w']):.2f} W ({new.get('per_core_source')}), which would mix two "
            "constants in one run's joules; resume on the machine and harness version that started it, or start "
            "over with --fresh (old files are kept aside)")


def changed_fields(old_spec, spec: Spec, limit: int = 4) -> str:
    """The design fields (dotted paths) whose values differ between a manifest's spec and ``spec``,
    e.g. "repetitions 2 -> 3, sweeps.rows.row_fractions [0.5, 1.0] -> [0.25, 1.0]"; "" if unknown."""
    if not isinstance(old_spec, dict):
        return ""
    new = spec.model_dump(mode="json", by_alias=True)
    found: list[str] = []

    def short(v) -> str:
        text = json.dumps(v, separators=(", ", ": "))
        return text if len(text) <= 40 else text[:37] + "..."

    def walk(a, b, path: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in list(a) + [k for k in b if k not in a]:
                walk(a.get(key), b.get(key), f"{path}.{key}" if path else key)
            if path == "sweeps" and list(a) != list(b) and set(a) == set(b):
                found.append(f"sweeps order {list(a)} -> {list(b)}")
        elif a != b:
            found.append(f"{path} {short(a)} -> {short(b)}")

    for key in [k for k in new if k not in ("description", "meter")]:
        walk(old_spec.get(key), new[key], key)
    shown = ", ".join(found[:limit]) + (f" and {len(found) - limit} more" if len(found) > limit else "")
    return shown


def preview(spec: Spec, run_dir: Path, meter_name: str | None, fresh: bool, dataset, features,
            plan: list[Trial], algorithms=None) -> tuple[set[int], str]:
    """What ``Run`` would do with ``run_dir``, checked as it checks, without writing anything:
    (ids of the trials already done, a sentence saying what would be written). Raises
    ResultsError as Run would. ``meter_name`` None: the meter is not checked (not known yet)."""
    trials = run_dir / TRIALS
    files = f"{trials} (one row per trial) and {run_dir / MANIFEST}"
    columns, unit = COLUMNS, "trials"
    tuning = spec.tuning is not None
    if tuning:  # a tuning run's rows are its searches (harness.run.tuning)
        from harness.plan.tuning import make_tuning_plan
        from harness.results.schema import EVALUATIONS, SEARCH_COLUMNS, SEARCHES

        trials, columns, plan, unit = run_dir / SEARCHES, SEARCH_COLUMNS, make_tuning_plan(spec), "searches"
        files = (f"{trials} (one row per search), {run_dir / EVALUATIONS} (one row per setting tried) "
                 f"and {run_dir / MANIFEST}")
    if not run_dir.exists():
        return set(), f"would create {run_dir}/ with {files}"
    if not run_dir.is_dir():
        raise ResultsError(f"{run_dir}: exists and is not a folder; use --name or --results-dir")
    if not os.access(run_dir, os.W_OK | os.X_OK):
        raise ResultsError(f"{run_dir}: the run directory is not writable; make it writable (permissions, "
                           "read-only mount, chattr) and run the same command again, or use --results-dir")
    lock = run_dir / LOCK
    if lock.exists():
        import fcntl

        try:
            f = open(lock)
        except OSError as e:
            raise ResultsError(f"{lock}: cannot open the lock file ({e.strerror}); if no harness process is "
                               "running this run, delete it and run the same command again") from None
        with f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ResultsError(f"{run_dir}: another harness process is running this run; wait for it to end, "
                                   "or use --name for a separate run") from None
    old_files = sorted(p.name for p in run_dir.iterdir() if p.name != LOCK and not p.name.startswith("replaced-"))
    if fresh:
        moved = (f"would move {', '.join(old_files)} into {run_dir}/replaced-<UTC time>/, then " if old_files
                 else "would ")
        return set(), f"{moved}write {files} from the start (--fresh)"
    old = read_manifest(run_dir) if (run_dir / MANIFEST).exists() else {}
    check_resumable(run_dir, old, spec, meter_name)
    check_same_inputs(run_dir, old, dataset, features, algorithms)
    done: set[int] = set()
    if old and trials.exists():
        scan = read_results_file(trials, columns, fix=RESUME_FIX)  # damage refused as a resume would
        check_rows_match_plan(scan, plan, SEARCH_FIELDS if tuning else TRIAL_FIELDS, "search" if tuning else "trial")
        done = scan.trial_ids
    if len(done) >= len(plan):
        return done, f"would write nothing: all {len(plan)} {unit} are already done in {trials}"
    if done:
        return done, f"would resume {run_dir}: append the remaining {unit} to {trials}, update {run_dir / MANIFEST}"
    return set(), f"would write {files}"



def _lock(run_dir: Path):
    """An exclusive lock on the run directory for the life of this process: two runs writing to
    one trials.csv would duplicate trials."""
    import fcntl

    path = run_dir / LOCK
    try:
        f = open(path, "a")
    except PermissionError:
        try:  # a stale lock file we may not write: flock needs only an open file, not a writable one
            f = open(path, "r")
        except OSError as e:
            raise ResultsError(f"{path}: cannot open the lock file ({e.strerror}); if no harness process is "
                               "running this run, delete it and run the same command again") from None
    except OSError as e:
        raise write_failed(path, e, "create the lock file") from None
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise ResultsError(f"{run_dir}: another harness process is running this run; wait for it to end, "
                           "or use --name for a separate run") from None
    return f


def out_dir(path: str | Path, out: str | None, default_dir: str) -> Path:
    """Where an analysis command writes: ``out`` if given; else ``default_dir`` inside a run directory
    (or beside its trials.csv), or ``<stem>-<default_dir>`` beside a CSV file."""
    if out:
        return Path(out)
    path = Path(path)
    if path.is_dir():
        return path / default_dir
    if path.name == "trials.csv":
        return path.parent / default_dir
    return path.with_name(f"{path.stem}-{default_dir}")
