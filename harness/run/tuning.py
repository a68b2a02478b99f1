"""Running a tuning study (a spec with a ``tuning:`` section): every search of the plan, measured.

Files in the run directory, beside manifest.json (``kind: tuning``):

- ``searches.csv``: one row per finished search (a tuning trial): the data treatment
  (``preprocess``), the whole search (``search`` = every evaluation's propose + fit + score), the
  final fit of the best setting on all training rows (``train``) and the test prediction
  (``predict``), the chosen setting and the test scores. Appended and fsynced when the search ends:
  a row here is what marks the trial done.
- ``evaluations.csv``: one row per evaluated setting, appended and fsynced as it is made, with
  the cumulative energy and the best validation F1 so far (the curve the analysis draws).

Resume: finished searches are kept; the evaluations of a search that did not finish (a crash or
Ctrl-C in the middle) are moved to ``evaluations-abandoned.csv`` and that search runs again from
its start, with the same seed, so no evaluation row is ever duplicated.
"""

from __future__ import annotations

import csv
import math
import os
import sys
from pathlib import Path

from harness import signals
from harness.errors import ResultsError, SpecError
from harness.results.store import TrialWriter, recover_trials, whole_lines
from harness.run.trial import _metrics, utc_now
from harness.plan import execution_order
from harness.plan.tuning import TuningTrial, make_tuning_plan
from harness.tuning.search import Cost, Evaluation, best, params_json, run_search, tpe_startup
from harness.tuning.space import check_space, grid_size, parse_space

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
    grid's size, capped at the grid's size when every parameter is a list)."""
    size = grid_size(space)
    if strategy == "grid":
        return size
    b = spec.tuning.budget if spec.tuning.budget is not None else size
    return min(b, size) if size is not None else b


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
        lines.append(f"  {name}: {grid_size(space) or 'continuous'} settings; evaluations per search: "
                     + ", ".join(f"{s} {n}" for s, n in per.items()))
        n_eval += sum(per.values()) * n_levels * spec.repetitions
    folds = t.validation.folds or 1
    lines.append(f"  {n_eval} evaluations in all ({n_eval * folds} fits)")
    return lines


def _drop_unfinished_evaluations(path: Path, done: set[int], run_dir: Path) -> str | None:
    """Keep the evaluations of finished searches only; move the others (and a torn last line) to
    evaluations-abandoned.csv, then rewrite evaluations.csv atomically. Returns the line that says
    what was moved and where, or None when nothing was."""
    if not path.exists():
        return None
    data = path.read_bytes()
    text = whole_lines(data).decode("utf-8")
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        path.write_bytes(b"")
        return None
    if tuple(rows[0]) != EVALUATION_COLUMNS:
        raise ResultsError(f"{path}: header does not match this harness's columns; use --fresh")
    id_col = EVALUATION_COLUMNS.index("trial_id")
    keep, drop = [rows[0]], []
    for r in rows[1:]:
        ok = len(r) == len(EVALUATION_COLUMNS) and r[id_col].isdigit() and int(r[id_col]) in done
        (keep if ok else drop).append(r)
    torn = data[len(whole_lines(data)):]
    if not drop and not torn:
        return None
    aside = run_dir / ABANDONED
    with open(aside, "a", encoding="utf-8", newline="") as f:
        if f.tell() == 0:
            f.write(",".join(EVALUATION_COLUMNS) + "\n")
        csv.writer(f, lineterminator="\n").writerows(drop)
        if torn:
            f.write(torn.decode("utf-8", "replace") + "\n")
        f.flush()
        os.fsync(f.fileno())
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(keep)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    searches = {r[id_col] for r in drop if len(r) > id_col}
    what = [f"{len(drop)} evaluation(s) of {len(searches)} unfinished search(es)"] if drop else []
    what += ["a torn last line (an evaluation cut short)"] if torn else []
    return (f"resume: {' and '.join(what)} moved from {path.name} to {aside}; "
            "an unfinished search runs again from its start, with the same seed")


def _check_rows_match_plan(path: Path, plan: list[TuningTrial]) -> None:
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            i = int(row["trial_id"])
            t = plan[i] if 0 <= i < len(plan) else None
            if t is None or (row["algorithm"], row["strategy"], row["sweep"], float(row["row_fraction"]),
                             float(row["feature_fraction"]), int(row["repetition"])) != (
                    t.algorithm, t.strategy, t.sweep, t.row_fraction, t.feature_fraction, t.repetition):
                raise ResultsError(f"{path}: search {i} in the file is not search {i} of this spec's plan; "
                                   "start over with --fresh or use --name")


def run_tuning_trial(trial: TuningTrial, spec, space, protocol, algorithm, meter, run_name: str,
                     on_evaluation) -> dict:
    """One search and its final model: the row of searches.csv (see ``SEARCH_COLUMNS``)."""
    started = utc_now()
    token = meter.begin()
    split = protocol.preprocess(trial.row_fraction, trial.feature_fraction, trial.seed)
    m_pre = meter.end(token)
    budget = budget_of(spec, space, trial.strategy)
    evaluations = run_search(trial.strategy, space, budget, algorithm, split.X_train, split.y_train,
                             spec.tuning.validation, trial.seed, meter, on_evaluation)
    chosen = best(evaluations)
    if chosen is None:
        raise SpecError(f"tuning.spaces.{trial.algorithm}: every setting failed in search {trial.trial_id} "
                        f"({evaluations[0].error}); fix the space")
    search, propose = Cost(), Cost()
    for ev in evaluations:
        for c in (ev.propose, ev.fit, ev.score):
            search.energy_j += c.energy_j
            search.s += c.s
            for k, v in c.domains_j.items():
                search.domains_j[k] = search.domains_j.get(k, 0.0) + v
        propose.energy_j += ev.propose.energy_j
        propose.s += ev.propose.s
    estimator = algorithm.make(trial.seed)
    estimator.set_params(**chosen.params)
    token = meter.begin()
    estimator.fit(split.X_train, split.y_train)
    m_fit = meter.end(token)
    token = meter.begin()
    y_pred = estimator.predict(split.X_test)
    m_pred = meter.end(token)
    finished = utc_now()
    total_j = m_pre.total_j + search.energy_j + m_fit.total_j + m_pred.total_j
    total_s = m_pre.duration_s + search.s + m_fit.duration_s + m_pred.duration_s
    return {
        "run": run_name, "trial_id": trial.trial_id, "config_id": trial.config_id, "algorithm": trial.algorithm,
        "strategy": trial.strategy, "dataset": spec.dataset_name, "protocol": spec.protocol, "sweep": trial.sweep,
        "row_fraction": trial.row_fraction, "feature_fraction": trial.feature_fraction,
        "repetition": trial.repetition, "seed": trial.seed, "started_at": started, "finished_at": finished,
        "validation": spec.tuning.validation.describe(), "budget": budget, "n_evaluations": len(evaluations),
        "n_failed": sum(math.isnan(e.val_f1) for e in evaluations),
        "n_train": split.X_train.shape[0], "n_test": split.X_test.shape[0], "n_features": split.X_train.shape[1],
        "preprocess_energy_j": m_pre.total_j, "preprocess_s": m_pre.duration_s,
        "search_energy_j": search.energy_j, "search_s": search.s,
        "propose_energy_j": propose.energy_j, "propose_s": propose.s,
        "train_energy_j": m_fit.total_j, "train_s": m_fit.duration_s,
        "predict_energy_j": m_pred.total_j, "predict_s": m_pred.duration_s,
        "total_energy_j": total_j, "total_s": total_s,
        "meter": meter.name, "energy_estimated": meter.estimated,
        "best_params": params_json(chosen.params), "best_val_f1": chosen.val_f1,
        **_metrics(split.y_test, y_pred),
        "search_domains_j": search.domains_j, "train_domains_j": dict(m_fit.domains_j),
        "predict_domains_j": dict(m_pred.domains_j),
    }


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


def execute_tuning(spec, run, protocol, algorithms, selection, new_session, quiet: bool, out) -> int:
    """Run every search of the plan not yet in searches.csv; see the module docstring.

    ``new_session(n_trials)`` starts the manifest's session (shared with ``harness.run.runner``) and
    returns ``(manifest, session)``."""
    from threadpoolctl import threadpool_limits

    from harness.hygiene import session as hygiene_session
    from tqdm import tqdm

    plan = make_tuning_plan(spec)
    parsed = spaces(spec)
    meter_ = selection.meter
    searches_path, evals_path = run.dir / SEARCHES, run.dir / EVALUATIONS
    done = recover_trials(searches_path, SEARCH_COLUMNS).trial_ids
    if done:
        _check_rows_match_plan(searches_path, plan)
    moved = _drop_unfinished_evaluations(evals_path, done, run.dir)
    order = execution_order(plan, spec.hygiene.shuffle, spec.seed)
    todo = [t for t in order if t.trial_id not in done]
    m, session = new_session(len(plan))
    m["kind"] = "tuning"
    m["tuning"] = {"strategies": spec.tuning.strategies, "validation": spec.tuning.validation.describe(),
                   "tpe_startup_trials": {name: tpe_startup(budget_of(spec, sp, "bayesian"))
                                          for name, sp in parsed.items()} if "bayesian" in spec.tuning.strategies else None,
                   "budgets": {name: {s: budget_of(spec, sp, s) for s in spec.tuning.strategies}
                               for name, sp in parsed.items()}}
    run.save_manifest()
    print(f"run {run.dir}: {len(done)} of {len(plan)} searches already done, {len(todo)} to go", file=out, flush=True)
    if moved:
        print(moved, file=out, flush=True)

    searches = TrialWriter(searches_path, SEARCH_COLUMNS)
    evals = TrialWriter(evals_path, EVALUATION_COLUMNS)
    stopped, appended = None, 0
    session["ended_by"] = "error"
    try:
        with threadpool_limits(limits=spec.hygiene.threads):
            if todo and spec.hygiene.baseline_s > 0 and m.get("baseline") is None:
                m["baseline"] = hygiene_session.measure_idle_baseline(meter_, spec.hygiene)
                run.save_manifest()
            if todo and spec.hygiene.warmup_s > 0:
                from harness.run.executors.bench import warmup

                warmup(spec.hygiene.warmup_s)
            cooldown = hygiene_session.Cooldown(spec.hygiene, meter_, m.get("baseline"))
            if todo:
                print(cooldown.note, file=out, flush=True)
            waited = hygiene_session.FIRST
            bar = tqdm(total=len(plan), initial=len(done), disable=quiet, unit="search", desc=run.dir.name,
                       file=sys.stderr, dynamic_ncols=True)
            try:
                for i, trial in enumerate(todo):
                    bar.set_postfix_str(f"{trial.algorithm}, {trial.strategy}, rows {trial.row_fraction:.0%}, "
                                        f"features {trial.feature_fraction:.0%}, rep {trial.repetition}",
                                        refresh=False)
                    cumulative = {"j": 0.0, "s": 0.0, "best": -math.inf}

                    def on_evaluation(ev, trial=trial, cumulative=cumulative):
                        evals.append(evaluation_row(trial, ev, cumulative, m["run"], meter_))

                    row = run_tuning_trial(trial, spec, parsed[trial.algorithm], protocol,
                                           algorithms[trial.algorithm], meter_, m["run"], on_evaluation)
                    with signals.held():  # the row on disk and the count in the manifest must agree
                        searches.append({**row, **waited.columns()})
                        appended += 1
                    bar.update()
                    if i + 1 < len(todo):
                        waited = cooldown.wait()
                session["ended_by"] = "completed"
            except KeyboardInterrupt as e:  # Ctrl-C, SIGTERM, SIGHUP: the search under way is abandoned
                stopped = e
                session["ended_by"] = signals.signal_name(e)
            finally:
                bar.close()
    finally:
        with signals.held():
            searches.close()
            evals.close()
            from harness.run.session import close_session

            close_session(run, m, session, len(done) + appended, len(plan))
    if stopped is not None:
        print(f"harness: interrupted ({signals.signal_name(stopped)}): {session['trials_done']} of {len(plan)} "
              f"searches saved in {searches_path}; run the same command again to resume", file=sys.stderr)
        return signals.exit_code(stopped)
    print(f"done: {len(plan)} searches in {searches_path}, evaluations in {evals_path}", file=out)
    return 0
