"""Read results for analysis: a run directory (trials.csv + manifest.json) or the ICT4S'22 published
CSV, normalised to one DataFrame with the columns of ``harness.results.store.COLUMNS``.

The ICT4S'22 replication package (Verdecchia et al., "Data-centric Green AI", ICT4S 2022) has one
CSV, recognised by its header (``ICT4S22_COLUMNS``). It maps to ours as follows:

- ``RQ`` 2.1 is the rows sweep (``sweep="rows"``, ``feature_fraction=1``), 2.2 the features sweep
  (``sweep="features"``, ``row_fraction=1``);
- ``no_datapoints`` -> ``n_train`` (it counts training rows), ``no_features`` -> ``n_features``;
- the fraction of a level is its count over the full count, to two decimals: ``no_datapoints`` /
  the largest ``no_datapoints`` in the file (rows sweep), ``no_features`` / the largest
  ``no_features`` (features sweep); 389 / 3900 -> 0.1, 7352 / 8169 -> 0.9. On the complete file
  this equals the rank of the count among the ten levels divided by ten, and unlike the rank it
  stays right for an excerpt that lacks some levels. The count, not the ``experiment_id`` order,
  because in the published rows sweep the ids run 90%, 80%, ..., 10%, 100% (their subsampling kept
  the train part of ``train_test_split(test_size=fraction)``); the counts are what was trained on;
- ``experiment_id`` -> ``config_id``, ``iteration`` -> ``repetition``;
- ``meter="codecarbon (published)"`` and ``energy_estimated=False``: CodeCarbon's figures for their
  machine, not this harness's CPU-time estimate. They are not joules: the original script
  multiplied ``EmissionsTracker.stop()`` by 3.6e6 and called it joules, but ``stop()`` returns
  emissions in kgCO2e (CodeCarbon 1.2.0). So the "energy" is carbon scaled to look like joules:
  proportional to energy only while the grid's carbon intensity stayed constant. Tables and
  figures call it ``ICT4S22_LABEL`` and give its unit as ``ICT4S22_UNIT``, never J;
- algorithm names map to ours (``ICT4S22_ALGORITHMS``); unknown names become snake_case;
- ``<phase>_below_resolution`` flags are NaN (not recorded, ``ICT4S22_FLAGS_NOTE``): CodeCarbon 1.2.0
  does not read the RAPL counters at a phase's start and end; it samples RAPL power every 15 s and
  once more at ``stop()`` and integrates it, and it has no RAM model. A meter resolution of RAPL's
  counters does not describe that, so no phase can be flagged against it;
- phase times (``<phase>_s``) are the tracker's wall time, which includes about 1.4 s of
  ``EmissionsTracker`` start-up (the smallest published ``train_time(s)`` is 1.379 s; k-NN's median
  is 1.45 s for a fit of milliseconds): they are not the phase's duration, and ratios between them
  (RQ1's "x smallest (time)") are not shown for this file (``ICT4S22_TIMES_NOTE``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from harness.errors import ResultsError, UsageError, counted
from harness.results.read import READ_FIX, ResultsFile, check_results, read_bytes, read_header
from harness.results.schema import COLUMNS, MANIFEST, TRIALS
from harness.models.versions import ICT4S22_VERSIONS

ICT4S22_COLUMNS = (
    "algorithm", "RQ", "experiment_id", "iteration", "no_datapoints", "no_features",
    "preprocessing_energy(J)", "preprocessing_time(s)", "train_energy(J)", "train_time(s)",
    "predict_energy(J)", "predict_time(s)", "datatype", "accuracy", "precision", "recall", "f1",
)

ICT4S22_ALGORITHMS = {
    "SVM": "svm",
    "Decision Tree": "decision_tree",
    "KNN": "knn",
    "Random Forest": "random_forest",
    "AdaBoost": "adaboost",
    "Bagging Classifier": "bagging",
    "Naive Bayes": "naive_bayes",
}

ICT4S22_METER = "codecarbon (published)"
# energy_experiment.py: energy_stats() multiplies EmissionsTracker.stop() by 1000 * 3600, but stop()
# returns kgCO2e. CodeCarbon 1.2.0 samples RAPL CPU power (every 15 s and at stop()) where it can
# read it, else models CPU power from the TDP; it has no RAM model.
ICT4S22_LABEL = ("published ICT4S'22 'energy': CodeCarbon emissions x3.6e6 (kgCO2e, proportional to "
                 "energy at constant grid intensity; not joules)")
ICT4S22_UNIT = "kgCO2e x3.6e6, not J"

# What the statistics read; a trials.csv without one of these cannot be analysed.
REQUIRED = (
    "algorithm", "sweep", "row_fraction", "feature_fraction", "repetition", "n_train", "n_features",
    "preprocess_energy_j", "preprocess_s", "train_energy_j", "train_s", "predict_energy_j",
    "predict_s", "meter", "energy_estimated", "f1",
)

PHASES = ("preprocess", "train", "predict")
FLAGS = tuple(f"{phase}_below_resolution" for phase in PHASES)
ICT4S22_FLAGS_NOTE = ("below-resolution flags are not recorded for the published data: CodeCarbon 1.2.0 "
                      "sampled RAPL power every 15 s and at stop(), not the counters at a phase's start and end")
ICT4S22_TIMES_NOTE = ("published phase times include about 1.4 s of CodeCarbon tracker start-up (smallest "
                      "train time 1.379 s), so time ratios between algorithms are not shown for this file")

ESTIMATED_LABEL = "estimated energy (CPU-time model, not measured)"


@dataclasses.dataclass(frozen=True)
class Results:
    """Trials ready for analysis, with what the tables must say about their energy.

    ``trials`` has the ``COLUMNS`` of trials.csv (fractions as floats, ``energy_estimated`` as
    bool). ``baseline`` is the manifest's idle baseline (``duration_s``, ``total_w``, ...) or None;
    ``manifest`` the manifest.json it came from, if one was read. ``net`` is True once
    ``net_of_baseline`` has subtracted it.
    """

    trials: pd.DataFrame
    source: Path
    layout: str  # "run" or "ict4s22"
    baseline: dict | None = None
    net: bool = False
    manifest: Path | None = None
    unverified: int = 0  # rows whose values no row_sha256 vouches for (written before checksums)
    planned_trials: int | None = None  # the manifest's n_trials: the plan's size
    versions: tuple = ()  # (label, library versions) per session or source: harness.models.versions
    algorithm_classes: dict = dataclasses.field(default_factory=dict)  # name -> (class path, params)
    replication: str = "none"
    tactics: dict = dataclasses.field(default_factory=dict)  # factor -> built-in tactic (manifest's spec)
    torn_bytes: int = 0  # length of a torn last line of trials.csv, left out (store.recover_trials cuts it)
    executors: tuple = ()  # how each session ran its trials ("local", "dask, 2 workers"), from the manifest
    dataset_sha256: str | None = None  # the manifest's dataset file checksum (None: not recorded)
    host: str | None = None  # the one host kept (analyze --host), harness.analysis.hosts
    hosts_note: str = ""  # which hosts the trials come from, and whether they were pooled: for the header
    adaptive: dict | None = None  # the manifest's ``adaptive`` entry (harness.plan.adaptive.summary), if any
    footprint: dict | None = None  # the manifest's ``footprint``: what the run itself cost (harness.run.footprint)

    @property
    def energy_unit(self) -> str:
        """Unit of the energy columns: J, or the published file's scaled emissions."""
        return ICT4S22_UNIT if self.layout == "ict4s22" else "J"

    @property
    def incomplete(self) -> bool:
        """True when the manifest planned more trials than trials.csv holds."""
        return self.planned_trials is not None and len(self.trials) < self.planned_trials

    def completeness_note(self) -> str:
        """"incomplete run: 40 of 72 planned trials" for a run that has not finished, else ""."""
        if not self.incomplete:
            return ""
        if self.adaptive is not None:
            return (f"incomplete run: {len(self.trials)} trials, adaptive repetitions still open (at most "
                    f"{self.planned_trials} planned)")
        return f"incomplete run: {len(self.trials)} of {self.planned_trials} planned trials"

    @property
    def estimated(self) -> bool:
        """True when any energy in the trials is modelled rather than measured."""
        t = self.trials
        return bool(t["energy_estimated"].any() or (t["meter"] == "estimate").any())

    @property
    def meters(self) -> list[str]:
        return sorted(self.trials["meter"].dropna().astype(str).unique())

    def energy_notes(self) -> list[str]:
        """Qualifiers every table and figure must carry about the energy it shows."""
        notes = []
        if self.estimated:
            notes.append(ESTIMATED_LABEL)
        if self.net:
            notes.append(f"net of the idle baseline ({self.baseline['total_w']:.3g} W x phase duration)")
        if self.layout == "ict4s22":
            notes.append(ICT4S22_LABEL)
        return notes


