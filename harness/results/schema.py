"""Every column and file name of a run directory, declared once.

A run directory holds ``manifest.json`` and, for a study of trials, ``trials.csv`` (``COLUMNS``,
with one ``level_<factor>`` column per factor: ``trial_columns``); for a tuning study,
``searches.csv`` (``SEARCH_COLUMNS``: one row per finished search) and ``evaluations.csv``
(``EVALUATION_COLUMNS``: one row per evaluated setting). Units are in the names (``_j`` joules,
``_s`` seconds, ``_w`` watts). ``harness.results.store`` writes and scans these files,
``harness.results.load`` reads them for the analysis, ``harness.results.rundir`` keeps the folder.
"""

from __future__ import annotations

COLUMNS = (
    "run",                 # run name
    "trial_id",            # position of the trial in the canonical (unshuffled) plan
    "config_id",           # position of its configuration (algorithm, sweep, fractions)
    "algorithm",           # algorithm name as given in the spec
    "dataset",
    "protocol",            # ict4s22 | holdout
    "sweep",               # sweep name from the spec (rows, features, grid, ...)
    "row_fraction",        # fraction of rows kept, (0, 1]
    "feature_fraction",    # fraction of features kept, (0, 1]
    "repetition",          # 0-based
    "seed",                # seed of this repetition, derived from the spec's seed
    "started_at",          # UTC ISO 8601, start of the preprocess phase
    "finished_at",         # UTC ISO 8601, end of the predict phase
    "n_train",             # training rows
    "n_test",              # test rows
    "n_features",          # features the estimator saw
    "preprocess_energy_j",
    "preprocess_s",
    "train_energy_j",
    "train_s",
    "predict_energy_j",
    "predict_s",
    "meter",               # meter name; "estimate" marks modelled, not measured, energy
    "energy_estimated",    # True when energy is an estimate (meter has no hardware counter)
    "accuracy",
    "precision",           # positive class: spam (or the dataset's positive_label); 3+ classes: macro (f1_average)
    "recall",
    "f1",
    "preprocess_domains_j",  # JSON object: energy per meter domain, J
    "train_domains_j",
    "predict_domains_j",
    "phase_boundaries",    # harness: split in preprocess | ict4s22: split in train, scoring in predict
    "treatment",           # canonical treatment label: active steps as factor=level joined by '+', or none
    "n_rows",              # dataset rows left after duplicate removal (T2), before the split
    "input_dtype",         # dtype of the matrix the estimator received (fit and predict)
    "fit_dtype",           # dtype the fitted estimator computed in (float32 for trees; 'unknown' if it does not tell)
    # harness.hygiene: the cool-down waited before this trial, and how far each phase can be trusted
    "cooldown_waited_s",   # s actually waited between the previous trial and this one (0: first of a session)
    "cooldown_end",        # none | fixed | idle | max_s | fixed_estimate (until_idle with no idle power)
    "start_power_w",       # mean power over the wait's last sample (W); empty when not sampled
    "preprocess_below_resolution",  # True: shorter or smaller than the meter resolves to hygiene.rel_error
    "train_below_resolution",
    "predict_below_resolution",
    "predict_repetitions",  # predict calls in its window (hygiene.min_phase_s); its energy and time are per call
    "host",                # hostname of the machine the trial ran on (manifest "hosts" has its facts)
    "energy_invalid",      # "" or the phases whose window is not a measurement, and why (their energy is NaN):
                           # e.g. "train: gpu0 counter went backwards (...: driver reloaded or GPU reset)"
    "cpu_throttled_s",     # s the cgroup's CPU quota throttled this process during the trial (cpu.stat); "" without a quota
    "densified",           # True: the sparse features were converted to dense for this estimator, inside
                           # the preprocess window (its cost is in preprocess_energy_j and preprocess_s)
    "f1_average",          # binary (two classes: the positive class's precision, recall, F1) | macro (3+ classes)
    # new columns go here, before the checksum; then one level_<factor> column per factor (trial_columns)
    "row_sha256",          # sha256 of the row's other cells (see row_sha256()): detects an edited value
)
CHECKSUM = "row_sha256"
# The columns of the first harness release: every trials.csv has them. Columns added later (at the
# end of COLUMNS) may be missing from files written before they existed.
BASE_COLUMNS = COLUMNS[: COLUMNS.index("predict_domains_j") + 1]
INTEGER_COLUMNS = ("trial_id", "config_id", "repetition", "seed", "n_train", "n_test", "n_features")
FLOAT_COLUMNS = ("row_fraction", "feature_fraction", "preprocess_energy_j", "preprocess_s", "train_energy_j",
                 "train_s", "predict_energy_j", "predict_s", "accuracy", "precision", "recall", "f1")
