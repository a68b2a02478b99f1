"""The runner: ``python -m harness run SPEC`` orchestrates a run.

Order of work, so that bad input never leaves anything half-written: validate the spec, start the
executor (``harness.run.executors``: it opens the meter where trials run), load the dataset, resolve the
algorithms, build the features, check every (row level, repetition) and the treatments' needs on the
whole matrix (``harness.plan.checks``), check the results directory and whether the run there can be
resumed; only then create the run directory (``harness.results.rundir``), its manifest and trials.csv;
``--dry-run`` stops just before that. An executor whose start is costly (a Dask cluster: a scheduler
to reach, batch jobs to submit) starts later: after every check above and the run's lock, so bad
input and a second driver are refused before any cluster starts; if it then fails, the lock and
the folders made for it are removed again. A study is a plan of units of work (``harness.run.study``):
each trial (``harness.run.trial``: three meter windows), or each search of a tuning study
(``harness.run.tuning``), runs wherever the executor puts it, in the same session (idle baseline,
warm-up, cool-down, progress, signals); this process alone appends and fsyncs its rows
(``harness.results.store``) as soon as the unit ends.
"""

from __future__ import annotations

import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import signals
from harness.spec import replication
from harness.models.algorithms import resolve
from harness.plan.duration import compute_estimate_s, format_duration, hygiene_s, long_run_warning, time_trials
from harness.errors import ResultsError, SpecError, counted
from harness.run.executors import JOBQUEUE_KINDS, check_local_workers, make_executor
from harness.imports import allowed_packages
from harness.plan import Trial, adaptive, execution_order, make_plan
from harness.hygiene.provenance import library_versions
from harness.results.rundir import Run, check_writable, preview
from harness.run.session import close_session, machine_notes, merge_hosts, start_session
from harness.run.adaptive import Rounds
from harness.run.footprint import Footprint, combine
from harness.run.study import Study, open_trials
from harness.spec import Spec, load_spec, parse_spec, run_name_problem
from harness.tactics import TacticPipeline, data_context
from harness.tactics import resolve as resolve_tactics
from harness.models.versions import version_notes


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