def f1_averages(trials: pd.DataFrame) -> tuple[str, ...]:
    """How the trials' precision, recall and F1 are averaged (``f1_average``: "binary", "macro"),
    sorted; ("binary",) for files written before the column existed (every run then had two classes)."""
    if "f1_average" not in trials.columns:
        return ("binary",)
    values = trials["f1_average"].astype("string").fillna("").replace("", "binary")
    return tuple(sorted(set(values))) or ("binary",)


def load_results(path: str | Path) -> Results:
    """Results from a run directory, a trials.csv, or an ICT4S'22-layout CSV (told by its header).

    A CSV with the harness's columns is read itself, whatever its name; its manifest (idle
    baseline) only when it is named trials.csv and a manifest.json sits beside it.
    """
    path = Path(path)
    if path.is_dir():
        trials_csv = path / TRIALS
        if not trials_csv.is_file():
            raise ResultsError(f"{trials_csv}: no trials.csv here; pass a run directory made by "
                               "'harness run'")
        return _from_trials_csv(trials_csv, path / MANIFEST)
    if not path.exists():
        raise ResultsError(f"{path}: no such run directory or CSV file; pass a run directory "
                           "(with trials.csv) or the ICT4S'22 experiment_data.csv")
    data = read_bytes(path)
    header = read_header(data, path)
    if set(ICT4S22_COLUMNS) <= set(header):
        trials = ict4s22_frame(check_results(data, path, ANALYSIS_FIX, ICT4S22_COLUMNS, key=(), strict=False,
                                             integers=ICT4S22_INTEGERS, floats=ICT4S22_FLOATS))
        return Results(trials=trials, source=path, layout="ict4s22",
                       versions=((f"{path} (ICT4S'22 requirements.txt)", ICT4S22_VERSIONS),),
                       algorithm_classes=_ict4s22_classes(trials["algorithm"].unique()), replication="ict4s22")
    if path.name == TRIALS or set(REQUIRED) <= set(header):
        manifest = path.parent / MANIFEST if path.name == TRIALS else None
        return _from_trials_csv(path, manifest, data)
    what = "is empty" if not header else "is neither a harness trials.csv nor the ICT4S'22 layout"
    raise ResultsError(f"{path}: header {what} ({','.join(ICT4S22_COLUMNS[:4])},... or "
                       f"{','.join(REQUIRED[:4])},...); pass a run directory or that CSV")


