"""Synthetic results with known answers: trials.csv rows in the layout written before tactics
(harness.results.store.BEFORE_TACTICS, which the analysis still reads), with their row checksums."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from harness.results.store import BEFORE_TACTICS as COLUMNS, CHECKSUM, MANIFEST, TRIALS, TrialWriter
from harness.results.load import ICT4S22_COLUMNS
from harness.results.store import COLUMNS as ALL_COLUMNS

FULL_ROWS = 3900
FULL_FEATURES = 8000
LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def fabricate(algorithms=None, levels=LEVELS, repetitions=5, noise=0.05, seed=0,
              f1=None, meter="estimate", sweeps=("rows", "features")) -> pd.DataFrame:
    """Trials of a paper-like design: a rows sweep and a features sweep per algorithm.

    ``algorithms`` maps name -> full-data training energy (J); energy is proportional to
    n_train x n_features times lognormal noise of sd ``noise``. ``f1`` maps name -> function of
    (row_fraction, feature_fraction) -> F1 (default: 0.9 - 0.1 x (1 - fraction product)).
    """
    algorithms = algorithms or {"random_forest": 2.0, "svm": 0.5, "knn": 0.02}
    f1 = f1 or {}
    rng = np.random.default_rng(seed)
    rows = []
    config = 0
    for algorithm, full_j in algorithms.items():
        for sweep in sweeps:
            for level in levels:
                rf, ff = {"rows": (level, 1.0), "features": (1.0, level)}[sweep]
                n_train, n_features = round(FULL_ROWS * rf), round(FULL_FEATURES * ff)
                for rep in range(repetitions):
                    scale = n_train / FULL_ROWS * n_features / FULL_FEATURES
                    e = full_j * scale * float(np.exp(rng.normal(0, noise)))
                    f = f1.get(algorithm, lambda r, q: 0.9 - 0.1 * (1 - r * q))(rf, ff)
                    rows.append(_row(len(rows), config, algorithm, sweep, rf, ff, rep, n_train,
                                     n_features, e, e * 2.0, f, meter))
                config += 1
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _row(trial_id, config_id, algorithm, sweep, rf, ff, rep, n_train, n_features, train_j,
         train_s, f1, meter) -> dict:
    return {
        "run": "synthetic", "trial_id": trial_id, "config_id": config_id, "algorithm": algorithm,
        "dataset": "sms_spam", "protocol": "holdout", "sweep": sweep, "row_fraction": rf,
        "feature_fraction": ff, "repetition": rep, "seed": 1000 + rep,
        "started_at": "2024-01-01T00:00:00+00:00", "finished_at": "2024-01-01T00:00:01+00:00",
        "n_train": n_train, "n_test": 1672, "n_features": n_features,
        "preprocess_energy_j": 0.01, "preprocess_s": 0.02,
        "train_energy_j": train_j, "train_s": train_s,
        "predict_energy_j": train_j / 10, "predict_s": train_s / 10,
        "meter": meter, "energy_estimated": meter == "estimate",
        "accuracy": 0.95, "precision": 0.9, "recall": 0.85, "f1": f1,
        "preprocess_domains_j": {"cpu": 0.01}, "train_domains_j": {"cpu": train_j},
        "predict_domains_j": {"cpu": train_j / 10},
    }


def write_run(run_dir: Path, trials: pd.DataFrame, manifest: dict | None = None) -> Path:
    """Write trials through the store's own writer (so the file is what 'run' writes)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    # the pre-tactics layout, with any later column the trials carry (e.g. hygiene's flags), then the checksum
    extra = tuple(c for c in ALL_COLUMNS if c in trials.columns and c not in COLUMNS and c != CHECKSUM)
    writer = TrialWriter(run_dir / TRIALS, COLUMNS + extra + (CHECKSUM,))
    for row in trials.to_dict("records"):
        for col in ("preprocess_domains_j", "train_domains_j", "predict_domains_j"):
            if isinstance(row[col], str):
                row[col] = json.loads(row[col])
        row = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        writer.append(row)
    writer.close()
    (run_dir / MANIFEST).write_text(json.dumps(manifest or {"run": "synthetic", "baseline": None}))
    return run_dir


