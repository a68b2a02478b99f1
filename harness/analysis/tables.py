"""Tables of the analysis: built from ``stats`` results, written as Markdown, LaTeX and CSV.

A ``Table`` holds the raw numbers (the CSV) and their display form (Markdown and LaTeX). Every
table that shows energy carries the results' energy notes ("estimated energy (CPU-time model,
not measured)", "net of the idle baseline ...") in its title and, in the CSV, in an
``energy_basis`` column. Undefined statistics (confidence intervals included) are empty cells in
the CSV and "undefined" in the Markdown and LaTeX; the trade-off's 100% row, which is the
reference and has no interval, shows "-" for its CI.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pandas as pd

from harness.analysis import factors, stats
from harness.analysis.invalid import invalid_energy_note, throttled_note
from harness.results.load import ICT4S22_TIMES_NOTE, Results, f1_averages
from harness.errors import ResultsError

UNDEFINED = "undefined"


@dataclasses.dataclass(frozen=True)
class Table:
    name: str             # file stem
    title: str
    frame: pd.DataFrame   # raw values, written to CSV
    display: pd.DataFrame  # strings, written to Markdown and LaTeX
    notes: tuple[str, ...] = ()
    energy: bool = True   # shows energy, so carries the energy notes


@dataclasses.dataclass(frozen=True)
class Options:
    clean: bool = True
    f1_tolerance: float = 0.01
    n_resamples: int = stats.N_RESAMPLES
    seed: int = stats.SEED
    alpha: float = stats.ALPHA


# ---------------------------------------------------------------- cell formatting

def num(x, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return UNDEFINED
    return f"{x:.{digits}g}"


def pval(p) -> str:
    """Three significant digits; below 0.001 as "<0.001" (the CSV keeps the number)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return UNDEFINED
    return "<0.001" if p < 0.001 else f"{p:.3g}"


def pct(x, digits: int = 1) -> str:
    return UNDEFINED if x is None or math.isnan(x) else f"{x:.{digits}f}"


def fraction(x) -> str:
    return "" if x is None or math.isnan(x) else f"{100 * x:.0f}%"


CI_SCOPE_NOTE = ("The 95% CIs cover this run's sampling only (the spread of its own trials), not the variation "
                 "between runs (another session, machine or load); with several runs of one design, see "
                 "'Between runs'.")
SELECTION_NOTE = ("Each row is the largest saving selected among all the levels considered for it: a maximum over "
                  "several noisy estimates tends to overstate the saving, and its CI does not allow for the selection.")
WHOLE_TRIAL_NOTE = ("Whole trial = preprocess + train + predict energy (a tactic's own cost is in preprocess, a lazy "
                    "learner's in predict; undefined where a phase was not recorded or its training reading was "
                    "blanked by cleaning); its saving and CI as for training energy. J/prediction = median predict "
                    "energy / test rows.")
NO_CI = "-"  # the trade-off's 100% row: the reference itself, so no interval (not undefined)


def ci(low, high, fmt=pct) -> str:
    if math.isnan(low) or math.isnan(high):
        return UNDEFINED
    return f"[{fmt(low)}, {fmt(high)}]"


# ---------------------------------------------------------------- analysis tables

def analysis_tables(results: Results, options: Options = Options()) -> tuple[list[Table], pd.DataFrame]:
    """All tables of ``analyze``, and the trials they were computed from (after cleaning)."""
    trials, cleaning = stats.analysed(results.trials, options.clean)
    if not stats.has_energy(trials):
        raise ResultsError(f"{results.source}: no trial left after cleaning (every training energy "
                           "<= 0 J or missing?); check the meter or use --no-clean")
    tables = [_cleaning_table(cleaning, options.clean)]
    # phases stored NaN because their window was not a measurement; trials slowed by a container's CPU quota
    said = [n for n in (invalid_energy_note(results.trials), throttled_note(results.trials)) if n]
    tables[0] = dataclasses.replace(tables[0], notes=(*tables[0].notes, *said))
    norm = stats.normality(trials, alpha=options.alpha)
    tables += [_normality_summary(norm, options.alpha), _normality_table(norm, options.alpha)]
    rq1 = stats.rq1(trials)
    tables.append(_rq1_table(rq1, results.energy_unit, times=results.layout != "ict4s22"))
    if not factors.is_legacy(trials):  # tactics: every factor, not only rows and features
        tables += _factor_tables(trials, options, results.tactics)
        return [with_notes(t, results) for t in tables], trials
    tables.append(_correlation_table("rq2_energy_spearman", "RQ2: Spearman correlation of training "
                                     "energy with rows and features, all trials (training energy, as in the paper)", stats.rq2(trials)))
    tables.append(_correlation_table(
        "rq3_f1_spearman", "RQ3: Spearman correlation of F1 with rows and features, "
        "median-energy trial per configuration", stats.rq3(trials), energy=False))
    trade = stats.tradeoff(trials, options.n_resamples, options.seed)
    small = stats.small_sample_note(trade["n_trials"])  # why a CI is missing
    tables.append(_noted(_tradeoff_table(trade, results.energy_unit), small))
    tables.append(_noted(_best_table(stats.best_saving(trade, options.f1_tolerance), options.f1_tolerance), small))
    cells = factors.factorial_cells(trials)
    if len(cells):
        tables.append(_factorial_table(cells))
    tables += _between_runs_tables(trials, results.energy_unit)
    return [with_notes(t, results) for t in tables], trials


