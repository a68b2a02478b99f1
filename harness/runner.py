"""The runner: ``python -m harness run SPEC`` orchestrates a run.

Order of work, so that bad input never leaves anything half-written: validate the spec, start the
executor (``harness.executors``: it opens the meter where trials run), load the dataset, resolve the
algorithms, build the features, check every (row level, repetition) and the treatments' needs on the
whole matrix (``harness.checks``), check the results directory and whether the run there can be
resumed; only then create the run directory (``harness.rundir``), its manifest and trials.csv;
``--dry-run`` stops just before that. An executor whose start is costly (a Dask cluster: a scheduler
to reach, batch jobs to submit) starts later: after every check above and the run's lock, so bad
input and a second driver are refused before any cluster starts; if it then fails, the lock and
the folders made for it are removed again. Each trial (``harness.trial``) is three meter windows, run
wherever the executor puts it; this process alone appends and fsyncs its row (``harness.store``) as
soon as the trial ends.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from harness import replication, signals
from harness.algorithms import resolve
from harness.duration import compute_estimate_s, format_duration, hygiene_s, long_run_warning, time_trials
from harness.errors import ExecutorError, ResultsError, SpecError
from harness.executors import JOBQUEUE_KINDS, check_local_workers, make_executor
from harness.executors.bench import warmup as _warmup  # noqa: F401 - harness.tuning.runner uses it
from harness.imports import allowed_packages
from harness.plan import Trial, execution_order, make_plan
from harness.provenance import library_versions, machine_facts
from harness.rundir import Run, check_writable, preview
from harness.spec import Spec, load_spec, parse_spec, run_name_problem
from harness.tactics import TacticPipeline, data_context
from harness.tactics import resolve as resolve_tactics
from harness.trial import utc_now
from harness.versions import version_notes


def check_treatments(protocol, spec: Spec, plan: list[Trial]) -> dict[str, int]:
    """Apply each distinct treatment once, before anything is written, so that data a treatment
    cannot handle (too few rows to stratify, negative features for chi2, float16 on sparse
    features) fails as bad input rather than in the middle of a run. Returns, per treatment label,
    the dataset rows left before the split (fewer than the dataset's when duplicates are removed)."""
    seed = plan[0].seed
    rows = {}
    for t in dict((t.treatment, t) for t in plan).values():
        split = protocol.apply(t.levels, seed) if t.levels else protocol.preprocess(t.row_fraction, t.feature_fraction, seed)
        rows[t.treatment] = split.n_rows
    return rows


def progress_label(trial: Trial) -> str:
    """What the progress bar shows for a trial, e.g. "adaboost, rows 10%, features 100%, rep 1"."""
    from harness.tactics import level_text

    def text(name, level) -> str:
        fraction = name in ("rows", "features") and isinstance(level, float)
        return f"{level:.0%}" if fraction else level_text(level)

    levels = (", ".join(f"{name} {text(name, level)}" for name, level in trial.levels) if trial.levels else
              f"rows {trial.row_fraction:.0%}, features {trial.feature_fraction:.0%}")
    return f"{trial.algorithm}, {levels}, rep {trial.repetition}"


def describe_plan(spec: Spec, plan: list[Trial]) -> str:
    n_configs = len({t.config_id for t in plan})
    lines = [f"spec {spec.name}: {len(plan)} trials = {n_configs} configurations x {spec.repetitions} repetitions",
             f"dataset {spec.dataset_name}, protocol {spec.protocol}, seed {spec.seed}, meter {spec.meter}"
             + (f", replication {spec.replication} (subsample seed {replication.ICT4S22_SUBSAMPLE_SEED} and split "
                f"seed {replication.ICT4S22_SPLIT_SEED} in every repetition)" if spec.replication != "none" else ""),
             f"algorithms: {', '.join(a.name for a in spec.algorithms)}"]
    if spec.tactics is not None or spec.scale != "none":
        steps = [f"{n} ({t.tactic or t.class_})" for n, t in spec.factor_specs()]
        lines.append(f"steps in order: {', '.join(steps)}" + (f"; scale {spec.scale} first" if spec.scale != "none" else ""))
    for name in spec.sweeps:
        levels = {f: v for f, v in spec.sweep_levels(name).items() if v != [None]}
        n = len({t.config_id for t in plan if t.sweep == name}) // len(spec.algorithms)
        shown = " x ".join(f"{f} {v}" for f, v in levels.items()) or "no step"
        lines.append(f"sweep {name}: {shown} = {n} levels x {len(spec.algorithms)} algorithms x "
                     f"{spec.repetitions} repetitions = {n * len(spec.algorithms) * spec.repetitions} trials")
    h = spec.hygiene
    cool = f"{h.cooldown_s} s per trial"
    if h.cooldown is not None and h.cooldown.until_idle:
        c = h.cooldown
        cool = (f"until idle (+{100 * c.tolerance:g}%, {c.min_s:g}-{c.max_s:g} s; fixed {h.cooldown_s} s "
                "with the estimate meter)")
    lines.append(f"hygiene: warm-up {h.warmup_s} s, cool-down {cool}, idle baseline {h.baseline_s} s, "
                 f"shuffle {h.shuffle}, threads {h.threads}, phases flagged below {100 * h.rel_error:g}% resolution"
                 + (f", predict repeated to >= {h.min_phase_s:g} s" if h.min_phase_s > 0 else ""))
    return "\n".join(lines)


def run_spec(spec_path: str | Path, *, results_dir: str | Path = "results", name: str | None = None,
             fresh: bool = False, quiet: bool = False, meter: str | None = None, dry_run: bool = False,
             workers: int | None = None, cluster: str | None = None, out=None,
             allow_import: tuple[str, ...] = ()) -> int:
    """Run (or resume) every trial of a spec. Returns the exit code. ``allow_import``: packages,
    beyond the defaults, whose classes the spec may name (``harness.imports``).

    ``workers`` (a local Dask cluster) or ``cluster`` (a scheduler address, or slurm, pbs, sge,
    lsf) choose where trials run (``harness.executors``); neither: here, one after another.

    ``dry_run`` makes every check a real run makes before writing, then prints the plan, an
    estimate of the run's duration and what would be written, and writes nothing."""
    out = out or sys.stdout
    spec = load_spec(spec_path)
    if meter is not None:
        override = meter.split("+") if "+" in meter else meter
        try:
            spec = parse_spec({**spec.model_dump(by_alias=True, exclude_unset=True), "meter": override}, "--meter")
        except SpecError as e:  # the spec's field is "meter": name the option once, not "--meter: meter:"
            raise SpecError(str(e).replace("--meter: meter: ", "--meter: ", 1)) from None
    plan = make_plan(spec)
    notes = version_notes(library_versions(), replication.algorithm_specs(spec), spec.replication)
    factors = resolve_tactics(spec, allowed_packages(allow_import))  # imports and checks user tactics, in --dry-run too
    if spec.tuning is not None and (workers is not None or cluster is not None):
        raise ExecutorError("--workers/--cluster: tuning studies run in this process only; drop the option")
    executor = make_executor(spec, workers, cluster)  # checks the choice; starts nothing
    if dry_run:  # the plan first, before the checks that need the data (seconds: pandas, sklearn, a timed trial)
        if spec.tuning is not None:
            from harness.tuning.runner import describe_tuning

            lines = describe_plan(spec, plan).splitlines()
            print("\n".join([lines[1], lines[2], *describe_tuning(spec), lines[-1]]), file=out, flush=True)
        else:
            print(describe_plan(spec, plan), file=out, flush=True)
        if cluster in JOBQUEUE_KINDS:
            from harness.executors.jobqueue import job_script

            print(f"each of the {spec.cluster.jobs} {cluster} job(s) would run:\n{job_script(cluster, spec.cluster)}",
                  file=out)

    # pandas and scikit-learn load here, not at import: --help starts fast
    from harness.checks import check_plan
    from harness.datasets import check_split_sizes, load_dataset
    from harness.features import build_features
    from harness.protocols import PROTOCOLS

    problem = run_name_problem(name) if name is not None else None
    if problem:
        raise ResultsError(f"--name: {problem}")
    dry_meter = None
    # A cluster starts only after every read-only check and the run's lock (Executor.costly_start):
    # bad input must not wait for a scheduler or a batch queue, nor submit jobs.
    late_start = executor.costly_start and not dry_run

    def start_executor() -> dict:
        executor.start()
        print(executor.summary(short=quiet), file=out, flush=True)
        return _machine_notes(spec, workers, cluster, notes, out)

    run = None
    try:
        if dry_run:  # the meter is checked here, as a local run opens it; no cluster is started
            from harness.meters import open_meter

            dry_meter = open_meter(spec.meter_names, {"estimate": spec.estimate.model_dump(exclude_none=True)})
            print(dry_meter.summary(short=quiet), file=out, flush=True)
            if not dry_meter.meter.estimated:  # auto may have picked counters: --workers N would share them
                check_local_workers(workers, [dry_meter.meter.name])
            machine_state = _machine_notes(spec, workers, cluster, notes, out)
        elif not late_start:
            machine_state = start_executor()
        dataset = load_dataset(spec.dataset, Path(spec_path).resolve().parent, replication.quoting(spec))
        check_split_sizes(dataset, spec)
        allowed = allowed_packages(allow_import)
        algorithms = {a.name: resolve(a, i, allowed) for i, a in enumerate(replication.algorithm_specs(spec))}
        features = build_features(dataset, spec.text, save=not dry_run)
        if spec.replication == "ict4s22":
            protocol = replication.ICT4S22Faithful(features.X, features.y)
            check_treatments(protocol, spec, plan)
        else:
            pipeline = TacticPipeline(factors, spec.scale, data_context(dataset, features, spec.text))
            protocol = PROTOCOLS[spec.protocol](features.X, features.y, spec.test_fraction, spec.seed, pipeline)
            check_plan(plan, protocol, dataset, features.X)  # every (row level, repetition), from class counts
            rows_kept = check_treatments(protocol, spec, plan)
            for label, n in rows_kept.items():
                if n is not None and n < dataset.n_rows:
                    print(f"{label}: {dataset.n_rows - n} duplicate rows removed before the split "
                          f"({n} of {dataset.n_rows} kept)", file=out)
        if spec.tuning is not None:
            from harness.tuning.runner import check_spaces

            check_spaces(spec, algorithms)
        results_dir = Path(results_dir)
        run_dir = results_dir / (name or spec.name)
        check_writable(results_dir, create=not (dry_run or late_start))
        if dry_run:
            return _dry_run(spec, plan, run_dir, fresh, dry_meter.meter.name, dataset, features, protocol, algorithms,
                            out)
        if late_start:
            preview(spec, run_dir, None, fresh, dataset, features, plan, algorithms)  # as --dry-run: design, inputs, rows
            run = Run(spec, run_dir, None, fresh)  # the lock: a second driver never submits jobs
            try:
                machine_state = start_executor()
                run.use_meter(executor.meter_name)
            except BaseException:  # refused or stopped before the first write: leave nothing behind
                run.abandon()
                raise
        # Everything above only reads (and locks); from here on the run directory is written.
        if run is None:
            run = Run(spec, run_dir, executor.meter_name, fresh)
        run.check_inputs(dataset, features, algorithms)
        if spec.tuning is not None:  # the local executor: its meter, in this process
            from harness.tuning.runner import execute_tuning

            return execute_tuning(spec, run, protocol, algorithms, executor.selection,
                                  lambda n: start_session(spec, run, n, 0, algorithms, executor, dataset, features,
                                                          machine_state),
                                  quiet, out)
        from harness.executors.bench import Workload, matrix_sha256

        workload = Workload(spec, run.dir.name, features.X, features.y, matrix_sha256(features.X, features.y),
                            uuid.uuid4().hex, protocol, algorithms)
        writer = run.open(plan)
        try:
            return _execute(spec, plan, run, writer, workload, executor, algorithms, dataset, features, quiet, out,
                            machine_state)
        finally:
            writer.close()
    finally:
        executor.close()
        if dry_meter is not None:
            dry_meter.meter.close()


def _machine_notes(spec, workers, cluster, notes, out) -> dict:
    """Check this machine's state and print it, the threads warning and the version notes; returns
    the machine state (``harness.hygiene.session.check_machine``)."""
    from harness.hygiene import session as hygiene_session

    machine_state = hygiene_session.check_machine(out)
    threads = hygiene_session.threads_warning(spec.hygiene.threads, workers or 1, machine_state) if cluster is None else None
    if threads:  # a cluster's workers run elsewhere: their CPUs are not this machine's
        print(threads, file=out, flush=True)
    if notes:
        print("\n".join(notes), file=out, flush=True)
    return machine_state


def _dry_run(spec, plan, run_dir, fresh, meter_name, dataset, features, protocol, algorithms, out) -> int:
    """Print what was checked, the duration estimate and what would be written; write nothing."""
    done, intent = preview(spec, run_dir, meter_name, fresh, dataset, features, plan, algorithms)
    todo = [t for t in plan if t.trial_id not in done]
    n_todo = len(todo)
    if spec.tuning is not None:  # a tuning run's trials are searches: no per-trial estimate here
        print(f"checked: algorithms, search spaces, dataset {dataset.path} (sha256 {dataset.sha256[:12]}...), "
              f"{features.n_features} features, every (row level, repetition), results directory", file=out)
        print("duration: not estimated for a tuning run", file=out)
        print(intent, file=out)
        print("dry run: nothing written", file=out)
        return 0
    print(f"checked: algorithms, dataset {dataset.path} (sha256 {dataset.sha256[:12]}...), {features.n_features} "
          f"features, every (row level, repetition) of the {len(plan)} trials, results directory", file=out)
    timed = time_trials(plan, protocol, algorithms, spec.hygiene.threads) if todo else {}
    compute = compute_estimate_s(todo, timed, plan)
    hygiene = hygiene_s(spec, n_todo)
    print(f"duration: about {format_duration(compute + hygiene)} for {n_todo} trial(s) to run: "
          f"{format_duration(hygiene)} of warm-up, baseline and cool-down ({spec.hygiene.cooldown_s:g} s after "
          f"each trial) + about {format_duration(compute)} of trials (one trial of each algorithm at its "
          "largest level timed just now, scaled by the rows x features each trial keeps)", file=out)
    print(intent, file=out)
    print("dry run: nothing written", file=out)
    return 0


def start_session(spec, run, n_trials: int, n_done: int, algorithms, executor, dataset, features,
                  machine_state: dict | None = None):
    """Open this process's session in the run's manifest (creating the manifest on a new run) and
    save it; returns ``(manifest, session)``. The caller fills in the session's end.
    ``machine_state``: ``harness.hygiene.machine.machine_state()`` of this session (the driver's)."""
    from harness.hygiene import session as hygiene_session

    session = {"started_at": utc_now(), "finished_at": None, "resumed_with_done": n_done,
               "meter_summary": executor.summary(), "executor": executor.describe(),
               "versions": library_versions(), "machine": machine_facts(), "machine_state": machine_state}
    m = run.manifest
    if not m:
        m.update({
            "run": run.dir.name, "spec": spec.model_dump(mode="json", by_alias=True), "design_hash": spec.design_hash(),
            "dataset": {"name": spec.dataset_name, "path": str(dataset.path), "sha256": dataset.sha256,
                        "n_rows": dataset.n_rows, "n_positive": int(dataset.y.sum())},
            "features": {"n_features": features.n_features, "cache_key": features.cache_key},
            "n_trials": n_trials, "versions": session["versions"], "machine": session["machine"],
            "tactics": {"steps": [{"factor": n, "tactic": t.tactic, "class": t.class_, "params": t.params,
                                   "level_param": t.level_param} for n, t in spec.factor_specs()],
                        "scale": spec.scale},
            "algorithms": {name: alg.describe() for name, alg in algorithms.items()},
            "meter": executor.meter_info,
            "baseline": None, "started_at": session["started_at"], "finished_at": None, "sessions": [],
            "replication": replication.describe(spec),
            "version_notes": version_notes(session["versions"], replication.algorithm_specs(spec), spec.replication),
            **hygiene_session.manifest_entries(machine_state, executor.reference_meter(), spec.hygiene),
        })
    m["sessions"].append(session)
    m.setdefault("hosts", {})
    _merge_hosts(m, executor.hosts)
    run.save_manifest()
    return m, session


def _execute(spec, plan, run, writer, workload, executor, algorithms, dataset, features, quiet, out,
             machine_state) -> int:
    from tqdm import tqdm

    todo = [t for t in execution_order(plan, spec.hygiene.shuffle, spec.seed) if t.trial_id not in run.done]
    m, session = start_session(spec, run, len(plan), len(run.done), algorithms, executor, dataset, features,
                               machine_state)
    print(f"run {run.dir}: {len(run.done)} of {len(plan)} trials already done, {len(todo)} to go; "
          f"{features.n_features} features", file=out, flush=True)
    warning = long_run_warning(spec, len(todo))
    if warning:
        print(warning, file=out, flush=True)
    if run.unverified:
        print(f"harness: note: {run.unverified} row(s) of {run.trials_path} have no row_sha256 (written before "
              "per-row checksums): their values cannot be verified", file=sys.stderr)

    stopped: KeyboardInterrupt | None = None
    bar = tqdm(total=len(plan), initial=len(run.done), disable=quiet, unit="trial", desc=run.dir.name,
               file=sys.stderr, dynamic_ncols=True)
    written: set[int] = set()
    session["ended_by"] = "error"
    try:
        for row in executor.map(workload, todo, known_baseline=m.get("baseline") if executor.kind == "local" else None,
                                announce=lambda line: print(line, file=out, flush=True)):
            if row["trial_id"] in written:  # a task the scheduler ran twice: the row is already stored
                continue
            with signals.held():  # the row on disk and the count in the manifest must agree
                writer.append(row)  # a write that fails (disk full, read-only) raises ResultsError: one line
                written.add(row["trial_id"])
            if _merge_hosts(m, executor.hosts):
                run.save_manifest()
            bar.set_postfix_str(executor.activity(), refresh=False)
            bar.update()
        session["ended_by"] = "completed"
    except KeyboardInterrupt as e:  # Ctrl-C, SIGTERM, SIGHUP: the trials under way are abandoned
        stopped = e
        session["ended_by"] = signals.signal_name(e)
    finally:  # also on a crash: the manifest says how far the run got, never more
        with signals.held():  # a second signal must not cut the session's closing short
            bar.close()
            done = len(run.done) + len(written)
            _merge_hosts(m, executor.hosts)
            close_session(run, m, session, done, len(plan))
    if stopped is not None:
        print(f"harness: interrupted ({signals.signal_name(stopped)}): {done} of {len(plan)} trials saved in "
              f"{run.trials_path}; run the same command again to resume", file=sys.stderr)
        return signals.exit_code(stopped)
    print(f"done: {len(plan)} trials in {run.trials_path}", file=out)
    return 0


def close_session(run, m: dict, session: dict, done: int, n_planned: int) -> None:
    """End this process's session in the manifest: when it ended, how many trials are done (the run
    is finished only when all ``n_planned`` are), then save the manifest."""
    session["finished_at"] = utc_now()
    session["trials_done"] = done
    if done == n_planned:
        m["finished_at"] = session["finished_at"]
    run.save_manifest()


def _merge_hosts(m: dict, hosts: dict) -> bool:
    """Record what the executor knows of each host (facts, meter, idle baselines) in the manifest;
    True if anything changed. ``baseline`` keeps the one-host idle baseline that ``analyze --net``
    reads: the local run's, or a single worker's."""
    import copy

    changed = False
    for host, facts in hosts.items():
        merged = {**m["hosts"].get(host, {}), **copy.deepcopy(facts)}
        if merged != m["hosts"].get(host):
            m["hosts"][host] = merged
            changed = True
    if m.get("baseline") is None and len(m["hosts"]) == 1:
        (only,) = m["hosts"].values()
        baselines = [only["baseline"]] if "baseline" in only else list(only.get("baselines", {}).values())
        if only.get("workers", 1) == 1 and len(baselines) == 1 and baselines[0]:
            m["baseline"] = baselines[0]
            changed = True
    return changed


def register(subparsers) -> None:
    p = subparsers.add_parser("run", help="run (or resume) the trials of an experiment spec",
                              description="Run every trial of a YAML spec; rerun the same command to resume.")
    p.add_argument("spec", help="path of the YAML spec, e.g. experiments/spam.yaml")
    p.add_argument("--dry-run", action="store_true",
                   help="check everything a run checks, print the plan, an estimated duration and what would "
                        "be written; write nothing")
    p.add_argument("--results-dir", default="results", metavar="DIR", help="where runs go (default: results/)")
    p.add_argument("--name", metavar="RUN", help="run name (default: the spec's name)")
    p.add_argument("--fresh", action="store_true",
                   help="start the run over; existing files move to RUN/replaced-<time>/")
    p.add_argument("--meter", metavar="NAME",
                   help="override the spec's meter: auto, rapl, pyrapl, estimate, or nvml (GPUs) alone or "
                        "added to a CPU meter, e.g. rapl+nvml; see python -m harness meters")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--allow-import", action="append", default=[], metavar="PKG",
                   help="let the spec name classes from package PKG (importing runs its code: trust it); "
                        "default: sklearn, imblearn, harness; also $HARNESS_ALLOW_IMPORT")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="run trials on a local Dask cluster of N worker processes (needs .[dask])")
    where.add_argument("--cluster", metavar="ADDRESS|KIND",
                       help="run trials on Dask workers: a scheduler (tcp://HOST:8786), or slurm, pbs, sge, lsf "
                            "(the spec's cluster: section; needs .[dask])")
    p.set_defaults(func=lambda a: run_spec(a.spec, results_dir=a.results_dir, name=a.name, fresh=a.fresh,
                                           quiet=a.quiet, meter=a.meter, dry_run=a.dry_run, workers=a.workers,
                                           cluster=a.cluster, allow_import=tuple(a.allow_import)))
