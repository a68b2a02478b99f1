"""Analysis of any factor: per-factor RQ2/RQ3 and trade-off, every cell of a factorial, and which
tactic saves most within an F1 tolerance. Pure functions: trials DataFrame in, DataFrame out.

A run's factors are its ``level_<factor>`` columns (runs made before tactics and the ICT4S'22 CSV:
``rows`` and ``features``, from row_fraction and feature_fraction). A trial's *active* factors are
those named in its ``treatment`` label (``factor=level`` joined by '+'; ``none`` = untreated;
``scale=...`` is a setting of the whole run, not a factor).

- The slice of factor f: in each sweep where f is active, the trials whose only active factor is f,
  plus the untreated trials of that sweep (or, if it has none, the algorithm's untreated trials
  from any sweep) as the reference level ``none``.
- The x of a factor's Spearman correlation (its ``variable``): ``n_train`` if it varies in the
  slice (row tactics, duplicates), else ``n_features`` (selection, projection), else ``bits`` for
  the tactics whose levels are bits per value (dtype: float32 -> 32; kbits: 8 -> 8; ``none`` = 64,
  the float64 features), else ``level_value``: the level as a number (``none`` is the tactic's
  level that changes nothing, 1.0 for a fraction; for a user tactic it is unknown: left out).
"""

from __future__ import annotations

import math

import pandas as pd

from harness.analysis import stats

NONE = "none"
LEVEL_PREFIX = "level_"


def active(label: str) -> dict[str, str]:
    """{factor: level text} of a treatment label, without the run-wide ``scale`` setting."""
    if not isinstance(label, str) or label == NONE:
        return {}
    out = {}
    for part in label.split("+"):
        name, _, level = part.partition("=")
        if name != "scale":
            out[name] = level
    return out


def factors_of(trials: pd.DataFrame) -> list[str]:
    """The factors of a run, in step order (column order)."""
    names = [c[len(LEVEL_PREFIX):] for c in trials.columns if c.startswith(LEVEL_PREFIX)]
    return names or ["rows", "features"]


def is_legacy(trials: pd.DataFrame) -> bool:
    """True when the only factors are the ICT4S'22 pair (the paper's tables cover them)."""
    return set(factors_of(trials)) <= {"rows", "features"}


def with_treatment(trials: pd.DataFrame) -> pd.DataFrame:
    """``trials`` with a ``treatment`` column (frames without one: the ICT4S'22 pair's label)."""
    if "treatment" in trials.columns:
        return trials
    from harness.results.load import legacy_treatment

    return trials.assign(treatment=legacy_treatment(trials))


def untreated(trials: pd.DataFrame) -> pd.DataFrame:
    trials = with_treatment(trials)
    return trials[[not active(t) for t in trials["treatment"]]]