def _between_runs_tables(trials: pd.DataFrame, unit: str = "J") -> list[Table]:
    """The spread between runs (``stats.between_runs``): one table when the trials come from several
    runs of one design, else none."""
    spread = stats.between_runs(trials)
    if spread.empty:
        return []
    keys = [c for c in stats.CONFIGURATION_COLUMNS if c in spread.columns]
    display = spread[keys].astype(str).copy()
    display["runs"] = spread["n_runs"].astype(str)
    display[f"run medians of train energy ({unit})"] = [
        f"{num(lo)} .. {num(hi)}" for lo, hi in zip(spread["min_run_median_train_energy_j"],
                                                   spread["max_run_median_train_energy_j"])]
    display["max/min"] = [num(x, 3) for x in spread["run_median_energy_ratio"]]
    display["run medians of F1"] = [f"{num(lo)} .. {num(hi)}" for lo, hi in zip(spread["min_run_median_f1"],
                                                                                spread["max_run_median_f1"])]
    return [Table("between_runs", "Between runs: range of the runs' median training energy and F1 per configuration",
                  spread, display,
                  notes=("Each run's median per configuration, then their smallest and largest: the variation "
                         "between runs that a one-run CI does not cover.",))]


def _factor_tables(trials: pd.DataFrame, options: Options, tactics: dict | None = None) -> list[Table]:
    """RQ2/RQ3 and the trade-off for every factor, the best tactic per algorithm, factorial cells.
    ``tactics``: factor -> built-in tactic (``Results.tactics``), which tells RQ2/RQ3's variable."""
    out = [_correlation_table("rq2_energy_spearman", "RQ2: Spearman correlation of training energy with each "
                              "factor, all trials (training energy, as in the paper)", factors.correlations(trials, "train_energy_j", tactics=tactics)),
           _correlation_table("rq3_f1_spearman", "RQ3: Spearman correlation of F1 with each factor, "
                              "median-energy trial per level", factors.correlations(trials, "f1", True, tactics),
                              energy=False)]
    trade = factors.tradeoff(trials, options.n_resamples, options.seed)
    small = stats.small_sample_note(trade["n_trials"])  # why a CI is missing
    display = pd.DataFrame({
        "algorithm": trade["algorithm"], "factor": trade["factor"], "level": trade["level"],
        "trials": trade["n_trials"].astype(str),
        "n_train": [num(x, 6) for x in trade["n_train"]], "n_features": [num(x, 6) for x in trade["n_features"]],
        "median train energy (J)": [num(x) for x in trade["median_train_energy_j"]],
        "training saving (%)": [pct(x) for x in trade["saving_pct"]],
        "95% CI": [NO_CI if lv == factors.NONE else ci(lo, hi) for lv, lo, hi in
                   zip(trade["level"], trade["saving_ci_low_pct"], trade["saving_ci_high_pct"])],
        **_whole_trial_display(trade, trade["level"] == factors.NONE),
        "F1 change (pts)": [pct(x, 2) for x in trade["f1_change_pts"]],
    })
    out.append(Table("tradeoff", "Trade-off per factor and level: training-energy and whole-trial savings versus "
                     "the untreated trials (none), energy per prediction, and F1 change", trade, display,
                     notes=("Training saving = 100 x (1 - median training energy at the level / median untreated); "
                            "CI: percentile bootstrap of the ratio of medians. F1 change in points (F1 x 100).",
                            WHOLE_TRIAL_NOTE, CI_SCOPE_NOTE, *small)))
    best = factors.best_tactic(trade, options.f1_tolerance)
    tol = options.f1_tolerance
    display = pd.DataFrame({
        "algorithm": best["algorithm"],
        "tactic (factor)": [f if isinstance(f, str) else outcome for f, outcome in zip(best["factor"], best["outcome"])],
        "level": [lv if isinstance(lv, str) else "-" for lv in best["level"]],
        "ranked on": best["ranked_on"],
        "saving (%)": [pct(x) for x in best["saving_pct"]],
        "95% CI": [ci(lo, hi) for lo, hi in zip(best["saving_ci_low_pct"], best["saving_ci_high_pct"])],
        "training saving (%)": [pct(x) for x in best["train_saving_pct"]],
        "whole-trial saving (%)": [pct(x) for x in best["trial_saving_pct"]],
        "F1 change (pts)": [pct(x, 2) for x in best["f1_change_pts"]],
        "best of another tactic": [r if isinstance(r, str) else "-" for r in best["runner_up"]],
    })
    notes = ("Ranked on the whole trial (preprocess + train + predict: a tactic's own cost and the prediction "
             "count) unless its energy was not recorded ('ranked on' says which); 'saving' and its CI are of that "
             "energy, the training and whole-trial savings of the chosen level beside it. 'nothing saves': every "
             "level within the F1 tolerance costs more energy than the untreated trials; 'none qualifies': no "
             "level keeps F1 within it.", SELECTION_NOTE, CI_SCOPE_NOTE, *small)
    out.append(Table("tactic_best", f"Which tactic saves most whole-trial energy with an F1 drop of at most {tol:g} "
                     f"({100 * tol:g} F1 point{'' if 100 * tol == 1 else 's'}), per algorithm",
                     best.assign(f1_tolerance=tol), display, notes=notes))
    cells = factors.factorial_cells(trials)
    if len(cells):
        out.append(_factorial_table(cells))
    out += _between_runs_tables(trials)
    return out