ANALYSIS_FIX = "restore the file from a copy, or delete that line (keep a copy) to analyse the others"


def torn_line_note(path: Path, n_bytes: int) -> str:
    """The one line said when an analysis leaves out a torn last line of ``path`` (``n_bytes`` long)."""
    then = ("; the same 'harness run' command moves it to torn-<time>.csv and runs that trial again"
            if path.name == TRIALS else "")
    return (f"harness: note: {path}: its last line ({n_bytes} bytes, no newline) is a trial cut short, left out "
            f"of the analysis{then}")


def read_complete_csv(path: Path, data: bytes | None = None) -> tuple[pd.DataFrame, int, int]:
    """A trials CSV without its torn last line (a final line with no newline is a trial being
    written, or cut short, not a trial), how many of its rows carry no checksum, and the torn
    line's length in bytes (0 if none; the CLI says so with ``torn_line_note``).

    Read once by ``harness.results.read.check_results``, every line checked as on resume: a
    damaged line (binary bytes, an unclosed quote, a wrong field count, a non-number in a number
    column, a trial_id twice) or a ``row_sha256`` that does not match its row raises ResultsError
    naming the line. A CSV with another subset of the columns (an export) is checked the same
    way, but no checksum vouches for it: all its rows count as unverified. ``data``: the file's
    bytes when the caller has them already."""
    file = check_results(read_bytes(path) if data is None else data, path, ANALYSIS_FIX, COLUMNS, strict=False)
    frame = file.frame() if file.columns else pd.DataFrame(columns=list(COLUMNS))
    return frame, file.unverified, len(file.torn)


