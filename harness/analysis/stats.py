"""The study's statistics as pure functions: trials DataFrame in, DataFrame out.

Energies are J, times s, F1 in [0, 1]; F1 changes and differences are reported in points
(F1 x 100). Energy is rarely normal, so everything here is non-parametric: medians, Spearman,
Mann-Whitney U, Cliff's delta, percentile bootstrap. Undefined statistics (constant input, too few
trials) are NaN, never an exception or a warning; the tables print them as "undefined".

A configuration is one ``CONFIG`` tuple: (algorithm, sweep, row_fraction, feature_fraction,
treatment); the treatment label tells apart the levels of tactics other than the ICT4S'22 pair.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from harness.errors import UsageError

CONFIG = ["algorithm", "sweep", "row_fraction", "feature_fraction", "treatment"]
ALPHA = 0.05
Z_LIMIT = 3.0
from harness.analysis.defaults import N_RESAMPLES, SEED  # noqa: E402  (--help reads them without scipy)

# The two one-factor analyses: name -> (count column, fraction column).
FACTORS = {"rows": ("n_train", "row_fraction"), "features": ("n_features", "feature_fraction")}

# Romano et al. (2006) thresholds for |Cliff's delta|.
CLIFF_THRESHOLDS = ((0.147, "negligible"), (0.33, "small"), (0.474, "medium"))


def config_columns(trials: pd.DataFrame) -> list[str]:
    """``CONFIG``, without ``treatment`` for frames that have none (synthetic, pre-tactics layout)."""
    return CONFIG if "treatment" in trials.columns else CONFIG[:-1]


def _is_one(col: pd.Series) -> pd.Series:
    return pd.Series(np.isclose(col.astype(float), 1.0), index=col.index)


# ---------------------------------------------------------------- cleaning and normality

def clean(trials: pd.DataFrame, z_limit: float = Z_LIMIT) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Blank, per configuration, the training-energy readings that cannot be used: <= 0 J or
    missing (NaN, e.g. a pyrapl window across a counter wrap), then those with |z| >= ``z_limit``
    (z with the population standard deviation of the remaining readings of that configuration).

    Cleaning drops readings, not observations (issue 21, item 6): every trial is kept, a blanked
    reading becomes NaN in ``train_energy_j`` (so the whole-trial energy of that trial is NaN too),
    and the trial's F1 and other scores stay in every F1 statistic. Energy statistics skip NaN.

    Returns (trials with blanked readings, report) where the report has one row per configuration
    with ``n_trials``, ``dropped_nonpositive`` (<= 0 J or missing), ``dropped_outliers`` and
    ``n_kept`` (energy readings kept; every trial is kept for F1). A configuration of identical
    energies has no outlier. With n trials the largest possible |z| is sqrt(n - 1), so a
    configuration needs at least 11 trials for one outlier to reach |z| >= 3.
    """
    positive = trials["train_energy_j"] > 0  # False for NaN too: missing energies are blanked

    def z(energy: pd.Series) -> pd.Series:
        sd = energy.std(ddof=0)
        if len(energy) < 2 or not sd > 0:
            return energy * 0.0
        return (energy - energy.mean()) / sd

    pos = trials[positive]
    config = config_columns(trials)
    zs = pos.groupby(config, sort=False)["train_energy_j"].transform(z)
    outlier = pd.Series(False, index=trials.index)
    outlier.loc[pos.index] = zs.abs() >= z_limit
    kept = trials.copy()
    kept.loc[~positive | outlier, "train_energy_j"] = math.nan
    flags = pd.DataFrame({"nonpositive": ~positive, "outlier": outlier})
    report = (pd.concat([trials[config], flags], axis=1)
              .groupby(config, sort=True)
              .agg(n_trials=("nonpositive", "size"), dropped_nonpositive=("nonpositive", "sum"),
                   dropped_outliers=("outlier", "sum"))
              .reset_index())
    report["n_kept"] = report["n_trials"] - report["dropped_nonpositive"] - report["dropped_outliers"]
    return kept, report


