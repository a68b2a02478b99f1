"""Running a tuning study (a spec with a ``tuning:`` section): every search of the plan, measured.

A search is one unit of the study, as a trial is one unit of a data-reduction study: the same
session (``harness.run.runner``: idle baseline, warm-up, cool-down, progress, signals, the
manifest's session) runs it on the same executors (here, ``--workers``, ``--cluster``);
``run_tuning_unit`` runs one where the executor puts it and returns its rows.

Files in the run directory, beside manifest.json (``kind: tuning``):

- ``searches.csv``: one row per finished search (a tuning trial): the data treatment
  (``preprocess``), the whole search (``search`` = every evaluation's propose + fit + score), the
  final fit of the best setting on all training rows (``train``) and the test prediction
  (``predict``), the chosen setting and the test scores. A row here is what marks the search done.
- ``evaluations.csv``: one row per evaluated setting, with the cumulative energy and the best
  validation F1 so far (the curve the analysis draws).

The driver, the one writer, appends and fsyncs a search's evaluations and then its row when the
search's result arrives; a search that did not finish leaves no row in either file. (Before the
executors ran searches, evaluations were appended as each was made.)

Resume: finished searches are kept; evaluations without their search's row (the driver stopped
between the two appends, or files written by an older harness, which appended evaluations as they
were made) are moved to ``evaluations-abandoned.csv``, with a torn last line, and that search runs
again from its start, with the same seed, so no evaluation row is ever duplicated.
"""

from __future__ import annotations

import math

from harness.errors import SpecError
from harness.results.read import check_rows_match_plan
from harness.results.rundir import SEARCH_FIELDS
from harness.results.store import TrialWriter, recover_trials, set_aside_unfinished
from harness.run.trial import densify, n_classes, unit_row, utc_now
from harness.plan.tuning import TuningTrial, make_tuning_plan
from harness.tuning.search import Cost, Evaluation, best, params_json, run_search, tpe_startup
from harness.tuning.space import check_space, grid_size, n_settings, parse_space

from harness.results.schema import ABANDONED, EVALUATION_COLUMNS, EVALUATIONS, SEARCH_COLUMNS, SEARCHES  # noqa: F401


def spaces(spec) -> dict:
    """{algorithm name: parsed space} of a tuning spec."""
    return {name: parse_space(raw, f"tuning.spaces.{name}") for name, raw in spec.tuning.spaces.items()}


def check_spaces(spec, algorithms: dict) -> None:
    """Every space's parameters and values are accepted by its estimator (before anything is written)."""
    for name, space in spaces(spec).items():
        alg = algorithms[name]
        check_space(space, alg.cls, alg.params, f"tuning.spaces.{name}")


def budget_of(spec, space, strategy: str) -> int:
    """Evaluations of one search: the grid's size for grid; else ``tuning.budget`` (default: the
    grid's size), capped at the number of distinct settings of a finite space (lists and integer
    ranges, ``n_settings``): every strategy gets the same budget of distinct tries, never a repeat."""
    size = grid_size(space)
    if strategy == "grid":
        return size
    b = spec.tuning.budget if spec.tuning.budget is not None else size
    finite = n_settings(space)
    return min(b, finite) if finite is not None else b


def describe_tuning(spec) -> list[str]:
    plan = make_tuning_plan(spec)
    t = spec.tuning
    n_levels = sum(len(sw.row_fractions) * len(sw.feature_fractions) for sw in spec.sweeps.values())
    lines = [f"tuning: {len(plan)} searches = {len(spec.algorithms)} algorithms x {n_levels} data level(s) x "
             f"{len(t.strategies)} strategies ({', '.join(t.strategies)}) x {spec.repetitions} repetitions; "
             f"validation {t.validation.describe()} on training rows"]
    n_eval = 0
    for name, space in spaces(spec).items():
        per = {s: budget_of(spec, space, s) for s in t.strategies}
        lines.append(f"  {name}: {n_settings(space) or 'continuous'} settings; evaluations per search: "
                     + ", ".join(f"{s} {n}" for s, n in per.items()))
        n_eval += sum(per.values()) * n_levels * spec.repetitions
    folds = t.validation.folds or 1
    lines.append(f"  {n_eval} evaluations in all ({n_eval * folds} fits)")
    return lines


def run_tuning_trial(trial: TuningTrial, spec, space, protocol, algorithm, meter, run_name: str) -> tuple[dict, list[dict]]:
    """One search and its final model: (the row of searches.csv (see ``SEARCH_COLUMNS``), the
    rows of evaluations.csv, in the order made). Writes nothing. Raises SpecError when every
    setting of the search failed."""
    from harness.meters.common import Measurement

    started = utc_now()
    token = meter.begin()
    split = protocol.preprocess(trial.row_fraction, trial.feature_fraction, trial.seed)
    split, _ = densify(algorithm, split)  # a dense-input estimator: converted in the preprocess window
    m_pre = meter.end(token)
    budget = budget_of(spec, space, trial.strategy)
    evaluations = run_search(trial.strategy, space, budget, algorithm, split.X_train, split.y_train,
                             spec.tuning.validation, trial.seed, meter)
    chosen = best(evaluations)
    if chosen is None:
        raise SpecError(f"tuning.spaces.{trial.algorithm}: every setting failed in search {trial.trial_id} "
                        f"({evaluations[0].error}); fix the space")
    search, propose = _costs(evaluations)
    estimator = algorithm.make(trial.seed)
    estimator.set_params(**chosen.params)
    token = meter.begin()
    estimator.fit(split.X_train, split.y_train)
    m_fit = meter.end(token)
    token = meter.begin()
    y_pred = estimator.predict(split.X_test)
    m_pred = meter.end(token)
    phases = {"preprocess": m_pre, "search": Measurement(search.energy_j, search.s, search.domains_j, search.invalid),
              "train": m_fit, "predict": m_pred}
    row = {**unit_row(trial, spec, run_name, meter, started, utc_now(), split, y_pred, phases,
                      n_classes=n_classes(protocol)),
           "validation": spec.tuning.validation.describe(), "budget": budget, "n_evaluations": len(evaluations),
           "n_failed": sum(math.isnan(e.val_f1) for e in evaluations),
           "propose_energy_j": propose.energy_j, "propose_s": propose.s,
           "total_energy_j": sum(m.total_j for m in phases.values()),
           "total_s": sum(m.duration_s for m in phases.values()),
           "best_params": params_json(chosen.params), "best_val_f1": chosen.val_f1}
    cumulative = {"j": 0.0, "s": 0.0, "best": -math.inf}
    return row, [evaluation_row(trial, ev, cumulative, run_name, meter) for ev in evaluations]