def _from_trials_csv(path: Path, manifest: Path | None, content: bytes | None = None) -> Results:
    """A harness trials CSV (``content``: its bytes, if read already); ``manifest`` is the
    manifest.json to take the baseline from (if it exists)."""
    trials, unverified, torn = read_complete_csv(path, content)
    missing = [c for c in REQUIRED if c not in trials.columns]
    if missing:
        raise ResultsError(f"{path}: missing column(s) {', '.join(missing)}; "
                           "it was not written by this harness's 'run'")
    if trials.empty:
        raise ResultsError(f"{path}: no finished trials yet; run the experiment first")
    if "trial_id" in trials.columns:
        dup = trials["trial_id"][trials["trial_id"].duplicated()].unique()
        if len(dup):
            shown = ", ".join(str(i) for i in sorted(dup)[:5]) + (", ..." if len(dup) > 5 else "")
            raise ResultsError(f"{path}: {len(dup)} trial_id(s) appear more than once ({shown}), "
                               "e.g. two runs wrote into the same directory; rerun into a fresh "
                               "--name")
    trials = trials.copy()
    trials["energy_estimated"] = _as_bool(trials["energy_estimated"])
    for col in ("row_fraction", "feature_fraction"):
        trials[col] = trials[col].astype(float)
    trials["algorithm"] = trials["algorithm"].astype(str)
    trials["sweep"] = trials["sweep"].astype(str)
    trials["meter"] = trials["meter"].astype(str)
    if "treatment" not in trials.columns:  # written before tactics: the ICT4S'22 pair
        trials["treatment"] = legacy_treatment(trials)
        trials["level_rows"] = trials["row_fraction"].map(repr)
        trials["level_features"] = trials["feature_fraction"].map(repr)
    trials["treatment"] = trials["treatment"].astype(str)
    for col in FLAGS:  # absent in runs made before the flags: NaN, "not recorded"
        trials[col] = _as_flag(trials[col]) if col in trials.columns else np.nan
    baseline = planned = None
    data = {}
    if manifest is not None and manifest.is_file():
        try:
            data = json.loads(read_bytes(manifest).decode("utf-8"))
            baseline = data.get("baseline") or None
            planned = data.get("n_trials")
        except (ValueError, AttributeError) as e:
            raise ResultsError(f"{manifest}: not a JSON object ({' '.join(str(e).split())}); restore it or "
                               "analyse the trials.csv copied elsewhere") from None
    else:
        manifest = None
    source = path.parent if path.name == TRIALS else path
    hosts = data.get("hosts") if isinstance(data.get("hosts"), dict) else {}
    if "host" in trials.columns and hosts:  # trials that ran at once per host (Dask): carbon shares
        shared = {h: int(v.get("concurrent_trials") or 1) for h, v in hosts.items() if isinstance(v, dict)}
        trials["concurrent_trials"] = trials["host"].map(lambda h: shared.get(str(h), 1)).astype(int)
    sessions = [s for s in data.get("sessions") or [] if isinstance(s, dict) and s.get("versions")]
    versions = tuple((f"{source} session {i + 1}", s["versions"]) for i, s in enumerate(sessions))
    if not versions and isinstance(data.get("versions"), dict):
        versions = ((str(source), data["versions"]),)
    classes = {name: (a.get("class", ""), a.get("params") or {})
               for name, a in (data.get("algorithms") or {}).items() if isinstance(a, dict)}
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    replication = spec.get("replication") or "none"
    tactics = {name: t["tactic"] for name, t in (spec.get("tactics") or {}).items()
               if isinstance(t, dict) and isinstance(t.get("tactic"), str)}
    executors = tuple(sorted({_executor_label(s.get("executor")) for s in data.get("sessions") or []
                              if isinstance(s, dict) and isinstance(s.get("executor"), dict)}))
    dataset = data.get("dataset") if isinstance(data.get("dataset"), dict) else {}
    adaptive = data.get("adaptive") if isinstance(data.get("adaptive"), dict) else None
    if adaptive is not None and adaptive.get("finished"):  # every configuration stopped: nothing more planned
        planned = len(trials)
    return Results(trials=trials, source=source, layout="run", baseline=baseline, manifest=manifest,
                   unverified=unverified, planned_trials=int(planned) if isinstance(planned, (int, float)) else None,
                   versions=versions, algorithm_classes=classes, replication=replication, tactics=tactics,
                   torn_bytes=torn, executors=executors, dataset_sha256=dataset.get("sha256") or None,
                   adaptive=adaptive,
                   footprint=data.get("footprint") if isinstance(data.get("footprint"), dict) else None)