def _whole_trial_display(trade: pd.DataFrame, reference: pd.Series, unit: str = "J") -> dict:
    """The whole-trial columns of a trade-off display (``stats.TRIAL_COLUMNS``)."""
    return {
        f"median whole-trial energy ({unit})": [num(x) for x in trade["median_trial_energy_j"]],
        "whole-trial saving (%)": [pct(x) for x in trade["trial_saving_pct"]],
        "its 95% CI": [NO_CI if r else ci(lo, hi) for r, lo, hi in
                       zip(reference, trade["trial_saving_ci_low_pct"], trade["trial_saving_ci_high_pct"])],
        "J/prediction": [num(x, 3) for x in trade["median_predict_energy_per_row_j"]],
    }


def _factorial_table(cells: pd.DataFrame) -> Table:
    levels = [c for c in cells.columns if c.startswith("level_")]
    display = pd.DataFrame({
        "sweep": cells["sweep"], "algorithm": cells["algorithm"],
        **{c[len("level_"):]: cells[c] for c in levels},
        "trials": cells["n_trials"].astype(str),
        "median train energy (J)": [num(x) for x in cells["median_train_energy_j"]],
        "training saving (%)": [pct(x) for x in cells["saving_pct"]],
        "whole-trial saving (%)": [pct(x) for x in cells["trial_saving_pct"]] if "trial_saving_pct" in cells
        else [UNDEFINED] * len(cells),
        "J/prediction": [num(x, 3) for x in cells["median_predict_energy_per_row_j"]]
        if "median_predict_energy_per_row_j" in cells else [UNDEFINED] * len(cells),
        "median F1": [num(x, 3) for x in cells["median_f1"]],
        "F1 change (pts)": [pct(x, 2) for x in cells["f1_change_pts"]],
    })
    return Table("factorial_cells", "Every cell of the factorial sweeps: training-energy and whole-trial savings "
                 "versus untreated and F1 change",
                 cells, display, notes=("Savings and F1 change against the algorithm's untreated trials "
                                        "(every factor off).", WHOLE_TRIAL_NOTE))


def _noted(table: Table, notes: tuple[str, ...]) -> Table:
    return dataclasses.replace(table, notes=(*table.notes, *notes)) if notes else table


