"""One trial: the treatment, the estimator's fit and its prediction, each in its own meter window.

``run_trial`` is pure apart from the meter and the clock: it writes nothing; the caller stores the row.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timezone

from harness.errors import EstimatorError
from harness.hygiene.phases import below_resolution, measure_repeated
from harness.plan import Trial


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _metrics(y_true, y_pred, n_classes: int = 2) -> dict:
    """Test scores (``harness.data.scoring``): binary F1 of the positive class for two classes,
    macro averages for three or more; ``f1_average`` names which."""
    from harness.data.scoring import f1_average, scores

    return {**scores(y_true, y_pred, n_classes), "f1_average": f1_average(n_classes)}


def unit_row(unit, spec, run_name: str, meter, started: str, finished: str, split, y_pred,
             phases: dict, flagged: dict | None = None, n_classes: int = 2) -> dict:
    """The part of a unit's row every kind of unit shares (a trial of trials.csv, a search of
    searches.csv): the unit's identity (its plan entry's fields), dataset, protocol, start and end
    (UTC ISO 8601), the split's sizes, each phase's ``<phase>_energy_j`` (J), ``<phase>_s`` (s) and
    ``<phase>_domains_j`` (J per meter domain), the meter and whether its energy is estimated, the
    test scores of ``y_pred`` against ``split.y_test``, one ``<phase>_below_resolution`` flag per
    window in ``flagged``, one ``level_<factor>`` per level of the unit and ``energy_invalid``: the
    phases whose window was not a measurement and why (``invalid_phases``; their energy is NaN).

    ``phases``: phase name -> a ``harness.meters.Measurement`` (``total_j``, ``duration_s``,
    ``domains_j``); ``flagged``: phase name -> the window whose resolution is judged (default:
    ``phases``); ``n_classes``: the data set's classes (3 or more: macro-averaged scores).
    The caller adds its own columns; a file keeps only its own columns."""
    from harness.tactics import level_text

    res, rel = meter.resolution(), spec.hygiene.rel_error
    row = {"run": run_name, **asdict(unit), "dataset": spec.dataset_name, "protocol": spec.protocol,
           "started_at": started, "finished_at": finished,
           "n_train": split.X_train.shape[0], "n_test": split.X_test.shape[0], "n_features": split.X_train.shape[1]}
    for name, m in phases.items():
        row.update({f"{name}_energy_j": m.total_j, f"{name}_s": m.duration_s})
    row.update({"meter": meter.name, "energy_estimated": meter.estimated, **_metrics(split.y_test, y_pred, n_classes)})
    row.update({f"{name}_domains_j": dict(m.domains_j) for name, m in phases.items()})
    row.update({f"{name}_below_resolution": below_resolution(m, res, rel)
                for name, m in (phases if flagged is None else flagged).items()})
    row.update({f"level_{name}": level_text(level) for name, level in getattr(unit, "levels", ())})
    row["energy_invalid"] = invalid_phases(phases, flagged)
    return row


def n_classes(protocol) -> int:
    """The data set's classes, from the protocol's labels (codes 0..K-1; 2 when it has none)."""
    import numpy as np

    y = getattr(protocol, "y", None)
    return max(2, len(np.unique(y))) if y is not None else 2


def invalid_phases(phases: dict, windows: dict | None = None) -> str:
    """"" when every phase's window is a measurement, else "phase: why" joined by " | " (their
    energies are NaN in the row). ``windows``: the windows measured, when a phase's Measurement is
    derived from one (predict per call)."""
    windows = windows or {}
    out = []
    for name, m in phases.items():
        why = getattr(m, "invalid", "") or getattr(windows.get(name), "invalid", "")
        if why:
            out.append(f"{name}: {why}")
    return " | ".join(out)


def densify(algorithm, split):
    """``split`` with dense X_train and X_test when ``algorithm.dense`` (``Algorithm.inputs``), and
    whether it converted; called inside the preprocess window, so the conversion's cost is measured
    there. Algorithms without ``inputs`` (fakes) get ``split`` unchanged."""
    inputs = getattr(algorithm, "inputs", None)
    if inputs is None or not getattr(algorithm, "dense", False):
        return split, False
    X_train, X_test = inputs(split.X_train), inputs(split.X_test)
    if X_train is split.X_train and X_test is split.X_test:
        return split, False
    from dataclasses import replace

    return replace(split, X_train=X_train, X_test=X_test), True


def estimator_fault(algorithm, trial, what: str) -> EstimatorError:
    """One line naming the algorithm, its class, the trial and ``what`` went wrong; for a refusal
    of sparse input, the fix (the algorithm's ``dense: true``)."""
    cls = getattr(algorithm, "cls", None)
    path = f"{cls.__module__}:{cls.__qualname__}" if cls is not None else "?"
    fix = ("; give it dense features with 'dense: true' in its algorithms entry"
           if "sparse" in what.lower() and not getattr(algorithm, "dense", False) else "")
    return EstimatorError(f"algorithms {getattr(algorithm, 'name', '?')!r} ({path}) in trial "
                          f"{getattr(trial, 'trial_id', '?')}: {what.rstrip('.;: ')}{fix}; the rows of finished trials "
                          "are kept")


def _raised(e: BaseException, call: str) -> str:
    return f"{call} raised {type(e).__name__}: {' '.join(str(e).split())[:300]}"


def _guarded(meter, token, algorithm, trial, call: str, fn):
    """``fn()`` inside the meter window ``token``; an exception from the estimator's code closes the
    window and ends the run with one line (``estimator_fault``)."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - the estimator's code: any exception, said in one line
        meter.end(token)
        raise estimator_fault(algorithm, trial, _raised(e, call)) from None


def fit_predict(trial, algorithm, estimator, split, meter, min_phase_s: float):
    """The train window (``estimator.fit``) and the predict window (``measure_repeated``); an
    estimator that raises, or predicts anything but one label seen in fit per test row
    (``harness.models.algorithms.prediction_problem``), ends the run with an EstimatorError.
    Returns (train Measurement, y_pred, predict window, predict Measurement, repetitions)."""
    import numpy as np

    from harness.models.algorithms import prediction_problem

    token = meter.begin()
    _guarded(meter, token, algorithm, trial, "fit", lambda: estimator.fit(split.X_train, split.y_train))
    m_fit = meter.end(token)
    try:
        y_pred, m_window, m_pred, reps = measure_repeated(
            meter, lambda: estimator.predict(split.X_test), min_phase_s)
    except Exception as e:  # noqa: BLE001
        raise estimator_fault(algorithm, trial, _raised(e, "predict")) from None
    problem = prediction_problem(y_pred, split.X_test.shape[0], np.unique(split.y_train))
    if problem:
        raise estimator_fault(algorithm, trial, problem)
    return m_fit, y_pred, m_window, m_pred, reps


def run_trial(trial: Trial, protocol, algorithm, meter, run_name: str, spec) -> dict:
    """Run one trial: three meter windows (preprocess, train, predict), then the scores.

    Each phase is flagged when the meter cannot resolve it to ``hygiene.rel_error``; predict is
    repeated in its window until it lasts ``hygiene.min_phase_s`` (``harness.hygiene.phases``)."""
    from harness.meters.cpus import Throttling
    from harness.tactics.quantization import fitted_dtype

    throttling = Throttling()
    started = utc_now()
    token = meter.begin()
    if trial.levels:
        split = protocol.apply(trial.levels, trial.seed)
    else:  # a protocol or trial that knows only the ICT4S'22 pair
        split = protocol.preprocess(trial.row_fraction, trial.feature_fraction, trial.seed)
    split, densified = densify(algorithm, split)  # in the preprocess window: its cost is measured there
    m_pre = meter.end(token)
    estimator = algorithm.make(trial.seed)
    m_fit, y_pred, m_pred_window, m_pred, reps = fit_predict(trial, algorithm, estimator, split, meter,
                                                             spec.hygiene.min_phase_s)
    phases = {"preprocess": m_pre, "train": m_fit, "predict": m_pred}
    return {**unit_row(trial, spec, run_name, meter, started, utc_now(), split, y_pred, phases,
                       {**phases, "predict": m_pred_window}, n_classes=n_classes(protocol)),
            "phase_boundaries": "harness",
            "n_rows": "" if getattr(split, "n_rows", None) is None else split.n_rows,
            "input_dtype": str(split.X_train.dtype), "fit_dtype": fitted_dtype(estimator, split.X_train.shape[1]),
            "predict_repetitions": reps, "cpu_throttled_s": throttling.seconds(), "densified": densified}


def run_faithful_trial(trial, protocol, algorithm, meter, run_name: str, spec) -> dict:
    """One trial with the original's phase boundaries (see the module docstring); the same row
    as ``run_trial``."""
    import numpy as np
    from sklearn.metrics import classification_report

    from harness.meters.cpus import Throttling
    from harness.models.algorithms import prediction_problem
    from harness.tactics.quantization import fitted_dtype
    from harness.spec.replication import PHASES_ICT4S22

    throttling = Throttling()
    started = utc_now()
    token = meter.begin()
    treated = protocol.treat(trial.row_fraction, trial.feature_fraction)
    densified = bool(getattr(algorithm, "dense", False)) and hasattr(algorithm, "inputs")
    if densified:  # a dense-input estimator: the treated matrix converted here, in the preprocess window
        from dataclasses import replace

        converted = algorithm.inputs(treated.X)
        densified = converted is not treated.X
        treated = replace(treated, X=converted)
    m_pre = meter.end(token)
    estimator = algorithm.make(trial.seed)
    token = meter.begin()
    split = protocol.split(treated)
    _guarded(meter, token, algorithm, trial, "fit", lambda: estimator.fit(split.X_train, split.y_train))
    m_fit = meter.end(token)
    token = meter.begin()
    y_pred = _guarded(meter, token, algorithm, trial, "predict", lambda: estimator.predict(split.X_test))
    try:
        classification_report(split.y_test, y_pred, zero_division=0)  # computed, unused: as the original
        _metrics(split.y_test, y_pred)  # the scores are computed inside the window, as the original
    except Exception as e:  # noqa: BLE001 - a prediction that cannot be scored: said below, in one line
        meter.end(token)
        problem = prediction_problem(y_pred, split.X_test.shape[0], np.unique(split.y_train))
        raise estimator_fault(algorithm, trial, problem or _raised(e, "scoring its prediction")) from None
    m_pred = meter.end(token)
    problem = prediction_problem(y_pred, split.X_test.shape[0], np.unique(split.y_train))
    if problem:
        raise estimator_fault(algorithm, trial, problem)
    return {**unit_row(trial, spec, run_name, meter, started, utc_now(), split, y_pred,
                       {"preprocess": m_pre, "train": m_fit, "predict": m_pred}),
            "phase_boundaries": PHASES_ICT4S22, "predict_repetitions": 1, "n_rows": len(protocol.y), "densified": densified,
            "input_dtype": str(split.X_train.dtype), "fit_dtype": fitted_dtype(estimator, split.X_train.shape[1]),
            "cpu_throttled_s": throttling.seconds()}