def _executor_label(described: dict) -> str:
    """A session's executor (``Executor.describe()``) in words: "local", "dask, 2 workers"."""
    kind = str(described.get("kind", "unknown"))
    workers = described.get("workers")
    return f"{kind}, {workers} worker{'s' if workers != 1 else ''}" if workers is not None else kind


def _ict4s22_classes(names) -> dict:
    """The published algorithms' classes and parameters (energy_experiment.py's CLASSIFIERS)."""
    from harness.models.algorithms import BASELINES

    out = {}
    for name in names:
        if name in BASELINES:
            path, params = BASELINES[name]
            out[name] = (path, dict(params))
    return out


def pool(parts: list[Results], mixed_versions: bool = False) -> tuple[Results, list[str]]:
    """Several runs analysed as one: their trials concatenated (each keeps its ``run``).

    Raises ResultsError when they cannot be pooled: the published ICT4S'22 file with runs (its
    'energy' is scaled emissions, not joules), runs on different datasets or protocols
    (``check_same_design``), or library versions that move results
    (``harness.models.versions.check_poolable``) unless ``mixed_versions``. Returns the pooled results
    and the lines to print: version warnings, and notes where executors, hosts or meters differ
    (``differences``). One part is returned as it is.
    """
    from harness.models.versions import check_poolable

    sources = [v for p in parts for v in p.versions]
    warnings = check_poolable(sources, mixed_versions)
    if len(parts) == 1:
        return parts[0], warnings
    layouts = {p.layout for p in parts}
    if len(layouts) > 1:
        raise ResultsError("cannot pool the published ICT4S'22 file with harness runs: its 'energy' is "
                           "CodeCarbon emissions x3.6e6, not joules; analyse them separately")
    check_same_design(parts)
    warnings = [*warnings, *differences(parts)]
    trials = pd.concat([p.trials for p in parts], ignore_index=True)
    classes = {k: v for p in parts for k, v in p.algorithm_classes.items()}
    tactics = {k: v for p in parts for k, v in p.tactics.items()}
    replications = {p.replication for p in parts}
    pooled = Results(trials=trials, source=parts[0].source, layout=parts[0].layout,
                     baseline=None, manifest=None, unverified=sum(p.unverified for p in parts), versions=tuple(sources), algorithm_classes=classes,
                     replication=replications.pop() if len(replications) == 1 else "mixed", tactics=tactics,
                     executors=tuple(sorted({e for p in parts for e in p.executors})),
                     planned_trials=(sum(p.planned_trials for p in parts)
                                     if all(p.planned_trials is not None for p in parts) else None))
    return pooled, warnings