def averaging_note(trials: pd.DataFrame) -> str:
    """The note every table carries on how precision, recall and F1 are averaged (``f1_average``)."""
    averages = f1_averages(trials)
    if averages == ("binary",):
        return "Precision, recall and F1: binary, of the positive class (f1_average: binary)."
    if averages == ("macro",):
        return ("Precision, recall and F1: macro-averaged over the data set's classes, the unweighted mean of "
                "the per-class scores (f1_average: macro).")
    return (f"Precision, recall and F1 are averaged differently across these trials ({', '.join(averages)}): "
            "analyse runs of two-class and multi-class data sets apart.")


def with_notes(table: Table, results: Results) -> Table:
    return with_energy_basis(dataclasses.replace(table, notes=(*table.notes, averaging_note(results.trials))), results)


def with_energy_basis(table: Table, results: Results) -> Table:
    """``table`` with an ``energy_basis`` column (raw frame) and, for energy that is not measured
    (estimated, or not joules), the results' energy notes in its title; unchanged unless
    ``table.energy``."""
    if not table.energy:
        return table
    notes = results.energy_notes()
    frame = table.frame.copy()
    frame["energy_basis"] = "; ".join(notes) if notes else f"measured ({', '.join(results.meters)})"
    title = f"{table.title} [{'; '.join(notes)}]" if notes else table.title
    return dataclasses.replace(table, title=title, frame=frame)


def _cleaning_table(report: pd.DataFrame, cleaned: bool) -> Table:
    dropped = report[(report["dropped_nonpositive"] > 0) | (report["dropped_outliers"] > 0)]
    n, n_np, n_out = (int(report["n_trials"].sum()), int(report["dropped_nonpositive"].sum()),
                      int(report["dropped_outliers"].sum()))
    if cleaned:
        note = (f"Cleaning: {n_np} training-energy reading(s) <= 0 J or missing and {n_out} outlier(s) "
                f"(|z| >= {stats.Z_LIMIT:g} on training energy, per configuration) blanked of {n}; "
                f"{len(dropped)} of {len(report)} configurations affected (all in cleaning.csv). Cleaning drops "
                "readings, not trials: a blanked trial's energy (training and whole trial) is left out of the "
                "energy statistics, its F1 stays in every F1 statistic.")
        emptied = report[report["n_kept"] == 0]
        if len(emptied):
            names = "; ".join(f"{r.algorithm} ({r.sweep} sweep: rows {fraction(r.row_fraction)}, "
                              f"features {fraction(r.feature_fraction)})" for r in emptied.itertuples())
            note += (f" Every reading blanked, so no energy below for: {names}. Training energy <= 0 J "
                     "usually means a meter too coarse for a short phase; a missing one, a window "
                     "the meter could not measure.")
    else:
        note = (f"Not cleaned (--no-clean): all {n} readings kept; the rule would have blanked "
                f"{n_np} with training energy <= 0 J or missing and {n_out} outlier(s) "
                f"(|z| >= {stats.Z_LIMIT:g}).")
    frame = report.assign(cleaned=cleaned)
    display = _config_display(dropped).assign(**{
        "trials": dropped["n_trials"].astype(str).to_numpy(),
        "<= 0 J or missing": dropped["dropped_nonpositive"].astype(str).to_numpy(),
        "outliers": dropped["dropped_outliers"].astype(str).to_numpy(),
        "energy readings kept": (dropped["n_kept"] if cleaned else dropped["n_trials"]).astype(str).to_numpy(),
    })
    return Table("cleaning", "Cleaning per configuration (configurations with blanked training-energy readings)",
                 frame, display, notes=(note,))


def _config_display(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "algorithm": df["algorithm"].to_numpy(),
        "sweep": df["sweep"].to_numpy(),
        "rows": [fraction(x) for x in df["row_fraction"]],
        "features": [fraction(x) for x in df["feature_fraction"]],
    })


def _normality_table(norm: pd.DataFrame, alpha: float) -> Table:
    display = _config_display(norm).assign(**{
        "trials": norm["n_trials"].astype(str).to_numpy(),
        "energy W": [num(x, 3) for x in norm["train_energy_j_w"]],
        "energy p": [pval(x) for x in norm["train_energy_j_p"]],
        "F1 p": [pval(x) for x in norm["f1_p"]],
    })
    return Table("normality", f"Shapiro-Wilk normality per configuration (normal if p >= {alpha:g})",
                 norm, display)


