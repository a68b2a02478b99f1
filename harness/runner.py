"""The runner: ``python -m harness run SPEC``.

Order of work, so that bad input never leaves anything half-written: validate the spec, open the
meter, load the dataset, resolve the algorithms, build the features, apply each treatment level once,
check the results directory; only then create the run directory, its manifest and trials.csv. Per trial: preprocess, train and predict are each
one meter window; the row is appended and fsynced as soon as the trial ends.
"""

from __future__ import annotations

import csv
import os
import platform
import shutil
import sys
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from harness import __version__
from harness.algorithms import resolve
from harness.errors import ResultsError
from harness.meters import open_meter
from harness.plan import Trial, execution_order, make_plan
from harness.spec import Spec, load_spec, parse_spec, run_name_problem
from harness.store import MANIFEST, TRIALS, TrialWriter, read_manifest, recover_trials, write_json_atomic


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def machine_facts() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu_model": cpu, "cpu_count": os.cpu_count(), "os": platform.platform(),
            "python": platform.python_version()}


def library_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"harness": __version__}
    for name in ("scikit-learn", "numpy", "scipy", "pandas", "nltk", "pyRAPL", "threadpoolctl"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _metrics(y_true, y_pred) -> dict:
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    p, r, f1, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", pos_label=1, zero_division=0)
    return {"accuracy": float(accuracy_score(y_true, y_pred)), "precision": float(p), "recall": float(r), "f1": float(f1)}


def _warmup(seconds: float) -> None:
    """Busy CPU work so that frequency and caches settle before the first measured trial."""
    import numpy as np

    a = np.random.default_rng(0).random((200, 200))
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        a = np.tanh(a @ a.T / 200.0)


def check_writable(directory: Path) -> None:
    """Fail early, before anything is written, if runs cannot be created under ``directory``."""
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

    def __init__(self, spec: Spec, run_dir: Path, meter_name: str, fresh: bool):
        self.spec, self.dir = spec, run_dir
        self.trials_path, self.manifest_path = run_dir / TRIALS, run_dir / MANIFEST
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ResultsError(f"{run_dir}: cannot create the run directory ({e.strerror}); use --results-dir") from None
        self._lock = _lock(run_dir)
        old = read_manifest(run_dir) if self.manifest_path.exists() else {}
        self.manifest: dict = {}
        self.done: set[int] = set()
        if fresh:
            self._set_aside()
        elif old:
            if old.get("design_hash") != spec.design_hash():
                raise ResultsError(
                    f"{run_dir}: this run was made from a different spec (design changed); "
                    "rerun with --fresh to start over (old files are kept aside) or use --name for a new run")
            if old.get("meter", {}).get("name") != meter_name:
                raise ResultsError(
                    f"{run_dir}: this run was measured with meter {old.get('meter', {}).get('name')!r}, "
                    f"not {meter_name!r}; resume with that meter (--meter), or start over with --fresh")
            self.manifest = old
        elif self.trials_path.exists() and self.trials_path.read_bytes().count(b"\n") > 1:
            raise ResultsError(f"{run_dir}: trials.csv has rows but no manifest.json, so its design cannot "
                               "be checked; rerun with --fresh (old files are kept aside) or use --name")

    def check_inputs(self, dataset, features) -> None:
        """A resumed run must see the same dataset file and the same feature matrix."""
        m = self.manifest
        if not m:
            return
        if m.get("dataset", {}).get("sha256") != dataset.sha256:
            raise ResultsError(f"{self.dir}: the dataset file changed since this run started ({dataset.path}, "
                               "sha256 differs); restore it, or start over with --fresh")
        if m.get("features", {}).get("cache_key") != features.cache_key:
            raise ResultsError(f"{self.dir}: the features differ from this run's (text settings, scikit-learn "
                               "or NLTK version changed); resume with the same versions, or start over with --fresh")

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
        aside.mkdir()
        for p in old:
            shutil.move(str(p), aside / p.name)

    def open(self, plan: list[Trial]) -> TrialWriter:
        self.done = recover_trials(self.trials_path)
        if self.done:
            _check_rows_match_plan(self.trials_path, plan)
        return TrialWriter(self.trials_path)

    def save_manifest(self) -> None:
        write_json_atomic(self.manifest_path, self.manifest)


LOCK = ".lock"


def _lock(run_dir: Path):
    """An exclusive lock on the run directory for the life of this process: two runs writing to
    one trials.csv would duplicate trials."""
    import fcntl

    f = open(run_dir / LOCK, "w")
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise ResultsError(f"{run_dir}: another harness process is running this run; wait for it to end, "
                           "or use --name for a separate run") from None
    return f


def _check_rows_match_plan(path: Path, plan: list[Trial]) -> None:
    """Every finished row must be the trial its trial_id names in this plan."""
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            i = int(row["trial_id"])
            t = plan[i] if 0 <= i < len(plan) else None
            if t is None or (row["algorithm"], row["sweep"], float(row["row_fraction"]), float(row["feature_fraction"]),
                             int(row["repetition"])) != (t.algorithm, t.sweep, t.row_fraction, t.feature_fraction,
                                                         t.repetition):
                raise ResultsError(f"{path}: trial {i} in the file is not trial {i} of this spec's plan; "
                                   "start over with --fresh or use --name")


def check_treatments(protocol, spec: Spec, plan: list[Trial]) -> None:
    """Apply each distinct (row, feature) treatment once, before anything is written, so that data a
    treatment cannot handle (too few rows to stratify, negative features for chi2) fails as bad
    input rather than in the middle of a run."""
    seed = plan[0].seed
    for rf, ff in dict.fromkeys((t.row_fraction, t.feature_fraction) for t in plan):
        protocol.preprocess(rf, ff, seed)


def run_trial(trial: Trial, protocol, algorithm, meter, run_name: str, spec: Spec) -> dict:
    """Run one trial: three meter windows (preprocess, train, predict), then the scores."""
    started = utc_now()
    token = meter.begin()
    split = protocol.preprocess(trial.row_fraction, trial.feature_fraction, trial.seed)
    m_pre = meter.end(token)
    estimator = algorithm.make(trial.seed)
    token = meter.begin()
    estimator.fit(split.X_train, split.y_train)
    m_fit = meter.end(token)
    token = meter.begin()
    y_pred = estimator.predict(split.X_test)
    m_pred = meter.end(token)
    finished = utc_now()
    return {
        "run": run_name, **asdict(trial), "dataset": spec.dataset_name, "protocol": spec.protocol,
        "started_at": started, "finished_at": finished,
        "n_train": split.X_train.shape[0], "n_test": split.X_test.shape[0], "n_features": split.X_train.shape[1],
        "preprocess_energy_j": m_pre.total_j, "preprocess_s": m_pre.duration_s,
        "train_energy_j": m_fit.total_j, "train_s": m_fit.duration_s,
        "predict_energy_j": m_pred.total_j, "predict_s": m_pred.duration_s,
        "meter": meter.name, "energy_estimated": meter.estimated,
        **_metrics(split.y_test, y_pred),
        "preprocess_domains_j": dict(m_pre.domains_j), "train_domains_j": dict(m_fit.domains_j),
        "predict_domains_j": dict(m_pred.domains_j),
    }


def describe_plan(spec: Spec, plan: list[Trial]) -> str:
    n_configs = len({t.config_id for t in plan})
    lines = [f"spec {spec.name}: {len(plan)} trials = {n_configs} configurations x {spec.repetitions} repetitions",
             f"dataset {spec.dataset_name}, protocol {spec.protocol}, seed {spec.seed}, meter {spec.meter}",
             f"algorithms: {', '.join(a.name for a in spec.algorithms)}"]
    for name, sweep in spec.sweeps.items():
        n = len(sweep.row_fractions) * len(sweep.feature_fractions)
        lines.append(f"sweep {name}: rows {sweep.row_fractions} x features {sweep.feature_fractions} "
                     f"= {n} levels x {len(spec.algorithms)} algorithms x {spec.repetitions} repetitions "
                     f"= {n * len(spec.algorithms) * spec.repetitions} trials")
    h = spec.hygiene
    lines.append(f"hygiene: warm-up {h.warmup_s} s, cool-down {h.cooldown_s} s per trial, idle baseline {h.baseline_s} s, "
                 f"shuffle {h.shuffle}, threads {h.threads}")
    return "\n".join(lines)


def run_spec(spec_path: str | Path, *, results_dir: str | Path = "results", name: str | None = None,
             fresh: bool = False, quiet: bool = False, meter: str | None = None, dry_run: bool = False,
             out=None) -> int:
    """Run (or resume) every trial of a spec. Returns the exit code."""
    out = out or sys.stdout
    spec = load_spec(spec_path)
    if meter is not None:
        override = meter.split("+") if "+" in meter else meter
        spec = parse_spec({**spec.model_dump(by_alias=True), "meter": override}, "--meter")
    plan = make_plan(spec)
    if dry_run:
        print(describe_plan(spec, plan), file=out)
        print("dry run: nothing measured, nothing written", file=out)
        return 0

    # pandas and scikit-learn load here, not at import: --help and --dry-run start fast
    from harness.datasets import load_dataset
    from harness.features import build_features
    from harness.protocols import PROTOCOLS

    problem = run_name_problem(name) if name is not None else None
    if problem:
        raise ResultsError(f"--name: {problem}")
    selection = open_meter(spec.meter_names, {"estimate": spec.estimate.model_dump(exclude_none=True)})
    meter_ = selection.meter
    try:
        print(selection.summary(short=quiet), file=out, flush=True)
        dataset = load_dataset(spec.dataset, Path(spec_path).resolve().parent)
        algorithms = {a.name: resolve(a, i) for i, a in enumerate(spec.algorithms)}
        features = build_features(dataset, spec.text)
        protocol = PROTOCOLS[spec.protocol](features.X, features.y, spec.test_fraction, spec.seed)
        check_treatments(protocol, spec, plan)
        results_dir = Path(results_dir)
        check_writable(results_dir)
        # Everything above only reads; from here on the run directory is written.
        run = Run(spec, results_dir / (name or spec.name), meter_.name, fresh)
        run.check_inputs(dataset, features)
        writer = run.open(plan)
        try:
            return _execute(spec, plan, run, writer, protocol, algorithms, selection, dataset, features, quiet, out)
        finally:
            writer.close()
    finally:
        meter_.close()


def _execute(spec, plan, run, writer, protocol, algorithms, selection, dataset, features, quiet, out) -> int:
    from threadpoolctl import threadpool_limits
    from tqdm import tqdm

    meter_ = selection.meter
    todo = [t for t in execution_order(plan, spec.hygiene.shuffle, spec.seed) if t.trial_id not in run.done]
    session = {"started_at": utc_now(), "finished_at": None, "resumed_with_done": len(run.done),
               "meter_summary": selection.summary(), "versions": library_versions(), "machine": machine_facts()}
    m = run.manifest
    if not m:
        m.update({
            "run": run.dir.name, "spec": spec.model_dump(mode="json", by_alias=True), "design_hash": spec.design_hash(),
            "dataset": {"name": spec.dataset_name, "path": str(dataset.path), "sha256": dataset.sha256,
                        "n_rows": dataset.n_rows, "n_positive": int(dataset.y.sum())},
            "features": {"n_features": features.n_features, "cache_key": features.cache_key},
            "n_trials": len(plan), "versions": session["versions"], "machine": session["machine"],
            "algorithms": {name: alg.describe() for name, alg in algorithms.items()},
            "meter": {**meter_.describe(), "name": meter_.name, "estimated": meter_.estimated,
                      "selection": selection.summary(), "not_used": selection.reasons},
            "baseline": None, "started_at": session["started_at"], "finished_at": None, "sessions": [],
        })
    m["sessions"].append(session)
    run.save_manifest()
    print(f"run {run.dir}: {len(run.done)} of {len(plan)} trials already done, {len(todo)} to go; "
          f"{features.n_features} features", file=out, flush=True)

    interrupted = False
    with threadpool_limits(limits=spec.hygiene.threads):
        if todo and spec.hygiene.baseline_s > 0 and m.get("baseline") is None:
            from harness.meters import measure_baseline

            m["baseline"] = measure_baseline(meter_, spec.hygiene.baseline_s)
            run.save_manifest()
        if todo and spec.hygiene.warmup_s > 0:
            _warmup(spec.hygiene.warmup_s)
        bar = tqdm(total=len(plan), initial=len(run.done), disable=quiet, unit="trial", desc=run.dir.name,
                   file=sys.stderr, dynamic_ncols=True)
        appended = 0
        try:
            for i, trial in enumerate(todo):
                bar.set_postfix_str(f"{trial.algorithm} {trial.sweep} rows={trial.row_fraction:g} "
                                    f"features={trial.feature_fraction:g} rep={trial.repetition}", refresh=False)
                row = run_trial(trial, protocol, algorithms[trial.algorithm], meter_, m["run"], spec)
                writer.append(row)
                appended += 1
                bar.update()
                if spec.hygiene.cooldown_s > 0 and i + 1 < len(todo):
                    time.sleep(spec.hygiene.cooldown_s)
        except KeyboardInterrupt:
            interrupted = True
        finally:  # also on a crash: the manifest says how far the run got, never more
            bar.close()
            session["finished_at"] = utc_now()
            done = len(run.done) + appended
            session["trials_done"] = done
            if done == len(plan):
                m["finished_at"] = session["finished_at"]
            run.save_manifest()
    if interrupted:
        print(f"interrupted: {done} of {len(plan)} trials saved in {run.trials_path}; "
              "run the same command again to resume", file=sys.stderr)
        return 130
    print(f"done: {len(plan)} trials in {run.trials_path}", file=out)
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("run", help="run (or resume) the trials of an experiment spec",
                              description="Run every trial of a YAML spec; rerun the same command to resume.")
    p.add_argument("spec", help="path of the YAML spec, e.g. experiments/spam.yaml")
    p.add_argument("--dry-run", action="store_true", help="print the plan (trials, configurations); run nothing")
    p.add_argument("--results-dir", default="results", metavar="DIR", help="where runs go (default: results/)")
    p.add_argument("--name", metavar="RUN", help="run name (default: the spec's name)")
    p.add_argument("--fresh", action="store_true",
                   help="start the run over; existing files move to RUN/replaced-<time>/")
    p.add_argument("--meter", metavar="NAME",
                   help="override the spec's meter: auto, rapl, pyrapl, estimate, or nvml (GPUs) alone or "
                        "added to a CPU meter, e.g. rapl+nvml; see python -m harness meters")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=lambda a: run_spec(a.spec, results_dir=a.results_dir, name=a.name, fresh=a.fresh,
                                           quiet=a.quiet, meter=a.meter, dry_run=a.dry_run))