def _values(part: Results, column: str) -> str:
    """The distinct values of a column of a part's trials, as text ("not recorded" if none)."""
    t = part.trials
    seen = sorted(t[column].dropna().astype(str).unique()) if column in t.columns else []
    return ", ".join(seen) or "not recorded"


def check_same_design(parts: list[Results]) -> None:
    """Raise ResultsError, naming the first two runs that differ, when ``parts`` were run on
    different datasets (the trials' ``dataset`` names, or the manifests' dataset sha256 where both
    recorded one) or under different protocols (``protocol``): their trials answer different
    questions, and a pooled median over them describes neither."""
    first = parts[0]
    for other in parts[1:]:
        for column in ("dataset", "protocol"):
            a, b = _values(first, column), _values(other, column)
            if a != b:
                raise ResultsError(f"cannot pool runs of different {column}s: {first.source} ({column} {a}) and "
                                   f"{other.source} ({column} {b}); analyse them separately")
        if first.dataset_sha256 and other.dataset_sha256 and first.dataset_sha256 != other.dataset_sha256:
            raise ResultsError(f"cannot pool runs of different datasets: {first.source} and {other.source} both "
                               f"name dataset {_values(first, 'dataset')} but read different files (sha256 "
                               f"{first.dataset_sha256[:12]}... and {other.dataset_sha256[:12]}...); analyse them "
                               "separately")


def differences(parts: list[Results]) -> list[str]:
    """One note per way the runs to be pooled differ without being refused: executors (trials run
    one at a time or several at once: energy estimated under concurrency differs), hosts, meters."""
    notes = []
    for what, of in (("executors", lambda p: ", ".join(p.executors) or "not recorded"),
                     ("hosts", lambda p: _values(p, "host")), ("host hardware", _hardware),
                     ("meters", lambda p: _values(p, "meter"))):
        seen = {str(p.source): of(p) for p in parts}
        if len(set(seen.values())) > 1:
            detail = "; ".join(f"{src}: {v}" for src, v in seen.items())
            notes.append(f"note: pooling runs with different {what} ({detail}); their energies and times "
                         "may not be one sample")
    repeated = _repeated_seeds(parts)
    if repeated:
        notes.append(f"note: {counted(repeated, 'trial')} of the pooled runs repeat a configuration and seed of "
                     "another run (the same design run again): their scores are identical copies, counted once per "
                     "run in F1 statistics (which then look more precise than they are); their energy and time are "
                     "independent re-measurements (table 'between_runs' shows the spread between runs)")
    return notes


def _repeated_seeds(parts: list[Results]) -> int:
    """How many trials of ``parts`` have a (configuration, seed) that an earlier part already has."""
    levels = sorted({c for p in parts for c in p.trials.columns if c.startswith("level_")})
    key = [c for c in ("algorithm", "sweep", "row_fraction", "feature_fraction", *levels, "seed")
           if all(c in p.trials.columns for p in parts)]
    if "seed" not in key or "algorithm" not in key:
        return 0
    seen: set = set()
    repeated = 0
    for p in parts:
        keys = set(map(tuple, p.trials[key].astype(str).itertuples(index=False, name=None)))
        repeated += len(keys & seen)
        seen |= keys
    return repeated


def _hardware(part: Results) -> str:
    """The CPU model and core count of each host the part's manifest recorded ("AMD EPYC x 2 cores"),
    so that runs from two machines with the same host name (a VM image's "vm", "localhost") are not
    taken for one machine; "not recorded" without a manifest or its ``hosts``."""
    try:
        hosts = json.loads(part.manifest.read_text(encoding="utf-8")).get("hosts") or {}
    except (AttributeError, OSError, ValueError):
        hosts = {}
    seen = sorted({f"{h.get('cpu_model')} x {h.get('cpu_count')} cores" for h in hosts.values() if isinstance(h, dict)})
    return ", ".join(seen) or "not recorded"