def _normality_summary(norm: pd.DataFrame, alpha: float) -> Table:
    rows = []
    for algorithm, g in norm.groupby("algorithm", sort=True):
        e_bad, e_n = stats.count_non_normal(g, "train_energy_j")
        f_bad, f_n = stats.count_non_normal(g, "f1")
        rows.append({"algorithm": algorithm, "configurations": len(g),
                     "energy_tested": e_n, "energy_non_normal": e_bad,
                     "f1_tested": f_n, "f1_non_normal": f_bad})
    frame = pd.DataFrame(rows)
    e_bad, e_n = stats.count_non_normal(norm, "train_energy_j")
    f_bad, f_n = stats.count_non_normal(norm, "f1")
    note = (f"{e_bad} of {e_n} testable configurations have non-normal training energy and "
            f"{f_bad} of {f_n} non-normal F1 (Shapiro-Wilk, p < {alpha:g}); hence non-parametric "
            "statistics. Untestable: fewer than 3 trials or all values equal.")
    display = pd.DataFrame({
        "algorithm": frame["algorithm"],
        "configurations": frame["configurations"].astype(str),
        "energy non-normal": [f"{b} of {n}" for b, n in zip(frame["energy_non_normal"], frame["energy_tested"])],
        "F1 non-normal": [f"{b} of {n}" for b, n in zip(frame["f1_non_normal"], frame["f1_tested"])],
    })
    return Table("normality_summary", "Normality: configurations that fail Shapiro-Wilk",
                 frame, display, notes=(note,))


BELOW_COLUMN = "train phases below resolution"
BELOW_NOTE = ("Train phases below resolution: trials whose training window was shorter or held less "
              "energy than the meter resolves to the run's hygiene.rel_error (5% by default; RAPL "
              "updates about every 1 ms, so under 20 ms); the median beside it rests on those readings.")


def _below(n_below, n_trials) -> list[str]:
    """"k of n" per row; "not recorded" where the rows carry no flag (older runs)."""
    return ["not recorded" if math.isnan(k) else f"{int(k)} of {int(n)}" for k, n in zip(n_below, n_trials)]


def _with_below(display: pd.DataFrame, frame: pd.DataFrame, after: str, notes: tuple,
                n_below="n_below_resolution", n_trials="n_trials") -> tuple[pd.DataFrame, tuple]:
    """Insert the "k of n below resolution" column after ``after`` when any row is flagged or
    flags were recorded, with its note."""
    if n_below not in frame or frame[n_below].isna().all():
        return display, notes
    display = display.copy()
    display.insert(display.columns.get_loc(after) + 1, BELOW_COLUMN, _below(frame[n_below], frame[n_trials]))
    return display, (*notes, BELOW_NOTE)


def _rq1_table(rq1: pd.DataFrame, unit: str = "J", times: bool = True) -> Table:
    """``times``: False for the published ICT4S'22 file, whose phase times include the tracker's
    start-up (``harness.results.load.ICT4S22_TIMES_NOTE``): no time ratio is shown."""
    spread = stats.rq1_spread(rq1)
    display = pd.DataFrame({
        "algorithm": rq1["algorithm"],
        "trials": rq1["n_trials"].astype(str),
        f"median train energy ({unit})": [num(x) for x in rq1["median_train_energy_j"]],
        "median train time (s)": [num(x) for x in rq1["median_train_s"]],
        "x smallest (energy)": [num(x, 3) for x in rq1["ratio_to_min"]],
        "x smallest (time)": [num(x, 3) for x in rq1["time_ratio_to_min"]],
    })
    note = (f"Max/min ratio of median training energy: {num(spread, 3)}" +
            (f" ({math.log10(spread):.1f} orders of magnitude)." if spread > 0 else "."))
    if not times:
        display = display.drop(columns="x smallest (time)")
        note = f"{note} The {ICT4S22_TIMES_NOTE}."
    display, notes = _with_below(display, rq1, f"median train energy ({unit})", (note,))
    return Table("rq1_energy", "RQ1: training energy per algorithm at 100% rows and features (training energy, "
                 "as in the paper)",
                 rq1, display, notes=notes)


