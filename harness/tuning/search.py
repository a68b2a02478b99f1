"""One tuning search, measured: every candidate's proposal, fits and scores in meter windows.

A search evaluates candidate settings on the training rows only (k-fold CV or one validation
split, stratified, seeded by the repetition), picks the setting with the best mean validation F1
(ties: the first evaluated), and leaves the final fit and the test prediction to the caller.

Per evaluation three costs are measured, each as the sum of meter windows:
``propose`` (the strategy choosing the setting: Optuna's TPE does real work here, grid and random
almost none), ``fit`` (every fold's ``fit``) and ``score`` (every fold's ``predict``). The F1 itself is
computed outside the windows, as in a trial.
"""

from __future__ import annotations

import json
import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from harness.tuning.space import (
    Space,
    finite_points,
    grid_points,
    random_points,
    suggest,
)


@dataclass
class Cost:
    """Energy (J) and wall time (s) summed over windows; ``domains_j`` per meter domain; ``invalid``:
    why some window was not a measurement ("" if none; its NaN makes the sum NaN)."""

    energy_j: float = 0.0
    s: float = 0.0
    domains_j: dict = field(default_factory=dict)
    invalid: str = ""

    def add(self, m) -> None:
        if m.invalid and m.invalid not in self.invalid:
            self.invalid = f"{self.invalid}; {m.invalid}" if self.invalid else m.invalid
        self.energy_j += m.total_j
        self.s += m.duration_s
        for k, v in m.domains_j.items():
            self.domains_j[k] = self.domains_j.get(k, 0.0) + v


@dataclass
class Evaluation:
    """One candidate setting: its mean validation F1 (NaN when the estimator failed on it) and costs."""

    index: int
    params: dict
    val_f1: float
    propose: Cost
    fit: Cost
    score: Cost
    error: str = ""

    @property
    def energy_j(self) -> float:
        return self.propose.energy_j + self.fit.energy_j + self.score.energy_j

    @property
    def s(self) -> float:
        return self.propose.s + self.fit.s + self.score.s


def params_json(params: dict) -> str:
    """Settings as canonical JSON (sorted keys): the form stored in evaluations.csv."""
    return json.dumps(params, sort_keys=True, default=str)


def validation_folds(y: np.ndarray, validation, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fit rows, validation rows) index pairs into the training rows: ``StratifiedKFold`` with
    shuffling, or one stratified ``train_test_split``; both seeded with the repetition's seed."""
    from sklearn.model_selection import StratifiedKFold, train_test_split

    from harness.errors import SpecError

    idx = np.arange(len(y))
    try:
        if validation.folds:
            return list(StratifiedKFold(validation.folds, shuffle=True, random_state=seed).split(idx, y))
        fit, val = train_test_split(idx, test_size=validation.split, stratify=y, random_state=seed)
        return [(fit, val)]
    except ValueError as e:
        raise SpecError(f"tuning.validation: cannot make {validation.describe()} of {len(y)} training rows "
                        f"keeping both classes ({e}); use fewer folds or a larger row fraction") from None


def _f1(y_true, y_pred) -> float:
    from harness.data.scoring import f1

    return f1(y_true, y_pred)  # binary for two classes, macro for three or more


def evaluate(index: int, params: dict, propose: Cost, algorithm, X, y, folds, seed: int, meter) -> Evaluation:
    """Fit and score one setting on every fold; each fit and each predict is one meter window."""
    fit, score = Cost(), Cost()
    f1s = []
    for tr, va in folds:
        est = algorithm.make(seed)
        try:
            est.set_params(**params)
            token = meter.begin()
            try:
                est.fit(X[tr], y[tr])
            finally:
                fit.add(meter.end(token))
            token = meter.begin()
            try:
                pred = est.predict(X[va])
            finally:
                score.add(meter.end(token))
        except Exception as e:  # noqa: BLE001 - like GridSearchCV's error_score=nan: a bad setting scores NaN
            return Evaluation(index, params, math.nan, propose, fit, score, f"{type(e).__name__}: {e}"[:200])
        f1s.append(_f1(y[va], pred))
    return Evaluation(index, params, float(np.mean(f1s)), propose, fit, score)


@contextmanager
def _optuna_warnings_only():
    """Optuna logs every trial at INFO on stderr; the harness reports its own progress. Scoped to
    the search (it runs in worker processes too, where no command line sets levels): the level the
    process had comes back after it."""
    import optuna

    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(previous)


