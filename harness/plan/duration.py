"""How long a run will take, said before it starts.

Two parts. The hygiene is known exactly from the spec: warm-up + idle baseline + cool-down after
every trial but the last. The trials themselves can only be estimated: ``time_trials`` times one
trial (preprocess, fit, predict) of each algorithm at its largest configuration, and
``compute_estimate_s`` scales that time to every other trial in proportion to the share of rows x
features it keeps. Fit times of some estimators grow faster than linearly with rows (SVC, about
quadratically), so the estimate is an upper bound for those and an order of magnitude overall.
"""

from __future__ import annotations

import time

from harness.errors import EstimatorError

LONG_RUN_S = 3600.0  # a run whose waits alone reach this is announced before it starts


def hygiene_s(spec, n_trials: int) -> float:
    """Seconds of warm-up, idle baseline and cool-down for ``n_trials`` trials still to run."""
    if n_trials <= 0:
        return 0.0
    h = spec.hygiene
    return h.warmup_s + h.baseline_s + h.cooldown_s * (n_trials - 1)


def _size(trial) -> float:
    return trial.row_fraction * trial.feature_fraction


def time_trials(plan, protocol, algorithms, threads: int | None) -> dict[str, float]:
    """Wall seconds of one trial per algorithm, at the configuration keeping the most rows x
    features, with the seed of its first repetition. Fits estimators; writes nothing."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    from harness.models.algorithms import prediction_problem

    seconds = {}
    with threadpool_limits(limits=threads):
        for name, algorithm in algorithms.items():
            trial = max((t for t in plan if t.algorithm == name), key=_size)
            start = time.perf_counter()
            split = protocol.preprocess(trial.row_fraction, trial.feature_fraction, trial.seed)
            inputs = getattr(algorithm, "inputs", lambda X: X)  # dense features for a dense-input estimator
            estimator = algorithm.make(trial.seed)
            cls = getattr(algorithm, "cls", type(estimator))
            try:
                estimator.fit(inputs(split.X_train), split.y_train)
                y_pred = estimator.predict(inputs(split.X_test))
            except Exception as e:  # noqa: BLE001 - the estimator's code: any exception, said in one line
                raise EstimatorError(f"algorithms {name!r} ({cls.__module__}:{cls.__qualname__}): its timed trial "
                                     f"(trial {trial.trial_id}) raised {type(e).__name__}: "
                                     f"{' '.join(str(e).split())[:300]}") from None
            # the run's own check of a prediction (floats, scores, the wrong length), so --dry-run finds it too
            problem = prediction_problem(y_pred, split.X_test.shape[0], np.unique(split.y_train))
            if problem is not None:
                raise EstimatorError(f"algorithms {name!r} ({cls.__module__}:{cls.__qualname__}): its timed trial "
                                     f"(trial {trial.trial_id}): {problem}")
            seconds[name] = time.perf_counter() - start
    return seconds


def compute_estimate_s(todo, timed: dict[str, float], plan) -> float:
    """Estimated seconds of the trials in ``todo``: each algorithm's timed trial scaled by the
    share of rows x features a trial keeps relative to the timed one."""
    largest = {name: max(_size(t) for t in plan if t.algorithm == name) for name in timed}
    return sum(timed[t.algorithm] * _size(t) / largest[t.algorithm] for t in todo)


def format_duration(seconds: float) -> str:
    """``seconds`` as "42 s", "3 min 20 s", "5.5 hours" (hours to one decimal)."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {seconds % 60:.0f} s"
    return f"{seconds / 3600:.1f} hours"


def long_run_warning(spec, n_trials: int) -> str | None:
    """The line a run prints before it starts when its waits alone (warm-up, baseline, cool-down)
    take an hour or more, e.g. the full ICT4S'22 study: 3,600 trials x 5 s of cool-down = 5 hours."""
    waits = hygiene_s(spec, n_trials)
    if waits < LONG_RUN_S:
        return None
    return (f"warning: this run takes at least {format_duration(waits)}: warm-up, baseline and "
            f"{spec.hygiene.cooldown_s:g} s of cool-down after each of {n_trials} trials, plus the trials themselves "
            "('run --dry-run' estimates the total); Ctrl-C stops it safely and the same command resumes")