JSON_COLUMNS = ("preprocess_domains_j", "train_domains_j", "predict_domains_j")

# One column per factor of the spec: level_<factor>, the factor's level ("none" = off).
LEVEL_PREFIX = "level_"
ICT4S22_FACTORS = ("rows", "features")
# The header of runs made before tactics (issue 9): still resumed, for the ICT4S'22 pair of factors
# only (their levels are in row_fraction and feature_fraction).
BEFORE_TACTICS = COLUMNS[: COLUMNS.index("treatment")]


def trial_columns(factors=ICT4S22_FACTORS) -> tuple[str, ...]:
    """The columns of a new trials.csv for a spec with these factors (in step order): ``COLUMNS``
    with one ``level_<factor>`` column per factor before the checksum."""
    return COLUMNS[:-1] + tuple(LEVEL_PREFIX + f for f in factors) + (CHECKSUM,)


TRIALS = "trials.csv"
MANIFEST = "manifest.json"
# The manifest keys a resume reads; a manifest without them was not written by 'run' (or was damaged).
MANIFEST_KEYS = ("run", "design_hash", "meter", "sessions")

SEARCHES = "searches.csv"
EVALUATIONS = "evaluations.csv"
ABANDONED = "evaluations-abandoned.csv"

SEARCH_COLUMNS = (
    "run", "trial_id", "config_id", "algorithm", "strategy", "dataset", "protocol", "sweep",
    "row_fraction", "feature_fraction", "repetition", "seed", "started_at", "finished_at",
    "validation",          # e.g. "3-fold CV" (on training rows only)
    "budget",              # evaluations asked for (grid: the grid's size)
    "n_evaluations",       # evaluations made
    "n_failed",            # evaluations whose fit or predict raised (scored NaN)
    "n_train", "n_test", "n_features",
    "preprocess_energy_j", "preprocess_s",
    "search_energy_j", "search_s",      # every evaluation: propose + fit + score
    "propose_energy_j", "propose_s",    # the strategy's own work (Optuna's TPE; ~0 for grid/random)
    "train_energy_j", "train_s",        # final fit of the best setting on all training rows
    "predict_energy_j", "predict_s",    # prediction of the held-out test rows
    "total_energy_j", "total_s",        # preprocess + search + train + predict
    "meter", "energy_estimated",
    "best_params",         # JSON, sorted keys
    "best_val_f1",         # mean validation F1 of the chosen setting
    "accuracy", "precision", "recall", "f1",   # of the final model on the test rows
    "search_domains_j", "train_domains_j", "predict_domains_j",
    "cooldown_waited_s", "cooldown_end", "start_power_w",   # the cool-down before this search (harness.hygiene)
    "energy_invalid",      # as in trials.csv: "" or the phases whose window is not a measurement, and why
    "f1_average",          # as in trials.csv: binary | macro
    "row_sha256",          # sha256 of the row's other cells (harness.results.store.row_sha256)
)

EVALUATION_COLUMNS = (
    "run", "trial_id", "algorithm", "strategy", "repetition", "evaluation", "params", "val_f1",
    "propose_energy_j", "propose_s", "fit_energy_j", "fit_s", "score_energy_j", "score_s",
    "energy_j", "s", "cumulative_energy_j", "cumulative_s", "best_val_f1_so_far",
    "meter", "energy_estimated", "error", "row_sha256",
)

# Columns added to a layout after its first release: files written before may lack them (read.py).
LATER_COLUMNS = ("cooldown_waited_s", "cooldown_end", "start_power_w", "energy_invalid", "cpu_throttled_s",
                 "f1_average")

# Number cells of searches.csv and evaluations.csv beyond INTEGER_COLUMNS and FLOAT_COLUMNS (the
# reader checks them: "nan" is a number, a failed evaluation's val_f1).
TUNING_INTEGERS = ("budget", "n_evaluations", "n_failed", "evaluation")
TUNING_FLOATS = ("search_energy_j", "search_s", "propose_energy_j", "propose_s", "total_energy_j", "total_s",
                 "best_val_f1", "val_f1", "fit_energy_j", "fit_s", "score_energy_j", "score_s", "energy_j", "s",
                 "cumulative_energy_j", "cumulative_s", "best_val_f1_so_far")

LOCK = ".lock"