# A tactics study like experiments/tactics.yaml, smaller: factor -> (levels, energy multiplier of
# each level, F1 change of each level, in F1 units).
TACTICS = {
    "stratified": (("0.1", "0.25", "0.5", "0.75"), (0.1, 0.25, 0.5, 0.75), (-0.08, -0.04, -0.01, 0.0)),
    "random": (("0.1", "0.25", "0.5", "0.75"), (0.1, 0.26, 0.5, 0.74), (-0.08, -0.04, -0.01, 0.0)),
    "chi2": (("0.1", "0.25", "0.5", "0.75"), (0.3, 0.45, 0.7, 0.9), (-0.02, -0.01, 0.0, 0.0)),
    "dtype": (("float32",), (0.95,), (0.0,)),
    "kbits": (("1", "2", "4", "8"), (0.9, 0.92, 0.95, 1.0), (0.01, 0.0, 0.0, 0.0)),
    "random_projection": (("100", "250", "500", "1000"), (0.5, 1.2, 2.5, 5.0), (-0.1, -0.06, -0.03, -0.02)),
}


def fabricate_tactics(algorithms=None, repetitions=5, noise=0.05, seed=0, factors=TACTICS,
                      grid=("stratified", "chi2"), f1_noise=0.005) -> pd.DataFrame:
    """Trials of a tactics study: an untreated ``baseline`` sweep, one sweep per factor, and (when
    ``grid`` names two factors) a ``grid`` sweep of every pair of their levels; one ``level_<f>``
    column per factor. Energy multiplies the algorithm's untreated energy (J, as ``fabricate``)
    by each active level's multiplier, times lognormal noise of sd ``noise``; F1 adds the levels'
    changes and normal noise of sd ``f1_noise``."""
    algorithms = algorithms or {"random_forest": 2.0, "svm": 0.5, "knn": 0.02}
    rng = np.random.default_rng(seed)
    cells = [("baseline", {})] + [(f, {f: lv}) for f, (levels, _, _) in factors.items() for lv in levels]
    if grid:
        a, b = grid
        cells += [("grid", {a: la, b: lb}) for la in factors[a][0] for lb in factors[b][0]]
    rows = []
    for config, (algorithm, full_j) in enumerate(algorithms.items()):
        for c, (sweep, levels) in enumerate(cells):
            scale, f1 = 1.0, 0.9
            for f, lv in levels.items():
                i = factors[f][0].index(lv)
                scale *= factors[f][1][i]
                f1 += factors[f][2][i]
            label = "+".join(f"{f}={lv}" for f, lv in levels.items()) or "none"
            for rep in range(repetitions):
                e = full_j * scale * float(np.exp(rng.normal(0, noise)))
                row = _row(len(rows), config * len(cells) + c, algorithm, sweep, 1.0, 1.0, rep, FULL_ROWS,
                           FULL_FEATURES, e, e * 2.0, f1 + float(rng.normal(0, f1_noise)), "estimate")
                row["treatment"] = label
                row.update({f"level_{f}": levels.get(f, "none") for f in factors})
                rows.append(row)
    return pd.DataFrame(rows)


# Their rows-sweep experiment ids run 90%, 80%, ..., 10%, then 100% (see load.py); features ascend.
ROWS_IDS = {0.9: 1, 0.8: 2, 0.7: 3, 0.6: 4, 0.5: 5, 0.4: 6, 0.3: 7, 0.2: 8, 0.1: 9, 1.0: 10}


def write_ict4s22(path, algorithms=("Random Forest", "Bagging Classifier", "Naive Bayes"), iterations=3):
    lines = [",".join(ICT4S22_COLUMNS)]
    rng = np.random.default_rng(0)
    for a, name in enumerate(algorithms):
        for level, exp in ROWS_IDS.items():
            for it in range(iterations):
                rows = round(3900 * level)
                e = 2.0 * level * (1 + 0.01 * it)
                lines.append(f"{name},2.1,{a * 40 + exp},{it},{rows},8169,0.01,1.4,{e},{2 + e},"
                             f"0.05,1.5,float64,0.96,0.9,0.8,{0.8 + 0.01 * level}")
        for i, level in enumerate(np.round(np.arange(1, 11) / 10, 1)):
            for it in range(iterations):
                feats = round(8169 * level)
                e = 3.0 * level + rng.uniform(0, 0.01)
                lines.append(f"{name},2.2,{a * 40 + 31 + i},{it},3900,{feats},0.02,1.4,{e},{2 + e},"
                             f"0.06,1.5,float64,0.97,0.9,0.8,0.85")
    path.write_text("\n".join(lines) + "\n")
    return path