def _correlation_table(name: str, title: str, corr: pd.DataFrame, energy: bool = True) -> Table:
    corr = stats.with_holm(corr)
    display = pd.DataFrame({
        "algorithm": corr["algorithm"],
        "factor": corr["factor"],
        "variable": corr["variable"],
        "levels": corr["n_levels"].astype(str),
        "trials": corr["n_trials"].astype(str),
        "rho": [num(x, 3) for x in corr["rho"]],
        "p": [pval(x) for x in corr["p"]],
        "Holm p": [pval(x) for x in corr["holm_p"]],
    })
    tested = int(corr["p"].notna().sum())
    methods = ", ".join(sorted(set(corr.loc[corr["p"].notna(), "p_method"])))
    notes = ["rho is undefined when either variable is constant or there are fewer than 3 trials.",
             f"{tested} test(s) in this table, one family: Holm p adjusts each p for all of them. p two-sided"
             + (f" ({methods}; exact up to {stats.EXACT_SPEARMAN_MAX_N} pairs, permutation up to "
                f"{stats.PERMUTATION_SPEARMAN_MAX_N}, t-approximation above)." if methods else ".")]
    if "note" in corr.columns and corr["note"].fillna("").astype(bool).any():
        display["note"] = corr["note"].fillna("").to_numpy()
    variables = set(corr["variable"])
    if variables & {"fit_dtype bits", "input_dtype bits", "bits (requested)"}:
        notes.append("dtype factors are analysed by what reached the estimator: fit_dtype bits = the bits of the "
                     "dtype the fitted estimator computed in (row column fit_dtype; input_dtype, the dtype of the "
                     "X given to fit, where fit_dtype is not known). Where it is the same at every level the factor "
                     "is nominal for that algorithm (a decision tree computes in float32 whatever it is given): no "
                     "correlation is computed.")
    if "kbits (value resolution)" in variables:
        notes.append("kbits: bits of resolution per value at the level (none = 64); the values reach the "
                     "estimator as float64 at every level (see note), so kbits changes the values, not their "
                     "storage.")
    if (corr["variable"] == "level_value").any():
        notes.append("level_value: the level as a number, none = the level that changes nothing (1.0 for a "
                     "fraction; a user tactic's untreated trials are left out).")
    return Table(name, title, corr, display, notes=tuple(notes), energy=energy)


def _tradeoff_table(trade: pd.DataFrame, unit: str = "J") -> Table:
    display = pd.DataFrame({
        "algorithm": trade["algorithm"],
        "factor": trade["factor"],
        "level": [fraction(x) for x in trade["fraction"]],
        "n_train": [num(x, 6) for x in trade["n_train"]],
        "n_features": [num(x, 6) for x in trade["n_features"]],
        f"median train energy ({unit})": [num(x) for x in trade["median_train_energy_j"]],
        "training saving (%)": [pct(x) for x in trade["saving_pct"]],
        "95% CI": [NO_CI if math.isclose(f, 1.0) else ci(lo, hi) for f, lo, hi in
                   zip(trade["fraction"], trade["saving_ci_low_pct"], trade["saving_ci_high_pct"])],
        **_whole_trial_display(trade, pd.Series([math.isclose(f, 1.0) for f in trade["fraction"]], index=trade.index),
                               unit),
        "median F1": [num(x) for x in trade["median_f1"]],
        "F1 change (pts)": [pct(x, 2) for x in trade["f1_change_pts"]],
        "F1 of median-energy trial": [num(x) for x in trade["median_energy_trial_f1"]],
        "its change (pts)": [pct(x, 2) for x in trade["median_energy_trial_f1_change_pts"]],
    })
    notes = ("Saving = 100 x (1 - median training energy at the level / median at 100%); "
             "CI: percentile bootstrap of the ratio of medians (\"-\" on the 100% row, the "
             "reference itself). F1 change = median F1 at the level "
             "minus median F1 at 100%, in points (F1 x 100). The ICT4S'22 paper's analysis "
             "reported instead the F1 of the median-energy trial (last two columns).", WHOLE_TRIAL_NOTE, CI_SCOPE_NOTE)
    display, notes = _with_below(display, trade, f"median train energy ({unit})", notes)
    return Table("tradeoff", "Trade-off: training-energy and whole-trial savings versus 100%, energy per "
                 "prediction, and F1 change",
                 trade, display, notes=notes)