def _as_bool(col: pd.Series) -> pd.Series:
    if col.dtype == bool:
        return col
    return col.astype(str).str.strip().str.lower().isin(("true", "1", "yes"))


def _as_flag(col: pd.Series) -> pd.Series:
    """True/False (or 1/0) as 1.0/0.0, anything else (missing) as NaN."""
    text = col.astype(str).str.strip().str.lower()
    return text.map({"true": 1.0, "1": 1.0, "1.0": 1.0, "false": 0.0, "0": 0.0, "0.0": 0.0})


ICT4S22_INTEGERS = ("experiment_id", "iteration", "no_datapoints", "no_features")
ICT4S22_FLOATS = ("preprocessing_energy(J)", "preprocessing_time(s)", "train_energy(J)", "train_time(s)",
                  "predict_energy(J)", "predict_time(s)", "accuracy", "precision", "recall", "f1")
ICT4S22_SOURCE = ("the ICT4S'22 replication package's data/experiment_data.csv "
                  "(github.com/GreenAIproject/ICT4S22)")


def read_ict4s22(path: str | Path) -> pd.DataFrame:
    """The ICT4S'22 published CSV as a DataFrame with our ``COLUMNS`` (see the module docstring).

    Read once and checked line by line (``harness.results.read.check_results``): ResultsError,
    naming the file (and line), when it is missing, unreadable, not that layout, or a count or
    measurement cell is not a number."""
    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"{path}: no such file; download {ICT4S22_SOURCE} and pass its path")
    data = read_bytes(path)
    header = read_header(data, path)
    missing = [c for c in ICT4S22_COLUMNS if c not in header]
    if missing:
        raise ResultsError(f"{path}: missing ICT4S'22 column(s) {', '.join(missing)}; pass {ICT4S22_SOURCE}")
    return ict4s22_frame(check_results(data, path, READ_FIX, ICT4S22_COLUMNS, key=(), strict=False,
                                       integers=ICT4S22_INTEGERS, floats=ICT4S22_FLOATS))


def ict4s22_frame(file: ResultsFile) -> pd.DataFrame:
    """The rows of the published ICT4S'22 CSV, as read and checked by ``check_results`` (with
    ``integers=ICT4S22_INTEGERS, floats=ICT4S22_FLOATS``), in our ``COLUMNS``. Raises ResultsError
    naming the file when it has no rows or an ``RQ`` other than 2.1 and 2.2."""
    path = file.path
    if not file.rows:
        raise ResultsError(f"{path}: no rows after the header; pass {ICT4S22_SOURCE}")
    raw = file.frame()
    rq = raw["RQ"].astype(str).str.strip()
    unknown = sorted(set(rq) - {"2.1", "2.2"})
    if unknown:
        raise ResultsError(f"{path}: RQ must be 2.1 (rows sweep) or 2.2 (features sweep), "
                           f"found {', '.join(unknown)}")
    algorithm = raw["algorithm"].astype(str).str.strip().map(
        lambda name: ICT4S22_ALGORITHMS.get(name, _snake(name)))
    sweep = rq.map({"2.1": "rows", "2.2": "features"})
    out = pd.DataFrame({
        "run": "ict4s22-published",
        "trial_id": np.arange(len(raw)),
        "config_id": raw["experiment_id"].astype(int),
        "algorithm": algorithm,
        "dataset": "sms_spam",
        "protocol": "ict4s22",
        "sweep": sweep,
        "row_fraction": 1.0,
        "feature_fraction": 1.0,
        "repetition": raw["iteration"].astype(int),
        "seed": np.nan,
        "started_at": None,
        "finished_at": None,
        "n_train": raw["no_datapoints"].astype(int),
        "n_test": np.nan,
        "n_features": raw["no_features"].astype(int),
        "preprocess_energy_j": raw["preprocessing_energy(J)"].astype(float),
        "preprocess_s": raw["preprocessing_time(s)"].astype(float),
        "train_energy_j": raw["train_energy(J)"].astype(float),
        "train_s": raw["train_time(s)"].astype(float),
        "predict_energy_j": raw["predict_energy(J)"].astype(float),
        "predict_s": raw["predict_time(s)"].astype(float),
        "meter": ICT4S22_METER,
        "energy_estimated": False,
        "accuracy": raw["accuracy"].astype(float),
        "precision": raw["precision"].astype(float),
        "recall": raw["recall"].astype(float),
        "f1": raw["f1"].astype(float),
        "preprocess_domains_j": None,
        "train_domains_j": None,
        "predict_domains_j": None,
        "phase_boundaries": "ict4s22",
        "treatment": None,
        "n_rows": np.nan,
        "input_dtype": raw["datatype"].astype(str),
        "fit_dtype": None,
        "host": None,
        "row_sha256": None,  # the published CSV has no per-row checksum
    })
    for name, count, fraction in (("rows", "n_train", "row_fraction"),
                                  ("features", "n_features", "feature_fraction")):
        # The full count is the largest in the whole file: the other sweep always runs at 100%.
        part = out["sweep"] == name
        out.loc[part, fraction] = (out.loc[part, count] / out[count].max()).round(2)
    out["treatment"] = legacy_treatment(out)
    for phase in PHASES:  # not computable for CodeCarbon 1.2.0's sampled power (ICT4S22_FLAGS_NOTE)
        out[f"{phase}_below_resolution"] = np.nan
    return out.reindex(columns=list(COLUMNS))