def factor_slices(trials: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per factor, its one-factor trials with a ``level`` column (level text; ``none`` for the
    reference). Factors with fewer than two levels in the slice are left out."""
    trials = with_treatment(trials)
    acts = trials["treatment"].map(active)
    base = untreated(trials)
    out = {}
    for f in factors_of(trials):
        parts = []
        for sweep, g in trials.groupby("sweep", sort=False):
            ga = acts.loc[g.index]
            if not any(f in a for a in ga):
                continue
            mine = g[[set(a) <= {f} for a in ga]]
            if not len(untreated(mine)):
                mine = pd.concat([mine, base[base["algorithm"].isin(mine["algorithm"])]])
            parts.append(mine)
        if parts:
            df = pd.concat(parts)
            df = df[~df.index.duplicated()].copy()
            df["level"] = [active(t).get(f, NONE) for t in df["treatment"]]
            if df["level"].nunique() > 1:
                out[f] = df
    return out


BITS_TACTICS = ("dtype", "kbits")  # built-in tactics whose level is a number of bits per value


def level_bits(level: str) -> float:
    """A level as a number: its bits for a dtype (float32 -> 32), ``none`` -> 64, else float(level).
    The x of the ``BITS_TACTICS``, and the order in which levels are listed and drawn."""
    if level == NONE:
        return 64.0
    if level.startswith("float"):
        return float(level[5:])
    try:
        return float(level)
    except ValueError:
        return math.nan


def level_value(level: str, off: float = math.nan) -> float:
    """A level as a number: float(level); ``off`` for ``none`` (the tactic's level that changes
    nothing, e.g. 1.0 for a fraction; NaN when unknown, as for a user tactic); NaN if not numeric."""
    if level == NONE:
        return off
    try:
        return float(level)
    except ValueError:
        return math.nan


def x_variable(df: pd.DataFrame, tactic: str | None = None) -> str:
    """What a factor's slice ``df`` is correlated against: ``n_train``, ``n_features``, ``bits``
    or ``level_value`` (module docstring). ``tactic``: the factor's built-in tactic, if known; a
    factor whose levels are all dtype names counts as a dtype factor without it."""
    if df["n_train"].nunique() > 1:
        return "n_train"
    if df["n_features"].nunique() > 1:
        return "n_features"
    levels = set(df["level"]) - {NONE}
    if tactic in BITS_TACTICS or (tactic is None and levels and all(lv.startswith("float") for lv in levels)):
        return "bits"
    return "level_value"


def _with_x(df: pd.DataFrame, tactic: str | None) -> tuple[pd.DataFrame, str]:
    x = x_variable(df, tactic)
    if x == "bits":
        df = df.assign(bits=df["level"].map(level_bits))
    elif x == "level_value":
        from harness.tactics.registry import BUILTIN

        identity = getattr(BUILTIN.get(tactic), "identity", None)
        off = float(identity) if isinstance(identity, (int, float)) and not isinstance(identity, bool) else math.nan
        df = df.assign(level_value=[level_value(lv, off) for lv in df["level"]]).dropna(subset=["level_value"])
    return df, x


def dtype_bits(value) -> float:
    """Bits of a floating-point dtype name (``float32`` -> 32.0); NaN for anything else (``unknown``,
    missing, an integer dtype)."""
    text = str(value)
    if text.startswith("float"):
        try:
            return float(text[5:])
        except ValueError:
            return math.nan
    return math.nan


# What a dtype factor is correlated against, first one every trial of the algorithm records:
# (column, variable name). fit_dtype: the dtype the fitted estimator computed in; input_dtype: the
# dtype of the X given to fit and predict.
RECEIVED = (("fit_dtype", "fit_dtype bits"), ("input_dtype", "input_dtype bits"))


def _received_x(g: pd.DataFrame) -> tuple[pd.DataFrame, str, str]:
    """A dtype factor's slice of one algorithm with x = the bits of what reached the estimator
    (``RECEIVED``), or the requested bits when no trial records it. Returns (frame with column
    ``received_bits``, variable, note); note says when the factor is nominal (x constant: the
    estimator computed in one dtype at every level, e.g. a decision tree in float32 at float64 and
    float32)."""
    for column, variable in RECEIVED:
        if column in g.columns:
            bits = g[column].map(dtype_bits)
            if len(bits) and bits.notna().all():
                g = g.assign(received_bits=bits)
                if bits.nunique() == 1:
                    return g, variable, (f"nominal: {column} is {g[column].iloc[0]} at every level, so the "
                                         "estimator computed the same way; no correlation")
                return g, variable, ""
    return g.assign(received_bits=g["bits"]), "bits (requested)", ("what reached the estimator is not recorded "
                                                                   "(no fit_dtype): the requested bits")


def correlations(trials: pd.DataFrame, y: str, representative: bool = False,
                 tactics: dict[str, str] | None = None) -> pd.DataFrame:
    """Spearman of ``y`` with each factor's x, per algorithm; over all trials, or over the
    median-energy trial of each level (``representative``, as RQ3). ``tactics``: factor ->
    built-in tactic name (``Results.tactics``, from the manifest's spec); without it a factor
    named like a built-in tactic is taken to be that tactic.

    A dtype factor is analysed by what reached the estimator (issue 21, item 8): x is the bits of
    the trial's ``fit_dtype`` (the dtype the fitted estimator computed in; else ``input_dtype``; the
    requested bits only when neither is recorded), and where that is the same at every level (a
    decision tree computes in float32 whatever it is given) the factor is *nominal* for that
    algorithm: rho and p are NaN and ``note`` says so. A kbits factor's x is the values' resolution
    in bits; its ``note`` says the dtype the values reached the estimator in (float64 at every
    level: kbits changes the values, not their storage). Columns: algorithm, factor, variable,
    n_levels, n_trials, rho, p, note."""
    from harness.tactics.registry import BUILTIN

    rows = []
    for f, df in factor_slices(trials).items():
        tactic = (tactics or {}).get(f, f if f in BUILTIN else None)
        df, x = _with_x(df, tactic)
        is_dtype = x == "bits" and tactic != "kbits"
        for algorithm, g in df.groupby("algorithm", sort=True):
            if representative:  # a level whose every reading cleaning blanked has no median-energy trial
                g = pd.DataFrame([h.sort_values("repetition", kind="stable").iloc[
                    stats.median_trial_position(h.sort_values("repetition", kind="stable")["train_energy_j"])]
                    for _, h in g.groupby("level", sort=True) if h["train_energy_j"].notna().any()],
                    columns=g.columns)
            variable, note, column = x, "", x
            if is_dtype:
                g, variable, note = _received_x(g)
                column = "received_bits"
            elif x == "bits":  # kbits
                variable = "kbits (value resolution)"
                stored = sorted(set(map(str, g["input_dtype"]))) if "input_dtype" in g.columns else []
                note = (f"values reach the estimator as {', '.join(stored)} at every level: kbits changes the "
                        "values' resolution, not their storage" if len(stored) == 1 and stored[0] != "None" else "")
            rho, p = (math.nan, math.nan) if note.startswith("nominal") else stats.spearman(g[column], g[y])
            rows.append({"algorithm": algorithm, "factor": f, "variable": variable, "n_levels": g["level"].nunique(),
                         "n_trials": len(g), "rho": rho, "p": p, "note": note})
    return pd.DataFrame(rows, columns=["algorithm", "factor", "variable", "n_levels", "n_trials", "rho", "p", "note"])


def tradeoff(trials: pd.DataFrame, n_resamples: int = stats.N_RESAMPLES, seed: int = stats.SEED) -> pd.DataFrame:
    """Per algorithm, factor and level: training-energy saving versus the untreated trials
    (``none``), with a bootstrap 95% CI, and the F1 change in points; beside it the whole trial
    (``stats.TRIAL_COLUMNS``: each phase's median, ``trial_saving_pct`` with its CI on preprocess +
    train + predict, and the energy per prediction, J per test row)."""
    rows = []
    trials = stats.with_trial_energy(trials)
    for f, df in factor_slices(trials).items():
        for algorithm, g in df.groupby("algorithm", sort=True):
            ref = g[g["level"] == NONE]
            if ref.empty:
                continue
            e_ref, f1_ref = ref["train_energy_j"].to_numpy(), float(ref["f1"].median())
            for level, h in g.groupby("level", sort=False):
                is_ref = level == NONE
                ratio, low, high = ((1.0, math.nan, math.nan) if is_ref else
                                    stats.bootstrap_median_ratio(h["train_energy_j"], e_ref, n_resamples, seed))
                rows.append({"algorithm": algorithm, "factor": f, "level": level, "n_trials": len(h),
                             "n_train": float(h["n_train"].median()), "n_features": float(h["n_features"].median()),
                             "median_train_energy_j": float(h["train_energy_j"].median()),
                             "saving_pct": 100 * (1 - ratio), "saving_ci_low_pct": 100 * (1 - high),
                             "saving_ci_high_pct": 100 * (1 - low), "median_f1": float(h["f1"].median()),
                             "f1_change_pts": 100 * (float(h["f1"].median()) - f1_ref),
                             **stats.phase_medians(h),
                             **stats.saving_columns(h, ref, is_ref, n_resamples, seed)})
    cols = ["algorithm", "factor", "level", "n_trials", "n_train", "n_features", "median_train_energy_j",
            "saving_pct", "saving_ci_low_pct", "saving_ci_high_pct", "median_f1", "f1_change_pts",
            *stats.TRIAL_COLUMNS]
    out = pd.DataFrame(rows, columns=cols)
    if len(out):
        out["_order"] = out["level"].map(lambda v: (v != NONE, level_bits(v) if not math.isnan(level_bits(v)) else 0))
        out = out.sort_values(["algorithm", "factor", "_order"], kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)


ENERGIES = {"trial": ("trial_saving_pct", "whole trial (preprocess + train + predict)"),
            "train": ("saving_pct", "training")}


def best_tactic(trade: pd.DataFrame, f1_tolerance: float = 0.01, energy: str = "trial") -> pd.DataFrame:
    """Per algorithm, the (factor, level) with the largest saving whose F1 drop is at most
    ``f1_tolerance`` (F1 units), across every factor; ``outcome`` as ``stats.best_saving``'s: when
    every qualifying level costs energy (``nothing saves``) or none qualifies, factor and level are
    None and the saving NaN, never a negative saving shown as best. ``runner_up`` names the best
    saving level of another factor, to show how clear the choice is.

    ``energy``: what the ranking saves, ``trial`` (default: the whole trial, preprocess + train +
    predict, so a tactic's own cost counts: SVD on a decision tree saved 22% of training energy and
    cost 26% more over the trial) or ``train`` (training energy only). ``saving_pct`` and its CI are
    of that energy (``ranked_on`` says which); ``train_saving_pct`` and ``trial_saving_pct`` give both."""
    rows = []
    cols = ["algorithm", "factor", "level", "saving_pct", "saving_ci_low_pct", "saving_ci_high_pct",
            "f1_change_pts", "runner_up", "outcome", "ranked_on", "train_saving_pct", "trial_saving_pct"]
    for algorithm, g in trade.groupby("algorithm", sort=True):
        column, label = ENERGIES[energy]
        treated = g[g["level"] != NONE]
        if energy == "trial" and ("trial_saving_pct" not in g or treated["trial_saving_pct"].isna().all()):
            column, label = "saving_pct", "training (whole-trial energy not recorded)"
        low, high = column.replace("saving_pct", "saving_ci_low_pct"), column.replace("saving_pct", "saving_ci_high_pct")
        ok = g[(g["level"] != NONE) & (g["f1_change_pts"] >= -100 * f1_tolerance - 1e-9)].dropna(subset=[column])
        outcome = stats.best_outcome(ok[column])
        ok = ok[ok[column] > 0].sort_values(column, ascending=False, kind="stable")
        if outcome != stats.SAVES:
            rows.append({"algorithm": algorithm, "factor": None, "level": None, "saving_pct": math.nan,
                         "saving_ci_low_pct": math.nan, "saving_ci_high_pct": math.nan, "f1_change_pts": math.nan,
                         "runner_up": None, "outcome": outcome, "ranked_on": label,
                         "train_saving_pct": math.nan, "trial_saving_pct": math.nan})
            continue
        best = ok.iloc[0]
        other = ok[ok["factor"] != best["factor"]]
        runner = (f"{other.iloc[0]['factor']}={other.iloc[0]['level']} ({other.iloc[0][column]:.1f}%)"
                  if len(other) else None)
        rows.append({"algorithm": algorithm, "factor": best["factor"], "level": best["level"],
                     "saving_pct": best[column], "saving_ci_low_pct": best[low], "saving_ci_high_pct": best[high],
                     "f1_change_pts": best["f1_change_pts"], "runner_up": runner, "outcome": outcome,
                     "ranked_on": label, "train_saving_pct": best["saving_pct"],
                     "trial_saving_pct": best.get("trial_saving_pct", math.nan)})
    return pd.DataFrame(rows, columns=cols)


def factorial_cells(trials: pd.DataFrame) -> pd.DataFrame:
    """Every cell of every sweep in which two or more factors vary (a full factorial), per
    algorithm: median training energy, saving versus the untreated trials, the same on the whole trial,
    median J per prediction (predict energy / test rows), median F1 and its change."""
    rows = []
    trials = stats.with_trial_energy(with_treatment(trials))
    base = untreated(trials)
    for sweep, g in trials.groupby("sweep", sort=False):
        varying = {f for t in g["treatment"] for f in active(t)}
        if len(varying) < 2:
            continue
        for (algorithm, label), h in g.groupby(["algorithm", "treatment"], sort=True):
            ref = base[base["algorithm"] == algorithm]
            e_ref = float(ref["train_energy_j"].median()) if len(ref) else math.nan
            f1_ref = float(ref["f1"].median()) if len(ref) else math.nan
            e = float(h["train_energy_j"].median())
            levels = active(label)
            t_ref = float(ref[stats.TRIAL_ENERGY].median()) if len(ref) else math.nan
            t = float(h[stats.TRIAL_ENERGY].median())
            rows.append({"sweep": sweep, "algorithm": algorithm, "treatment": label,
                         **{f"level_{f}": levels.get(f, NONE) for f in sorted(varying)},
                         "n_trials": len(h), "median_train_energy_j": e,
                         "saving_pct": 100 * (1 - e / e_ref) if e_ref > 0 else math.nan,
                         "median_trial_energy_j": t,
                         "trial_saving_pct": 100 * (1 - t / t_ref) if t_ref > 0 else math.nan,
                         "median_predict_energy_per_row_j": float(h[stats.PER_ROW].median()),
                         "median_f1": float(h["f1"].median()),
                         "f1_change_pts": 100 * (float(h["f1"].median()) - f1_ref)})
    return pd.DataFrame(rows)