def _best_table(best: pd.DataFrame, tolerance: float) -> Table:
    display = pd.DataFrame({
        "algorithm": best["algorithm"],
        "factor": best["factor"],
        "level": [fraction(x) if not math.isnan(x) else outcome for x, outcome in zip(best["fraction"], best["outcome"])],
        "training saving (%)": [pct(x) for x in best["saving_pct"]],
        "95% CI": [ci(lo, hi) for lo, hi in zip(best["saving_ci_low_pct"], best["saving_ci_high_pct"])],
        "whole-trial saving (%)": [pct(x) for x in best["trial_saving_pct"]],
        "F1 change (pts)": [pct(x, 2) for x in best["f1_change_pts"]],
    })
    return Table("tradeoff_best", f"Largest training-energy saving with an F1 drop of at most {100 * tolerance:g} "
                 f"F1 point{'' if 100 * tolerance == 1 else 's'} ({tolerance:g} F1)", best.assign(f1_tolerance=tolerance), display,
                 notes=("Ranked on training energy, as the paper's tables; the chosen level's whole-trial saving "
                        "(preprocess + train + predict) beside it. "
                        "'nothing saves': every reduced level within the F1 tolerance costs more training energy "
                        "than the full data; 'none qualifies': no reduced level keeps F1 within it.", SELECTION_NOTE,
                        CI_SCOPE_NOTE))


# ---------------------------------------------------------------- compare

def compare_table(results: Results, candidate: str, baselines: list[str] | None,
                  options: Options = Options()) -> Table:
    trials, _ = stats.analysed(results.trials, options.clean)
    table = stats.compare(trials, candidate, baselines, options.f1_tolerance, options.n_resamples,
                          options.seed, options.alpha)
    combined = table["scope"] == "combined"
    scope = [label if s == "combined" else f"{sw}: {label}"
             for s, sw, label in zip(table["scope"], table["sweep"], table["configuration"])]
    display = pd.DataFrame({
        "baseline": table["baseline"],
        "configuration": scope,
        "n": [f"{a}/{b}" for a, b in zip(table["n_candidate"], table["n_baseline"])],
        "energy ratio": [num(x, 3) for x in table["energy_ratio"]],
        "95% CI": [NO_CI if c else ci(lo, hi, lambda v: num(v, 3)) for c, lo, hi in
                   zip(combined, table["ratio_ci_low"], table["ratio_ci_high"])],
        "test": table["test"],
        "p": [pval(x) for x in table["p"]],
        "Holm p": [pval(x) for x in table["holm_p"]],
        "smallest possible p": [pval(x) for x in table["min_p"]],
        "Cliff's delta": [num(x, 3) for x in table["cliffs_delta"]],
        "magnitude": table["magnitude"],
        "detectable |delta|": [NO_CI if c else "none" if math.isnan(x) else num(x, 2)
                               for c, x in zip(combined, table["mde_cliffs_delta"])],
        "F1 diff (pts)": [pct(x, 2) for x in table["f1_diff_pts"]],
        "verdict": table["verdict"],
        "whole-trial ratio": [num(x, 3) for x in table["trial_energy_ratio"]],
        "its 95% CI": [NO_CI if c else ci(lo, hi, lambda v: num(v, 3)) for c, lo, hi in
                       zip(combined, table["trial_ratio_ci_low"], table["trial_ratio_ci_high"])],
        "J/prediction": [f"{num(a, 3)}/{num(b, 3)}" for a, b in zip(table["candidate_predict_j_per_row"],
                                                                   table["baseline_predict_j_per_row"])],
    })
    repeated = table[(~combined) & table["sweep"].astype(str).str.contains(",")]
    notes = (("Energy ratio, test, Cliff's delta and verdict: training energy. Whole-trial ratio: the same ratio "
              "on preprocess + train + predict energy, with its bootstrap CI; J/prediction: median predict energy "
              "per test row, candidate/baseline."),
             f"Energy ratio = median training energy of {candidate} / baseline (below 1: "
             f"{candidate} uses less); CI: percentile bootstrap. One row per configuration: every "
             "tactic level and fraction apart, never pooled; a configuration in several sweeps (e.g. full data "
             "in the rows and features sweeps) is one configuration run again with the same seeds, counted once "
             "(the trials of its first sweep). Mann-Whitney U two-sided, exact (every split, ties kept) up to 8 "
             f"trials a side; Holm over all {len(table)} rows. Cliff's delta < 0: {candidate} lower energy. "
             f"Greener: CI upper bound < 1 and Holm p < {options.alpha:g}; as accurate: |median F1 difference| "
             f"<= {100 * options.f1_tolerance:g} points. Smallest possible p: what the exact test gives when the "
             f"samples do not overlap at all, 2 / C(n1 + n2, n1); when it is >= {options.alpha:g} no test can "
             f"find a difference, whatever the energies (2 trials per side: 0.33). Detectable |delta|: the "
             f"smallest Cliff's delta found with 80% power at these sizes (t-test power scaled by "
             f"U's efficiency 3/pi, normal shift); 'none' when no difference can be detected.",)
    if combined.any():
        notes += ("'all N configurations (stratified)': van Elteren's stratified Wilcoxon test, trials ranked "
                  "within their own configuration (never the candidate at 10% rows against the baseline at 100%), "
                  "weighted 1 / (trials + 1) per configuration; its p is a permutation p within configurations "
                  f"when one has fewer than {stats.SMALL_STRATUM} trials a side. Its energy ratio is the geometric "
                  "mean of the per-configuration ratios (no CI), its delta the configurations' deltas averaged "
                  "with the test's weights, its F1 difference their median; greener or costlier by the sign of "
                  "that delta when its Holm p is below alpha.",)
    if len(repeated):
        notes += (f"{len(repeated)} row(s) name several sweeps: that configuration appears in each and is "
                  "counted once.",)
    notes += stats.small_sample_note(list(table.loc[~combined, "n_candidate"]) + list(table.loc[~combined, "n_baseline"]))
    if not (table["n_candidate_below_resolution"].isna().all() and table["n_baseline_below_resolution"].isna().all()):
        display.insert(display.columns.get_loc("energy ratio"), BELOW_COLUMN, [
            f"{c}/{b}" for c, b in zip(_below(table["n_candidate_below_resolution"], table["n_candidate"]),
                                       _below(table["n_baseline_below_resolution"], table["n_baseline"]))])
        notes = (*notes, BELOW_NOTE + " Given as candidate/baseline.")
    return with_notes(Table(f"compare_{candidate}", f"Compare {candidate} against baselines: training energy, "
                             "with the whole trial and energy per prediction beside it",
                             table, display, notes=notes), results)