def run_search(strategy: str, space: Space, budget: int, algorithm, X, y, validation, seed: int, meter,
               on_evaluation: Callable[[Evaluation], None] = lambda e: None) -> list[Evaluation]:
    """All evaluations of one search, in the order made; ``on_evaluation`` is called after each
    (e.g. to follow a search's progress). ``grid`` evaluates the whole grid in
    ParameterGrid order; ``random`` ``budget`` ParameterSampler draws; ``bayesian`` ``budget``
    proposals of Optuna's TPE sampler (seeded), told each validation F1 (NaN as a failed trial)."""
    folds = validation_folds(y, validation, seed)
    out: list[Evaluation] = []

    def record(ev: Evaluation) -> Evaluation:
        out.append(ev)
        on_evaluation(ev)
        return ev

    if strategy in ("grid", "random"):
        cost = Cost()
        token = meter.begin()
        points = grid_points(space) if strategy == "grid" else random_points(space, budget, seed, distinct=True)
        cost.add(meter.end(token))
        # The whole list is drawn at once: its cost is shared evenly by the evaluations.
        share = Cost(cost.energy_j / len(points), cost.s / len(points),
                     {k: v / len(points) for k, v in cost.domains_j.items()}, cost.invalid)
        for i, p in enumerate(points):
            record(evaluate(i, p, share, algorithm, X, y, folds, seed, meter))
        return out
    if strategy == "bayesian":
        import optuna

        with _optuna_warnings_only():
            sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=tpe_startup(budget))
            study = optuna.create_study(direction="maximize", sampler=sampler)
            tried: dict[str, float] = {}  # setting -> validation F1: a setting is evaluated once
            for i in range(budget):
                propose = Cost()
                token = meter.begin()
                t, params = _distinct_proposal(study, space, tried, seed + i)
                propose.add(meter.end(token))
                ev = evaluate(i, params, propose, algorithm, X, y, folds, seed, meter)
                token = meter.begin()
                if math.isnan(ev.val_f1):
                    study.tell(t, state=optuna.trial.TrialState.FAIL)
                else:
                    study.tell(t, ev.val_f1)
                ev.propose.add(meter.end(token))  # telling TPE is part of its proposing
                tried[_key(params)] = ev.val_f1
                record(ev)
        return out
    raise ValueError(f"unknown strategy {strategy!r}")


REPEAT_ASKS = 20  # proposals of a setting already tried before an untried one is taken instead


def _key(params: dict) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def _distinct_proposal(study, space: Space, tried: dict, seed: int):
    """TPE's next proposal that is not a setting already evaluated (evaluation is deterministic: same
    folds, same seed, so a repeat would cost energy and teach nothing; optuna#2021). A repeat is told
    its known result at once, without evaluating, and TPE asked again; after ``REPEAT_ASKS`` repeats
    an untried setting of a finite space (lists and integer ranges), drawn with ``seed``, is enqueued.
    Each strategy thus gets its budget of distinct tries (the budget is capped at a finite space's
    size, ``space.n_settings``)."""
    import random

    for _ in range(REPEAT_ASKS):
        t = study.ask()
        params = suggest(t, space)
        if _key(params) not in tried:
            return t, params
        known = tried[_key(params)]
        if math.isnan(known):
            study.tell(t, state=optuna_fail())
        else:
            study.tell(t, known)
    points = finite_points(space)  # lists and integer ranges: every setting, when not too many
    if points is not None:
        untried = [p for p in points if _key(p) not in tried]
        if untried:
            study.enqueue_trial(random.Random(seed).choice(untried))
    t = study.ask()
    return t, suggest(t, space)


def optuna_fail():
    import optuna

    return optuna.trial.TrialState.FAIL


def tpe_startup(budget: int) -> int:
    """Random evaluations before TPE starts modelling: a quarter of the budget, at least 2, at most
    Optuna's default of 10. With Optuna's default, a search of 10 evaluations would never use its
    model and would be a random search with replacement."""
    return max(2, min(10, budget // 4))


def best(evaluations: list[Evaluation]) -> Evaluation | None:
    """The evaluation with the highest validation F1 (the first one on ties), None if all failed."""
    ok = [e for e in evaluations if not math.isnan(e.val_f1)]
    return max(ok, key=lambda e: (e.val_f1, -e.index)) if ok else None