def describe_plan(spec: Spec, plan: list[Trial]) -> str:
    n_configs = len({t.config_id for t in plan})
    a = spec.adaptive
    low = adaptive.fewest_repetitions(a) if a is not None else None  # above min when the CI needs more values
    reps = f"{low}-{a.max} repetitions" if a is not None else counted(spec.repetitions, "repetition")
    size = (f"{n_configs * low:,}-{len(plan):,} trials = {counted(n_configs, 'configuration')} x {reps} (adaptive: each "
            f"configuration stops once the {100 * a.confidence:g}% CI of its median {a.energy} energy is within "
            f"+-{100 * a.energy_half_width:g}% and of its median F1 within +-{a.f1_half_width:g} points, or at "
            f"{a.max}" + (f"; min {a.min}, but a {100 * a.confidence:g}% interval of a median needs "
                          f"{adaptive.values_needed(a.confidence)} values"
                          + (f": every configuration runs to {a.max}" if low == a.max else "")
                          if low != a.min else "") + ")" if a is not None
            else f"{counted(len(plan), 'trial')} = {counted(n_configs, 'configuration')} x {reps}")
    lines = [f"spec {spec.name}: {size}",
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
        cells = n * len(spec.algorithms)
        total = f"{cells * low:,}-{cells * a.max:,} trials" if a is not None else counted(cells * spec.repetitions, "trial")
        lines.append(f"sweep {name}: {shown} = {counted(n, 'level')} x {counted(len(spec.algorithms), 'algorithm')} x "
                     f"{reps} = {total}")
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


@dataclass
class Checked:
    """What a run's read-only checks produced (``check``): the design, where units run, the inputs."""

    spec: Spec
    plan: list[Trial]
    notes: list[str]
    factors: Any
    executor: Any
    dataset: Any = None
    features: Any = None
    algorithms: dict = field(default_factory=dict)
    protocol: Any = None
    run_dir: Path | None = None
    machine_state: dict | None = None
    spec_dir: Path | None = None  # where a relative dataset path resolves: the spec file's folder
    footprint: Any = None  # harness.run.footprint.Footprint, from the end of the checks


def run_spec(spec_path: str | Path | Spec, *, results_dir: str | Path = "results", name: str | None = None,
             fresh: bool = False, quiet: bool = False, meter: str | None = None, dry_run: bool = False,
             workers: int | None = None, cluster: str | None = None, out=None,
             allow_import: tuple[str, ...] = (), spec_dir: str | Path | None = None,
             began: float | None = None) -> int:
    """Run (or resume) every unit of a spec: its trials, or its tuning searches. Returns the exit
    code. ``allow_import``: packages, beyond the defaults, whose classes the spec may name
    (``harness.imports``).

    ``spec_path`` is a YAML file, or a :class:`Spec` already validated (``parse_spec``: the Python
    API's dict spec), whose relative dataset path resolves against ``spec_dir`` (default: the
    current folder) as a file's resolves against the file's folder.

    ``workers`` (a local Dask cluster) or ``cluster`` (a scheduler address, or slurm, pbs, sge,
    lsf) choose where units run (``harness.run.executors``); neither: here, one after another.

    ``dry_run`` makes every check a real run makes before writing, then prints the plan, an
    estimate of the run's duration and what would be written, and writes nothing (``dry_run_spec``).

    ``began``: the ``time.perf_counter()`` from which the footprint's ``setup_s`` counts (the command
    line passes its process's start, so the interpreter's start and imports count); default: this call.

    The steps: check (read-only), lock (a costly executor starts after it), open, execute, close."""
    out = out or sys.stdout
    options = dict(results_dir=results_dir, name=name, fresh=fresh, quiet=quiet, meter=meter, workers=workers,
                   cluster=cluster, out=out, allow_import=allow_import, spec_dir=spec_dir)
    if dry_run:
        return dry_run_spec(spec_path, **options)
    began = time.perf_counter() if began is None else began
    c = _design(spec_path, meter, workers, cluster, allow_import, spec_dir)
    try:
        check(c, results_dir, name, workers, cluster, quiet, allow_import, out)
        c.footprint = _footprint(c, setup_s=time.perf_counter() - began)  # the study's own cost from here on
        run = lock(c, fresh, workers, cluster, quiet, out)
        try:
            study = open_study(c, run)
            try:
                return execute(c, run, study, quiet, out)
            finally:
                study.close()
        finally:
            run.close()
    finally:
        c.executor.close()


def dry_run_spec(spec_path: str | Path | Spec, *, results_dir: str | Path = "results", name: str | None = None,
                 fresh: bool = False, quiet: bool = False, meter: str | None = None, workers: int | None = None,
                 cluster: str | None = None, out=None, allow_import: tuple[str, ...] = (),
                 spec_dir: str | Path | None = None) -> int:
    """``run --dry-run``: the plan first (before the checks that need the data: seconds for pandas,
    scikit-learn and a timed trial), then every check a real run makes, with the meter opened here
    (no cluster is started), the duration estimate and what would be written; writes nothing."""
    from harness.meters import open_meter

    out = out or sys.stdout
    c = _design(spec_path, meter, workers, cluster, allow_import, spec_dir)
    spec = c.spec
    try:
        _print_plan(spec, c.plan, cluster, out)
        _check_name(name)
        dry_meter = open_meter(spec.meter_names, spec.meter_options())
        try:
            print(dry_meter.summary(short=quiet), file=out, flush=True)
            if not dry_meter.meter.estimated:  # auto may have picked counters: --workers N would share them
                check_local_workers(workers, [dry_meter.meter.name])
            c.machine_state = machine_notes(spec, workers, cluster, c.notes, out)
            _check_inputs(c, allow_import, True, out)
            c.run_dir = Path(results_dir) / (name or spec.name)
            check_writable(Path(results_dir), create=False)
            return _dry_run(spec, c.plan, c.run_dir, fresh, dry_meter.meter.name, c.dataset, c.features, c.protocol,
                            c.algorithms, out)
        finally:
            dry_meter.meter.close()
    finally:
        c.executor.close()


def _meter_override(meter: str) -> tuple[str | list[str], list | None]:
    """``--meter`` as the spec's ``meter`` and ``nvml.devices``: ``rapl+nvml:3,5`` -> (["rapl", "nvml"],
    [3, 5]); a GPU is an NVML index or a UUID (``GPU-...``, ``MIG-...``); None: no GPUs named."""
    names, gpus = [], None
    for part in meter.split("+"):
        name, sep, devices = part.partition(":")
        if sep and name == "nvml":
            gpus = [int(d) if d.strip().isdigit() else d.strip() for d in devices.split(",")]
        names.append(name if sep and name == "nvml" else part)
    return (names if len(names) > 1 else names[0]), gpus


def _design(spec_path, meter: str | None, workers, cluster, allow_import, spec_dir=None) -> Checked:
    """The spec (with ``--meter`` applied), its plan, the version notes, the user tactics imported
    and checked, and the executor chosen (nothing started). Raises SpecError, ExecutorError."""
    if isinstance(spec_path, Spec):
        spec, spec_dir = spec_path, Path(spec_dir if spec_dir is not None else ".").resolve()
    else:
        spec, spec_dir = load_spec(spec_path), Path(spec_path).resolve().parent
    if meter is not None:
        override, gpus = _meter_override(meter)
        given = spec.model_dump(by_alias=True, exclude_unset=True)
        if gpus is not None:  # nvml:3,GPU-...: the GPUs, as the spec's nvml.devices
            given["nvml"] = {**given.get("nvml", {}), "devices": gpus}
        try:
            spec = parse_spec({**given, "meter": override}, "--meter")
        except SpecError as e:  # the spec's field is "meter": name the option once, not "--meter: meter:"
            raise SpecError(str(e).replace("--meter: meter: ", "--meter: ", 1)) from None
    plan = make_plan(spec)
    notes = version_notes(library_versions(), replication.algorithm_specs(spec), spec.replication)
    factors = resolve_tactics(spec, allowed_packages(allow_import))  # imports and checks user tactics, in --dry-run too
    return Checked(spec, plan, notes, factors, make_executor(spec, workers, cluster),  # checks the choice; starts nothing
                   spec_dir=spec_dir)


def _print_plan(spec: Spec, plan: list[Trial], cluster: str | None, out) -> None:
    if spec.tuning is not None:
        from harness.run.tuning import describe_tuning

        lines = describe_plan(spec, plan).splitlines()
        print("\n".join([lines[1], lines[2], *describe_tuning(spec), lines[-1]]), file=out, flush=True)
    else:
        print(describe_plan(spec, plan), file=out, flush=True)
    if cluster in JOBQUEUE_KINDS:
        from harness.run.executors.jobqueue import job_script

        print(f"each of the {spec.cluster.jobs} {cluster} job(s) would run:\n{job_script(cluster, spec.cluster)}",
              file=out)


def _check_name(name: str | None) -> None:
    problem = run_name_problem(name) if name is not None else None
    if problem:
        raise ResultsError(f"--name: {problem}")


def _start_executor(c: Checked, workers, cluster, quiet: bool, out) -> None:
    c.executor.start()
    print(c.executor.summary(short=quiet), file=out, flush=True)
    c.machine_state = machine_notes(c.spec, workers, cluster, c.notes, out)


def check(c: Checked, results_dir, name, workers, cluster, quiet: bool, allow_import, out) -> None:
    """Every read-only check of a run, filling in ``c``: the executor started here unless its start
    is costly (a Dask cluster starts only after every check and the run's lock: bad input must not
    wait for a scheduler or a batch queue, nor submit jobs), the dataset, algorithms, features,
    protocol and treatments, the results directory."""
    _check_name(name)
    if not c.executor.costly_start:
        _start_executor(c, workers, cluster, quiet, out)
    _check_inputs(c, allow_import, False, out)
    c.run_dir = Path(results_dir) / (name or c.spec.name)
    check_writable(Path(results_dir), create=not c.executor.costly_start)


def _check_inputs(c: Checked, allow_import, dry_run: bool, out) -> None:
    """The dataset, the split sizes, the algorithms, the features (cached unless ``dry_run``), the
    protocol over them and every (row level, repetition) and treatment; a tuning study's spaces."""
    # pandas and scikit-learn load here, not at import: --help starts fast
    from harness.models.algorithms import check_fit
    from harness.plan.checks import check_plan, label_copies
    from harness.data.datasets import check_split_sizes, load_dataset
    from harness.data.features import build_features
    from harness.plan.protocols import PROTOCOLS

    spec, plan = c.spec, c.plan
    dataset = load_dataset(spec.dataset, c.spec_dir, replication.quoting(spec))
    if spec.replication == "ict4s22" and dataset.n_classes > 2:
        raise SpecError(f"replication: ict4s22 reproduces a two-class study (binary F1); {spec.dataset_name} has "
                        f"{dataset.n_classes} classes: use replication: none")
    check_split_sizes(dataset, spec)
    for column in label_copies(dataset):
        holds = (f"one value for every {dataset.positive_label!r} row and another for every other row"
                 if dataset.positive_label is not None else "one value per class in every row")
        print(f"warning: dataset.feature_columns: {column!r} holds {holds}: a copy of the label "
              f"{dataset.label_column!r}? every score "
              "would be near 1.0; remove it from feature_columns unless that is intended", file=out, flush=True)
    allowed = allowed_packages(allow_import)
    specs = replication.algorithm_specs(spec)
    algorithms = {a.name: resolve(a, i, allowed) for i, a in enumerate(specs)}
    features = build_features(dataset, spec.text, save=not dry_run)
    # an estimator without tags: a small fit on the data tells whether it takes the sparse matrix
    algorithms = {a.name: check_fit(algorithms[a.name], features.X, features.y, f"algorithms.{i}")
                  for i, a in enumerate(specs)}
    import scipy.sparse as sp

    if sp.issparse(features.X):
        for name, algorithm in algorithms.items():
            if algorithm.dense:
                print(f"{name}: dense features ({algorithm.dense_why}): the {features.X.shape[0]} x "
                      f"{features.X.shape[1]} sparse matrix is converted in each trial's preprocess window "
                      f"(about {features.X.shape[0] * features.X.shape[1] * 8 / 1e6:,.0f} MB; column densified)",
                      file=out, flush=True)
    if spec.replication == "ict4s22":
        from harness.plan.replication import ICT4S22Faithful

        protocol = ICT4S22Faithful(features.X, features.y)
        check_treatments(protocol, spec, plan)
    else:
        pipeline = TacticPipeline(c.factors, spec.scale, data_context(dataset, features, spec.text))
        protocol = PROTOCOLS[spec.protocol](features.X, features.y, spec.test_fraction, spec.seed, pipeline)
        check_plan(plan, protocol, dataset, features.X)  # every (row level, repetition), from class counts
        for label, n in check_treatments(protocol, spec, plan).items():
            if n is not None and n < dataset.n_rows:
                print(f"{label}: {dataset.n_rows - n} duplicate rows removed before the split "
                      f"({n} of {dataset.n_rows} kept)", file=out)
    if spec.tuning is not None:
        from harness.run.tuning import check_spaces

        check_spaces(spec, algorithms)
    c.dataset, c.features, c.algorithms, c.protocol = dataset, features, algorithms, protocol


def lock(c: Checked, fresh: bool, workers, cluster, quiet: bool, out) -> Run:
    """Lock the run directory (``harness.results.rundir.Run``), start a costly executor once the
    lock is held (a second driver never submits jobs; if the start fails the lock and the folders
    made for it are removed again), and check a resumed run's inputs. Everything before only reads."""
    if c.executor.costly_start:
        preview(c.spec, c.run_dir, None, fresh, c.dataset, c.features, c.plan, c.algorithms)  # as --dry-run
        run = Run(c.spec, c.run_dir, None, fresh)  # the lock: a second driver never submits jobs
        try:
            _start_executor(c, workers, cluster, quiet, out)
            run.use_meter(c.executor.meter_name)
        except BaseException:  # refused or stopped before the first write: leave nothing behind
            run.abandon()
            raise
    else:
        run = Run(c.spec, c.run_dir, c.executor.meter_name, fresh)
    run.check_inputs(c.dataset, c.features, c.algorithms, getattr(c.executor, "meter_info", None))
    return run


def open_study(c: Checked, run: Run) -> Study:
    """The run's files checked and opened for appending, for a study of trials or a tuning study."""
    if c.spec.tuning is not None:
        from harness.run.tuning import open_tuning

        return open_tuning(c.spec, run)
    return open_trials(run, c.plan)


def classes_text(dataset) -> str:
    """"2 classes, binary F1 of 'spam'" or "3 classes, macro-averaged F1": how the trials are scored."""
    n = getattr(dataset, "n_classes", 2)
    if n > 2:
        return f"{n} classes, macro-averaged F1"
    return f"2 classes, binary F1 of {dataset.positive_label!r}"


def _dry_run(spec, plan, run_dir, fresh, meter_name, dataset, features, protocol, algorithms, out) -> int:
    """Print what was checked, the duration estimate and what would be written; write nothing."""
    done, intent = preview(spec, run_dir, meter_name, fresh, dataset, features, plan, algorithms)
    todo = [t for t in plan if t.trial_id not in done]
    n_todo = len(todo)
    if spec.tuning is not None:  # a tuning run's trials are searches: no per-trial estimate here
        print(f"checked: algorithms, search spaces, dataset {dataset.path} (sha256 {dataset.sha256[:12]}...; "
              f"{classes_text(dataset)}), "
              f"{features.n_features} features, every (row level, repetition), results directory", file=out)
        print("duration: not estimated for a tuning run", file=out)
        print(intent, file=out)
        print("dry run: nothing written", file=out)
        return 0
    print(f"checked: algorithms, dataset {dataset.path} (sha256 {dataset.sha256[:12]}...; {classes_text(dataset)}), "
          f"{features.n_features} features, every (row level, repetition) of the {counted(len(plan), 'trial')}, results directory", file=out)
    timed = time_trials(plan, protocol, algorithms, spec.hygiene.threads) if todo else {}
    compute = compute_estimate_s(todo, timed, plan)
    hygiene = hygiene_s(spec, n_todo)
    if spec.adaptive is not None:  # at least min repetitions of every configuration, at most max
        least = adaptive.fewest_repetitions(spec.adaptive)
        fewest = [t for t in todo if t.repetition < least]
        low = compute_estimate_s(fewest, timed, plan) + hygiene_s(spec, len(fewest))
        print(f"duration (adaptive): between about {format_duration(low)} ({len(fewest)} trials, if every "
              f"configuration is precise at {least} repetitions) and the following, at "
              f"{spec.adaptive.max}:", file=out)
    print(f"duration: about {format_duration(compute + hygiene)} for {counted(n_todo, 'trial')} to run: "
          f"{format_duration(hygiene)} of warm-up, baseline and cool-down ({spec.hygiene.cooldown_s:g} s after "
          f"each trial) + about {format_duration(compute)} of trials (one trial of each algorithm at its "
          "largest level timed just now, scaled by the rows x features each trial keeps)", file=out)
    print(intent, file=out)
    print("dry run: nothing written", file=out)
    return 0


def execute(c: Checked, run: Run, study: Study, quiet: bool, out) -> int:
    """Run every unit of ``study`` not done yet where the executor puts it, append each unit's rows
    as it arrives (this process alone writes), and close the session; returns the exit code.
    Ctrl-C, SIGTERM, SIGHUP: the units under way are abandoned, the rows stored stay."""
    from tqdm import tqdm

    from harness.run.executors.bench import Workload, matrix_sha256

    spec, executor, plan = c.spec, c.executor, study.plan
    todo = [t for t in execution_order(plan, spec.hygiene.shuffle, spec.seed) if t.trial_id not in study.done]
    # adaptive repetitions: one round at a time, each judged on every row so far (harness.run.adaptive)
    rounds = Rounds(spec, plan, getattr(run, "scan", None)) if spec.adaptive is not None else None
    m, session = _open_session(c, run, study, len(todo) if rounds is None else rounds.at_most(), out,
                               adaptive=rounds is not None)
    workload = Workload(spec, run.dir.name, c.features.X, c.features.y, matrix_sha256(c.features.X, c.features.y),
                        uuid.uuid4().hex, c.protocol, c.algorithms)
    stopped: KeyboardInterrupt | None = None
    bar = tqdm(total=len(plan), initial=len(study.done), disable=quiet, unit=study.unit, desc=run.dir.name,
               file=sys.stderr, dynamic_ncols=True)
    written: set[int] = set()
    session["ended_by"] = "error"
    def announce(line: str) -> None:  # the executor's first line, above the progress bar (not inside it)
        bar.write(line, file=out)
        out.flush()

    footprint = c.footprint or _footprint(c)
    try:
        for batch in (rounds if rounds is not None else [todo]):
            for rows in executor.map(workload, batch, announce=announce,
                                     known_baseline=m.get("baseline") if executor.kind == "local" else None):
                if rows.row["trial_id"] in written:  # a task the scheduler ran twice: the rows are already stored
                    continue
                with signals.held():  # the rows on disk and the count in the manifest must agree
                    study.append(rows)  # a write that fails (disk full, read-only) raises ResultsError: one line
                    written.add(rows.row["trial_id"])
                if rounds is not None:
                    rounds.record(rows.row)
                footprint.tick()
                footprint.unit(rows.row)
                if merge_hosts(m, executor.hosts):
                    run.save_manifest()
                bar.set_postfix_str(executor.activity(), refresh=False)
                bar.update()
            announce = None
            if rounds is not None:  # the round's end: where each configuration stands
                m["adaptive"] = rounds.summary()
                run.save_manifest()
        session["ended_by"] = "completed"
    except KeyboardInterrupt as e:  # Ctrl-C, SIGTERM, SIGHUP: the units under way are abandoned
        stopped = e
        session["ended_by"] = signals.signal_name(e)
    finally:  # also on a crash: the manifest says how far the run got, never more
        with signals.held(reraise=stopped is None):  # a second signal must not cut the closing short
            bar.close()
            done = len(study.done) + len(written)
            merge_hosts(m, executor.hosts)
            session["footprint"] = footprint.close(executor.hygiene_seconds(), _slots(executor))
            m["footprint"] = combine(m["sessions"])
            n_planned = len(plan)
            if rounds is not None:
                m["adaptive"] = rounds.summary()
                n_planned = done if m["adaptive"]["finished"] else n_planned
            close_session(run, m, session, done, n_planned)
    if stopped is not None:
        of = f"of at most {len(plan)}" if rounds is not None else f"of {len(plan)}"
        print(f"harness: interrupted ({signals.signal_name(stopped)}): {done} {of} {study.units} saved in "
              f"{study.path}; run the same command again to resume", file=sys.stderr)
        return signals.exit_code(stopped)
    print(rounds.done_line(study.path) if rounds is not None else study.done_line, file=out)
    return 0


def _footprint(c: Checked, setup_s: float = 0.0) -> Footprint:
    """The session's footprint (``harness.run.footprint``): one chain of windows on the run's meter
    when the units run in this process; ``setup_s``: what the checks before it took (time only)."""
    local = c.executor.kind == "local" and c.executor.meter_name is not None
    meter = c.executor.reference_meter() if local else None
    estimated = bool(getattr(c.executor, "meter_info", {}).get("estimated")) if local else False
    return Footprint(meter, estimated, setup_s)


def _slots(executor) -> int:
    """Units the executor ran at once: its hosts' concurrent trials added up (1 locally)."""
    hosts = getattr(executor, "hosts", {}) or {}
    return max(1, sum(int(h.get("concurrent_trials") or h.get("workers") or 1) for h in hosts.values()
                      if isinstance(h, dict))) if executor.kind != "local" else 1


def _open_session(c: Checked, run: Run, study: Study, n_todo: int, out, adaptive: bool = False) -> tuple[dict, dict]:
    """Open this process's session in the manifest and say where the run stands."""
    spec, plan = c.spec, study.plan
    m, session = start_session(spec, run, len(plan), len(study.done), c.algorithms, c.executor, c.dataset,
                               c.features, c.machine_state)
    if study.manifest:
        m.update(study.manifest)
        run.save_manifest()
    line = (f"run {run.dir}: {len(study.done)} of at most {len(plan)} {study.units} already done, at most {n_todo} "
            "to go (adaptive repetitions)" if adaptive else
            f"run {run.dir}: {len(study.done)} of {len(plan)} {study.units} already done, {n_todo} to go")
    print(line + (f"; {c.features.n_features} features" if study.unit == "trial" else "") +
          f"; {classes_text(c.dataset)}", file=out, flush=True)
    for note in study.notes:
        print(note, file=out, flush=True)
    warning = long_run_warning(spec, n_todo) if study.unit == "trial" else None
    if warning:
        print(warning, file=out, flush=True)
    if study.unverified:
        print(f"harness: note: {study.unverified} row(s) of {study.path} have no row_sha256 (written before "
              "per-row checksums): their values cannot be verified", file=sys.stderr)
    return m, session