# ---------------------------------------------------------------- writers

def to_markdown(table: Table, level: int = 3) -> str:
    lines = [f"{'#' * level} {table.title}", ""]
    lines += [f"{n}" for n in table.notes] + ([""] if table.notes else [])
    d = table.display
    if d.empty:
        lines += ["(none)", ""]
        return "\n".join(lines)
    cells = [[_md_cell(v) for v in row] for row in d.itertuples(index=False)]
    lines.append("| " + " | ".join(_md_cell(c) for c in d.columns) + " |")
    lines.append("|" + "|".join("---" for _ in d.columns) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    lines.append("")
    return "\n".join(lines)


def _md_cell(v) -> str:
    return str(v).replace("|", "\\|")


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
        "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
        "<": r"\textless{}", ">": r"\textgreater{}"}


def tex_escape(text) -> str:
    return "".join(_TEX.get(ch, ch) for ch in str(text))


def to_latex(table: Table) -> str:
    """A ``table`` float with a booktabs ``tabular`` (needs ``\\usepackage{booktabs}``)."""
    d = table.display
    align = "".join("l" if len(d) == 0 or d[c].map(_is_text).any() else "r" for c in d.columns)
    caption = tex_escape(" ".join([table.title + "."] + list(table.notes)))
    lines = [r"\begin{table}[t]", r"\centering", r"\small",
             rf"\caption{{{caption}}}", rf"\label{{tab:{table.name.replace('_', '-')}}}",
             rf"\begin{{tabular}}{{{align}}}", r"\toprule",
             " & ".join(tex_escape(c) for c in d.columns) + r" \\", r"\midrule"]
    lines += [" & ".join(tex_escape(v) for v in row) + r" \\" for row in d.itertuples(index=False)]
    if d.empty:  # as the Markdown's "(none)", spanning every column of the header
        lines.append(rf"\multicolumn{{{len(d.columns)}}}{{l}}{{(none)}} \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
    return "\n".join(lines)


def _is_text(v) -> bool:
    try:
        float(str(v).rstrip("%"))
        return False
    except ValueError:
        return str(v) not in (UNDEFINED, NO_CI)


def write_tables(tables: list[Table], out_dir: Path) -> list[Path]:
    """Write ``<name>.md``, ``.tex`` and ``.csv`` for each table; returns the paths written."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ResultsError(f"{out_dir}: cannot create the output directory ({e.strerror}); "
                           "pass a writable --out") from e
    written = []
    for t in tables:
        for suffix, text in ((".md", to_markdown(t)), (".tex", to_latex(t))):
            path = out_dir / f"{t.name}{suffix}"
            path.write_text(text, encoding="utf-8")
            written.append(path)
        path = out_dir / f"{t.name}.csv"
        t.frame.to_csv(path, index=False)
        written.append(path)
    return written
