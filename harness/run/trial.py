"""One trial: the treatment, the estimator's fit and its prediction, each in its own meter window.

``run_trial`` is pure apart from the meter and the clock: it writes nothing; the caller stores the row.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timezone

from harness.hygiene.phases import below_resolution, measure_repeated
from harness.plan import Trial


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _metrics(y_true, y_pred) -> dict:
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    p, r, f1, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", pos_label=1, zero_division=0)
    return {"accuracy": float(accuracy_score(y_true, y_pred)), "precision": float(p), "recall": float(r), "f1": float(f1)}


def run_trial(trial: Trial, protocol, algorithm, meter, run_name: str, spec) -> dict:
    """Run one trial: three meter windows (preprocess, train, predict), then the scores.

    Each phase is flagged when the meter cannot resolve it to ``hygiene.rel_error``; predict is
    repeated in its window until it lasts ``hygiene.min_phase_s`` (``harness.hygiene.phases``)."""
    from harness.tactics import level_text
    from harness.tactics.quantization import fitted_dtype

    started = utc_now()
    token = meter.begin()
    if trial.levels:
        split = protocol.apply(trial.levels, trial.seed)
    else:  # a protocol or trial that knows only the ICT4S'22 pair
        split = protocol.preprocess(trial.row_fraction, trial.feature_fraction, trial.seed)
    m_pre = meter.end(token)
    estimator = algorithm.make(trial.seed)
    token = meter.begin()
    estimator.fit(split.X_train, split.y_train)
    m_fit = meter.end(token)
    y_pred, m_pred_window, m_pred, reps = measure_repeated(
        meter, lambda: estimator.predict(split.X_test), spec.hygiene.min_phase_s)
    finished = utc_now()
    n_features = split.X_train.shape[1]
    res, rel = meter.resolution(), spec.hygiene.rel_error
    return {
        "run": run_name, **asdict(trial), "dataset": spec.dataset_name, "protocol": spec.protocol,
        "started_at": started, "finished_at": finished,
        "n_train": split.X_train.shape[0], "n_test": split.X_test.shape[0], "n_features": n_features,
        "preprocess_energy_j": m_pre.total_j, "preprocess_s": m_pre.duration_s,
        "train_energy_j": m_fit.total_j, "train_s": m_fit.duration_s,
        "predict_energy_j": m_pred.total_j, "predict_s": m_pred.duration_s,
        "meter": meter.name, "energy_estimated": meter.estimated,
        **_metrics(split.y_test, y_pred),
        "preprocess_domains_j": dict(m_pre.domains_j), "train_domains_j": dict(m_fit.domains_j),
        "predict_domains_j": dict(m_pred.domains_j), "phase_boundaries": "harness",
        "treatment": trial.treatment,
        "n_rows": "" if getattr(split, "n_rows", None) is None else split.n_rows,
        "input_dtype": str(split.X_train.dtype), "fit_dtype": fitted_dtype(estimator, n_features),
        "preprocess_below_resolution": below_resolution(m_pre, res, rel),
        "train_below_resolution": below_resolution(m_fit, res, rel),
        "predict_below_resolution": below_resolution(m_pred_window, res, rel),
        "predict_repetitions": reps,
        **{f"level_{name}": level_text(level) for name, level in trial.levels},
    }


def run_faithful_trial(trial, protocol, algorithm, meter, run_name: str, spec) -> dict:
    """One trial with the original's phase boundaries (see the module docstring); the same row
    as ``run_trial``."""
    from sklearn.metrics import classification_report

    from harness.hygiene.phases import below_resolution
    from harness.tactics import level_text
    from harness.tactics.quantization import fitted_dtype
    from harness.spec.replication import PHASES_ICT4S22

    started = utc_now()
    token = meter.begin()
    treated = protocol.treat(trial.row_fraction, trial.feature_fraction)
    m_pre = meter.end(token)
    estimator = algorithm.make(trial.seed)
    token = meter.begin()
    split = protocol.split(treated)
    estimator.fit(split.X_train, split.y_train)
    m_fit = meter.end(token)
    token = meter.begin()
    y_pred = estimator.predict(split.X_test)
    classification_report(split.y_test, y_pred, zero_division=0)  # computed, unused: as the original
    scores = _metrics(split.y_test, y_pred)
    m_pred = meter.end(token)
    finished = utc_now()
    res, rel = meter.resolution(), spec.hygiene.rel_error
    return {
        "run": run_name, **asdict(trial), "dataset": spec.dataset_name, "protocol": spec.protocol,
        "started_at": started, "finished_at": finished,
        "n_train": split.X_train.shape[0], "n_test": split.X_test.shape[0], "n_features": split.X_train.shape[1],
        "preprocess_energy_j": m_pre.total_j, "preprocess_s": m_pre.duration_s,
        "train_energy_j": m_fit.total_j, "train_s": m_fit.duration_s,
        "predict_energy_j": m_pred.total_j, "predict_s": m_pred.duration_s,
        "meter": meter.name, "energy_estimated": meter.estimated,
        **scores,
        "preprocess_domains_j": dict(m_pre.domains_j), "train_domains_j": dict(m_fit.domains_j),
        "predict_domains_j": dict(m_pred.domains_j), "phase_boundaries": PHASES_ICT4S22,
        "preprocess_below_resolution": below_resolution(m_pre, res, rel),
        "train_below_resolution": below_resolution(m_fit, res, rel),
        "predict_below_resolution": below_resolution(m_pred, res, rel),
        "predict_repetitions": 1,
        "treatment": trial.treatment, "n_rows": len(protocol.y),
        "input_dtype": str(split.X_train.dtype), "fit_dtype": fitted_dtype(estimator, split.X_train.shape[1]),
        **{f"level_{name}": level_text(level) for name, level in trial.levels},
    }