def legacy_treatment(trials: pd.DataFrame) -> pd.Series:
    """The treatment label of rows written before tactics (or from the ICT4S'22 CSV): the ICT4S'22
    pair, ``rows=<fraction>`` and ``features=<fraction>`` when below 1, joined by '+', else ``none``."""
    def label(rf: float, ff: float) -> str:
        parts = [f"{name}={float(v)!r}" for name, v in (("rows", rf), ("features", ff)) if not np.isclose(v, 1.0)]
        return "+".join(parts) or "none"

    return pd.Series([label(rf, ff) for rf, ff in zip(trials["row_fraction"], trials["feature_fraction"])],
                     index=trials.index, dtype=object)


def _snake(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def net_of_baseline(results: Results) -> Results:
    """Energies minus the idle baseline: ``energy_j - total_w * phase_s`` for each phase.

    Raises UsageError when any energy is estimated (the estimate meter models only this
    process's CPU time: there is no idle power in it to subtract) or when the results have no
    usable idle baseline. Net energies may be zero or negative for short phases; cleaning drops
    those.
    """
    if results.net:
        return results
    where = results.manifest or (results.source / MANIFEST if results.source.is_dir() else results.source)
    if results.estimated:
        raise UsageError(f"{results.source}: --net subtracts idle power measured by a hardware "
                         "meter; the estimate meter models only the harness's processes' CPU time and "
                         "has no idle power to subtract; drop --net")
    if results.baseline is None and results.layout == "run" and results.manifest is None \
            and not results.source.is_dir():
        raise UsageError(f"{results.source}: --net needs the idle baseline of the run's "
                         "manifest.json, which is read only for a run directory or its trials.csv; "
                         "pass that or drop --net")
    if results.baseline is None:
        raise UsageError(f"{where}: --net needs an idle baseline ('baseline' in manifest.json) "
                         "and there is none; re-run with a baseline or drop --net")
    if "total_w" not in results.baseline:
        raise UsageError(f"{where}: 'baseline' has no 'total_w'; "
                         "re-measure the idle baseline or drop --net")
    watts = float(results.baseline["total_w"])
    trials = results.trials.copy()
    for phase in PHASES:
        trials[f"{phase}_energy_j"] = trials[f"{phase}_energy_j"] - watts * trials[f"{phase}_s"]
    return dataclasses.replace(results, trials=trials, net=True)