def analysed(trials: pd.DataFrame, cleaned: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(trials to analyse, cleaning report): every trial, with the readings cleaning blanks set to
    NaN when ``cleaned``, else untouched (``--no-clean``), and the whole-trial columns of
    ``with_trial_energy``; the report says what cleaning blanks either way."""
    kept, report = clean(trials)
    return with_trial_energy(kept if cleaned else trials), report


PHASES = ("preprocess_energy_j", "train_energy_j", "predict_energy_j")
TRIAL_ENERGY = "trial_energy_j"
PER_ROW = "predict_energy_per_row_j"


def with_trial_energy(trials: pd.DataFrame) -> pd.DataFrame:
    """``trials`` with ``trial_energy_j`` = preprocess + train + predict energy (J; NaN when a phase is
    missing or was blanked: a whole trial is never summed from part of it) and
    ``predict_energy_per_row_j`` = predict energy / test rows (J per prediction; NaN without test
    rows). A tactic's own cost sits in the preprocess phase (a projection, a selection), a lazy
    learner's in the predict phase (k-NN): the training phase alone misses both (issue 21, item 4).
    Predict energy is per predict call (``predict_repetitions`` calls share a window)."""
    if trials.empty and TRIAL_ENERGY in trials.columns:
        return trials
    phases = [pd.to_numeric(trials[c], errors="coerce") if c in trials.columns
              else pd.Series(math.nan, index=trials.index) for c in PHASES]
    total = phases[0] + phases[1] + phases[2]  # NaN propagates
    rows = (pd.to_numeric(trials["n_test"], errors="coerce") if "n_test" in trials.columns
            else pd.Series(math.nan, index=trials.index))
    per_row = phases[2] / rows.where(rows > 0)
    return trials.assign(**{TRIAL_ENERGY: total, PER_ROW: per_row})


def saving_columns(h: pd.DataFrame, ref: pd.DataFrame, is_ref: bool, n_resamples: int, seed: int,
                   column: str = TRIAL_ENERGY, prefix: str = "trial_") -> dict:
    """The saving of ``h`` against ``ref`` on ``column`` (percent, with the bootstrap CI of the ratio
    of medians): ``<prefix>saving_pct``, ``<prefix>saving_ci_low_pct``, ``<prefix>saving_ci_high_pct``,
    and the level's ``median_<column>``. The reference level itself: saving 0, no CI."""
    ratio, low, high = ((1.0, math.nan, math.nan) if is_ref else
                        bootstrap_median_ratio(h[column], ref[column], n_resamples, seed))
    if is_ref and not h[column].median() > 0:
        ratio = math.nan
    return {f"median_{column}": float(h[column].median()), f"{prefix}saving_pct": 100 * (1 - ratio),
            f"{prefix}saving_ci_low_pct": 100 * (1 - high), f"{prefix}saving_ci_high_pct": 100 * (1 - low)}


def analysed_rows(trials: pd.DataFrame, cleaned: bool = True) -> pd.DataFrame:
    """The trials to draw or export one by one: ``analysed`` without the trials whose training energy
    cleaning blanked (a point or a run needs its energy); all of them with ``cleaned`` False."""
    kept, _ = analysed(trials, cleaned)
    return kept[kept["train_energy_j"].notna()] if cleaned else kept


def has_energy(trials: pd.DataFrame) -> bool:
    """True when some trial has a training-energy reading left (after cleaning)."""
    return bool(len(trials)) and bool(trials["train_energy_j"].notna().any())


def _finite(values) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    return x[np.isfinite(x)]


def shapiro(values) -> tuple[float, float]:
    """Shapiro-Wilk (W, p); NaN for fewer than 3 values or values that are all equal."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 3 or np.ptp(x) == 0:
        return math.nan, math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sps.shapiro(x)
    return float(res.statistic), float(res.pvalue)


def normality(trials: pd.DataFrame, columns=("train_energy_j", "f1"),
              alpha: float = ALPHA) -> pd.DataFrame:
    """Shapiro-Wilk per configuration for each column: ``<col>_w``, ``<col>_p`` and
    ``<col>_normal`` (p >= alpha; NA when the test is undefined)."""
    rows = []
    config = config_columns(trials)
    for key, g in trials.groupby(config, sort=True):
        row = dict(zip(config, key), n_trials=len(g))
        for col in columns:
            w, p = shapiro(g[col])
            row[f"{col}_w"], row[f"{col}_p"] = w, p
            row[f"{col}_normal"] = pd.NA if math.isnan(p) else bool(p >= alpha)
        rows.append(row)
    return pd.DataFrame(rows)


def count_non_normal(table: pd.DataFrame, column: str = "train_energy_j") -> tuple[int, int]:
    """(non-normal, tested) configurations in a ``normality`` table; untestable ones excluded."""
    flags = table[f"{column}_normal"].dropna().astype(bool)
    return int((~flags).sum()), int(len(flags))


# ---------------------------------------------------------------- slices of the design

def full_data(trials: pd.DataFrame) -> pd.DataFrame:
    """Untreated trials: 100% of rows and 100% of features and no other tactic active (treatment
    ``none``, or only the run-wide ``scale``), whatever their sweep."""
    full = _is_one(trials["row_fraction"]) & _is_one(trials["feature_fraction"])
    if "treatment" in trials.columns:
        full &= trials["treatment"].astype(str).map(lambda t: all(p.startswith("scale=") for p in t.split("+"))
                                                    if t != "none" else True)
    return trials[full]


def one_factor_slices(trials: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The trials of the rows analysis and of the features analysis.

    Rows: trials of every sweep in which row_fraction varies, restricted to feature_fraction == 1.
    Features: likewise with the roles swapped. A one-factor sweep is kept whole; a factorial grid
    contributes its two one-factor slices through 100%. A slice with a single level is dropped.
    """
    out = {}
    for name, (_, fraction) in FACTORS.items():
        other = "feature_fraction" if fraction == "row_fraction" else "row_fraction"
        parts = []
        for _, g in trials.groupby("sweep", sort=True):
            if g[fraction].nunique() > 1:
                part = g[_is_one(g[other])]
                if part[fraction].nunique() > 1:
                    parts.append(part)
        out[name] = pd.concat(parts) if parts else trials.iloc[0:0]
    return out


def median_trial_position(energies) -> int:
    """Position (0-based, in the given order) of the median trial by the nearest-rank rule.

    Values are sorted ascending (stably, so ties keep their order) and the trial of rank
    ceil(n / 2) (1-based) is chosen: the lower middle one for an even count. NaN values (readings
    blanked by cleaning) are left out of n. Raises ValueError when no value is finite.
    """
    x = np.asarray(energies, dtype=float)
    finite = np.flatnonzero(np.isfinite(x))  # a blanked (NaN) reading is no candidate
    if len(finite) == 0:
        raise ValueError("median_trial_position needs at least one finite value")
    order = finite[np.argsort(x[finite], kind="stable")]
    return int(order[math.ceil(len(finite) / 2) - 1])


def representative_trials(trials: pd.DataFrame) -> pd.DataFrame:
    """One trial per configuration: the one whose training energy is the median (nearest rank)."""
    picks = []
    for _, g in trials.groupby(config_columns(trials), sort=True):
        g = g.sort_values("repetition", kind="stable")
        if g["train_energy_j"].notna().any():  # no reading left: no median-energy trial
            picks.append(g.iloc[median_trial_position(g["train_energy_j"])])
    return pd.DataFrame(picks, columns=trials.columns).reset_index(drop=True)


def median_energy_f1(trials: pd.DataFrame) -> float:
    """F1 of the median-energy trial (nearest rank, in repetition order) of ``trials``: what the
    ICT4S'22 analysis.py reported per configuration (``quantile(0.5, interpolation='nearest')`` of
    training energy), instead of the median F1. NaN for no trials."""
    if trials.empty or not trials["train_energy_j"].notna().any():
        return math.nan
    g = trials.sort_values("repetition", kind="stable") if "repetition" in trials else trials
    return float(g["f1"].iloc[median_trial_position(g["train_energy_j"])])


def representative_slices(trials: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``one_factor_slices`` with one representative trial per configuration (RQ3)."""
    return {k: representative_trials(v) if len(v) else v
            for k, v in one_factor_slices(trials).items()}


# ---------------------------------------------------------------- research questions

EXACT_SPEARMAN_MAX_N = 8  # up to 8! = 40320 pairings, enumerated in well under a second
PERMUTATION_SPEARMAN_MAX_N = 50  # up to here a Monte Carlo permutation p; above, the t-approximation
SPEARMAN_RESAMPLES = 99_999  # Monte Carlo pairings: standard error of p <= 0.0016, 0.0002 at p = 0.003


def spearman(x, y, seed: int = SEED) -> tuple[float, float]:
    """Spearman (rho, p); NaN for fewer than 3 pairs or a constant input.

    p is two-sided, from the permutation distribution of rho (``scipy.stats.permutation_test``,
    y's ranks re-paired with x's, ties kept): exact (all n! pairings) for n <=
    ``EXACT_SPEARMAN_MAX_N``; from ``SPEARMAN_RESAMPLES`` random pairings (seeded by ``seed``) for
    n <= ``PERMUTATION_SPEARMAN_MAX_N``; scipy's t-approximation above. The approximation gives
    p = 0 for rho = 1 even with 3 points, where the exact p is 1/3, and at n = 10 it gave 0.0016
    where the exact p is 0.0029.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)  # a blanked energy reading: that pair is left out
    x, y = x[ok], y[ok]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan, math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sps.spearmanr(x, y)
        rho, p = float(res.statistic), float(res.pvalue)
        if len(x) <= PERMUTATION_SPEARMAN_MAX_N:
            rx, ry = sps.rankdata(x), sps.rankdata(y)

            cx = rx - rx.mean()

            def rank_corr(b, axis=-1):  # only y is permuted: n! pairings, not (n!)^2
                b = b - b.mean(axis=axis, keepdims=True)
                return (cx * b).sum(axis=axis) / np.sqrt((cx * cx).sum() * (b * b).sum(axis=axis))

            exact = len(x) <= EXACT_SPEARMAN_MAX_N
            perm = sps.permutation_test((ry,), rank_corr, permutation_type="pairings",
                                        vectorized=True, alternative="two-sided",
                                        n_resamples=np.inf if exact else SPEARMAN_RESAMPLES,
                                        rng=np.random.default_rng(seed))
            p = float(min(1.0, perm.pvalue))
    return rho, p


def spearman_method(n: int) -> str:
    """How ``spearman`` computes p for n pairs, in words (for table notes)."""
    if n <= EXACT_SPEARMAN_MAX_N:
        return "exact permutation"
    if n <= PERMUTATION_SPEARMAN_MAX_N:
        return f"permutation, {SPEARMAN_RESAMPLES:,} random pairings"
    return "t-approximation"


def with_holm(corr: pd.DataFrame) -> pd.DataFrame:
    """A correlation table (RQ2 or RQ3: column ``p``) with ``holm_p``: Holm-adjusted over its own
    rows, one family per table (every algorithm and factor tested in it), as ``compare`` adjusts
    over its rows; and ``p_method`` (``spearman_method`` of the row's n)."""
    return corr.assign(holm_p=holm(corr["p"]) if len(corr) else [],
                       p_method=[spearman_method(int(n)) for n in corr["n_trials"]])


BELOW = "train_below_resolution"


def n_below_resolution(g: pd.DataFrame) -> float:
    """How many of ``g``'s training phases the meter could not resolve (row flag
    ``train_below_resolution``); NaN when the rows do not say (runs made before the flag)."""
    if BELOW not in g.columns:
        return math.nan
    if g.empty:
        return 0.0
    flags = pd.to_numeric(g[BELOW], errors="coerce")
    return math.nan if flags.isna().all() else float(flags.fillna(0).sum())


def rq1(trials: pd.DataFrame) -> pd.DataFrame:
    """Per algorithm at full data: median training energy (J) and time (s), and each median's
    ratio to the smallest one of its kind (``ratio_to_min`` for energy, ``time_ratio_to_min`` for
    time; NaN when the smallest is not > 0). Sorted by median energy. ``n_below_resolution``:
    trials whose training phase is flagged below the meter's resolution."""
    full = full_data(trials)
    table = (full.groupby("algorithm")
             .agg(n_trials=("train_energy_j", "count"),  # energy readings (cleaning blanks some)
                  median_train_energy_j=("train_energy_j", "median"),
                  median_train_s=("train_s", "median"))
             .reset_index())
    # of the readings n_trials counts: a blanked reading (cleaning, an invalid window) is not "below resolution"
    read = full[pd.to_numeric(full["train_energy_j"], errors="coerce").notna()]
    below = {a: n_below_resolution(read[read["algorithm"] == a]) for a in table["algorithm"]}
    table = (table.assign(n_below_resolution=table["algorithm"].map(below).astype(float))
             .sort_values("median_train_energy_j", kind="stable")
             .reset_index(drop=True))
    for median, ratio in (("median_train_energy_j", "ratio_to_min"),
                          ("median_train_s", "time_ratio_to_min")):
        smallest = table[median].min() if len(table) else math.nan
        table[ratio] = table[median] / smallest if smallest > 0 else math.nan
    return table


def rq1_spread(table: pd.DataFrame) -> float:
    """max/min of the RQ1 median training energies; NaN when undefined."""
    e = table["median_train_energy_j"]
    if len(e) < 1 or not e.min() > 0:
        return math.nan
    return float(e.max() / e.min())


def _correlations(slices: dict[str, pd.DataFrame], y: str) -> pd.DataFrame:
    rows = []
    for factor, df in slices.items():
        x, fraction = FACTORS[factor]
        for algorithm, g in df.groupby("algorithm", sort=True):
            rho, p = spearman(g[x], g[y])
            rows.append({"algorithm": algorithm, "factor": factor, "variable": x,
                         "n_levels": g[fraction].nunique(), "n_trials": len(g), "rho": rho, "p": p})
    return pd.DataFrame(rows, columns=["algorithm", "factor", "variable", "n_levels", "n_trials",
                                       "rho", "p"])


def rq2(trials: pd.DataFrame) -> pd.DataFrame:
    """Spearman between training energy and n_train (rows slice) / n_features (features slice),
    per algorithm, over all trials."""
    return _correlations(one_factor_slices(trials), "train_energy_j")


def rq3(trials: pd.DataFrame) -> pd.DataFrame:
    """Spearman between F1 and n_train / n_features, per algorithm, over the representative
    (median-energy) trial of each configuration. ``n_trials`` counts those trials."""
    return _correlations(representative_slices(trials), "f1")


# ---------------------------------------------------------------- trade-off

# Below 5 trials a side no bootstrap CI is given: with n trials the percentile interval of a
# ratio of medians is the range of a handful of possible ratios (9 with 2 a side); simulated
# coverage of a nominal 95% interval: 0.69 at n = 2, 0.90 at n = 3, 0.97 at n = 5 (issue 21).
MIN_BOOTSTRAP_N = 5


def small_sample_note(sizes) -> tuple[str, ...]:
    """The table note that says why a CI is missing, when any of ``sizes`` (trials per side) is
    below ``MIN_BOOTSTRAP_N``; () otherwise."""
    sizes = [int(n) for n in sizes if n == n]
    if not sizes or min(sizes) >= MIN_BOOTSTRAP_N:
        return ()
    return (f"No bootstrap CI where a side has fewer than {MIN_BOOTSTRAP_N} trials (here down to "
            f"{min(sizes)}): a percentile interval from so few is the range of a handful of possible ratios "
            "(9 with 2 trials a side) and covers far less than 95% (simulated: 69% at 2 trials, 90% at 3). "
            "Run more repetitions for an interval.",)


def bootstrap_median_ratio(a, b, n_resamples: int = N_RESAMPLES, seed: int = SEED,
                           confidence: float = 0.95) -> tuple[float, float, float]:
    """median(a) / median(b) and its percentile bootstrap CI, resampling a and b independently.

    Seeded, so the same input gives the same interval. NaN CI with fewer than
    ``MIN_BOOTSTRAP_N`` values on either side (``small_sample_note`` says why), NaN everything when
    median(b) <= 0.
    """
    a, b = _finite(a), _finite(b)  # readings blanked by cleaning (NaN) are left out
    if len(a) == 0 or len(b) == 0 or not np.median(b) > 0:
        return math.nan, math.nan, math.nan
    ratio = float(np.median(a) / np.median(b))
    if min(len(a), len(b)) < MIN_BOOTSTRAP_N:
        return ratio, math.nan, math.nan
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        res = sps.bootstrap(
            (a, b), lambda x, y, axis: np.median(x, axis=axis) / np.median(y, axis=axis),
            n_resamples=n_resamples, confidence_level=confidence, method="percentile",
            vectorized=True, rng=np.random.default_rng(seed))
    return ratio, float(res.confidence_interval.low), float(res.confidence_interval.high)


def tradeoff(trials: pd.DataFrame, n_resamples: int = N_RESAMPLES, seed: int = SEED) -> pd.DataFrame:
    """Per algorithm, factor and level: training-energy saving versus 100% and F1 change.

    ``saving_pct`` = 100 x (1 - median E(level) / median E(100%)), with a bootstrap 95% CI
    (``saving_ci_low_pct``, ``saving_ci_high_pct``); ``f1_change_pts`` = 100 x (median F1(level) -
    median F1(100%)); ``median_energy_trial_f1`` and its change: the same with the F1 of the
    median-energy trial (``median_energy_f1``), as the paper's analysis did. The 100% reference is
    the slice's own full-data configuration, or, if the slice has none, every full-data trial of
    the algorithm. The reference row itself has saving 0
    and no CI. Beside training energy, the whole trial (``TRIAL_COLUMNS``): the median energy of each
    phase, ``median_trial_energy_j`` (preprocess + train + predict) and its saving with CI
    (``trial_saving_pct``, ...), and ``median_predict_energy_per_row_j`` (J per prediction).
    """
    trials = with_trial_energy(trials)
    full = full_data(trials)
    rows = []
    for factor, df in one_factor_slices(trials).items():
        _, fraction = FACTORS[factor]
        for algorithm, g in df.groupby("algorithm", sort=True):
            ref = full_data(g)
            if ref.empty:
                ref = full[full["algorithm"] == algorithm]
            if ref.empty:
                continue
            e_ref, f1_ref = ref["train_energy_j"].to_numpy(), ref["f1"].median()
            f1_ref_rep = median_energy_f1(ref)
            for level, h in g.groupby(fraction, sort=True):
                is_ref = bool(np.isclose(level, 1.0))
                ratio, low, high = ((1.0, math.nan, math.nan) if is_ref else
                                    bootstrap_median_ratio(h["train_energy_j"], e_ref, n_resamples, seed))
                rows.append({
                    "algorithm": algorithm, "factor": factor, "fraction": float(level),
                    "n_train": float(h["n_train"].median()),
                    "n_features": float(h["n_features"].median()), "n_trials": len(h),
                    "n_below_resolution": n_below_resolution(h),
                    "median_train_energy_j": float(h["train_energy_j"].median()),
                    "saving_pct": 100 * (1 - ratio),
                    "saving_ci_low_pct": 100 * (1 - high), "saving_ci_high_pct": 100 * (1 - low),
                    "median_f1": float(h["f1"].median()),
                    "f1_change_pts": 100 * (float(h["f1"].median()) - float(f1_ref)),
                    "median_energy_trial_f1": median_energy_f1(h),
                    "median_energy_trial_f1_change_pts": 100 * (median_energy_f1(h) - f1_ref_rep),
                    **phase_medians(h),
                    **saving_columns(h, with_trial_energy(ref), is_ref, n_resamples, seed),
                })
    cols = ["algorithm", "factor", "fraction", "n_train", "n_features", "n_trials", "n_below_resolution",
            "median_train_energy_j", "saving_pct", "saving_ci_low_pct", "saving_ci_high_pct",
            "median_f1", "f1_change_pts", "median_energy_trial_f1", "median_energy_trial_f1_change_pts",
            *TRIAL_COLUMNS]
    return pd.DataFrame(rows).reindex(columns=cols)


TRIAL_COLUMNS = ["median_preprocess_energy_j", "median_predict_energy_j", "median_predict_energy_per_row_j",
                 "median_trial_energy_j", "trial_saving_pct", "trial_saving_ci_low_pct", "trial_saving_ci_high_pct"]


def phase_medians(h: pd.DataFrame) -> dict:
    """Median preprocess and predict energy (J) and energy per prediction (J per test row) of ``h``."""
    h = with_trial_energy(h) if PER_ROW not in h.columns else h
    def median(col: str) -> float:
        return float(pd.to_numeric(h[col], errors="coerce").median()) if col in h.columns else math.nan

    return {"median_preprocess_energy_j": median("preprocess_energy_j"),
            "median_predict_energy_j": median("predict_energy_j"), "median_predict_energy_per_row_j": median(PER_ROW)}


def best_saving(trade: pd.DataFrame, f1_tolerance: float = 0.01) -> pd.DataFrame:
    """Per algorithm and factor, the reduced level with the largest saving whose F1 drop is at
    most ``f1_tolerance`` (F1 units: 0.01 is 1 point). ``outcome`` says which: ``saves``;
    ``nothing saves`` when every qualifying level costs energy (saving <= 0: none is listed as
    "best"); ``none qualifies`` when no reduced level keeps F1 within the tolerance, including when
    every saving is undefined (e.g. a net 100% median <= 0 J under --no-clean). NaN level then.
    Ranked on training energy (the paper's tables); ``trial_saving_pct``: the chosen level's
    whole-trial saving, beside it."""
    rows = []
    for (algorithm, factor), g in trade.groupby(["algorithm", "factor"], sort=True):
        ok = g[(~np.isclose(g["fraction"], 1.0)) & (g["f1_change_pts"] >= -100 * f1_tolerance - 1e-9)]
        ok = ok.dropna(subset=["saving_pct"])  # undefined saving (reference median <= 0 J)
        outcome = best_outcome(ok["saving_pct"])
        if outcome != SAVES:
            rows.append({"algorithm": algorithm, "factor": factor, "fraction": math.nan,
                         "saving_pct": math.nan, "saving_ci_low_pct": math.nan,
                         "saving_ci_high_pct": math.nan, "f1_change_pts": math.nan, "outcome": outcome})
            continue
        best = ok.loc[ok["saving_pct"].idxmax()]
        rows.append({**{k: best[k] for k in ("algorithm", "factor", "fraction", "saving_pct",
                                             "saving_ci_low_pct", "saving_ci_high_pct", "f1_change_pts")},
                     "outcome": outcome, "trial_saving_pct": best.get("trial_saving_pct", math.nan)})
    return pd.DataFrame(rows, columns=["algorithm", "factor", "fraction", "saving_pct",
                                       "saving_ci_low_pct", "saving_ci_high_pct", "f1_change_pts", "outcome",
                                       "trial_saving_pct"])


SAVES, NOTHING_SAVES, NONE_QUALIFIES = "saves", "nothing saves", "none qualifies"


def best_outcome(savings: pd.Series) -> str:
    """What a "largest saving" table can say about the qualifying levels' savings (%): one
    ``saves`` (some saving > 0), ``nothing saves`` (all <= 0: they cost energy), or ``none
    qualifies`` (no level)."""
    if savings.empty:
        return NONE_QUALIFIES
    return SAVES if (savings > 0).any() else NOTHING_SAVES


def pareto_front(energy, f1) -> np.ndarray:
    """Boolean mask of points no other point beats: none has energy <= and F1 >= with one strict."""
    e = np.asarray(energy, dtype=float)
    f = np.asarray(f1, dtype=float)
    mask = np.ones(len(e), dtype=bool)
    for i in range(len(e)):
        dominated = (e <= e[i]) & (f >= f[i]) & ((e < e[i]) | (f > f[i]))
        mask[i] = not dominated.any()
    return mask


# ---------------------------------------------------------------- candidate versus baselines

def cliffs_delta(candidate, baseline) -> tuple[float, float]:
    """(Cliff's delta, Mann-Whitney two-sided p) of candidate versus baseline.

    delta = 2 U / (n1 n2) - 1 with U the candidate's Mann-Whitney statistic, i.e.
    P(candidate > baseline) - P(candidate < baseline): negative means the candidate's values are
    lower (for energy: greener). NaN with an empty side. p: exact (permutation, ties kept) up to 8
    trials a side, see ``mannwhitney_method``.
    """
    x, y = _finite(candidate), _finite(baseline)  # blanked readings (NaN) left out
    if len(x) == 0 or len(y) == 0:
        return math.nan, math.nan
    if min(len(x), len(y)) == 1:  # scipy's permutation test needs 2 a side (1 repetition: quick specs)
        u = _u(x, y)
        return 2 * u / (len(x) * len(y)) - 1, _one_side_single_p(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sps.mannwhitneyu(x, y, alternative="two-sided", method=mannwhitney_method(len(x), len(y)))
    p = float(res.pvalue)
    return 2 * float(res.statistic) / (len(x) * len(y)) - 1, p


def _u(x: np.ndarray, y: np.ndarray) -> float:
    """Mann-Whitney U of x: pairs with x > y, ties counting one half."""
    return float((x[:, None] > y[None, :]).sum() + 0.5 * (x[:, None] == y[None, :]).sum())


def _one_side_single_p(x: np.ndarray, y: np.ndarray) -> float:
    """The exact two-sided Mann-Whitney p when one side has a single value: each of the N = n1 + n2
    ways to choose that one value from the pooled values is equally likely under H0 (ties kept);
    p = share of them with |U - n1 n2 / 2| at least the observed one. 1 vs 1: p = 1; 1 vs 3 apart: 0.5."""
    pooled = np.concatenate([x, y])
    single_x = len(x) == 1
    us = []
    for i in range(len(pooled)):
        one, rest = pooled[[i]], np.delete(pooled, i)
        us.append(_u(one, rest) if single_x else _u(rest, one))
    mean = len(x) * len(y) / 2
    dev = abs(_u(x, y) - mean)
    return float(np.mean([abs(u - mean) >= dev - 1e-9 for u in us]))


# Up to C(16, 8) = 12,870 splits (8 trials a side) the permutation distribution of U is enumerated.
EXACT_MW_MAX_SPLITS = 12_870


def mannwhitney_method(n1: int, n2: int):
    """The ``method`` of ``scipy.stats.mannwhitneyu`` for these sizes: the exact permutation
    distribution (``PermutationMethod(n_resamples=inf)``: every split of the pooled values, ties
    kept) when there are at most ``EXACT_MW_MAX_SPLITS`` splits, else scipy's "auto" (exact without
    ties up to 8 a side, otherwise the normal approximation with tie and continuity corrections).
    scipy's own exact method ignores ties, and its normal approximation is poor at small n: 2 vs 2
    trials with a tie gave p = 0.221 where the exact p is 1/3."""
    if n1 < 1 or n2 < 1 or log_comb(n1 + n2, n1) > math.log(EXACT_MW_MAX_SPLITS):
        return "auto"
    return sps.PermutationMethod(n_resamples=np.inf)


def cliffs_magnitude(delta: float) -> str:
    """Romano et al. labels: |d| < 0.147 negligible, < 0.33 small, < 0.474 medium, else large."""
    if math.isnan(delta):
        return "undefined"
    for limit, label in CLIFF_THRESHOLDS:
        if abs(delta) < limit:
            return label
    return "large"


def holm(pvalues) -> np.ndarray:
    """Holm-adjusted p-values; NaN inputs stay NaN and are not counted in the family."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(len(p), math.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="holm")[1]
    return out


POWER = 0.8  # the conventional power for a minimum detectable effect (Cohen 1988)
# Asymptotic relative efficiency of Mann-Whitney U to the t-test under normality, 3/pi
# (Hodges and Lehmann 1956): U needs about n / 0.955 trials to match the t-test's power with n.
MW_ARE = 3 / math.pi


def min_mannwhitney_p(n1: int, n2: int) -> float:
    """The smallest two-sided p the exact Mann-Whitney U test can give with n1 and n2 trials:
    2 / C(n1 + n2, n1), reached when the two samples do not overlap (ties only raise it).
    With 2 trials per side it is 1/3, so no test at alpha = 0.05 can succeed. NaN with an empty
    side. Computed in log space; below the smallest float (about 1e-308: 600 trials a side give
    about 1e-360) it is 0.0."""
    if n1 < 1 or n2 < 1:
        return math.nan
    return min(1.0, math.exp(math.log(2.0) - log_comb(n1 + n2, n1)))


def log_comb(n: int, k: int) -> float:
    """ln C(n, k), through lgamma: C(1200, 600) has 360 digits, more than a float holds (the
    exact integer's ``2 / math.comb`` raised OverflowError on the paper's 30-repetition design)."""
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def minimum_detectable_effect(n1: int, n2: int, alpha: float = ALPHA, power: float = POWER) -> float:
    """The smallest |Cliff's delta| that a two-sided Mann-Whitney test with n1 and n2 trials
    detects with probability ``power`` at level ``alpha``, for normally distributed values.

    Computed as the t-test's minimum detectable Cohen's d (statsmodels ``TTestIndPower``) for
    the sample sizes scaled by U's efficiency ``MW_ARE``, then converted to Cliff's delta for a
    normal shift: delta = 2 Phi(d / sqrt 2) - 1. NaN when no effect can be detected at all
    (``min_mannwhitney_p`` >= alpha) or the sizes are too small to solve.
    """
    if not min_mannwhitney_p(n1, n2) < alpha:
        return math.nan
    from statsmodels.stats.power import TTestIndPower

    m1, m2 = n1 * MW_ARE, n2 * MW_ARE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            d = float(np.ravel(TTestIndPower().solve_power(effect_size=None, nobs1=m1, alpha=alpha,
                                                           power=power, ratio=m2 / m1))[0])
    except (ValueError, RuntimeError, ZeroDivisionError):
        return math.nan
    if not math.isfinite(d):
        return math.nan
    return float(2 * sps.norm.cdf(abs(d) / math.sqrt(2)) - 1)


def verdict(ratio_low: float, ratio_high: float, p_holm: float, f1_diff: float,
            f1_tolerance: float = 0.01, alpha: float = ALPHA, min_p: float = math.nan) -> str:
    """One line on a candidate versus a baseline.

    Energy: "too few repetitions to test" when even complete separation could not give
    p < alpha (``min_p``, see ``min_mannwhitney_p``); "greener" when the ratio CI's upper bound
    < 1 and Holm p < alpha; "costlier" when its lower bound > 1 and Holm p < alpha; otherwise
    "no clear energy difference".
    Accuracy (``f1_diff`` = median F1 candidate - baseline, F1 units): "as accurate" when
    |diff| <= f1_tolerance, else "more accurate" or "less accurate".
    """
    if not math.isnan(min_p) and min_p >= alpha:
        energy = f"too few repetitions to test (smallest possible p = {min_p:.2g})"
        return f"{energy}, {_accuracy(f1_diff, f1_tolerance)}"
    significant = not math.isnan(p_holm) and p_holm < alpha
    if significant and ratio_high < 1:
        energy = "greener"
    elif significant and ratio_low > 1:
        energy = "costlier"
    else:
        energy = "no clear energy difference"
    accuracy = _accuracy(f1_diff, f1_tolerance)
    if energy.startswith("no clear"):
        return f"{energy}, {accuracy}"
    opposed = (energy, accuracy) in (("greener", "less accurate"), ("costlier", "more accurate"))
    return f"{energy} {'but' if opposed else 'and'} {accuracy}"


def _accuracy(f1_diff: float, f1_tolerance: float) -> str:
    if math.isnan(f1_diff):
        return "F1 unknown"
    if abs(f1_diff) <= f1_tolerance + 1e-12:
        return "as accurate"
    return "more accurate" if f1_diff > 0 else "less accurate"


LEVEL_PREFIX = "level_"


def setting_columns(trials: pd.DataFrame) -> list[str]:
    """The columns that make up a configuration's treatment: the fractions, ``treatment`` and every
    ``level_<factor>`` column the trials have. A configuration is an algorithm with one value of
    each; the sweep only groups configurations (the ICT4S'22 full-data cell is in both sweeps)."""
    return (["row_fraction", "feature_fraction"] + (["treatment"] if "treatment" in trials.columns else [])
            + sorted(c for c in trials.columns if c.startswith(LEVEL_PREFIX)))


def distinct_configurations(trials: pd.DataFrame) -> pd.DataFrame:
    """``trials`` with each configuration counted once, and a ``sweeps`` column.

    A configuration (algorithm and ``setting_columns``) that appears in several sweeps is the same
    computation run again: the plan gives every configuration the same seed per repetition (the
    ICT4S'22 file: the same iterations, identical F1). Its trials from a later sweep (in name
    order) whose seed, or repetition where no seed is recorded, already appears in an earlier one
    are dropped, so a test, a Holm family or a combined test counts it once. ``sweeps`` names every
    sweep the configuration appears in, comma-separated."""
    if trials.empty:
        return trials.assign(sweeps=pd.Series(dtype=object))
    keys = ["algorithm", *setting_columns(trials)]
    key = trials[keys].astype(str).agg("\x1f".join, axis=1)
    ident = (trials["seed"] if "seed" in trials.columns else pd.Series(math.nan, index=trials.index))
    ident = ident.where(ident.notna(), "rep" + trials["repetition"].astype(str)).astype(str)
    sweeps = trials.groupby(key)["sweep"].agg(lambda v: ",".join(sorted(set(map(str, v)))))
    keep = pd.Series(True, index=trials.index)
    for k, g in trials.groupby(key, sort=False):
        if g["sweep"].nunique() < 2:
            continue
        seen: set[str] = set()
        for _, h in g.groupby(g["sweep"].astype(str), sort=True):
            ids = ident.loc[h.index]
            keep.loc[h.index[ids.isin(seen).to_numpy()]] = False
            seen.update(ids)
    return trials[keep].assign(sweeps=key[keep].map(sweeps))


VAN_ELTEREN_RESAMPLES = 9_999  # within-configuration permutations where some stratum is small
SMALL_STRATUM = 5  # a configuration with fewer trials than this on a side: permutation p


def van_elteren(strata, n_resamples: int = 0, seed: int = SEED) -> tuple[float, float, float]:
    """Van Elteren's stratified Wilcoxon rank-sum test (van Elteren 1960; Lehmann, Nonparametrics,
    1975, ch. 3.3) of a candidate against a baseline over several configurations (strata).

    ``strata``: (candidate values, baseline values) per configuration. Values are ranked within
    their stratum (midranks for ties), so configurations of very different energies are never
    ranked against each other. T = sum_s (W_s - E W_s) / (N_s + 1), W_s the candidate's rank sum
    in stratum s of N_s trials, E W_s = n1 (N_s + 1) / 2, Var W_s = n1 n2 / (N_s (N_s - 1)) x
    sum (r - (N_s + 1) / 2)^2 (tie-corrected); z = T / sqrt(Var T). With one stratum it is the
    Mann-Whitney test's normal approximation without continuity correction.

    Returns (z, two-sided p, stratified Cliff's delta). p: 2 Phi(-|z|), or with ``n_resamples`` > 0
    a Monte Carlo p from that many permutations within each stratum (seeded; (k + 1) / (R + 1),
    so never below 1 / (R + 1)). The delta is the strata's Cliff's deltas averaged with the test's
    weights n1 n2 / (N + 1) (= 2 T / sum of weights): negative, candidate lower. NaN for no stratum
    with both sides, or no variance (every value tied within every stratum).
    """
    t_obs, var, weight, parts = 0.0, 0.0, 0.0, []
    for x, y in strata:
        x, y = _finite(x), _finite(y)  # blanked readings (NaN) left out
        n1, n2 = len(x), len(y)
        if n1 == 0 or n2 == 0:
            continue
        n = n1 + n2
        r = sps.rankdata(np.concatenate([x, y]))
        expect = n1 * (n + 1) / 2
        t_obs += (r[:n1].sum() - expect) / (n + 1)
        var += n1 * n2 / (n * (n - 1)) * ((r - (n + 1) / 2) ** 2).sum() / (n + 1) ** 2 if n > 1 else 0.0
        weight += n1 * n2 / (n + 1)
        parts.append((r, n1, expect, n))
    if not parts or not var > 0:
        return math.nan, math.nan, math.nan
    z = t_obs / math.sqrt(var)
    delta = 2 * t_obs / weight
    if n_resamples <= 0:
        return z, float(min(1.0, 2 * sps.norm.sf(abs(z)))), delta
    rng = np.random.default_rng(seed)
    total = np.zeros(n_resamples)
    for r, n1, expect, n in parts:
        perm = rng.permuted(np.tile(r, (n_resamples, 1)), axis=1)
        total += (perm[:, :n1].sum(axis=1) - expect) / (n + 1)
    eps = 1e-9 * max(1.0, abs(t_obs))  # equal statistics computed in another order
    less = (np.count_nonzero(total <= t_obs + eps) + 1) / (n_resamples + 1)
    greater = (np.count_nonzero(total >= t_obs - eps) + 1) / (n_resamples + 1)
    return z, float(min(1.0, 2 * min(less, greater))), delta


def min_van_elteren_p(sizes) -> float:
    """The smallest two-sided p of the exact stratified test with these (n1, n2) per stratum:
    every stratum completely separated, in the same direction: 2 / prod C(N_s, n1_s) (log space;
    0.0 below the smallest float). 2 trials a side in 3 strata: 2 / 6^3 = 0.0093."""
    logs = [log_comb(a + b, a) for a, b in sizes if a > 0 and b > 0]
    if not logs:
        return math.nan
    return min(1.0, math.exp(math.log(2.0) - sum(logs)))


def compare(trials: pd.DataFrame, candidate: str, baselines: list[str] | None = None,
            f1_tolerance: float = 0.01, n_resamples: int = N_RESAMPLES, seed: int = SEED,
            alpha: float = ALPHA) -> pd.DataFrame:
    """Candidate versus each baseline, at every configuration both have, and combined over them.

    A configuration is the whole treatment (``setting_columns``: fractions, ``treatment`` and every
    ``level_<factor>``), never pooled across levels; one that appears in several sweeps is counted
    once (``distinct_configurations``). Per configuration (``scope`` "configuration"): the
    Mann-Whitney U test (exact up to 8 trials a side, ``mannwhitney_method``), the bootstrap CI of
    the median ratio (none below ``MIN_BOOTSTRAP_N`` a side) and Cliff's delta. Per baseline with
    two or more shared configurations, one ``scope`` "combined" row: van Elteren's stratified test
    (``van_elteren``; permutation p when a configuration has fewer than ``SMALL_STRATUM`` trials a
    side), whose energy_ratio is the geometric mean of the per-configuration median ratios (no
    CI), cliffs_delta the stratified delta, f1_diff_pts the median of the per-configuration F1
    differences.

    Columns: candidate, baseline, scope, sweep (the sweeps the configuration appears in), the
    ``setting_columns``, configuration (its label), n_candidate, n_baseline, n_*_below_resolution,
    energy_ratio, ratio_ci_low/high, test, p, holm_p (Holm over every row of the table), min_p
    (the smallest p these sizes allow), cliffs_delta (negative: candidate uses less energy),
    magnitude, mde_cliffs_delta (minimum detectable |delta| at 80% power, per configuration),
    f1_diff_pts (median F1 candidate - baseline, points), verdict (all on training energy); beside
    them the whole trial: trial_energy_ratio with its CI (preprocess + train + predict; combined rows:
    geometric mean, no CI) and each side's median energy per prediction (J per test row,
    ``candidate_predict_j_per_row``, ``baseline_predict_j_per_row``). Raises UsageError for an
    unknown algorithm name, or when the candidate shares no configuration with the baselines.
    """
    known = sorted(trials["algorithm"].unique())
    if candidate not in known:
        raise UsageError(f"--candidate {candidate!r} is not in the results; algorithms: {', '.join(known)}")
    if baselines is None:
        baselines = [a for a in known if a != candidate]
    unknown = [b for b in baselines if b not in known]
    if unknown:
        raise UsageError(f"--baselines: {', '.join(unknown)} not in the results; algorithms: {', '.join(known)}")
    baselines = [b for b in baselines if b != candidate]
    if not baselines:
        raise UsageError("--baselines: name at least one algorithm other than the candidate")
    settings = setting_columns(trials)
    trials = with_trial_energy(distinct_configurations(trials[trials["algorithm"].isin([candidate, *baselines])]))
    key = trials[settings].astype(str).agg("\x1f".join, axis=1)
    cand = trials[trials["algorithm"] == candidate]
    rows = []
    for base_name in baselines:
        base = trials[trials["algorithm"] == base_name]
        shared = sorted(set(key[cand.index]) & set(key[base.index]))
        strata = []
        for k in shared:
            c, b = cand[key[cand.index] == k], base[key[base.index] == k]
            sweeps = ",".join(sorted(set(c["sweeps"].iloc[0].split(",")) | set(b["sweeps"].iloc[0].split(","))))
            setting = {col: c[col].iloc[0] for col in settings}
            rows.append({**_comparison(base_name, "configuration", {"sweep": sweeps, **setting}, c, b,
                                       n_resamples, seed),
                         "configuration": configuration_label(setting)})
            strata.append((c, b))
        if len(strata) >= 2:
            rows.append(_combined(base_name, strata, settings, seed))
    if not rows:
        raise UsageError(f"{candidate} shares no configuration (fractions and tactic levels) with "
                         f"{', '.join(baselines)}; run them in the same spec")
    table = pd.DataFrame(rows)
    table["holm_p"] = holm(table["p"])
    table["mde_cliffs_delta"] = [minimum_detectable_effect(a, b, alpha) if s == "configuration" else math.nan
                                 for s, a, b in zip(table["scope"], table["n_candidate"], table["n_baseline"])]
    table["verdict"] = [combined_verdict(r, f1_tolerance, alpha) if r.scope == "combined" else
                        verdict(r.ratio_ci_low, r.ratio_ci_high, r.holm_p, r.f1_diff_pts / 100,
                                f1_tolerance, alpha, r.min_p) for r in table.itertuples()]
    table.insert(0, "candidate", candidate)
    cols = ["candidate", "baseline", "scope", "sweep", *settings, "configuration", "n_candidate", "n_baseline",
            "n_candidate_below_resolution", "n_baseline_below_resolution", "energy_ratio",
            "ratio_ci_low", "ratio_ci_high", "test", "p", "holm_p", "min_p", "cliffs_delta", "magnitude",
            "mde_cliffs_delta", "f1_diff_pts", "verdict", "trial_energy_ratio", "trial_ratio_ci_low",
            "trial_ratio_ci_high", "candidate_predict_j_per_row", "baseline_predict_j_per_row"]
    return table[cols]


def configuration_label(setting: dict) -> str:
    """"rows 10%, features 100%" for the ICT4S'22 pair; the label of the other tactics' levels
    (``kbits=4``), with the fractions when they are not both 100%."""
    def pct(x) -> str:
        return f"{100 * float(x):.0f}%"

    fractions = f"rows {pct(setting['row_fraction'])}, features {pct(setting['feature_fraction'])}"
    treatment = str(setting.get("treatment", "none"))
    others = [part for part in treatment.split("+") if part.split("=")[0] not in ("rows", "features", "none")]
    if not others:
        return fractions
    full = math.isclose(float(setting["row_fraction"]), 1.0) and math.isclose(float(setting["feature_fraction"]), 1.0)
    return "+".join(others) + ("" if full else f" ({fractions})")


def _comparison(base_name, scope, level, c, b, n_resamples, seed) -> dict:
    ratio, low, high = bootstrap_median_ratio(c["train_energy_j"], b["train_energy_j"], n_resamples, seed)
    delta, p = cliffs_delta(c["train_energy_j"], b["train_energy_j"])
    n_c, n_b = int(c["train_energy_j"].notna().sum()), int(b["train_energy_j"].notna().sum())  # readings tested
    method = mannwhitney_method(n_c, n_b)
    return {"baseline": base_name, "scope": scope, **level,
            "n_candidate": n_c, "n_baseline": n_b,
            "n_candidate_below_resolution": n_below_resolution(c),
            "n_baseline_below_resolution": n_below_resolution(b),
            "energy_ratio": ratio, "ratio_ci_low": low, "ratio_ci_high": high,
            "test": "Mann-Whitney U, " + ("exact" if method != "auto" else "scipy auto"),
            "p": p, "min_p": min_mannwhitney_p(n_c, n_b),
            "cliffs_delta": delta, "magnitude": cliffs_magnitude(delta),
            "f1_diff_pts": 100 * (float(c["f1"].median()) - float(b["f1"].median())),
            **_whole_trial(c, b, n_resamples, seed)}


def _whole_trial(c: pd.DataFrame, b: pd.DataFrame, n_resamples: int, seed: int) -> dict:
    """Beside a comparison on training energy: the whole trial's median ratio (preprocess + train +
    predict) with its bootstrap CI, and each side's median energy per prediction (J per test row)."""
    ratio, low, high = bootstrap_median_ratio(c[TRIAL_ENERGY], b[TRIAL_ENERGY], n_resamples, seed)
    return {"trial_energy_ratio": ratio, "trial_ratio_ci_low": low, "trial_ratio_ci_high": high,
            "candidate_predict_j_per_row": float(c[PER_ROW].median()),
            "baseline_predict_j_per_row": float(b[PER_ROW].median())}


def _combined(base_name, strata, settings, seed) -> dict:
    """The combined row of one baseline: van Elteren over the shared configurations."""
    pairs = [(c["train_energy_j"], b["train_energy_j"]) for c, b in strata]
    sizes = [(int(c.notna().sum()), int(b.notna().sum())) for c, b in pairs]  # energy readings per side
    small = any(min(a, b) < SMALL_STRATUM for a, b in sizes)
    z, p, delta = van_elteren(pairs, VAN_ELTEREN_RESAMPLES if small else 0, seed)
    ratios = [float(c.median() / b.median()) for c, b in pairs if b.median() > 0 and c.median() > 0]
    f1 = [100 * (float(c["f1"].median()) - float(b["f1"].median())) for c, b in strata]
    trial_ratios = [float(c[TRIAL_ENERGY].median() / b[TRIAL_ENERGY].median()) for c, b in strata
                    if b[TRIAL_ENERGY].median() > 0 and c[TRIAL_ENERGY].median() > 0]
    below = [n_below_resolution(c) for c, _ in strata], [n_below_resolution(b) for _, b in strata]
    return {"baseline": base_name, "scope": "combined", "sweep": "",
            **dict.fromkeys(settings, math.nan),
            "configuration": f"all {len(strata)} configurations (stratified)",
            "n_candidate": sum(a for a, _ in sizes), "n_baseline": sum(b for _, b in sizes),
            "n_candidate_below_resolution": math.nan if all(math.isnan(v) for v in below[0]) else float(np.nansum(below[0])),
            "n_baseline_below_resolution": math.nan if all(math.isnan(v) for v in below[1]) else float(np.nansum(below[1])),
            "energy_ratio": float(np.exp(np.mean(np.log(ratios)))) if ratios else math.nan,
            "ratio_ci_low": math.nan, "ratio_ci_high": math.nan,
            "test": "van Elteren, " + (f"{VAN_ELTEREN_RESAMPLES:,} within-configuration permutations"
                                       if small else "normal approximation"),
            "p": p, "min_p": min_van_elteren_p(sizes),
            "cliffs_delta": delta, "magnitude": cliffs_magnitude(delta),
            "f1_diff_pts": float(np.median(f1)),
            "trial_energy_ratio": float(np.exp(np.mean(np.log(trial_ratios)))) if trial_ratios else math.nan,
            "trial_ratio_ci_low": math.nan, "trial_ratio_ci_high": math.nan,
            "candidate_predict_j_per_row": float(pd.concat([c[PER_ROW] for c, _ in strata]).median()),
            "baseline_predict_j_per_row": float(pd.concat([b[PER_ROW] for _, b in strata]).median())}


def combined_verdict(r, f1_tolerance: float = 0.01, alpha: float = ALPHA) -> str:
    """The verdict of a combined row: "greener" / "costlier" when van Elteren's Holm p < alpha, by
    the sign of the stratified delta (no CI: the ratio is a geometric mean of medians); "too few
    repetitions" when even complete separation in every configuration could not reach alpha. The
    accuracy word judges the median of the per-configuration F1 differences."""
    if not math.isnan(r.min_p) and r.min_p >= alpha:
        energy = f"too few repetitions to test (smallest possible p = {r.min_p:.2g})"
    elif not math.isnan(r.holm_p) and r.holm_p < alpha and r.cliffs_delta < 0:
        energy = "greener"
    elif not math.isnan(r.holm_p) and r.holm_p < alpha and r.cliffs_delta > 0:
        energy = "costlier"
    else:
        energy = "no clear energy difference"
    accuracy = _accuracy(r.f1_diff_pts / 100, f1_tolerance)
    opposed = (energy, accuracy) in (("greener", "less accurate"), ("costlier", "more accurate"))
    joined = (f"{energy}, {accuracy}" if energy not in ("greener", "costlier")
              else f"{energy} {'but' if opposed else 'and'} {accuracy}")
    return joined + (" across configurations" if energy in ("greener", "costlier") else "")


CONFIGURATION_COLUMNS = ("algorithm", "sweep", "treatment", "row_fraction", "feature_fraction")


def between_runs(trials: pd.DataFrame) -> pd.DataFrame:
    """The spread between runs of one design (issue 21, item 11): per configuration (the columns of
    ``CONFIGURATION_COLUMNS`` the trials have), the number of runs, each run's median training energy
    (J, or the file's unit) and median F1, and the range of those run medians (min, max, max/min).
    A bootstrap CI of one run covers that run's sampling only; this is the variation it leaves out.
    Empty (same columns) when the trials come from fewer than two runs."""
    keys = [c for c in CONFIGURATION_COLUMNS if c in trials.columns]
    cols = [*keys, "n_runs", "min_run_median_train_energy_j", "max_run_median_train_energy_j",
            "run_median_energy_ratio", "min_run_median_f1", "max_run_median_f1"]
    if "run" not in trials.columns or trials["run"].nunique() < 2:
        return pd.DataFrame(columns=cols)
    per_run = (trials.groupby([*keys, "run"], dropna=False, sort=True)
               .agg(e=("train_energy_j", "median"), f1=("f1", "median")).reset_index())
    out = (per_run.groupby(keys, dropna=False, sort=True)
           .agg(n_runs=("run", "nunique"), min_run_median_train_energy_j=("e", "min"),
                max_run_median_train_energy_j=("e", "max"), min_run_median_f1=("f1", "min"),
                max_run_median_f1=("f1", "max")).reset_index())
    low = out["min_run_median_train_energy_j"]
    out["run_median_energy_ratio"] = (out["max_run_median_train_energy_j"] / low).where(low > 0)
    return out[cols]