def _costs(evaluations: list[Evaluation]) -> tuple[Cost, Cost]:
    """(the whole search: every evaluation's propose + fit + score, the strategy's proposals alone)."""
    search, propose = Cost(), Cost()
    for ev in evaluations:
        for c in (ev.propose, ev.fit, ev.score):
            search.energy_j += c.energy_j
            search.s += c.s
            for k, v in c.domains_j.items():
                search.domains_j[k] = search.domains_j.get(k, 0.0) + v
            if c.invalid and c.invalid not in search.invalid:
                search.invalid = f"{search.invalid}; {c.invalid}" if search.invalid else c.invalid
        propose.energy_j += ev.propose.energy_j
        propose.s += ev.propose.s
    return search, propose


def run_tuning_unit(trial: TuningTrial, spec, protocol, algorithms: dict, meter, run_name: str):
    """A search as a unit of work (``harness.run.study.Rows``): its searches.csv row,
    its evaluations.csv rows as details."""
    from harness.run.study import Rows

    space = parse_space(spec.tuning.spaces[trial.algorithm], f"tuning.spaces.{trial.algorithm}")
    row, evaluations = run_tuning_trial(trial, spec, space, protocol, algorithms[trial.algorithm], meter, run_name)
    return Rows(row, {EVALUATIONS: evaluations})


def evaluation_row(trial: TuningTrial, ev: Evaluation, cumulative: dict, run_name: str, meter) -> dict:
    cumulative["j"] += ev.energy_j
    cumulative["s"] += ev.s
    if not math.isnan(ev.val_f1):
        cumulative["best"] = max(cumulative["best"], ev.val_f1)
    return {
        "run": run_name, "trial_id": trial.trial_id, "algorithm": trial.algorithm, "strategy": trial.strategy,
        "repetition": trial.repetition, "evaluation": ev.index, "params": params_json(ev.params),
        "val_f1": ev.val_f1, "propose_energy_j": ev.propose.energy_j, "propose_s": ev.propose.s,
        "fit_energy_j": ev.fit.energy_j, "fit_s": ev.fit.s, "score_energy_j": ev.score.energy_j,
        "score_s": ev.score.s, "energy_j": ev.energy_j, "s": ev.s, "cumulative_energy_j": cumulative["j"],
        "cumulative_s": cumulative["s"], "best_val_f1_so_far": cumulative["best"],
        "meter": meter.name, "energy_estimated": meter.estimated, "error": ev.error,
    }


def tuning_manifest(spec) -> dict:
    """The manifest's ``tuning`` entry: strategies, validation, TPE start-up trials and budgets."""
    parsed = spaces(spec)
    return {"strategies": spec.tuning.strategies, "validation": spec.tuning.validation.describe(),
            "tpe_startup_trials": {name: tpe_startup(budget_of(spec, sp, "bayesian"))
                                   for name, sp in parsed.items()} if "bayesian" in spec.tuning.strategies else None,
            "budgets": {name: {s: budget_of(spec, sp, s) for s in spec.tuning.strategies}
                        for name, sp in parsed.items()}}


def open_tuning(spec, run):
    """Check and open a tuning run's files for appending (``harness.run.study.Study``): finished
    searches kept (a torn last line moved aside), the evaluations of unfinished ones moved aside
    (see the module docstring); marks the manifest ``kind: tuning`` once the session has opened it."""
    from harness.run.study import Study

    plan = make_tuning_plan(spec)
    searches_path, evals_path = run.dir / SEARCHES, run.dir / EVALUATIONS
    scan = recover_trials(searches_path, SEARCH_COLUMNS)
    check_rows_match_plan(scan, plan, SEARCH_FIELDS, "search")
    moved = set_aside_unfinished(evals_path, scan.trial_ids, run.dir / ABANDONED, EVALUATION_COLUMNS)
    writers = {SEARCHES: TrialWriter(searches_path, SEARCH_COLUMNS)}
    try:
        writers[EVALUATIONS] = TrialWriter(evals_path, EVALUATION_COLUMNS)
    except BaseException:
        writers[SEARCHES].close()
        raise
    return Study(plan, "search", SEARCHES, searches_path, writers, scan.trial_ids, scan.unverified,
                 notes=[moved] if moved else [],
                 done_line=f"done: {len(plan)} searches in {searches_path}, evaluations in {evals_path}",
                 manifest={"kind": "tuning", "tuning": tuning_manifest(spec)})
